//===- CodecTest.cpp - Encode policies, integers, posits, arithmetic ------===//
//
// The golden tables cover round-to-nearest-even; these tests pin down every
// other policy on hand-worked cases, the integer-like formats, and the
// arithmetic paths on formats wider than any table.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Arithmetic.h"
#include "lowbit/Numerics/Codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lowbit::num;

namespace {
EncodePolicy with(Rounding r, Overflow o = Overflow::Saturate) {
  EncodePolicy p;
  p.rounding = r;
  p.overflow = o;
  return p;
}

Format parse(const char *s) {
  std::string err;
  auto f = Format::parse(s, err);
  EXPECT_TRUE(f) << err;
  return *f;
}

TEST(CodecTest, RoundingModesOnE2M1) {
  Format f = Format::builtin(BuiltinFloat::F4E2M1FN); // 0 .5 1 1.5 2 3 4 6
  EXPECT_EQ(encode(f, 2.5), 0x4u);                                // tie -> even (2)
  EXPECT_EQ(encode(f, 2.5, with(Rounding::NearestAway)), 0x5u);   // 3
  EXPECT_EQ(encode(f, 2.1, with(Rounding::Up)), 0x5u);            // 3
  EXPECT_EQ(encode(f, 2.9, with(Rounding::Down)), 0x4u);          // 2
  EXPECT_EQ(encode(f, -2.1, with(Rounding::Down)), 0xDu);         // -3
  EXPECT_EQ(encode(f, -2.9, with(Rounding::TowardZero)), 0xCu);   // -2
  EXPECT_EQ(encode(f, -2.9, with(Rounding::Up)), 0xCu);           // -2
  EXPECT_EQ(encode(f, 0.2), 0x0u);
  EXPECT_EQ(encode(f, -0.2), 0x8u); // -0 keeps its sign
  EXPECT_EQ(encode(f, 0.2, with(Rounding::Up)), 0x1u);
  EXPECT_EQ(encode(f, 0.25), 0x0u); // tie between 0 and 0.5 -> even (0)
  EXPECT_EQ(encode(f, 0.75), 0x2u); // tie between .5 and 1 -> even (1)
}

TEST(CodecTest, OverflowPolicies) {
  Format fn = Format::builtin(BuiltinFloat::F8E4M3FN); // max 448, NaN 0x7F/0xFF
  EXPECT_EQ(encode(fn, 500.0), 0x7Eu);
  EXPECT_EQ(encode(fn, 500.0, with(Rounding::NearestEven, Overflow::NaN)), 0x7Fu);
  EXPECT_EQ(encode(fn, -500.0, with(Rounding::NearestEven, Overflow::Inf)), 0xFFu);
  // Rounding toward zero never overflows (IEEE 754).
  EXPECT_EQ(encode(fn, 1e9, with(Rounding::TowardZero, Overflow::NaN)), 0x7Eu);
  EXPECT_EQ(encode(fn, -1e9, with(Rounding::Up, Overflow::NaN)), 0xFEu);
  EXPECT_EQ(encode(fn, -1e9, with(Rounding::Down, Overflow::NaN)), 0xFFu);
  // 464 is the midpoint between 448 (mantissa 110, even) and the next value
  // 480 that the unbounded exponent range would have: the tie goes to 448.
  // Anything above it overflows.
  EXPECT_EQ(encode(fn, 464.0, with(Rounding::NearestEven, Overflow::NaN)), 0x7Eu);
  EXPECT_EQ(encode(fn, 464.5, with(Rounding::NearestEven, Overflow::NaN)), 0x7Fu);

  Format e5m2 = Format::builtin(BuiltinFloat::F8E5M2); // max 57344, ulp 8192
  EncodePolicy inf = with(Rounding::NearestEven, Overflow::Inf);
  EXPECT_EQ(encode(e5m2, 61439.0, inf), 0x7Bu);
  EXPECT_EQ(encode(e5m2, 61440.0, inf), 0x7Cu);
  EXPECT_EQ(encode(e5m2, 1e6, with(Rounding::TowardZero, Overflow::Inf)), 0x7Bu);
  // Overflow::NaN where the format has Inf still gives NaN.
  EXPECT_TRUE(isNaNCode(e5m2, encode(e5m2, 1e6, with(Rounding::NearestEven, Overflow::NaN))));
  // Formats with neither Inf nor NaN saturate under every policy.
  Format e2m1 = Format::builtin(BuiltinFloat::F4E2M1FN);
  EXPECT_EQ(encode(e2m1, 100.0, inf), 0x7u);
  EXPECT_EQ(encode(e2m1, std::nan("")), 0x0u); // NaNInput::Zero
}

TEST(CodecTest, StochasticRoundingIsReproducibleAndUnbiased) {
  Format f = Format::builtin(BuiltinFloat::F4E2M1FN);
  EncodePolicy p = with(Rounding::Stochastic);
  p.randomBits = 0;
  EXPECT_EQ(encode(f, 2.5, p), 0x5u); // frac 0.5 > 0
  p.randomBits = 0x80000000u;
  EXPECT_EQ(encode(f, 2.5, p), 0x4u); // frac * 2^32 == bits, nothing below
  p.randomBits = 0x7FFFFFFFu;
  EXPECT_EQ(encode(f, 2.5, p), 0x5u);
  // 2.25 is a quarter of the way from 2 to 3: exactly a quarter of all
  // evenly spaced random words round it up.
  int up = 0;
  for (uint32_t i = 0; i < 4096; ++i) {
    p.randomBits = i << 20;
    up += encode(f, 2.25, p) == 0x5u;
  }
  EXPECT_EQ(up, 1024);
  // Exact values never move.
  p.randomBits = 0;
  EXPECT_EQ(encode(f, 3.0, p), 0x5u);
}

TEST(CodecTest, Integers) {
  Format i4 = parse("int<4>");
  EXPECT_EQ(encode(i4, 2.5), 0x2u);
  EXPECT_EQ(encode(i4, 3.5), 0x4u);
  EXPECT_EQ(encode(i4, 2.5, with(Rounding::NearestAway)), 0x3u);
  EXPECT_EQ(encode(i4, -2.1, with(Rounding::Down)), 0xDu); // -3
  EXPECT_EQ(encode(i4, -2.9, with(Rounding::Up)), 0xEu);   // -2
  EXPECT_EQ(encode(i4, 100.0), 0x7u);
  EXPECT_EQ(encode(i4, -100.0), 0x8u);
  EXPECT_EQ(encode(i4, 1e300), 0x7u);
  EXPECT_EQ(encode(i4, -HUGE_VAL), 0x8u);
  EXPECT_EQ(encode(i4, std::nan("")), 0x0u);
  EXPECT_EQ(decode(i4, 0x8), -8.0);
  Format u4 = parse("int<4, unsigned>");
  EXPECT_EQ(encode(u4, -3.0), 0x0u);
  EXPECT_EQ(encode(u4, 15.6), 0xFu);
  Format i32 = parse("int<32>");
  EXPECT_EQ(encode(i32, -2147483648.0), 0x80000000u);
  EXPECT_EQ(encode(i32, 3e9), 0x7FFFFFFFu);
  EXPECT_EQ(decode(i32, 0x80000000u), -2147483648.0);
  // A value far below 1 rounds by its sign under directed modes.
  EXPECT_EQ(encode(i4, 1e-200, with(Rounding::Up)), 0x1u);
  EXPECT_EQ(encode(i4, -1e-200, with(Rounding::Up)), 0x0u);
  EXPECT_EQ(encode(i4, -1e-200, with(Rounding::Down)), 0xFu);
}

TEST(CodecTest, BipolarAndTernary) {
  Format b2 = parse("int<2, bipolar>"); // codes 0..3 = -3 -1 1 3
  EXPECT_EQ(decode(b2, 0), -3.0);
  EXPECT_EQ(decode(b2, 3), 3.0);
  EXPECT_EQ(encode(b2, 0.0), 0x2u);  // tie between -1 and 1 -> even code (+1)
  EXPECT_EQ(encode(b2, 2.0), 0x2u);  // tie between 1 and 3 -> even code (1)
  EXPECT_EQ(encode(b2, -2.0), 0x0u); // tie between -3 and -1 -> even code (-3)
  EXPECT_EQ(encode(b2, 0.5), 0x2u);
  EXPECT_EQ(encode(b2, -0.5), 0x1u);
  EXPECT_EQ(encode(b2, 10.0), 0x3u);
  EXPECT_EQ(encode(b2, 2.0, with(Rounding::NearestAway)), 0x3u);
  Format b1 = parse("int<1, bipolar>");
  EXPECT_EQ(encode(b1, 0.3), 0x1u);
  EXPECT_EQ(encode(b1, -0.3), 0x0u);

  Format t = Format::ternary();
  EXPECT_EQ(encode(t, 0.5), 0x0u); // tie -> even (0)
  EXPECT_EQ(encode(t, 0.6), 0x1u);
  EXPECT_EQ(encode(t, -0.7), 0x3u);
  EXPECT_EQ(encode(t, -5.0), 0x3u);
  EXPECT_EQ(decode(t, 0x3), -1.0);
  EXPECT_TRUE(std::isnan(decode(t, 0x2))); // reserved
}

TEST(CodecTest, PositsNeverRoundToZeroOrNaR) {
  Format p = parse("posit<8, 0>");
  EXPECT_EQ(encode(p, 1e-30), 0x01u);
  EXPECT_EQ(encode(p, -1e-30), 0xFFu);
  EXPECT_EQ(encode(p, 1e30), 0x7Fu);
  EXPECT_EQ(encode(p, 1e-30, with(Rounding::TowardZero)), 0x01u);
  EXPECT_EQ(encode(p, std::nan("")), 0x80u);
  EXPECT_EQ(encode(p, -HUGE_VAL), 0x80u);
  EXPECT_EQ(encode(p, 0.0), 0x00u);
  EXPECT_EQ(encode(p, -0.0), 0x00u);
  // Directed rounding moves along the (monotone) bit string.
  EXPECT_EQ(encode(p, 1.01, with(Rounding::Up)), 0x41u);
  EXPECT_EQ(encode(p, 1.01, with(Rounding::Down)), 0x40u);
  EXPECT_EQ(encode(p, -1.01, with(Rounding::Down)), 0xBFu);
}

TEST(CodecTest, WideDecodeTargets) {
  Format p161 = parse("posit<16, 1>");
  uint64_t maxpos = p161.maxFiniteCode();
  EXPECT_EQ(decodeToF16(p161, maxpos), 0x7C00u);   // 2^28 overflows f16
  EXPECT_EQ(decodeToBF16(p161, maxpos), 0x4D80u);  // 2^28 in bf16
  EXPECT_EQ(decodeToF32(p161, maxpos), 268435456.0f);
  Format p324 = parse("posit<32, 4>");
  EXPECT_EQ(decodeToF32(p324, p324.maxFiniteCode()), HUGE_VALF); // 2^480
  EXPECT_EQ(decode(p324, p324.maxFiniteCode()), std::ldexp(1.0, 480));
}

TEST(CodecTest, ConvertRoundsOnce) {
  Format fn = Format::builtin(BuiltinFloat::F8E4M3FN);
  Format e2m1 = Format::builtin(BuiltinFloat::F4E2M1FN);
  EXPECT_EQ(convert(fn, 0x7E, e2m1), 0x7u); // 448 saturates to 6
  // e4m3 2.5 (0x42) to e2m1: a tie, to even (2).
  EXPECT_EQ(convert(fn, encode(fn, 2.5), e2m1), 0x4u);
  Format bf16 = Format::builtin(BuiltinFloat::BF16);
  Format f16 = Format::builtin(BuiltinFloat::F16);
  EXPECT_EQ(convert(bf16, 0x3FC0, f16), 0x3E00u); // 1.5
}

TEST(ArithmeticTest, FmaSqrtCompare) {
  Format e2m1 = Format::builtin(BuiltinFloat::F4E2M1FN);
  uint64_t c15 = encode(e2m1, 1.5), cm2 = encode(e2m1, -2.0);
  EXPECT_EQ(fma(e2m1, c15, c15, cm2), 0x0u); // 0.25: tie -> +0
  EXPECT_EQ(sqrt(e2m1, encode(e2m1, 2.0)), 0x3u); // 1.414 -> 1.5
  EXPECT_EQ(compare(e2m1, 0x0, 0x8), Ordering::Equal); // +0 == -0
  Format fn = Format::builtin(BuiltinFloat::F8E4M3FN);
  EXPECT_EQ(compare(fn, 0x7F, 0x00), Ordering::Unordered);
  Format p = parse("posit<8, 0>");
  EXPECT_EQ(compare(p, 0x80, 0x81), Ordering::Less); // NaR below -maxpos
  EXPECT_EQ(compare(p, 0x80, 0x80), Ordering::Equal);
  EXPECT_EQ(div(p, 0x40, 0x00), 0x80u); // x / 0 = NaR
}

TEST(ArithmeticTest, ExactAccumulator) {
  ExactAccumulator acc;
  acc.add(std::ldexp(1.0, 1000));
  acc.add(1.0);
  acc.add(-std::ldexp(1.0, 1000));
  acc.addProduct(std::ldexp(1.0, -500), std::ldexp(1.0, -500));
  Format f32 = Format::builtin(BuiltinFloat::F32);
  EXPECT_EQ(acc.round(f32), 0x3F800000u); // 1 + 2^-1000 rounds to 1
  acc.add(-1.0);
  EXPECT_EQ(decode(Format::builtin(BuiltinFloat::F32), acc.round(f32)), 0.0);
  Unrounded u = acc.value();
  EXPECT_EQ(std::ldexp(static_cast<double>(u.sig), u.exp), std::ldexp(1.0, -1000));
  // A quire-style dot product differs from naive rounding after each step.
  Format p = parse("posit<8, 0>");
  uint64_t a[3] = {encode(p, 64.0), encode(p, 1.0 / 64), encode(p, -64.0)};
  uint64_t b[3] = {encode(p, 1.0), encode(p, 1.0), encode(p, 1.0)};
  EXPECT_EQ(dot(p, a, p, b, 3, p), encode(p, 1.0 / 64));
}

// The double-based arithmetic path (TwoSum / TwoProduct / remainders) and
// the fixed-point accumulator are independent ways to the exact result;
// they must agree on formats wider than any golden table.
TEST(ArithmeticTest, DoublePathAgreesWithAccumulator) {
  std::mt19937_64 rng(20261124);
  for (const char *name : {"posit<32, 2>", "posit<32, 4>", "posit<24, 1>",
                           "float<e8m23, ieee>", "float<e6m17, fn>",
                           "float<e8m23, bias = 200>"}) {
    Format f = parse(name);
    for (int i = 0; i < 20000; ++i) {
      uint64_t a = rng() & f.codeMask(), b = rng() & f.codeMask();
      double x = decode(f, a), y = decode(f, b);
      if (!std::isfinite(x) || !std::isfinite(y))
        continue;
      ExactAccumulator sum;
      sum.add(x);
      sum.add(y);
      ASSERT_EQ(add(f, a, b), sum.round(f)) << name << " " << a << " + " << b;
      ExactAccumulator prod;
      prod.addProduct(x, y);
      ASSERT_EQ(mul(f, a, b), prod.round(f)) << name << " " << a << " * " << b;
      EncodePolicy up = with(Rounding::Up);
      ASSERT_EQ(add(f, a, b, up), sum.round(f, up)) << name;
      ASSERT_EQ(mul(f, a, b, up), prod.round(f, up)) << name;
    }
  }
}

// Division by the double path, checked through the defining inequality:
// the result q of a / b (rounded down) satisfies q*b <= a < next(q)*b.
TEST(ArithmeticTest, DivisionBracketsTheQuotient) {
  std::mt19937_64 rng(7);
  Format f = parse("posit<32, 2>");
  EncodePolicy down = with(Rounding::Down);
  for (int i = 0; i < 20000; ++i) {
    uint64_t a = rng() & f.codeMask(), b = rng() & f.codeMask();
    double x = decode(f, a), y = decode(f, b);
    if (!std::isfinite(x) || !std::isfinite(y) || y <= 0 || x <= 0)
      continue;
    uint64_t q = div(f, a, b, down);
    double qv = decode(f, q), next = decode(f, q + 1);
    if (q == f.maxFiniteCode() || q == 1)
      continue; // saturated at maxpos / minpos
    ExactAccumulator lo, hi;
    lo.addProduct(qv, y);
    lo.add(-x); // q*b - a <= 0
    hi.addProduct(next, y);
    hi.add(-x); // next*b - a > 0
    ASSERT_TRUE(lo.value().negative || lo.value().isZero()) << a << "/" << b;
    ASSERT_FALSE(hi.value().negative || hi.value().isZero()) << a << "/" << b;
  }
}
} // namespace
