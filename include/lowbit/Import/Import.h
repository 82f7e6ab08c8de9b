//===- Import.h - Model files to lowbit IR ----------------------*- C++ -*-===//
//
// lowbit-import's library: a GGUF file or a safetensors checkpoint becomes
// a module of tensor-level lowbit IR (func + arith + tensor + linalg +
// lowbit), weights as constants that stay packed as the file had them.
// Weight files hold no graph, so the module has, for every 2-D weight W
// (N x K, one row per output channel):
//
//   func.func @<name>(%x: tensor<?xKxf32>) -> tensor<?xNxf32>
//       x W^T, a lowbit.mpgemm on the packed weight (a linear layer);
//   func.func @<name>.dequantized() -> tensor<NxKxf32>
//       the weight's values;
//
// and for every other tensor the accessor only (integer tensors return
// their integers as they are). Each op's location names the tensor and the
// file. The importers depend on the dialects and Numerics only, never on
// the runtime or the pipelines.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_IMPORT_IMPORT_H
#define LOWBIT_IMPORT_IMPORT_H

#include "lowbit/Import/ImportedTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace lowbit::import {

enum class FileFormat { Auto, GGUF, Safetensors };

/// The format of `path` from its contents (magic) or, for a directory or a
/// `.json` index, its safetensors files.
llvm::Expected<FileFormat> detectFormat(llvm::StringRef path);

/// Registers the dialects an imported module uses.
void registerImportDialects(mlir::DialectRegistry &registry);

/// Reads `path` (any format this library knows) into tensors.
llvm::Expected<std::vector<ImportedTensor>> readWeights(llvm::StringRef path,
                                                        FileFormat format = FileFormat::Auto);

/// Builds the module for `tensors` (see the file comment); `source` names
/// the file in locations. The context must have the import dialects.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildWeightModule(mlir::MLIRContext &context, llvm::ArrayRef<ImportedTensor> tensors,
                  llvm::StringRef source);

/// readWeights + buildWeightModule.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importFile(mlir::MLIRContext &context, llvm::StringRef path, FileFormat format = FileFormat::Auto);

} // namespace lowbit::import

#endif
