//===- TypeInterfaceTest.cpp - LowbitFormatTypeInterface facts ------------===//
//
// The facts of every builtin-equivalent format are checked against LLVM's
// APFloat (an independent implementation), and a spread of custom formats
// against values worked out by hand from the format definitions.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::lowbit;

namespace {
class TypeInterfaceTest : public ::testing::Test {
protected:
  TypeInterfaceTest() {
    DialectRegistry registry;
    registry.insert<LowbitDialect>();
    registerBuiltinFormatInterfaceExternalModels(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  LowbitFormatTypeInterface parse(StringRef text) {
    Type t = parseType(text, &ctx);
    EXPECT_TRUE(t) << "failed to parse " << text.str();
    auto iface = dyn_cast_or_null<LowbitFormatTypeInterface>(t);
    EXPECT_TRUE(iface) << text.str() << " lacks LowbitFormatTypeInterface";
    return iface;
  }

  MLIRContext ctx;
};

double apToDouble(const llvm::APFloat &v) {
  llvm::APFloat d = v;
  bool lost;
  d.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
  EXPECT_FALSE(lost);
  return d.convertToDouble();
}

struct BuiltinCase {
  const char *builtinName;
  const char *lowbitSpelling;
};

// Every builtin float type with a lowbit equivalent, and its lowbit spelling.
const BuiltinCase kBuiltinCases[] = {
    {"f8E4M3FN", "!lowbit.float<e4m3, fn>"},
    {"f8E5M2", "!lowbit.float<e5m2, ieee>"},
    {"f8E4M3", "!lowbit.float<e4m3, ieee>"},
    {"f8E5M2FNUZ", "!lowbit.float<e5m2, fnuz>"},
    {"f8E4M3FNUZ", "!lowbit.float<e4m3, fnuz>"},
    {"f8E4M3B11FNUZ", "!lowbit.float<e4m3, fnuz, bias = 11>"},
    {"f8E3M4", "!lowbit.float<e3m4, ieee>"},
    {"f6E3M2FN", "!lowbit.float<e3m2>"},
    {"f6E2M3FN", "!lowbit.float<e2m3>"},
    {"f4E2M1FN", "!lowbit.float<e2m1>"},
    {"f8E8M0FNU", "!lowbit.float<e8m0, unsigned>"},
    {"f16", "!lowbit.float<e5m10, ieee>"},
    {"bf16", "!lowbit.float<e8m7, ieee>"},
    {"tf32", "!lowbit.float<e8m10, ieee>"},
    {"f32", "!lowbit.float<e8m23, ieee>"},
};

TEST_F(TypeInterfaceTest, BuiltinEquivalentsBothWays) {
  for (const BuiltinCase &c : kBuiltinCases) {
    SCOPED_TRACE(c.builtinName);
    Type builtin = parseType(c.builtinName, &ctx);
    ASSERT_TRUE(builtin);
    auto lowbitType = parse(c.lowbitSpelling);
    ASSERT_TRUE(lowbitType);
    EXPECT_EQ(lowbitType.getBuiltinEquivalent(), builtin);
    auto builtinIface = dyn_cast<LowbitFormatTypeInterface>(builtin);
    ASSERT_TRUE(builtinIface) << "external model missing";
    EXPECT_EQ(getLowbitType(&ctx, builtinIface.getFormat()), Type(lowbitType));
    EXPECT_EQ(builtinIface.getBuiltinEquivalent(), builtin);
  }
}

TEST_F(TypeInterfaceTest, BuiltinFactsMatchAPFloat) {
  for (const BuiltinCase &c : kBuiltinCases) {
    SCOPED_TRACE(c.builtinName);
    auto ft = cast<FloatType>(parseType(c.builtinName, &ctx));
    const llvm::fltSemantics &sem = ft.getFloatSemantics();
    auto t = parse(c.lowbitSpelling);
    ASSERT_TRUE(t);
    EXPECT_EQ(t.getStorageBits(), llvm::APFloat::getSizeInBits(sem));
    EXPECT_EQ(t.getNumCodes(), uint64_t(1) << llvm::APFloat::getSizeInBits(sem));
    EXPECT_EQ(t.getMaxFinite(), apToDouble(llvm::APFloat::getLargest(sem)));
    EXPECT_EQ(t.getLowestFinite(),
              llvm::APFloat::semanticsHasSignedRepr(sem)
                  ? apToDouble(llvm::APFloat::getLargest(sem, /*Negative=*/true))
                  : apToDouble(llvm::APFloat::getSmallest(sem)));
    EXPECT_EQ(t.getSmallestPositive(), apToDouble(llvm::APFloat::getSmallest(sem)));
    EXPECT_EQ(t.getSmallestNormal(),
              apToDouble(llvm::APFloat::getSmallestNormalized(sem)));
    EXPECT_EQ(t.hasInf(), llvm::APFloat::semanticsHasInf(sem));
    EXPECT_EQ(t.hasNaN(), llvm::APFloat::semanticsHasNaN(sem));
    EXPECT_EQ(t.isSignedFormat(), llvm::APFloat::semanticsHasSignedRepr(sem));
    bool apNegZero = llvm::APFloat::semanticsHasZero(sem) &&
                     llvm::APFloat::semanticsHasSignedRepr(sem) &&
                     llvm::APFloat::getZero(sem, true).isNegZero();
    EXPECT_EQ(t.hasNegativeZero(), apNegZero);
  }
}

TEST_F(TypeInterfaceTest, CustomFloatFacts) {
  auto e3m3 = parse("!lowbit.float<e3m3>");
  EXPECT_EQ(e3m3.getMaxFinite(), 30.0);
  EXPECT_EQ(e3m3.getLowestFinite(), -30.0);
  EXPECT_EQ(e3m3.getSmallestNormal(), 0.25);
  EXPECT_EQ(e3m3.getSmallestPositive(), 0.03125);
  EXPECT_EQ(e3m3.getStorageBits(), 7u);
  EXPECT_FALSE(e3m3.hasInf());
  EXPECT_FALSE(e3m3.hasNaN());
  EXPECT_TRUE(e3m3.hasNegativeZero());
  EXPECT_FALSE(e3m3.getBuiltinEquivalent());

  auto e2m2 = parse("!lowbit.float<e2m2>");
  EXPECT_EQ(e2m2.getMaxFinite(), 7.0);
  EXPECT_EQ(e2m2.getSmallestPositive(), 0.25);
  EXPECT_EQ(e2m2.getSmallestNormal(), 1.0);
  EXPECT_EQ(e2m2.getNumCodes(), 32u);

  // ieee e3m3 with bias 4: top binade is Inf/NaN, max = 2^(6-4) * 1.875.
  auto e3m3i = parse("!lowbit.float<e3m3, ieee, bias = 4>");
  EXPECT_EQ(e3m3i.getMaxFinite(), 7.5);
  EXPECT_EQ(e3m3i.getSmallestNormal(), 0.125);
  EXPECT_EQ(e3m3i.getSmallestPositive(), 0.015625);
  EXPECT_TRUE(e3m3i.hasInf());
  EXPECT_TRUE(e3m3i.hasNaN());

  // fn e5m2: only S.11111.11 is NaN, so max = 2^(31-15) * 1.5.
  auto e5m2fn = parse("!lowbit.float<e5m2, fn>");
  EXPECT_EQ(e5m2fn.getMaxFinite(), 98304.0);
  EXPECT_FALSE(e5m2fn.hasInf());

  // Without subnormals the exponent-0 binade is normal and there is no zero.
  auto nosub = parse("!lowbit.float<e2m1, nosubnormal>");
  EXPECT_EQ(nosub.getSmallestPositive(), 0.5);
  EXPECT_EQ(nosub.getSmallestNormal(), 0.5);
  EXPECT_FALSE(nosub.hasNegativeZero());

  // Fixed point: e0m3 is 0.mmm, |x| < 1, no normal numbers.
  auto fixed = parse("!lowbit.float<e0m3>");
  EXPECT_EQ(fixed.getMaxFinite(), 0.875);
  EXPECT_EQ(fixed.getSmallestPositive(), 0.125);
  EXPECT_TRUE(std::isnan(fixed.getSmallestNormal()));

  // Unsigned with mantissa: no sign bit, all-ones code NaN, has zero.
  auto ue4m3 = parse("!lowbit.float<e4m3, unsigned>");
  EXPECT_EQ(ue4m3.getStorageBits(), 7u);
  EXPECT_EQ(ue4m3.getLowestFinite(), 0.0);
  EXPECT_EQ(ue4m3.getMaxFinite(), 448.0);
  EXPECT_FALSE(ue4m3.isSignedFormat());
}

TEST_F(TypeInterfaceTest, PositFacts) {
  auto p80 = parse("!lowbit.posit<8, 0>");
  EXPECT_EQ(p80.getMaxFinite(), 64.0);
  EXPECT_EQ(p80.getLowestFinite(), -64.0);
  EXPECT_EQ(p80.getSmallestPositive(), 1.0 / 64);
  EXPECT_TRUE(p80.hasNaN()); // NaR
  EXPECT_FALSE(p80.hasInf());
  EXPECT_FALSE(p80.hasNegativeZero());
  EXPECT_EQ(p80.getNumCodes(), 256u);

  auto p161 = parse("!lowbit.posit<16, 1>");
  EXPECT_EQ(p161.getMaxFinite(), std::ldexp(1.0, 28));
  EXPECT_EQ(p161.getSmallestPositive(), std::ldexp(1.0, -28));

  auto p322 = parse("!lowbit.posit<32, 2>");
  EXPECT_EQ(p322.getMaxFinite(), std::ldexp(1.0, 120));
  auto p324 = parse("!lowbit.posit<32, 4>");
  EXPECT_EQ(p324.getMaxFinite(), std::ldexp(1.0, 480));
  EXPECT_EQ(p324.getSmallestPositive(), std::ldexp(1.0, -480));
}

TEST_F(TypeInterfaceTest, IntegerFacts) {
  auto i4 = parse("!lowbit.int<4>");
  EXPECT_EQ(i4.getMaxFinite(), 7.0);
  EXPECT_EQ(i4.getLowestFinite(), -8.0);
  EXPECT_TRUE(i4.isSignedFormat());
  EXPECT_EQ(i4.getNumCodes(), 16u);

  auto u4 = parse("!lowbit.int<4, unsigned>");
  EXPECT_EQ(u4.getMaxFinite(), 15.0);
  EXPECT_EQ(u4.getLowestFinite(), 0.0);
  EXPECT_FALSE(u4.isSignedFormat());

  auto b3 = parse("!lowbit.int<3, bipolar>");
  EXPECT_EQ(b3.getMaxFinite(), 7.0);
  EXPECT_EQ(b3.getLowestFinite(), -7.0);
  EXPECT_EQ(b3.getSmallestPositive(), 1.0);

  auto i32 = parse("!lowbit.int<32>");
  EXPECT_EQ(i32.getLowestFinite(), -2147483648.0);
  EXPECT_EQ(i32.getStorageBits(), 32u);

  auto t = parse("!lowbit.ternary");
  EXPECT_EQ(t.getMaxFinite(), 1.0);
  EXPECT_EQ(t.getLowestFinite(), -1.0);
  EXPECT_EQ(t.getNumCodes(), 3u);
  EXPECT_EQ(t.getStorageBits(), 2u);
  EXPECT_FALSE(t.hasNaN());
}

TEST_F(TypeInterfaceTest, GetFormatOfBuiltinIntegers) {
  auto f = getFormat(IntegerType::get(&ctx, 8, IntegerType::Unsigned));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->str(), "int<8, unsigned>");
  f = getFormat(IntegerType::get(&ctx, 4));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->str(), "int<4>");
  EXPECT_FALSE(getFormat(IntegerType::get(&ctx, 64)));
}
} // namespace
