//===- GPTQ.cpp - Calibrated quantization by inverse-Hessian updates ------===//

#include "lowbit/Precision/GPTQ.h"
#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Codec.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace lowbit;
using namespace lowbit::precision;

namespace {

/// In-place lower Cholesky factor of a (m x m); false if not positive
/// definite.
bool cholesky(std::vector<double> &a, int64_t m) {
  for (int64_t j = 0; j < m; ++j) {
    double d = a[size_t(j * m + j)];
    for (int64_t p = 0; p < j; ++p)
      d -= a[size_t(j * m + p)] * a[size_t(j * m + p)];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[size_t(j * m + j)] = d;
    for (int64_t i = j + 1; i < m; ++i) {
      double s = a[size_t(i * m + j)];
      for (int64_t p = 0; p < j; ++p)
        s -= a[size_t(i * m + p)] * a[size_t(j * m + p)];
      a[size_t(i * m + j)] = s / d;
    }
    for (int64_t i = 0; i < j; ++i)
      a[size_t(i * m + j)] = 0;
  }
  return true;
}

/// The upper factor U of H^-1 = U^T U, from H's lower factor L: H^-1 =
/// L^-T L^-1, whose upper Cholesky factor GPTQ walks row by row.
bool inverseUpperFactor(const std::vector<double> &l, int64_t m, std::vector<double> &u) {
  // lt = (L^-1)^T: row j holds column j of L^-1, so that both products
  // below run over contiguous rows (k reaches 2880 on PP-OCRv4).
  std::vector<double> lt(size_t(m * m), 0.0);
  for (int64_t j = 0; j < m; ++j) {
    double *lj = lt.data() + j * m;
    lj[j] = 1.0 / l[size_t(j * m + j)];
    for (int64_t i = j + 1; i < m; ++i) {
      const double *li = l.data() + i * m;
      double s = 0;
      for (int64_t p = j; p < i; ++p)
        s += li[p] * lj[p];
      lj[i] = -s / li[i];
    }
  }
  std::vector<double> hinv(size_t(m * m), 0.0); // L^-T L^-1
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      const double *a = lt.data() + i * m, *b = lt.data() + j * m;
      double s = 0;
      for (int64_t p = i; p < m; ++p)
        s += a[p] * b[p];
      hinv[size_t(i * m + j)] = hinv[size_t(j * m + i)] = s;
    }
  if (!cholesky(hinv, m))
    return false;
  u.assign(size_t(m * m), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = i; j < m; ++j)
      u[size_t(i * m + j)] = hinv[size_t(j * m + i)];
  return true;
}

} // namespace

std::string lowbit::precision::checkGptqScheme(const num::TensorScheme &s, int64_t n,
                                               int64_t k) {
  if (s.rule != num::SchemeRule::AbsMax && s.rule != num::SchemeRule::GptqMinMax &&
      s.rule != num::SchemeRule::AwqMinMax)
    return "GPTQ needs an integer rule (absmax, gptq or awq), not MX, NVFP4 or min_offset";
  if (s.extents.size() != 2)
    return "GPTQ quantizes 2-D weights";
  if (!(s.extents[0] == 1 || s.extents[0] >= n))
    return "GPTQ needs groups along k (one row each), per channel or per tensor";
  if (s.extents[1] < k && k % s.extents[1] != 0)
    return "the group size must divide k";
  return num::checkGroupFormat(s.element, *num::intScaleRule(s.rule));
}

std::optional<GptqFactor> lowbit::precision::factorHessian(const std::vector<double> &h0,
                                                           int64_t k, const GptqOptions &options,
                                                           std::string &why) {
  GptqFactor f;
  f.k = k;
  f.dead.assign(size_t(k), 0);
  std::vector<double> H = h0;
  for (int64_t c = 0; c < k; ++c)
    if (H[size_t(c * k + c)] == 0) {
      H[size_t(c * k + c)] = 1; // a dead input: its weights are zeroed
      f.dead[size_t(c)] = 1;
    }
  // Column order: act-order visits inputs by decreasing H_ii.
  f.perm.resize(size_t(k));
  std::iota(f.perm.begin(), f.perm.end(), 0);
  if (options.actOrder)
    std::stable_sort(f.perm.begin(), f.perm.end(), [&](int64_t a, int64_t b) {
      return H[size_t(a * k + a)] > H[size_t(b * k + b)];
    });
  f.actOrder = options.actOrder;
  f.blockSize = std::max<int64_t>(1, options.blockSize);
  std::vector<double> Hp(size_t(k * k));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      Hp[size_t(i * k + j)] = H[size_t(f.perm[size_t(i)] * k + f.perm[size_t(j)])];
  double meanDiag = 0;
  for (int64_t i = 0; i < k; ++i)
    meanDiag += Hp[size_t(i * k + i)];
  meanDiag /= double(k);
  double damping = options.damping;
  for (int attempt = 0; attempt < 5; ++attempt, damping *= 10) {
    std::vector<double> L = Hp;
    for (int64_t i = 0; i < k; ++i)
      L[size_t(i * k + i)] += damping * meanDiag;
    if (cholesky(L, k) && inverseUpperFactor(L, k, f.U))
      return f;
  }
  why = "the input Hessian is not positive definite even with damping " +
        std::to_string(damping / 10);
  return std::nullopt;
}

std::optional<num::QuantizedTensor>
lowbit::precision::gptqQuantize(const num::TensorScheme &s, int64_t n, int64_t k,
                                const float *w0, const std::vector<double> &h,
                                const GptqOptions &options, std::string &why) {
  why = checkGptqScheme(s, n, k);
  if (!why.empty())
    return std::nullopt;
  std::optional<GptqFactor> f = factorHessian(h, k, options, why);
  if (!f)
    return std::nullopt;
  return gptqQuantize(s, n, k, w0, *f, why);
}

std::optional<num::QuantizedTensor>
lowbit::precision::gptqQuantize(const num::TensorScheme &s, int64_t n, int64_t k,
                                const float *w0, const GptqFactor &f, std::string &why) {
  why = checkGptqScheme(s, n, k);
  if (why.empty() && f.k != k)
    why = "the factored Hessian is " + std::to_string(f.k) + " x " + std::to_string(f.k) +
          ", not k x k";
  if (!why.empty())
    return std::nullopt;
  num::IntScaleRule rule = *num::intScaleRule(s.rule);
  const int64_t ge0 = std::min(s.extents[0], n), ge1 = std::min(s.extents[1], k);
  const int64_t gridCols = (k + ge1 - 1) / ge1;
  auto groupOf = [&](int64_t r, int64_t c) { return size_t((r / ge0) * gridCols + c / ge1); };
  const std::vector<int64_t> &perm = f.perm;
  const std::vector<double> &U = f.U;
  // The weights in double, permuted, dead inputs zeroed.
  std::vector<double> Wp(size_t(n * k));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j) {
      int64_t c = perm[size_t(j)];
      Wp[size_t(r * k + j)] = f.dead[size_t(c)] ? 0.0 : double(w0[r * k + c]);
    }

  num::QuantizedTensor q;
  q.codes.assign(size_t(n * k), 0);
  size_t groups = size_t(((n + ge0 - 1) / ge0) * gridCols);
  q.scales.assign(groups, 0);
  if (s.zero)
    q.zeroPoints.assign(groups, 0);
  std::vector<num::GroupScale> params(groups);
  // Stores a group's scale and zero point, and keeps the stored values for
  // rounding (the stored-scale rounding of docs/schemes.md).
  auto setGroup = [&](size_t g, num::GroupScale gs) {
    q.scales[g] = uint32_t(num::encodeF32(s.scale, gs.scale));
    gs.scale = float(num::decode(s.scale, q.scales[g]));
    if (s.zero) {
      q.zeroPoints[g] = uint32_t(num::encode(*s.zero, double(gs.zero)));
      gs.zero = int32_t(num::decode(*s.zero, q.zeroPoints[g]));
    }
    params[g] = gs;
  };
  std::vector<float> buf;
  std::vector<uint8_t> scratch;
  // Static groups (act-order, per channel, per tensor): from W itself.
  bool dynamicGroups = !f.actOrder && ge0 == 1 && ge1 < k;
  if (!dynamicGroups) {
    std::vector<int64_t> shape{n, k};
    num::QuantizedTensor rtn = num::quantizeTensor(s, shape, w0);
    for (size_t g = 0; g < groups; ++g) {
      num::GroupScale gs;
      gs.scale = float(num::decode(s.scale, rtn.scales[g]));
      gs.zero = s.zero ? int32_t(num::decode(*s.zero, rtn.zeroPoints[g])) : 0;
      params[g] = gs;
      q.scales[g] = rtn.scales[g];
      if (s.zero)
        q.zeroPoints[g] = rtn.zeroPoints[g];
      }
  }

  const int64_t B = f.blockSize;
  std::vector<double> err(size_t(n * B));
  for (int64_t i1 = 0; i1 < k; i1 += B) {
    int64_t i2 = std::min(k, i1 + B), count = i2 - i1;
    for (int64_t i = i1; i < i2; ++i) {
      int64_t col = perm[size_t(i)];
      if (dynamicGroups && col % ge1 == 0) {
        // A group starts: its scale from the current (updated) weights.
        buf.resize(size_t(ge1));
        scratch.resize(size_t(ge1));
        for (int64_t r = 0; r < n; ++r) {
          for (int64_t j = 0; j < ge1; ++j)
            buf[size_t(j)] = float(Wp[size_t(r * k + i + j)]);
          setGroup(groupOf(r, col),
                   num::quantizeGroup(s.element, rule, buf.data(), size_t(ge1), scratch.data()));
        }
      }
      double d = U[size_t(i * k + i)];
      for (int64_t r = 0; r < n; ++r) {
        size_t g = groupOf(r, col);
        double wv = Wp[size_t(r * k + i)];
        uint8_t code = num::quantizeGroupValue(s.element, rule, params[g], float(wv));
        q.codes[size_t(r * k + col)] = code;
        double dq = num::dequantizeGroupValue(s.element, rule, params[g], code);
        double e = (wv - dq) / d;
        err[size_t(r * B + (i - i1))] = e;
        // Spread over the rest of the block now (the lazy batch: columns
        // after the block get the whole block's errors at once below).
        double *wr = Wp.data() + r * k;
        const double *ui = U.data() + i * k;
        for (int64_t j = i + 1; j < i2; ++j)
          wr[j] -= e * ui[j];
      }
    }
    if (i2 < k)
      for (int64_t r = 0; r < n; ++r) {
        double *wr = Wp.data() + r * k;
        for (int64_t t = 0; t < count; ++t) {
          double e = err[size_t(r * B + t)];
          if (e == 0)
            continue;
          const double *ut = U.data() + (i1 + t) * k;
          for (int64_t j = i2; j < k; ++j)
            wr[j] -= e * ut[j];
        }
      }
  }
  return q;
}
