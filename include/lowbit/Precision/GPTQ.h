//===- GPTQ.h - Calibrated quantization by inverse-Hessian updates -*- C++ -*-===//
//
// GPTQ (Frantar et al., 2022) beside round-to-nearest: the columns of a
// weight W (n x k, one row per output channel) are quantized one at a time
// and the error of each is spread over the columns not yet quantized
// through the inverse of H = X^T X (the layer's input second moments,
// InputHessian.h), which minimizes |X W^T - X Wq^T|^2 greedily instead of
// |W - Wq|^2. As the paper's implementation: damping of a fraction of the
// mean diagonal, dead inputs (H_ii = 0) zeroed, the upper Cholesky factor
// of H^-1, lazy batch updates of `blockSize` columns, and act-order
// (columns by decreasing H_ii).
//
// Codes come out in the scheme's own representation (QuantizedTensor of
// TensorQuantization.h, stored scales and zero points), so a GPTQ weight
// feeds lowbit.mpgemm exactly as a round-to-nearest one does. The integer
// rules (absmax, gptq, awq) with groups along k, per channel or per tensor
// are supported. Scales: without act-order, each group's scale and zero
// point are chosen when its first column is reached, from the updated
// weights (as the reference implementation); with act-order they are
// chosen up front from W ("static groups"), since the columns of one group
// are no longer visited together. Every column is rounded with the stored
// (f16/bf16-rounded) scale, so the propagated error is the error the model
// will see.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_PRECISION_GPTQ_H
#define LOWBIT_PRECISION_GPTQ_H

#include "lowbit/Numerics/TensorQuantization.h"
#include "lowbit/Precision/InputHessian.h"

#include <optional>
#include <string>

namespace lowbit::precision {

struct GptqOptions {
  double damping = 0.01; ///< fraction of mean(diag H) added to the diagonal
  bool actOrder = true;
  int64_t blockSize = 128;
};

/// Empty if GPTQ can quantize a weight of this shape under `s`, else why.
std::string checkGptqScheme(const num::TensorScheme &s, int64_t n, int64_t k);

/// What GPTQ derives from H alone, shared by every scheme tried on one
/// layer: the column order, dead inputs and the upper Cholesky factor U of
/// the damped, permuted H^-1 (O(k^3), the costly part for large k).
struct GptqFactor {
  int64_t k = 0;
  std::vector<int64_t> perm; ///< column visited i-th
  std::vector<char> dead;    ///< per input: H_ii == 0 (weights zeroed)
  std::vector<double> U;     ///< k x k, in the permuted order
  bool actOrder = true;
  int64_t blockSize = 128;
};

/// Factors `h` (k x k); fails when H stays indefinite after the damping is
/// raised 10x four times.
std::optional<GptqFactor> factorHessian(const std::vector<double> &h, int64_t k,
                                        const GptqOptions &options, std::string &why);

/// Quantizes w (n x k row-major) with a factored H.
std::optional<num::QuantizedTensor> gptqQuantize(const num::TensorScheme &s, int64_t n,
                                                 int64_t k, const float *w,
                                                 const GptqFactor &factor, std::string &why);

/// Quantizes w (n x k row-major) with the inputs' second moments `h` (k x
/// k). Fails (with `why`) for schemes checkGptqScheme refuses, or when H
/// stays indefinite after the damping is raised 10x four times.
std::optional<num::QuantizedTensor> gptqQuantize(const num::TensorScheme &s, int64_t n,
                                                 int64_t k, const float *w,
                                                 const std::vector<double> &h,
                                                 const GptqOptions &options, std::string &why);

} // namespace lowbit::precision

#endif
