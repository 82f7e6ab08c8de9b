//===- SymbolicShapes.h - Dynamic dimensions of a function's signature -*- C++ -*-===//
//
// A function may take tensors with dynamic dimensions (the batch or token
// dimension M of `tensor<?x4096xf32>`). Its code reads each size from the
// buffers it is given and trusts that sizes the ops relate are equal: A's
// M and C's M in lowbit.mpgemm, the codes and their per-row scales in
// lowbit.dequantize. This analysis names the dynamic dimensions of the
// signature by symbols, one per set of dimensions that must be equal, so
// that a caller (the JIT, the C ABI) can check the sizes it is given and
// compute the shapes of the results before it calls, instead of letting
// mismatched sizes read or write out of bounds.
//
// Dynamic dimensions are followed through lowbit.mpgemm, lowbit.quantize,
// lowbit.dequantize, lowbit.cast and func.return; any other op taking or making a tensor of
// dynamic shape is refused with an error at its location.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_DIALECT_LOWBIT_ANALYSIS_SYMBOLICSHAPES_H
#define LOWBIT_DIALECT_LOWBIT_ANALYSIS_SYMBOLICSHAPES_H

#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
}

namespace mlir::lowbit {

/// For every argument and every result: per dimension, -1 where the
/// dimension is static, else its symbol (0 .. numSymbols - 1, numbered in
/// the order they first appear among the arguments).
struct SymbolicSignature {
  std::vector<std::vector<int>> inputs, outputs;
  unsigned numSymbols = 0;
};

/// The symbols of `f`'s dynamic dimensions, or failure (with an error at
/// the op that takes a dynamic tensor this analysis cannot follow).
FailureOr<SymbolicSignature> analyzeSymbolicShapes(func::FuncOp f);

// Binding sizes to the symbols at a call: lowbit::rt::bindSymbolSizes
// (lowbit/Runtime/Module.h), which needs no MLIR.


} // namespace mlir::lowbit

#endif
