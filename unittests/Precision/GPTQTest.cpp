//===- GPTQTest.cpp - The calibrated quantizer against round-to-nearest ---===//

#include "lowbit/Precision/GPTQ.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lowbit;
using namespace lowbit::precision;

namespace {

struct Layer {
  int64_t n, k, rows;
  std::vector<float> w, x;
  std::vector<double> h;
};

// Inputs from an AR(1) process along k (neighbouring inputs correlated by
// rho, as the channels of an image patch are), with a few loud channels.
Layer correlatedLayer(int64_t n, int64_t k, double rho, unsigned seed) {
  Layer l{n, k, 4 * k, {}, {}, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd;
  l.w.resize(size_t(n * k));
  for (float &v : l.w)
    v = float(0.05 * nd(rng));
  l.x.resize(size_t(l.rows * k));
  for (int64_t r = 0; r < l.rows; ++r) {
    double prev = nd(rng);
    for (int64_t j = 0; j < k; ++j) {
      prev = rho * prev + std::sqrt(1 - rho * rho) * nd(rng);
      l.x[size_t(r * k + j)] = float(prev * (j % 17 == 3 ? 6.0 : 1.0));
    }
  }
  InputHessian h(k);
  h.accumulate(l.x.data(), l.rows);
  l.h = h.mean();
  return l;
}

double outputError(const Layer &l, const std::vector<float> &wq) {
  return hessianProxy(l.h, l.k, l.w.data(), wq.data(), l.n);
}

num::TensorScheme scheme(num::SchemeRule rule, unsigned bits, int64_t group, int64_t k) {
  num::TensorScheme s;
  s.rule = rule;
  bool asym = rule != num::SchemeRule::AbsMax;
  s.element = num::Format::integer(bits, asym ? num::IntEncoding::Unsigned : num::IntEncoding::Signed);
  s.scale = num::Format::builtin(num::BuiltinFloat::F16);
  if (asym)
    s.zero = num::Format::integer(bits, num::IntEncoding::Unsigned);
  s.extents = {1, group > 0 ? group : k};
  return s;
}

struct Case {
  num::SchemeRule rule;
  unsigned bits;
  int64_t group; ///< 0: per channel
  bool actOrder;
};

class GptqVsRtn : public ::testing::TestWithParam<Case> {};

TEST_P(GptqVsRtn, LowerOutputErrorOnCorrelatedInputs) {
  Case c = GetParam();
  Layer l = correlatedLayer(48, 128, 0.9, 11 + c.bits);
  num::TensorScheme s = scheme(c.rule, c.bits, c.group, l.k);
  std::vector<int64_t> shape{l.n, l.k};
  std::vector<float> rtn = num::dequantizeTensor(s, shape, num::quantizeTensor(s, shape, l.w.data()));
  GptqOptions o;
  o.actOrder = c.actOrder;
  o.blockSize = 32; // several lazy batches
  std::string why;
  std::optional<num::QuantizedTensor> q = gptqQuantize(s, l.n, l.k, l.w.data(), l.h, o, why);
  ASSERT_TRUE(q.has_value()) << why;
  // Codes within the format, a scale (and zero point) per group.
  ASSERT_EQ(q->codes.size(), size_t(l.n * l.k));
  for (uint32_t code : q->codes)
    EXPECT_LE(code, (1u << c.bits) - 1);
  std::vector<float> gq = num::dequantizeTensor(s, shape, *q);
  double eRtn = outputError(l, rtn), eGptq = outputError(l, gq);
  EXPECT_LT(eGptq, 0.8 * eRtn) << "GPTQ " << eGptq << " vs RTN " << eRtn;
  // GPTQ trades weight error for output error: its weights are further
  // from W than round-to-nearest's.
  double wR = 0, wG = 0;
  for (size_t i = 0; i < l.w.size(); ++i) {
    wR += (l.w[i] - rtn[i]) * (l.w[i] - rtn[i]);
    wG += (l.w[i] - gq[i]) * (l.w[i] - gq[i]);
  }
  EXPECT_GT(wG, wR);
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, GptqVsRtn,
    ::testing::Values(Case{num::SchemeRule::GptqMinMax, 4, 32, false},
                      Case{num::SchemeRule::GptqMinMax, 4, 32, true},
                      Case{num::SchemeRule::GptqMinMax, 3, 64, false},
                      Case{num::SchemeRule::GptqMinMax, 2, 16, true},
                      Case{num::SchemeRule::AwqMinMax, 4, 128, false},
                      Case{num::SchemeRule::AbsMax, 4, 0, true},
                      Case{num::SchemeRule::AbsMax, 8, 0, false}));

TEST(Gptq, IdentityHessianWithoutActOrderIsRoundToNearest) {
  // With uncorrelated inputs of equal variance no error can be compensated:
  // H^-1 is diagonal, each column is rounded alone, as RTN does (the group
  // scales chosen from unchanged weights are RTN's too).
  const int64_t n = 8, k = 64;
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  std::vector<float> w(size_t(n * k));
  for (float &v : w)
    v = nd(rng);
  std::vector<double> h(size_t(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i)
    h[size_t(i * k + i)] = 1;
  num::TensorScheme s = scheme(num::SchemeRule::GptqMinMax, 4, 16, k);
  s.scale = num::Format::builtin(num::BuiltinFloat::F32); // no stored-scale rounding
  GptqOptions o;
  o.actOrder = false;
  std::string why;
  auto q = gptqQuantize(s, n, k, w.data(), h, o, why);
  ASSERT_TRUE(q.has_value()) << why;
  num::QuantizedTensor r = num::quantizeTensor(s, {n, k}, w.data());
  EXPECT_EQ(q->codes, r.codes);
  EXPECT_EQ(q->scales, r.scales);
  EXPECT_EQ(q->zeroPoints, r.zeroPoints);
}

TEST(Gptq, DeadInputsAndRefusals) {
  const int64_t n = 4, k = 32;
  std::vector<float> w(size_t(n * k), 0.5f);
  std::vector<double> h(size_t(k * k), 0.0); // no input ever reached it
  std::string why;
  auto q = gptqQuantize(scheme(num::SchemeRule::GptqMinMax, 4, 16, k), n, k, w.data(), h, {}, why);
  ASSERT_TRUE(q.has_value()) << why; // dead inputs: weights zeroed, no failure
  num::TensorScheme mx;
  mx.rule = num::SchemeRule::MX;
  mx.element = num::Format::builtin(num::BuiltinFloat::F4E2M1FN);
  mx.extents = {1, 32};
  EXPECT_FALSE(gptqQuantize(mx, n, k, w.data(), h, {}, why).has_value());
  EXPECT_NE(why.find("integer rule"), std::string::npos);
  EXPECT_NE(checkGptqScheme(scheme(num::SchemeRule::GptqMinMax, 4, 24, k), n, k), "");
}

} // namespace
