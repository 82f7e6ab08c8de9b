//===- Passes.h - lowbit dialect transformations ----------------*- C++ -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_TRANSFORMS_PASSES_H
#define LOWBIT_DIALECT_LOWBIT_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::lowbit {

/// The target descriptions of lowbit-plan-layout (its `target` option).
enum class LayoutPlanTarget {
  Dense,    ///< bits<lsb_first, W>, row after row
  Bitplane, ///< bits<planes_tiled, W, 32>: bit planes in 32-bit words of k
};

#define GEN_PASS_DECL
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

} // namespace mlir::lowbit

#endif
