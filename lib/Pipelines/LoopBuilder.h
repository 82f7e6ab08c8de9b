//===- LoopBuilder.h - Counted loops for the pipelines' rewrites -*- C++ -*-===//
//
// Index constants, index + constant and counted scf.for loops without
// results at a builder's insertion point: the code-generation steps that
// lowbit-depthwise-conv-to-vectors and lowbit-transposes-to-vectors share
// (internal to lib/Pipelines).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_PIPELINES_LOOPBUILDER_H
#define LOWBIT_LIB_PIPELINES_LOOPBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::lowbit {
struct LoopBuilder {
  OpBuilder &b;
  Location loc;

  Value index(int64_t v) const { return arith::ConstantIndexOp::create(b, loc, v); }
  /// x + c (x itself for c = 0).
  Value add(Value x, int64_t c) const {
    return c ? arith::AddIOp::create(b, loc, x, index(c)).getResult() : x;
  }
  /// for (i = from; i < to; i += step) body(i); nothing for an empty range.
  void loop(int64_t from, int64_t to, int64_t step, llvm::function_ref<void(Value)> body) const {
    if (from >= to)
      return;
    scf::ForOp::create(b, loc, index(from), index(to), index(step), ValueRange{},
                       [&](OpBuilder &, Location, Value i, ValueRange) {
                         body(i);
                         scf::YieldOp::create(b, loc);
                       });
  }
};
} // namespace mlir::lowbit

#endif
