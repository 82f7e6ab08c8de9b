//===- CostModel.h - Estimated time of a matrix product per format -*- C++ -*-===//
//
// The latency side of the allocation: how long `y = x W^T` (x: m x k, W:
// n x k) takes under each candidate format, fitted to a table of measured
// kernel times (`lowbit-bench-cpu-cost` writes one: every candidate at a
// grid of shapes, compiled and run as a model's product is). Per candidate
// and thread count the time is modelled as
//
//   t(m, n, k) = c0 + c1 n k + c2 m n k + c3 m k + c4 m n   (microseconds)
//
// a call's fixed cost, the weight stream, the multiply-adds, the activation
// side (quantizing and reading x) and the output side (scales, zero-point
// corrections, the store), every coefficient non-negative: the fit is the
// exact non-negative least squares of the relative residuals (t - T) / T
// over the candidate's samples, so a 10 us product counts as much as a
// 10 ms one. With five terms the optimum is found by solving the
// unconstrained problem on every subset of the terms and keeping the best
// non-negative one (the optimum's support is such a subset, and on it the
// optimum is the unconstrained solution).
//
// A shape the table measured is answered by its measurement (the median of
// its rows), not the fit: a kernel's cliffs (a group that the x86 kernels
// cannot take sends the product to the reference path, 10x slower) are not
// linear in the shape, so a model's own shapes should be in the table
// (`lowbit-bench-cpu-cost --model FILE.mlir`).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_PRECISION_COSTMODEL_H
#define LOWBIT_PRECISION_COSTMODEL_H

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace lowbit::precision {

/// One measured product: a row of the cost table.
struct CostSample {
  std::string candidate; ///< as lowbit-assign-precision names it (u4_g128, f32, ...)
  unsigned threads = 1;
  int64_t m = 0, n = 0, k = 0;
  double microseconds = 0;
};

/// Parses a cost table: CSV with the header `candidate,threads,m,n,k,us`,
/// blank lines and `#` comments allowed. On failure returns none and sets
/// `error` to "line L: why".
std::optional<std::vector<CostSample>> parseCostTable(const std::string &text,
                                                      std::string &error);

/// The model's terms for a shape: 1, n k, m n k, m k, m n.
constexpr size_t kCostTerms = 5;
std::array<double, kCostTerms> costTerms(int64_t m, int64_t n, int64_t k);

struct CostFit {
  std::array<double, kCostTerms> coefficients{}; ///< all >= 0
  size_t samples = 0;
  double maxRelativeError = 0;    ///< over the samples, |t - T| / T
  double medianRelativeError = 0;
  double predict(int64_t m, int64_t n, int64_t k) const;
};

/// The exact non-negative least-squares fit of the relative residuals of
/// `samples` (all of one candidate and thread count). None, with `error`,
/// when there are fewer samples than terms or the shapes do not determine
/// any non-negative model.
std::optional<CostFit> fitCost(const std::vector<CostSample> &samples, std::string &error);

class CostModel {
public:
  /// Fits every candidate of `table` measured with `threads` threads that
  /// has enough rows, and keeps every row for exact lookups. Fails (with
  /// `error`) only where a candidate's rows determine no model.
  static std::optional<CostModel> fit(const std::vector<CostSample> &table, unsigned threads,
                                      std::string &error);
  /// The fit of `candidate`, or null where it has fewer rows than terms.
  const CostFit *lookup(const std::string &candidate) const;
  /// Whether the table has any row of `candidate`.
  bool knows(const std::string &candidate) const;
  /// The estimated time in microseconds: the measurement of this shape if
  /// the table has it, else the fit; none when there is neither.
  std::optional<double> estimate(const std::string &candidate, int64_t m, int64_t n,
                                 int64_t k) const;
  const std::map<std::string, CostFit> &fits() const { return fits_; }

private:
  std::map<std::string, CostFit> fits_;
  std::map<std::tuple<std::string, int64_t, int64_t, int64_t>, double> measured_;
};

} // namespace lowbit::precision

#endif
