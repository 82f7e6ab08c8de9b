//===- CostModel.cpp - Estimated time of a matrix product per format ------===//

#include "lowbit/Precision/CostModel.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace lowbit::precision {

namespace {
std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> splitFields(const std::string &line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, ','))
    f.push_back(trim(item));
  if (!line.empty() && line.back() == ',')
    f.push_back("");
  return f;
}

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 12)
    return false;
  out = std::stoll(s);
  return true;
}

/// Solves the square system `a x = b` (row-major, size d) by Gaussian
/// elimination with partial pivoting; false when it is (numerically)
/// singular.
bool solve(std::vector<double> a, std::vector<double> b, size_t d, std::vector<double> &x) {
  for (size_t c = 0; c < d; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < d; ++r)
      if (std::fabs(a[r * d + c]) > std::fabs(a[p * d + c]))
        p = r;
    if (!(std::fabs(a[p * d + c]) > 1e-12))
      return false;
    if (p != c) {
      for (size_t j = 0; j < d; ++j)
        std::swap(a[c * d + j], a[p * d + j]);
      std::swap(b[c], b[p]);
    }
    for (size_t r = c + 1; r < d; ++r) {
      double f = a[r * d + c] / a[c * d + c];
      for (size_t j = c; j < d; ++j)
        a[r * d + j] -= f * a[c * d + j];
      b[r] -= f * b[c];
    }
  }
  x.assign(d, 0);
  for (size_t c = d; c-- > 0;) {
    double s = b[c];
    for (size_t j = c + 1; j < d; ++j)
      s -= a[c * d + j] * x[j];
    x[c] = s / a[c * d + c];
  }
  return true;
}
} // namespace

std::optional<std::vector<CostSample>> parseCostTable(const std::string &text,
                                                      std::string &error) {
  std::vector<CostSample> rows;
  std::stringstream in(text);
  std::string line;
  bool header = false;
  for (unsigned no = 1; std::getline(in, line); ++no) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#')
      continue;
    auto fail = [&](const std::string &why) {
      error = "line " + std::to_string(no) + ": " + why;
      return std::nullopt;
    };
    std::vector<std::string> f = splitFields(t);
    if (!header) {
      if (f != std::vector<std::string>{"candidate", "threads", "m", "n", "k", "us"})
        return fail("expected the header 'candidate,threads,m,n,k,us'");
      header = true;
      continue;
    }
    if (f.size() != 6)
      return fail("expected 6 fields (candidate,threads,m,n,k,us), found " +
                  std::to_string(f.size()));
    CostSample s;
    s.candidate = f[0];
    int64_t threads = 0;
    if (s.candidate.empty())
      return fail("empty candidate");
    if (!parseInt(f[1], threads) || threads < 1)
      return fail("threads '" + f[1] + "' is not a positive integer");
    s.threads = unsigned(threads);
    if (!parseInt(f[2], s.m) || !parseInt(f[3], s.n) || !parseInt(f[4], s.k) || s.m < 1 ||
        s.n < 1 || s.k < 1)
      return fail("m, n and k must be positive integers");
    char *end = nullptr;
    s.microseconds = std::strtod(f[5].c_str(), &end);
    if (f[5].empty() || *end != '\0' || !(s.microseconds > 0) || !std::isfinite(s.microseconds))
      return fail("time '" + f[5] + "' is not a positive number of microseconds");
    rows.push_back(std::move(s));
  }
  if (!header) {
    error = "no header 'candidate,threads,m,n,k,us'";
    return std::nullopt;
  }
  return rows;
}

std::array<double, kCostTerms> costTerms(int64_t m, int64_t n, int64_t k) {
  double dm = double(m), dn = double(n), dk = double(k);
  return {1.0, dn * dk, dm * dn * dk, dm * dk, dm * dn};
}

double CostFit::predict(int64_t m, int64_t n, int64_t k) const {
  std::array<double, kCostTerms> t = costTerms(m, n, k);
  double s = 0;
  for (size_t i = 0; i < kCostTerms; ++i)
    s += coefficients[i] * t[i];
  return s;
}

std::optional<CostFit> fitCost(const std::vector<CostSample> &samples, std::string &error) {
  if (samples.size() < kCostTerms) {
    error = "needs at least " + std::to_string(kCostTerms) + " samples, has " +
            std::to_string(samples.size());
    return std::nullopt;
  }
  // Rows of the relative problem: terms / T against 1. Columns are scaled
  // to unit maximum so that the normal equations are well conditioned
  // (m n k is 1e9 times the constant term).
  size_t rows = samples.size();
  std::vector<std::array<double, kCostTerms>> a(rows);
  std::array<double, kCostTerms> scale{};
  for (size_t r = 0; r < rows; ++r) {
    const CostSample &s = samples[r];
    a[r] = costTerms(s.m, s.n, s.k);
    for (size_t j = 0; j < kCostTerms; ++j) {
      a[r][j] /= s.microseconds;
      scale[j] = std::max(scale[j], a[r][j]);
    }
  }
  for (auto &row : a)
    for (size_t j = 0; j < kCostTerms; ++j)
      row[j] /= scale[j];

  double bestResidual = INFINITY;
  std::array<double, kCostTerms> best{};
  for (unsigned mask = 1; mask < (1u << kCostTerms); ++mask) {
    std::vector<size_t> cols;
    for (size_t j = 0; j < kCostTerms; ++j)
      if (mask & (1u << j))
        cols.push_back(j);
    size_t d = cols.size();
    std::vector<double> ata(d * d, 0.0), atb(d, 0.0), x;
    for (const auto &row : a)
      for (size_t i = 0; i < d; ++i) {
        atb[i] += row[cols[i]];
        for (size_t j = 0; j < d; ++j)
          ata[i * d + j] += row[cols[i]] * row[cols[j]];
      }
    if (!solve(ata, atb, d, x))
      continue;
    if (std::any_of(x.begin(), x.end(), [](double v) { return v < 0; }))
      continue;
    double residual = 0;
    for (const auto &row : a) {
      double p = 0;
      for (size_t i = 0; i < d; ++i)
        p += row[cols[i]] * x[i];
      residual += (p - 1) * (p - 1);
    }
    if (residual < bestResidual) {
      bestResidual = residual;
      best.fill(0);
      for (size_t i = 0; i < d; ++i)
        best[cols[i]] = x[i] / scale[cols[i]];
    }
  }
  if (!std::isfinite(bestResidual)) {
    error = "the shapes determine no non-negative model (vary m, n and k)";
    return std::nullopt;
  }
  CostFit fit;
  fit.coefficients = best;
  fit.samples = rows;
  std::vector<double> rel;
  for (const CostSample &s : samples)
    rel.push_back(std::fabs(fit.predict(s.m, s.n, s.k) - s.microseconds) / s.microseconds);
  std::sort(rel.begin(), rel.end());
  fit.maxRelativeError = rel.back();
  fit.medianRelativeError = rel[rel.size() / 2];
  return fit;
}

std::optional<CostModel> CostModel::fit(const std::vector<CostSample> &table, unsigned threads,
                                        std::string &error) {
  std::map<std::string, std::vector<CostSample>> byCandidate;
  for (const CostSample &s : table)
    if (s.threads == threads)
      byCandidate[s.candidate].push_back(s);
  CostModel model;
  for (const auto &[candidate, samples] : byCandidate) {
    std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<double>> same;
    for (const CostSample &s : samples)
      same[{s.m, s.n, s.k}].push_back(s.microseconds);
    for (auto &[shape, times] : same) {
      std::sort(times.begin(), times.end());
      auto [m, n, k] = shape;
      model.measured_[{candidate, m, n, k}] = times[times.size() / 2];
    }
    if (samples.size() < kCostTerms)
      continue; // measured shapes only
    std::string why;
    std::optional<CostFit> f = fitCost(samples, why);
    if (!f) {
      error = "candidate '" + candidate + "' at " + std::to_string(threads) + " thread(s): " + why;
      return std::nullopt;
    }
    model.fits_[candidate] = *f;
  }
  return model;
}

bool CostModel::knows(const std::string &candidate) const {
  auto it = measured_.lower_bound({candidate, 0, 0, 0});
  return it != measured_.end() && std::get<0>(it->first) == candidate;
}

std::optional<double> CostModel::estimate(const std::string &candidate, int64_t m, int64_t n,
                                          int64_t k) const {
  auto it = measured_.find({candidate, m, n, k});
  if (it != measured_.end())
    return it->second;
  if (const CostFit *f = lookup(candidate))
    return f->predict(m, n, k);
  return std::nullopt;
}

const CostFit *CostModel::lookup(const std::string &candidate) const {
  auto it = fits_.find(candidate);
  return it == fits_.end() ? nullptr : &it->second;
}

} // namespace lowbit::precision
