//===- WeightCodesTest.cpp - Weight formats as byte-dot operands ----------===//
//
// For every format of at most 8 bits: when a plan exists, value(code) ==
// alpha * operand(code) + beta exactly for every finite code, operands fit
// the slot (affine) or a byte (codebook), and the formats the kernels
// promise (integers, e2m1) have a plan.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/LowbitToX86/WeightCodes.h"

#include "lowbit/Numerics/Codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace lowbit;

namespace {

void expectExact(const num::Format &f, const x86::WeightCodes &w) {
  for (uint64_t c = 0; c < (uint64_t(1) << f.bits()); ++c) {
    if (!w.finite[c])
      continue;
    double v = num::decode(f, c);
    EXPECT_EQ(w.alpha * w.operand(c) + w.beta, v == 0 ? 0.0 : v) << "code " << c;
    EXPECT_LE(w.operand(c), w.maxOperand);
    if (!w.codebook)
      EXPECT_LT(w.slot[c], 1u << w.slotBits());
  }
}

TEST(WeightCodes, IntegerFormatsAreAffine) {
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (auto enc : {num::IntEncoding::Signed, num::IntEncoding::Unsigned}) {
      num::Format f = num::Format::integer(bits, enc);
      std::string why;
      auto w = x86::planWeightCodes(f, why);
      ASSERT_TRUE(w) << bits << ": " << why;
      EXPECT_FALSE(w->codebook);
      EXPECT_EQ(w->alpha, 1);
      EXPECT_EQ(w->maxOperand, (1u << bits) - 1);
      expectExact(f, *w);
    }
  std::string why;
  auto ternary = x86::planWeightCodes(num::Format::ternary(), why);
  ASSERT_TRUE(ternary) << why;
  EXPECT_EQ(ternary->planes, std::vector<unsigned>{2});
  expectExact(num::Format::ternary(), *ternary);
}

TEST(WeightCodes, SmallMinifloatsUseACodebook) {
  num::Format e2m1 = num::Format::minifloat(2, 1);
  std::string why;
  auto w = x86::planWeightCodes(e2m1, why);
  ASSERT_TRUE(w) << why;
  EXPECT_TRUE(w->codebook);
  EXPECT_EQ(w->alpha, 0.5); // values are integers times 1/2
  EXPECT_EQ(w->maxOperand, 24u);
  expectExact(e2m1, *w);
}

TEST(WeightCodes, SixBitMinifloatsUseAVpermbCodebook) {
  // e2m3 (MXFP6): values are integers times 1/8 in 120 steps, not evenly
  // spaced; 64 entries need vpermb (AVX-512 VBMI).
  num::Format e2m3 = num::Format::minifloat(2, 3);
  std::string why;
  EXPECT_FALSE(x86::planWeightCodes(e2m3, why));
  EXPECT_NE(why.find("64 with AVX-512 VBMI's vpermb"), std::string::npos) << why;
  auto w = x86::planWeightCodes(e2m3, why, 6);
  ASSERT_TRUE(w) << why;
  EXPECT_TRUE(w->codebook);
  EXPECT_EQ(w->table.size(), 64u);
  EXPECT_EQ(w->planes, (std::vector<unsigned>{4, 2})); // the raw code, in planes
  EXPECT_EQ(w->alpha, 0.125);
  expectExact(e2m3, *w);
  // e3m2 spans 448 steps of its finest power of two: no byte operand.
  EXPECT_FALSE(x86::planWeightCodes(num::Format::minifloat(3, 2), why, 6));
  EXPECT_NE(why.find("more than 255 steps"), std::string::npos) << why;
}

TEST(WeightCodes, EveryPlanIsExact) {
  // Every minifloat and posit of at most 8 bits: a plan, when there is
  // one, reproduces every finite value; wide uneven formats have none.
  for (unsigned e = 1; e <= 5; ++e)
    for (unsigned m = 0; e + m + 1 <= 8; ++m) {
      num::Format f = num::Format::minifloat(e, m);
      for (unsigned codebookBits : {4u, 6u}) {
        std::string why;
        if (auto w = x86::planWeightCodes(f, why, codebookBits))
          expectExact(f, *w);
        else
          EXPECT_FALSE(why.empty());
      }
    }
  for (unsigned n = 2; n <= 8; ++n)
    for (unsigned es = 0; es <= 2; ++es) {
      num::Format f = num::Format::posit(n, es);
      std::string why;
      if (auto w = x86::planWeightCodes(f, why))
        expectExact(f, *w);
    }
  std::string why;
  EXPECT_FALSE(x86::planWeightCodes(num::Format::posit(8, 0), why));
  EXPECT_NE(why.find("not evenly spaced"), std::string::npos) << why;
}

/// The bf16 plan against the Numerics library's exact decode, every code of
/// every minifloat (1..5 exponent bits) and posit (es 0..2) of 2..8 bits:
/// the bf16 pattern is the value, signMagnitude holds exactly when code ^
/// top bit negates every value.
TEST(WeightCodes, Bf16PlansAreExact) {
  std::vector<num::Format> formats;
  for (unsigned e = 1; e <= 5; ++e)
    for (unsigned m = 0; e + m + 1 <= 8; ++m)
      formats.push_back(num::Format::minifloat(e, m));
  for (unsigned n = 2; n <= 8; ++n)
    for (unsigned es = 0; es <= 2; ++es)
      formats.push_back(num::Format::posit(n, es));
  int planned = 0;
  for (const num::Format &f : formats) {
    std::string why;
    auto w = x86::planBF16WeightCodes(f, why);
    if (!w) {
      EXPECT_FALSE(why.empty());
      continue;
    }
    ++planned;
    uint64_t n = uint64_t(1) << f.bits(), top = n / 2;
    bool negates = true;
    for (uint64_t c = 0; c < n; ++c) {
      double v = num::decode(f, c);
      ASSERT_EQ(w->finite[c], std::isfinite(v)) << "code " << c;
      if (!w->finite[c])
        continue;
      uint32_t bits = uint32_t(w->bf16[c]) << 16;
      float got;
      std::memcpy(&got, &bits, sizeof got);
      EXPECT_EQ(static_cast<double>(got), v) << "code " << c;
      EXPECT_EQ(std::signbit(got), std::signbit(v)) << "code " << c;
      if (c < top)
        negates = negates && std::isfinite(num::decode(f, c | top)) &&
                  num::decode(f, c | top) == -v;
      else if (!std::isfinite(num::decode(f, c ^ top)))
        negates = false;
    }
    if (f.bits() == 8)
      EXPECT_EQ(w->signMagnitude, negates) << "bits " << f.bits();
    else
      EXPECT_FALSE(w->signMagnitude);
    // What the kernel's tables give for every code, non-finite ones too
    // (run-time weights may hold them): the value, NaN for NaN, the
    // infinity of the right sign.
    for (uint64_t c = 0; c < n; ++c) {
      uint16_t pattern = w->signMagnitude
                             ? static_cast<uint16_t>(w->bf16[c & (top - 1)] | (c & top ? 0x8000 : 0))
                             : w->bf16[c];
      uint32_t bits = uint32_t(pattern) << 16;
      float got;
      std::memcpy(&got, &bits, sizeof got);
      double v = num::decode(f, c);
      if (std::isnan(v))
        EXPECT_TRUE(std::isnan(got)) << "code " << c;
      else
        EXPECT_EQ(static_cast<double>(got), v) << "code " << c;
    }
  }
  EXPECT_GT(planned, 20);
  // e4m3 and e5m2 are sign-magnitude; posits are two's complement.
  std::string why;
  EXPECT_TRUE(x86::planBF16WeightCodes(num::Format::minifloat(4, 3), why)->signMagnitude);
  EXPECT_FALSE(x86::planBF16WeightCodes(num::Format::posit(8, 0), why)->signMagnitude);
  // e8m0 reaches 2^-127: outside the range where the kernel's flushes stay
  // within the bound.
  std::string error;
  auto e8m0 = num::Format::parse("f8E8M0FNU", error);
  ASSERT_TRUE(e8m0) << error;
  EXPECT_FALSE(x86::planBF16WeightCodes(*e8m0, why));
  EXPECT_NE(why.find("outside [2^-64, 2^64]"), std::string::npos) << why;
}

/// The f32 kernel's arithmetic decode (F32WeightDecode) against the
/// Numerics library's exact decode of every code: every minifloat of at
/// most 8 bits (1..7 exponent bits, the FN, FNUZ and IEEE-style special
/// encodings, unsigned ones) is planned and exact, sign of zero included,
/// and its non-finite codes are the specials; posits are refused with the
/// reason.
TEST(WeightCodes, F32DecodesAreExact) {
  std::vector<std::string> names = {"f8E4M3FN", "f8E5M2", "f6E3M2FN", "f6E2M3FN", "f4E2M1FN",
                                    "f8E4M3FNUZ", "f8E5M2FNUZ", "f8E4M3B11FNUZ", "f8E3M4"};
  std::vector<num::Format> formats;
  for (const std::string &n : names) {
    std::string error;
    std::optional<num::Format> f = num::Format::parse(n, error);
    ASSERT_TRUE(f) << n << ": " << error;
    formats.push_back(*f);
  }
  for (unsigned e = 1; e <= 7; ++e)
    for (unsigned m = 0; e + m + 1 <= 8; ++m)
      formats.push_back(num::Format::minifloat(e, m));
  for (const num::Format &f : formats) {
    std::string why;
    std::optional<x86::F32WeightDecode> d = x86::planF32WeightDecode(f, why);
    ASSERT_TRUE(d) << f.str() << ": " << why;
    for (uint32_t c = 0; c < (1u << f.bits()); ++c) {
      double v = num::decode(f, c);
      float got = x86::decodeF32(*d, c);
      EXPECT_EQ(d->finite[c], std::isfinite(v)) << f.str() << " code " << c;
      if (std::isnan(v)) {
        EXPECT_TRUE(std::isnan(got)) << f.str() << " code " << c;
        continue;
      }
      EXPECT_EQ(static_cast<double>(got), v) << f.str() << " code " << c;
      EXPECT_EQ(std::signbit(got), std::signbit(v)) << f.str() << " code " << c;
      // The generated code never forms an f32 subnormal (flush-to-zero
      // modes cannot change a value): f before the subnormal correction.
      uint32_t mag = c & ((1u << d->magBits) - 1);
      uint32_t bits = (mag << d->shift) + (d->exponentBias << 23);
      EXPECT_NE(bits >> 23 & 0xff, 0u) << f.str() << " code " << c;
    }
  }
  std::string why;
  EXPECT_FALSE(x86::planF32WeightDecode(num::Format::posit(8, 0), why));
  EXPECT_NE(why.find("no exact shift-and-bias decode"), std::string::npos) << why;
}

} // namespace
