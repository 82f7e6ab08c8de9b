//===- ONNXFuzzer.cpp - libFuzzer target: the ONNX importer ----------------===//
//
// The input is an ONNX model (a protobuf). The importer must accept it or
// say why (never crash, never allocate more than the model justifies), and
// what it accepts must verify. Shapes are static: the fuzzed graphs carry
// their input shapes.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Import/Import.h"
#include "lowbit/Import/ONNX.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace lowbit::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context now and then: constants are uniqued in the context
  // and never freed, so one context would grow with every input.
  static std::unique_ptr<mlir::MLIRContext> context;
  static unsigned uses = 0;
  if (!context || ++uses % 512 == 0) {
    mlir::DialectRegistry registry;
    registerImportDialects(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->loadAllAvailableDialects();
    context->printOpOnDiagnostic(false);
  }
  mlir::ScopedDiagnosticHandler quiet(context.get(), [](mlir::Diagnostic &) { return mlir::success(); });
  ONNXImportOptions options;
  options.segmentOps = 8; // the outliner too
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> m = importONNXBuffer(
      *context, llvm::StringRef(reinterpret_cast<const char *>(data), size), "<fuzz>", options);
  if (!m) {
    llvm::consumeError(m.takeError());
    return 0;
  }
  if (mlir::failed(mlir::verify(**m)))
    __builtin_trap(); // an accepted model must import to valid IR
  return 0;
}
