//===- InputHessian.cpp - Second moments of a layer's inputs --------------===//

#include "lowbit/Precision/InputHessian.h"

using namespace lowbit::precision;

InputHessian InputHessian::fromMean(int64_t k, const float *mean, int64_t rows) {
  InputHessian h(k);
  h.rows_ = rows;
  for (int64_t i = 0; i < k * k; ++i)
    h.sum_[size_t(i)] = double(mean[i]) * double(rows);
  return h;
}

void InputHessian::accumulate(const float *x, int64_t rows) {
  // Upper triangle only (the lower one is mirrored by mean()); the inner
  // loop is a contiguous axpy that the compiler vectorizes.
  std::vector<double> row(static_cast<size_t>(k_));
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * k_;
    for (int64_t j = 0; j < k_; ++j)
      row[size_t(j)] = xr[j];
    for (int64_t i = 0; i < k_; ++i) {
      double xi = row[size_t(i)];
      if (xi == 0)
        continue; // ReLU/HardSwish inputs are often zero
      double *acc = sum_.data() + i * k_;
      for (int64_t j = i; j < k_; ++j)
        acc[j] += xi * row[size_t(j)];
    }
  }
  rows_ += rows;
}

std::vector<double> InputHessian::mean() const {
  std::vector<double> h(sum_.size(), 0.0);
  if (rows_ == 0)
    return h;
  double inv = 1.0 / double(rows_);
  for (int64_t i = 0; i < k_; ++i)
    for (int64_t j = i; j < k_; ++j)
      h[size_t(i * k_ + j)] = h[size_t(j * k_ + i)] = sum_[size_t(i * k_ + j)] * inv;
  return h;
}

double lowbit::precision::hessianProxy(const std::vector<double> &h, int64_t k,
                                       const float *w, const float *wq, int64_t n) {
  std::vector<double> d(static_cast<size_t>(k));
  double total = 0;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < k; ++j)
      d[size_t(j)] = double(w[r * k + j]) - double(wq[r * k + j]);
    // d^T H d = sum_i d_i (H d)_i; rows of H are contiguous.
    double acc = 0;
    for (int64_t i = 0; i < k; ++i) {
      if (d[size_t(i)] == 0)
        continue;
      const double *hi = h.data() + i * k;
      double s = 0;
      for (int64_t j = 0; j < k; ++j)
        s += hi[j] * d[size_t(j)];
      acc += d[size_t(i)] * s;
    }
    total += acc;
  }
  return total;
}
