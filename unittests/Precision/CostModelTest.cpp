//===- CostModelTest.cpp - The latency fit against known models -----------===//

#include "lowbit/Precision/CostModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lowbit::precision;

namespace {

std::vector<CostSample> grid(const std::array<double, kCostTerms> &c, double noise,
                             std::mt19937 &rng) {
  std::normal_distribution<double> e(0, noise);
  std::vector<CostSample> out;
  for (int64_t m : {1, 40, 480, 3840})
    for (auto [n, k] : {std::pair<int64_t, int64_t>{64, 64}, {256, 128}, {128, 256}, {480, 480}}) {
      CostSample s{"x", 1, m, n, k, 0};
      std::array<double, kCostTerms> t = costTerms(m, n, k);
      for (size_t i = 0; i < kCostTerms; ++i)
        s.microseconds += c[i] * t[i];
      s.microseconds *= 1 + e(rng);
      out.push_back(s);
    }
  return out;
}

/// The objective the fit minimizes: the squared relative residuals.
double objective(const std::vector<CostSample> &s, const std::array<double, kCostTerms> &c) {
  CostFit f;
  f.coefficients = c;
  double r = 0;
  for (const CostSample &x : s) {
    double d = (f.predict(x.m, x.n, x.k) - x.microseconds) / x.microseconds;
    r += d * d;
  }
  return r;
}

/// An independent non-negative least-squares solver: projected coordinate
/// descent on the column-scaled problem, run to convergence.
std::array<double, kCostTerms> coordinateDescent(const std::vector<CostSample> &s) {
  std::vector<std::array<double, kCostTerms>> a;
  std::array<double, kCostTerms> scale{};
  for (const CostSample &x : s) {
    auto t = costTerms(x.m, x.n, x.k);
    for (size_t j = 0; j < kCostTerms; ++j) {
      t[j] /= x.microseconds;
      scale[j] = std::max(scale[j], t[j]);
    }
    a.push_back(t);
  }
  for (auto &row : a)
    for (size_t j = 0; j < kCostTerms; ++j)
      row[j] /= scale[j];
  std::array<double, kCostTerms> x{};
  for (int it = 0; it < 200000; ++it)
    for (size_t j = 0; j < kCostTerms; ++j) {
      double num = 0, den = 0;
      for (const auto &row : a) {
        double p = 0;
        for (size_t i = 0; i < kCostTerms; ++i)
          p += row[i] * x[i];
        num += row[j] * (1 - p + row[j] * x[j]);
        den += row[j] * row[j];
      }
      x[j] = std::max(0.0, num / den);
    }
  for (size_t j = 0; j < kCostTerms; ++j)
    x[j] /= scale[j];
  return x;
}

TEST(CostModel, RecoversAnExactModel) {
  std::mt19937 rng(1);
  std::array<double, kCostTerms> c{3.0, 2e-3, 1.5e-5, 4e-4, 1e-3};
  std::vector<CostSample> s = grid(c, 0, rng);
  std::string error;
  std::optional<CostFit> f = fitCost(s, error);
  ASSERT_TRUE(f) << error;
  for (size_t i = 0; i < kCostTerms; ++i)
    EXPECT_NEAR(f->coefficients[i], c[i], 1e-6 * c[i]) << "term " << i;
  EXPECT_LT(f->maxRelativeError, 1e-9);
  EXPECT_EQ(f->samples, s.size());
}

TEST(CostModel, NonNegativeOptimumMatchesAnIndependentSolver) {
  // Noisy times of models with some terms absent: the unconstrained fit
  // goes negative on them, the non-negative one must not, and its
  // objective must be the optimum (no worse than coordinate descent's).
  std::mt19937 rng(7);
  for (int trial = 0; trial < 12; ++trial) {
    std::array<double, kCostTerms> c{};
    std::uniform_int_distribution<int> pick(0, 1);
    c[0] = 5;
    c[2] = 2e-5;
    if (pick(rng))
      c[1] = 1e-3;
    if (pick(rng))
      c[3] = 2e-4;
    std::vector<CostSample> s = grid(c, 0.08, rng);
    std::string error;
    std::optional<CostFit> f = fitCost(s, error);
    ASSERT_TRUE(f) << error;
    for (double v : f->coefficients)
      EXPECT_GE(v, 0);
    double ours = objective(s, f->coefficients);
    double theirs = objective(s, coordinateDescent(s));
    EXPECT_LE(ours, theirs * (1 + 1e-6) + 1e-12) << "trial " << trial;
  }
}

TEST(CostModel, ParsesTheTableAndNamesBadLines) {
  std::string error;
  auto t = parseCostTable("# made by lowbit-bench-cpu-cost\n"
                          "candidate,threads,m,n,k,us\n\nu4_g128,1,1,64,64,2.5\n"
                          "f32, 2, 40, 480, 120, 31\n",
                          error);
  ASSERT_TRUE(t) << error;
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[1].candidate, "f32");
  EXPECT_EQ((*t)[1].threads, 2u);
  EXPECT_EQ((*t)[1].k, 120);
  EXPECT_DOUBLE_EQ((*t)[1].microseconds, 31);

  EXPECT_FALSE(parseCostTable("candidate,m,n,k,us\n", error));
  EXPECT_EQ(error, "line 1: expected the header 'candidate,threads,m,n,k,us'");
  EXPECT_FALSE(parseCostTable("candidate,threads,m,n,k,us\nf32,1,1,2,3\n", error));
  EXPECT_EQ(error, "line 2: expected 6 fields (candidate,threads,m,n,k,us), found 5");
  EXPECT_FALSE(parseCostTable("candidate,threads,m,n,k,us\n#\nf32,1,1,0,3,4\n", error));
  EXPECT_EQ(error, "line 3: m, n and k must be positive integers");
  EXPECT_FALSE(parseCostTable("candidate,threads,m,n,k,us\nf32,1,1,2,3,-4\n", error));
  EXPECT_EQ(error, "line 2: time '-4' is not a positive number of microseconds");
  EXPECT_FALSE(parseCostTable("# only a comment\n", error));
  EXPECT_EQ(error, "no header 'candidate,threads,m,n,k,us'");
}

TEST(CostModel, FitsPerCandidateAndThreadCount) {
  std::mt19937 rng(3);
  std::vector<CostSample> table = grid({1, 1e-3, 1e-5, 0, 0}, 0, rng);
  std::vector<CostSample> two = grid({1, 5e-4, 5e-6, 0, 0}, 0, rng);
  for (CostSample &s : two)
    s.threads = 2;
  table.insert(table.end(), two.begin(), two.end());
  std::string error;
  std::optional<CostModel> one = CostModel::fit(table, 1, error);
  ASSERT_TRUE(one) << error;
  ASSERT_TRUE(one->lookup("x"));
  EXPECT_EQ(one->lookup("y"), nullptr);
  EXPECT_NEAR(one->lookup("x")->coefficients[2], 1e-5, 1e-11);
  std::optional<CostModel> twoThreads = CostModel::fit(table, 2, error);
  ASSERT_TRUE(twoThreads) << error;
  EXPECT_NEAR(twoThreads->lookup("x")->coefficients[2], 5e-6, 1e-11);

  // A measured shape is answered by its measurement (the median of its
  // rows), others by the fit; a candidate with too few rows for a fit
  // knows its measured shapes only.
  table.push_back({"x", 1, 40, 480, 120, 900});
  table.push_back({"x", 1, 40, 480, 120, 1000});
  table.push_back({"x", 1, 40, 480, 120, 5000});
  table.push_back({"few", 1, 1, 2, 3, 4});
  std::optional<CostModel> m = CostModel::fit(table, 1, error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->estimate("x", 40, 480, 120), 1000.0);
  EXPECT_EQ(*m->estimate("x", 2, 3, 5), m->lookup("x")->predict(2, 3, 5));
  EXPECT_TRUE(m->knows("few"));
  EXPECT_FALSE(m->knows("y"));
  EXPECT_EQ(m->lookup("few"), nullptr);
  EXPECT_EQ(m->estimate("few", 1, 2, 3), 4.0);
  EXPECT_FALSE(m->estimate("few", 1, 2, 4));
  EXPECT_FALSE(m->estimate("y", 1, 2, 3));
}

} // namespace
