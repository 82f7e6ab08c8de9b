//===- InputHessianTest.cpp - Second moments and the Hessian proxy --------===//

#include "lowbit/Precision/InputHessian.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lowbit::precision;

namespace {

TEST(InputHessian, MeanIsXtXOverRows) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  const int64_t k = 7, rows = 50;
  std::vector<float> x(size_t(rows * k));
  for (float &v : x)
    v = nd(rng);
  InputHessian h(k);
  h.accumulate(x.data(), 20); // in two calls
  h.accumulate(x.data() + 20 * k, rows - 20);
  std::vector<double> m = h.mean();
  EXPECT_EQ(h.rows(), rows);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t r = 0; r < rows; ++r)
        s += double(x[size_t(r * k + i)]) * x[size_t(r * k + j)];
      EXPECT_NEAR(m[size_t(i * k + j)], s / rows, 1e-12);
    }
}

TEST(InputHessian, ProxyOnAKnownHessian) {
  // Inputs x = z A with z of orthonormal rows scaled so that X^T X / rows =
  // A^T A exactly: the rows are sqrt(rows) e_i A (i < k), so H = A^T A.
  const int64_t k = 5, n = 3;
  std::mt19937 rng(2);
  std::normal_distribution<double> nd;
  std::vector<double> a(size_t(k * k));
  for (double &v : a)
    v = nd(rng);
  std::vector<float> x(size_t(k * k));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      x[size_t(i * k + j)] = float(std::sqrt(double(k)) * a[size_t(i * k + j)]);
  InputHessian h(k);
  h.accumulate(x.data(), k);
  std::vector<double> known(size_t(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t p = 0; p < k; ++p)
        known[size_t(i * k + j)] += double(x[size_t(p * k + i)]) * x[size_t(p * k + j)] / k;
  std::vector<double> m = h.mean();
  for (size_t i = 0; i < m.size(); ++i)
    EXPECT_NEAR(m[i], known[i], 1e-9);

  std::vector<float> w(size_t(n * k)), wq(size_t(n * k));
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = float(nd(rng));
    wq[i] = w[i] + float(0.1 * nd(rng));
  }
  // The proxy is the mean squared output change of the layer.
  double direct = 0;
  for (int64_t r = 0; r < k; ++r)
    for (int64_t o = 0; o < n; ++o) {
      double y = 0;
      for (int64_t j = 0; j < k; ++j)
        y += double(x[size_t(r * k + j)]) * (double(w[size_t(o * k + j)]) - wq[size_t(o * k + j)]);
      direct += y * y;
    }
  direct /= double(k);
  EXPECT_NEAR(hessianProxy(m, k, w.data(), wq.data(), n), direct, 1e-9 * direct);
  EXPECT_EQ(hessianProxy(m, k, w.data(), w.data(), n), 0.0);

  // Recorded as f32 means (the IR attribute) it comes back the same.
  std::vector<float> mf(m.begin(), m.end());
  InputHessian back = InputHessian::fromMean(k, mf.data(), h.rows());
  EXPECT_EQ(back.rows(), h.rows());
  for (size_t i = 0; i < m.size(); ++i)
    EXPECT_NEAR(back.mean()[i], m[i], 1e-6 * (1 + std::fabs(m[i])));
}

TEST(InputHessian, ProxyRanksDirectionsByTheirVariance) {
  // An input with variance 100 on axis 0 and 1 on axis 1: the same weight
  // change costs 100x more on axis 0 (what weight MSE cannot see).
  const int64_t k = 2;
  std::vector<double> h{100, 0, 0, 1};
  float w[2] = {0, 0}, d0[2] = {0.1f, 0}, d1[2] = {0, 0.1f};
  EXPECT_NEAR(hessianProxy(h, k, w, d0, 1) / hessianProxy(h, k, w, d1, 1), 100.0, 1e-4);
}

} // namespace
