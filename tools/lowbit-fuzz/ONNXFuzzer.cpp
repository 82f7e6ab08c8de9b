//===- ONNXFuzzer.cpp - libFuzzer target: the ONNX importer ----------------===//
//
// The input is an ONNX model (a protobuf). The importer must accept it or
// say why (never crash, never allocate more than the model justifies), and
// what it accepts must verify. Shapes are static: the fuzzed graphs carry
// their input shapes.
//
//===----------------------------------------------------------------------===//

#include "ImportContext.h"
#include "lowbit/Import/Import.h"
#include "lowbit/Import/ONNX.h"


#include <cstddef>
#include <cstdint>
#include <memory>

using namespace lowbit::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = lowbit::fuzz::importContext();
  ONNXImportOptions options;
  options.segmentOps = 8; // the outliner too
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> m = importONNXBuffer(
      ctx, llvm::StringRef(reinterpret_cast<const char *>(data), size), "<fuzz>", options);
  if (!m) {
    llvm::consumeError(m.takeError());
    return 0;
  }
  lowbit::fuzz::verifyOrTrap(**m); // an accepted model must import to valid IR
  return 0;
}
