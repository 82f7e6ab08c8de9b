//===- ONNXUnavailable.cpp - The ONNX importer where libonnx is absent ----===//
//
// Built instead of ONNX.cpp and ONNXOps.cpp when CMake finds no libonnx
// (Debian's libonnx-dev): lowbit-import then says how to get it.

#include "lowbit/Import/ONNX.h"

bool lowbit::import::haveONNX() { return false; }

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
lowbit::import::importONNX(mlir::MLIRContext &ctx, llvm::StringRef path,
                           const ONNXImportOptions &options, std::vector<WeightStat> *stats) {
  return importONNXBuffer(ctx, "", path, options, stats);
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
lowbit::import::importONNXBuffer(mlir::MLIRContext &, llvm::StringRef, llvm::StringRef path,
                                 const ONNXImportOptions &, std::vector<WeightStat> *) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": this lowbit was built without ONNX support (install "
                                        "libonnx-dev and libprotobuf-dev, then rebuild)");
}
