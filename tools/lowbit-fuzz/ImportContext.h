//===- ImportContext.h - The importer fuzzers' MLIR context -----*- C++ -*-===//
//
// A context with the import dialects, quiet diagnostics, and renewed every
// 512 inputs: constants are uniqued in the context and never freed, so one
// context would grow with every input the importers accept.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_TOOLS_LOWBIT_FUZZ_IMPORTCONTEXT_H
#define LOWBIT_TOOLS_LOWBIT_FUZZ_IMPORTCONTEXT_H

#include "lowbit/Import/Import.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace lowbit::fuzz {

inline mlir::MLIRContext &importContext() {
  static std::unique_ptr<mlir::MLIRContext> context;
  static std::unique_ptr<mlir::ScopedDiagnosticHandler> quiet;
  static unsigned uses = 0;
  if (!context || ++uses % 512 == 0) {
    quiet.reset();
    mlir::DialectRegistry registry;
    lowbit::import::registerImportDialects(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->loadAllAvailableDialects();
    context->printOpOnDiagnostic(false);
    quiet = std::make_unique<mlir::ScopedDiagnosticHandler>(
        context.get(), [](mlir::Diagnostic &) { return mlir::success(); });
  }
  return *context;
}

/// Traps (the fuzzer's finding) unless `module`, which an importer accepted,
/// verifies; the verifier's messages go to stderr first, under an "ERROR:"
/// that scripts/fuzz.sh keeps, so that a finding says what was invalid.
inline void verifyOrTrap(mlir::ModuleOp module) {
  mlir::ScopedDiagnosticHandler loud(module.getContext(), [](mlir::Diagnostic &d) {
    llvm::errs() << "ERROR: an accepted input imported to invalid IR: " << d << "\n";
    return mlir::success();
  });
  if (mlir::failed(mlir::verify(module)))
    __builtin_trap();
}

} // namespace lowbit::fuzz

#endif
