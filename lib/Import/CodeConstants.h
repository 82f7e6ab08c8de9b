//===- CodeConstants.h - Code tensors as MLIR constants (private) -*- C++ -*-===//
//
// The importers' one way of turning a CodeTensor (ImportedTensor.h) into a
// constant: arith.constant for the builtin types, lowbit.constant of the
// raw patterns for every other code type.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_IMPORT_CODECONSTANTS_H
#define LOWBIT_LIB_IMPORT_CODECONSTANTS_H

#include "lowbit/Import/ImportedTensor.h"

#include "mlir/IR/Builders.h"

#include "llvm/Support/Error.h"

namespace lowbit::import {

/// The constant holding `c`; `tensor` names it in errors (a type that does
/// not parse, data that does not fit the shape).
llvm::Expected<mlir::Value> buildCodeConstant(mlir::OpBuilder &b, mlir::Location loc,
                                              const CodeTensor &c, llvm::StringRef tensor);

} // namespace lowbit::import

#endif
