//===- InputHessian.h - Second moments of a layer's inputs ------*- C++ -*-===//
//
// H = X^T X / rows over the calibration rows X (rows x K) that reach a
// linear layer y = x W^T: for the squared output error of a weight change
// dW, sum over rows of |x dW^T|^2 = rows * tr(dW H dW^T), the second-order
// proxy that OBS, GPTQ and HAWQ use (the layer-local Hessian of the squared
// error, computable without autodiff). Accumulated in double: calibration
// runs add millions of rows and the Cholesky factorization of GPTQ needs
// the digits.
//
// MLIR-free, like Numerics: the allocation pass, the quantizer and the
// calibration driver share it.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_PRECISION_INPUTHESSIAN_H
#define LOWBIT_PRECISION_INPUTHESSIAN_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lowbit::precision {

class InputHessian {
public:
  explicit InputHessian(int64_t k = 0) : k_(k), sum_(size_t(k * k), 0.0) {}
  /// From a mean H (k x k row-major) of `rows` rows, as recorded in IR.
  static InputHessian fromMean(int64_t k, const float *mean, int64_t rows);

  /// Adds `rows` rows of k values (row-major).
  void accumulate(const float *x, int64_t rows);

  int64_t k() const { return k_; }
  int64_t rows() const { return rows_; }
  /// X^T X / rows (k x k row-major; zeros before any row).
  std::vector<double> mean() const;

private:
  int64_t k_;
  int64_t rows_ = 0;
  std::vector<double> sum_; ///< X^T X, upper triangle kept current
};

/// tr(dW H dW^T) with dW = w - wq (n x k row-major each) and H (k x k,
/// symmetric): the mean squared output change per calibration row.
double hessianProxy(const std::vector<double> &h, int64_t k, const float *w,
                    const float *wq, int64_t n);

} // namespace lowbit::precision

#endif
