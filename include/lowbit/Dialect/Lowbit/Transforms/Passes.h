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

/// What the budget of lowbit-assign-precision limits (its `budget-kind`).
enum class PrecisionBudget {
  BitsPerWeight, ///< stored bits of the allocated weights / their count
  Bytes,         ///< stored bytes of the allocated weights
  Latency,       ///< estimated time of the layers' products per run (ms)
};

/// The sensitivity of a layer to a format (lowbit-assign-precision's
/// `sensitivity`).
enum class PrecisionSensitivity {
  Hessian, ///< tr(dW H dW^T), H the recorded lowbit.hessian
  Weight,  ///< |dW|^2 (H = identity; needs no calibration)
};

/// How lowbit-assign-precision quantizes (its `quantizer`).
enum class PrecisionQuantizer {
  RoundToNearest, ///< the scheme's own rounding (lowbit.quantize)
  GPTQ,           ///< inverse-Hessian updates where the scheme is an integer one
};

class SchemeAttr;

/// A candidate of lowbit-assign-precision: a preset, `uB_gG`, `iB_channel`,
/// a scheme body, or `f32`/`none` (a null scheme). Fails with the reason
/// in `error` for text that is none of these or names no element format.
FailureOr<SchemeAttr> parsePrecisionCandidate(MLIRContext *ctx, StringRef text,
                                              std::string &error);

/// lowbit-assign-precision's candidates when none are given (the policy
/// `no-2-bit-default`), as it names them; lowbit-bench-cpu-cost measures
/// these for the latency budget's cost table.
std::vector<std::string> defaultPrecisionCandidates();

#define GEN_PASS_DECL
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

} // namespace mlir::lowbit

#endif
