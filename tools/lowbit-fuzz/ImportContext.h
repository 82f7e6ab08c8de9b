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

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

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

} // namespace lowbit::fuzz

#endif
