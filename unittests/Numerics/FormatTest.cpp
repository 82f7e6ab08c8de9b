//===- FormatTest.cpp - Format descriptors and their parser ---------------===//

#include "lowbit/Numerics/Format.h"

#include <gtest/gtest.h>

using namespace lowbit::num;

namespace {
Format parseOk(const std::string &s) {
  std::string err;
  auto f = Format::parse(s, err);
  EXPECT_TRUE(f) << s << ": " << err;
  return f ? *f : Format::ternary();
}

TEST(FormatTest, ParsePrintRoundTrip) {
  for (const char *s :
       {"int<4>", "int<1>", "int<32>", "int<4, unsigned>", "int<2, bipolar>",
        "ternary", "float<e2m1>", "float<e4m3, fn>", "float<e3m3, ieee, bias = 4>",
        "float<e5m2, fnuz>", "float<e8m0, unsigned>", "float<e2m3, nosubnormal>",
        "float<e0m7>", "float<e4m3, fnuz, bias = -3>", "posit<8, 0>", "posit<32, 4>"}) {
    EXPECT_EQ(parseOk(s).str(), s);
  }
}

TEST(FormatTest, AcceptedSpellings) {
  EXPECT_EQ(parseOk("posit<8,0>").str(), "posit<8, 0>");
  EXPECT_EQ(parseOk("!lowbit.int<4, signed>").str(), "int<4>");
  EXPECT_EQ(parseOk("f8E4M3FN").str(), "float<e4m3, fn>");
  EXPECT_EQ(parseOk("f8E4M3B11FNUZ").str(), "float<e4m3, fnuz, bias = 11>");
  EXPECT_EQ(parseOk("bf16").str(), "float<e8m7, ieee>");
  // An explicit default bias and nosubnormal with M = 0 normalize away.
  EXPECT_EQ(parseOk("float<e4m3, bias = 7>").str(), "float<e4m3>");
  EXPECT_EQ(parseOk("float<e8m0, unsigned, nosubnormal>").str(),
            "float<e8m0, unsigned>");
}

TEST(FormatTest, ParseErrorsNameTheProblemAndColumn) {
  struct Case {
    const char *text;
    const char *message;
    size_t column;
  } cases[] = {
      {"int<0>", "integer width N must be in 1..32, got 0", 4},
      {"int<33>", "integer width N must be in 1..32, got 33", 4},
      {"int<4, weird>", "unknown integer encoding 'weird'", 7},
      {"float<e9m2>", "exponent width E must be in 0..8, got 9", 6},
      {"float<e8m24>", "mantissa width M must be in 0..23, got 24", 6},
      {"float<e8m23, bias = 300>", "bias must be in -255..255, got 300", 20},
      {"float<e0m3, ieee>", "kind 'ieee' needs an exponent field", 6},
      {"float<4m3>", "expected 'eEmM'", 6},
      {"float<e4m3, tiny>", "unknown float parameter 'tiny'", 12},
      {"posit<1, 0>", "posit width N must be in 2..32, got 1", 6},
      {"posit<8, 5>", "posit exponent size ES must be in 0..4, got 5", 9},
      {"quux", "unknown format 'quux'", 0},
      {"int<4> x", "unexpected text after the format", 7},
  };
  for (const Case &c : cases) {
    std::string err;
    size_t col = 999;
    EXPECT_FALSE(Format::parse(c.text, err, &col)) << c.text;
    EXPECT_NE(err.find(c.message), std::string::npos) << c.text << ": " << err;
    EXPECT_EQ(col, c.column) << c.text;
  }
}

TEST(FormatTest, BuiltinEquivalents) {
  for (unsigned i = 0; i < kNumBuiltinFloats; ++i) {
    auto b = static_cast<BuiltinFloat>(i);
    Format f = Format::builtin(b);
    ASSERT_TRUE(f.builtinEquivalent());
    EXPECT_EQ(*f.builtinEquivalent(), b) << builtinFloatName(b);
    EXPECT_EQ(builtinFloatFromName(builtinFloatName(b)), b);
  }
  EXPECT_FALSE(parseOk("float<e3m3>").builtinEquivalent());
  EXPECT_FALSE(parseOk("posit<8, 0>").builtinEquivalent());
}
} // namespace
