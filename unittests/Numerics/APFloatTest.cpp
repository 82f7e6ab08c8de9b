//===- APFloatTest.cpp - Exhaustive checks against LLVM APFloat -----------===//
//
// For every builtin format of at most 8 bits: decode of every code, and
// encode of all 65,536 f16 and all 65,536 bf16 inputs, compared live with
// LLVM's APFloat. The places where lowbit intentionally differs are named
// policies, each with its own test below:
//   * InfInputSaturates: with the saturate policy, +-Inf becomes +-max finite
//     in formats without Inf; APFloat turns it into +-0 for FP6/FP4.
//   * E8M0NaNCode: code 0xFF of E8M0 is NaN (OCP MX); APFloat reads it as
//     Inf when converting to double.
//   * E8M0 encode is not compared: rounding to E8M0 is defined only by the
//     MX scale rule (tested against the golden MX tables).
// A NaN input to a format without NaN gives +0 (NaNInput::Zero); APFloat
// gives a zero with the NaN's sign, so such inputs compare as "both zero".
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Codec.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lowbit::num;

namespace {
struct Case {
  BuiltinFloat format;
  const llvm::fltSemantics &(*semantics)();
};

// E8M0 stays last: the encode tests take every case but the last.
const Case kCases[] = {
    {BuiltinFloat::F8E4M3FN, llvm::APFloat::Float8E4M3FN},
    {BuiltinFloat::F8E5M2, llvm::APFloat::Float8E5M2},
    {BuiltinFloat::F8E4M3, llvm::APFloat::Float8E4M3},
    {BuiltinFloat::F8E5M2FNUZ, llvm::APFloat::Float8E5M2FNUZ},
    {BuiltinFloat::F8E4M3FNUZ, llvm::APFloat::Float8E4M3FNUZ},
    {BuiltinFloat::F8E4M3B11FNUZ, llvm::APFloat::Float8E4M3B11FNUZ},
    {BuiltinFloat::F8E3M4, llvm::APFloat::Float8E3M4},
    {BuiltinFloat::F6E3M2FN, llvm::APFloat::Float6E3M2FN},
    {BuiltinFloat::F6E2M3FN, llvm::APFloat::Float6E2M3FN},
    {BuiltinFloat::F4E2M1FN, llvm::APFloat::Float4E2M1FN},
    {BuiltinFloat::F8E8M0FNU, llvm::APFloat::Float8E8M0FNU},
};

double toDouble(llvm::APFloat v) {
  bool lost;
  v.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return v.convertToDouble();
}

bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

// The overflow policy that matches APFloat's conversion: Inf where the
// format has it, else NaN where it has that, else saturation.
EncodePolicy apfloatPolicy(const Format &f) {
  EncodePolicy p;
  p.overflow = f.hasInf() ? Overflow::Inf : f.hasNaN() ? Overflow::NaN
                                                       : Overflow::Saturate;
  return p;
}

class APFloatExhaustive : public ::testing::TestWithParam<Case> {};

TEST_P(APFloatExhaustive, DecodeEveryCode) {
  Format f = Format::builtin(GetParam().format);
  const llvm::fltSemantics &sem = GetParam().semantics();
  unsigned bits = llvm::APFloat::getSizeInBits(sem);
  ASSERT_EQ(bits, f.bits());
  for (uint64_t c = 0; c < (1ull << bits); ++c) {
    if (GetParam().format == BuiltinFloat::F8E8M0FNU && c == 0xFF)
      continue; // E8M0NaNCode (below)
    double ap = toDouble(llvm::APFloat(sem, llvm::APInt(bits, c)));
    EXPECT_TRUE(same(decode(f, c), ap))
        << f.str() << " code " << c << ": lowbit " << decode(f, c) << ", APFloat " << ap;
  }
}

void checkEncodeAll16(const Format &f, const llvm::fltSemantics &sem,
                      const llvm::fltSemantics &inputSem, const char *inputName) {
  EncodePolicy p = apfloatPolicy(f);
  size_t bad = 0;
  for (uint32_t in = 0; in < 65536; ++in) {
    llvm::APFloat x(inputSem, llvm::APInt(16, in));
    if (x.isInfinity() && !f.hasInf())
      continue; // InfInputSaturates (below)
    double xv = toDouble(x);
    llvm::APFloat ap = x;
    bool lost;
    ap.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
    uint64_t want = ap.bitcastToAPInt().getZExtValue();
    uint64_t got = encode(f, xv, p);
    bool ok;
    if (x.isNaN())
      ok = f.hasNaN() ? isNaNCode(f, got)
                      : (got == 0 && decode(f, want) == 0); // NaNInput::Zero
    else
      ok = got == want;
    if (!ok && ++bad <= 5)
      ADD_FAILURE() << f.str() << " from " << inputName << " 0x" << std::hex << in
                    << " (" << xv << "): lowbit 0x" << got << ", APFloat 0x" << want;
  }
  EXPECT_EQ(bad, 0u);
}

using APFloatExhaustiveEncode = APFloatExhaustive;
TEST_P(APFloatExhaustiveEncode, AllF16AndBF16) {
  Format f = Format::builtin(GetParam().format);
  checkEncodeAll16(f, GetParam().semantics(), llvm::APFloat::IEEEhalf(), "f16");
  checkEncodeAll16(f, GetParam().semantics(), llvm::APFloat::BFloat(), "bf16");
}

std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  return builtinFloatName(info.param.format);
}

INSTANTIATE_TEST_SUITE_P(Builtins, APFloatExhaustive, ::testing::ValuesIn(kCases),
                         caseName);
// Every case but E8M0, whose rounding is defined only by the MX scale rule
// (checked against the golden MX tables).
INSTANTIATE_TEST_SUITE_P(Builtins, APFloatExhaustiveEncode,
                         ::testing::ValuesIn(kCases, kCases + std::size(kCases) - 1),
                         caseName);

// Named policy InfInputSaturates: APFloat converts +-Inf to +-0 in FP6/FP4
// (formats with neither Inf nor NaN); lowbit's saturate policy gives +-max.
TEST(APFloatPolicy, InfInputSaturates) {
  for (BuiltinFloat b : {BuiltinFloat::F6E3M2FN, BuiltinFloat::F6E2M3FN,
                         BuiltinFloat::F4E2M1FN}) {
    Format f = Format::builtin(b);
    EXPECT_EQ(encode(f, HUGE_VAL), f.maxFiniteCode()) << f.str();
    EXPECT_EQ(encode(f, -HUGE_VAL), f.lowestFiniteCode()) << f.str();
  }
  // The APFloat behaviour this differs from, so the test notices if LLVM
  // changes it.
  llvm::APFloat inf = llvm::APFloat::getInf(llvm::APFloat::IEEEsingle());
  bool lost;
  inf.convert(llvm::APFloat::Float4E2M1FN(), llvm::APFloat::rmNearestTiesToEven, &lost);
  EXPECT_EQ(inf.bitcastToAPInt().getZExtValue(), 0u);
}

// Named policy E8M0NaNCode: 0xFF is E8M0's NaN (OCP MX v1.0, and MLIR's
// f8E8M0FNU definition); APFloat's conversion to double yields Inf.
TEST(APFloatPolicy, E8M0NaNCode) {
  Format e8m0 = Format::builtin(BuiltinFloat::F8E8M0FNU);
  EXPECT_TRUE(std::isnan(decode(e8m0, 0xFF)));
  EXPECT_TRUE(isNaNCode(e8m0, 0xFF));
  llvm::APFloat ap(llvm::APFloat::Float8E8M0FNU(), llvm::APInt(8, 0xFF));
  EXPECT_TRUE(std::isinf(toDouble(ap)) || std::isnan(toDouble(ap)));
}

// Formats with Inf keep it; fn/fnuz turn Inf into NaN under Overflow::Inf
// (the documented fallback), and into max under saturate.
TEST(APFloatPolicy, InfInputOtherFormats) {
  Format e4m3fn = Format::builtin(BuiltinFloat::F8E4M3FN);
  EncodePolicy inf;
  inf.overflow = Overflow::Inf;
  EXPECT_TRUE(isNaNCode(e4m3fn, encode(e4m3fn, HUGE_VAL, inf)));
  EXPECT_EQ(encode(e4m3fn, HUGE_VAL), 0x7Eu);
  EXPECT_EQ(encode(e4m3fn, -HUGE_VAL), 0xFEu);
  Format e5m2 = Format::builtin(BuiltinFloat::F8E5M2);
  EXPECT_EQ(encode(e5m2, -HUGE_VAL, inf), 0xFCu);
}
} // namespace
