//===- BulkTest.cpp - Array paths agree with the scalar codec -------------===//
//
// The bulk encoder and decoder must give exactly the scalar codec's codes
// and values. Inputs: every f16 and bf16 pattern (bf16 spans f32's whole
// exponent range), every code-change point of the encoder and its two f32
// neighbours, and random f32 patterns.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Bulk.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/F32Bits.h"
#include "lowbit/Numerics/Packing.h"

#include "FormatTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace lowbit::num;

namespace {
float halfToFloat(uint16_t h) {
  return static_cast<float>(decode(Format::builtin(BuiltinFloat::F16), h));
}

// Every format of at most 8 bits that the encoders treat differently: each
// family, encoding and special-value kind, fixed point, no-zero, custom bias.
std::vector<std::string> smallFormats() {
  std::vector<std::string> v = {
      "f8E4M3FN", "f8E5M2", "f8E4M3", "f8E5M2FNUZ", "f8E4M3FNUZ", "f8E4M3B11FNUZ",
      "f8E3M4", "f6E3M2FN", "f6E2M3FN", "f4E2M1FN", "f8E8M0FNU", "ternary",
      "float<e3m3, ieee, bias = 4>", "float<e2m2>", "float<e0m7>", "float<e0m3>",
      "float<e5m2, fnuz>", "float<e4m3, fn, nosubnormal>", "float<e3m2, bias = -3>",
      "float<e6m1, ieee>", "float<e7m0>", "float<e4m0, unsigned>",
      "float<e4m4, unsigned>", "float<e1m6>", "float<e2m1, bias = 200>"};
  for (unsigned b = 1; b <= 8; ++b)
    for (const char *enc : {"", ", unsigned", ", bipolar"})
      if (b > 1 || *enc)
        v.push_back("int<" + std::to_string(b) + enc + ">");
  for (unsigned n = 2; n <= 8; ++n)
    for (unsigned es = 0; es <= 3 && es + 1 < n; ++es)
      v.push_back("posit<" + std::to_string(n) + ", " + std::to_string(es) + ">");
  return v;
}

void expectSameAsScalar(const Format &f, const EncodePolicy &p, size_t randomCount) {
  BulkEncoder bulk(f, p);
  size_t bad = 0;
  auto check = [&](uint32_t u) {
    float x = f32FromBits(u);
    uint32_t want = static_cast<uint32_t>(encode(f, static_cast<double>(x), p));
    uint32_t got = bulk.code(x);
    if (got != want && ++bad <= 5)
      ADD_FAILURE() << f.str() << " " << roundingName(p.rounding) << "/"
                    << overflowName(p.overflow) << ": input 0x" << std::hex << u
                    << " bulk 0x" << got << " scalar 0x" << want;
  };
  for (uint32_t h = 0; h < 0x10000; ++h) {
    check(h << 16); // bf16
    uint32_t u;
    float x = halfToFloat(static_cast<uint16_t>(h));
    std::memcpy(&u, &x, 4);
    check(u);
  }
  std::mt19937 rng(1234);
  for (size_t i = 0; i < randomCount; ++i)
    check(rng());
  EXPECT_EQ(bad, 0u);
}

class BulkSmallFormat : public ::testing::TestWithParam<std::string> {};

TEST_P(BulkSmallFormat, EncodeMatchesScalarRne) {
  Format f = parseTestFormat(GetParam());
  expectSameAsScalar(f, {}, 20000);
}

TEST_P(BulkSmallFormat, DecodeMatchesScalar) {
  Format f = parseTestFormat(GetParam());
  BulkDecoder dec(f);
  std::vector<uint32_t> codes;
  for (uint32_t c = 0; c < (1u << f.bits()); ++c)
    codes.push_back(c);
  std::vector<float> out(codes.size());
  dec.decodeCodes(codes.data(), codes.size(), out.data());
  for (uint32_t c = 0; c < codes.size(); ++c) {
    float want = decodeToF32(f, c);
    EXPECT_TRUE(std::memcmp(&want, &out[c], 4) == 0 ||
                (std::isnan(want) && std::isnan(out[c])))
        << f.str() << " code " << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, BulkSmallFormat, ::testing::ValuesIn(smallFormats()),
                         formatParamName);

TEST(BulkEncoder, EveryPolicyOnRepresentativeFormats) {
  for (const char *name : {"f8E4M3FN", "f8E5M2", "f8E4M3FNUZ", "f4E2M1FN",
                           "f8E8M0FNU", "int<4>", "int<3, unsigned>",
                           "posit<8, 0>", "float<e3m3, ieee, bias = 4>", "ternary"})
    for (Rounding r : {Rounding::NearestEven, Rounding::TowardZero, Rounding::Up,
                       Rounding::Down, Rounding::NearestAway})
      for (Overflow o : {Overflow::Saturate, Overflow::Inf, Overflow::NaN}) {
        EncodePolicy p;
        p.rounding = r;
        p.overflow = o;
        expectSameAsScalar(parseTestFormat(name), p, 2000);
      }
}

// Each code change and its neighbours, where a bucket-index error would
// show first.
TEST(BulkEncoder, StepNeighbours) {
  for (const char *name : {"f8E4M3FN", "int<8>", "posit<8, 2>", "posit<16, 1>",
                           "float<e5m10, ieee>", "int<12, unsigned>"}) {
    Format f = parseTestFormat(name);
    BulkEncoder bulk(f);
    // Walk the step function by probing: every change the scalar encoder
    // shows between consecutive probes near each value must be matched.
    std::mt19937 rng(7);
    size_t bad = 0;
    for (uint32_t c = 0; c < (1u << f.bits()); c += f.bits() > 8 ? 7 : 1) {
      double v = decode(f, c);
      if (!std::isfinite(v) || std::fabs(v) > 3e38)
        continue;
      float x = static_cast<float>(v);
      uint32_t u;
      std::memcpy(&u, &x, 4);
      for (int d = -3; d <= 3; ++d) {
        uint32_t w = u + d;
        float y = f32FromBits(w);
        uint32_t want = static_cast<uint32_t>(encode(f, static_cast<double>(y)));
        if (bulk.code(y) != want && ++bad <= 5)
          ADD_FAILURE() << name << ": input 0x" << std::hex << w;
      }
    }
    for (int i = 0; i < 200000; ++i) {
      float y = f32FromBits(rng());
      if (bulk.code(y) != static_cast<uint32_t>(encode(f, static_cast<double>(y))) &&
          ++bad <= 5)
        ADD_FAILURE() << name << ": random input " << y;
    }
    EXPECT_EQ(bad, 0u) << name;
  }
}

TEST(BulkEncoder, WideFormatsUseTheScalarCodec) {
  for (const char *name : {"int<24>", "posit<32, 2>", "float<e8m23, ieee>"}) {
    Format f = parseTestFormat(name);
    BulkEncoder bulk(f);
    EXPECT_EQ(bulk.numSteps(), 0u);
    std::mt19937 rng(3);
    for (int i = 0; i < 10000; ++i) {
      float y = f32FromBits(rng());
      EXPECT_EQ(bulk.code(y), encode(f, static_cast<double>(y))) << name;
    }
  }
}

// Packed paths for every width the tables cover, and a wider one, at
// lengths that end inside a group of 8.
TEST(BulkPacked, EncodeAndDecodeMatchPackAndUnpack) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<std::string> names = {"int<1, bipolar>", "ternary", "int<3>", "f4E2M1FN",
                                    "int<5, unsigned>", "f6E3M2FN", "int<7>",
                                    "f8E4M3FN", "posit<9, 1>", "int<10>",
                                    "float<e4m6>", "posit<12, 1>", "int<13>",
                                    "float<e5m8>", "int<15, unsigned>", "float<e5m10, ieee>",
                                    "posit<16, 1>", "int<20>"};
  for (const std::string &name : names) {
    Format f = parseTestFormat(name);
    const BulkEncoder &enc = bulkEncoderFor(f);
    const BulkDecoder &dec = bulkDecoderFor(f);
    for (size_t n : {0, 1, 7, 8, 9, 64, 1003}) {
      std::vector<float> x(n);
      for (auto &v : x)
        v = normal(rng);
      std::vector<uint32_t> codes(n);
      for (size_t i = 0; i < n; ++i)
        codes[i] = static_cast<uint32_t>(encode(f, static_cast<double>(x[i])));
      std::vector<uint8_t> want(packedBytes(n, f.bits())), got(want.size() + 1, 0xAB);
      pack(codes.data(), n, f.bits(), BitOrder::LsbFirst, want.data());
      enc.encodePacked(x.data(), n, got.data());
      EXPECT_EQ(got.back(), 0xAB) << name << " wrote past the end, n=" << n;
      got.pop_back();
      EXPECT_EQ(got, want) << name << " n=" << n;

      std::vector<float> values(n);
      dec.decodePacked(want.data(), n, values.data());
      for (size_t i = 0; i < n; ++i) {
        float v = decodeToF32(f, codes[i]);
        EXPECT_TRUE(std::memcmp(&v, &values[i], 4) == 0) << name << " element " << i;
      }
    }
  }
}

TEST(BulkEncoder, StochasticMatchesScalar) {
  Format f = Format::builtin(BuiltinFloat::F8E4M3FN);
  EncodePolicy p;
  p.rounding = Rounding::Stochastic;
  std::mt19937 rng(5);
  std::vector<float> x(4096);
  std::vector<uint32_t> bits(x.size()), codes(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::ldexp(static_cast<float>(rng() % 100000), -10) * (i % 2 ? -1 : 1);
    bits[i] = rng();
  }
  encodeStochastic(f, p, x.data(), bits.data(), x.size(), codes.data());
  for (size_t i = 0; i < x.size(); ++i) {
    p.randomBits = bits[i];
    EXPECT_EQ(codes[i], encode(f, static_cast<double>(x[i]), p));
  }
}

// mxQuantize (table path) against mxQuantizeBlock (scalar path) on blocks
// that exercise the scale range, f32 subnormals, zeros of both signs and
// negative values that round to zero.
TEST(BulkMx, TablePathMatchesScalarBlocks) {
  std::mt19937 rng(21);
  for (Format elem : {Format::builtin(BuiltinFloat::F4E2M1FN),
                      Format::builtin(BuiltinFloat::F6E2M3FN),
                      Format::builtin(BuiltinFloat::F6E3M2FN),
                      Format::builtin(BuiltinFloat::F8E4M3FN),
                      Format::builtin(BuiltinFloat::F8E5M2), Format::integer(8)}) {
    const size_t blocks = 3000, n = 32 * blocks;
    std::vector<float> x(n);
    for (size_t b = 0; b < blocks; ++b) {
      int e = static_cast<int>(rng() % 300) - 150; // block magnitude, f32 subnormals included
      for (size_t i = 0; i < 32; ++i) {
        int spread = static_cast<int>(rng() % 40);
        float v = std::ldexp(static_cast<float>(rng() % 4096) / 4096.0f, e - spread);
        if (rng() % 2)
          v = -v;
        if (rng() % 17 == 0)
          v = rng() % 2 ? 0.0f : -0.0f;
        x[b * 32 + i] = v;
      }
      if (b % 97 == 0)
        std::fill(x.begin() + b * 32, x.begin() + b * 32 + 32, -0.0f);
    }
    std::vector<uint8_t> scales(blocks), codes(n), wantCodes(n);
    mxQuantize(elem, x.data(), n, 32, scales.data(), codes.data());
    size_t bad = 0;
    for (size_t b = 0; b < blocks; ++b) {
      uint8_t want = mxQuantizeBlock(elem, &x[b * 32], 32, &wantCodes[b * 32]);
      bool same = want == scales[b] &&
                  std::equal(&codes[b * 32], &codes[b * 32] + 32, &wantCodes[b * 32]);
      if (!same && ++bad <= 3)
        ADD_FAILURE() << elem.str() << ": block " << b << " differs";
    }
    EXPECT_EQ(bad, 0u) << elem.str();

    // Dequantization of the whole tensor equals the scalar values.
    std::vector<float> out(n);
    mxDequantize(elem, scales.data(), codes.data(), n, 32, out.data());
    for (size_t i = 0; i < n; i += 13) {
      float want = static_cast<float>(mxDequantizeValue(elem, scales[i / 32], codes[i]));
      EXPECT_TRUE(std::memcmp(&want, &out[i], 4) == 0) << elem.str() << " element " << i;
    }
  }
}

// Named choice (MX non-finite block): a block holding Inf or NaN gets the
// E8M0 NaN scale and zero codes, and dequantizes to NaN; other blocks of the
// tensor are unaffected.
TEST(BulkMx, NonFiniteBlockGetsNaNScale) {
  Format elem = Format::builtin(BuiltinFloat::F4E2M1FN);
  for (float bad : {INFINITY, -INFINITY, NAN}) {
    std::vector<float> x(64, 1.5f);
    x[5] = bad;
    std::vector<uint8_t> scales(2), codes(64, 0x7);
    mxQuantize(elem, x.data(), 64, 32, scales.data(), codes.data());
    EXPECT_EQ(scales[0], 0xFF);
    EXPECT_EQ(scales[1], 125); // 1.5: floor(log2 1.5) - emax(E2M1) = 0 - 2
    EXPECT_EQ(codes[32], 0x7); // 1.5 / 2^-2 = 6
    for (size_t i = 0; i < 32; ++i)
      EXPECT_EQ(codes[i], 0);
    std::vector<uint8_t> scalarCodes(32);
    EXPECT_EQ(mxQuantizeBlock(elem, x.data(), 32, scalarCodes.data()), 0xFF);
    std::vector<float> out(64);
    mxDequantize(elem, scales.data(), codes.data(), 64, 32, out.data());
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[31]));
    EXPECT_EQ(out[32], 1.5f);
  }
}
} // namespace
