//===- Signatures.h - Function signatures of a lowbit module ----*- C++ -*-===//
//
// Shared by the JIT and the ahead-of-time compiler: what a caller passes to
// a public function (storage shapes, types, dynamic-size symbols).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_RUNTIME_SIGNATURES_H
#define LOWBIT_LIB_RUNTIME_SIGNATURES_H

#include "lowbit/Runtime/JIT.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace lowbit::rt::detail {
/// The signature of `f`, or failure with an error at its location.
mlir::LogicalResult signatureOf(mlir::func::FuncOp f, FunctionSignature &sig);
} // namespace lowbit::rt::detail

#endif
