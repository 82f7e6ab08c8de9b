//===- GoldenTest.cpp - Every row of every golden oracle table ------------===//
//
// One test per table in ../shared/golden (see its README for how each was
// made). A table this file does not know is itself a failure, so a new
// oracle table cannot go unchecked.
//
//===----------------------------------------------------------------------===//

#include "GoldenTables.h"

#include "lowbit/Numerics/Arithmetic.h"
#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

using namespace lowbit::num;
using namespace lowbit::test;

namespace {

// "posit8_0.decode.tsv" -> posit<8,0>; minifloat files name their format in
// the "format" header ("float<e2m2, ieee> (E=2, ...)" or "f8E4M3FN (E=4...").
Format formatOf(const std::string &file, const GoldenTable &t) {
  std::string text;
  std::string base = file.substr(file.find('/') + 1);
  if (base.rfind("posit", 0) == 0) {
    std::string nes = base.substr(5, base.find('.') - 5);
    text = "posit<" + nes.substr(0, nes.find('_')) + "," +
           nes.substr(nes.find('_') + 1) + ">";
  } else {
    text = t.headerValue("format");
    text = text.substr(0, text.find(" ("));
  }
  std::string err;
  auto f = Format::parse(text, err);
  EXPECT_TRUE(f) << file << ": cannot parse format '" << text << "': " << err;
  return f ? *f : Format::ternary();
}

// Exact value text of the tables: C99 hex float, nan/inf/-inf/nar.
bool sameValue(double v, const std::string &expected) {
  if (expected == "nan" || expected == "nar")
    return std::isnan(v);
  if (expected == "inf")
    return v == HUGE_VAL;
  if (expected == "-inf")
    return v == -HUGE_VAL;
  double e = std::strtod(expected.c_str(), nullptr);
  return v == e && std::signbit(v) == std::signbit(e);
}

class GoldenTable_ : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    LOWBIT_REQUIRE_GOLDEN();
    ASSERT_TRUE(readGolden(goldenDir() / GetParam(), table))
        << "missing golden table " << GetParam();
    ASSERT_FALSE(table.rows.empty());
  }
  GoldenTable table;
};

std::string paramName(const ::testing::TestParamInfo<std::string> &info) {
  std::string s = info.param.substr(info.param.find('/') + 1);
  for (char &c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return s;
}

//===----------------------------------------------------------------------===//
// Decode
//===----------------------------------------------------------------------===//

using DecodeTable = GoldenTable_;
TEST_P(DecodeTable, EveryCode) {
  Format f = formatOf(GetParam(), table);
  size_t bad = 0;
  for (auto &row : table.rows) {
    double v = decode(f, hex(row[0]));
    if (!sameValue(v, row[1]) && ++bad <= 5)
      ADD_FAILURE() << f.str() << " code " << row[0] << ": got " << v
                    << ", expected " << row[1];
  }
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(table.rows.size(), f.numCodes());
}

const std::vector<std::string> kDecodeTables = {
    "minifloat/e1m1_finite.decode.tsv", "minifloat/e2m2_finite.decode.tsv",
    "minifloat/e2m2_ieee.decode.tsv",   "minifloat/e3m1_finite.decode.tsv",
    "minifloat/e3m1_ieee.decode.tsv",   "minifloat/e3m3_finite.decode.tsv",
    "minifloat/e3m3_ieee.decode.tsv",   "minifloat/e5m1_finite.decode.tsv",
    "minifloat/e5m1_ieee.decode.tsv",   "minifloat/f4E2M1FN.decode.tsv",
    "minifloat/f6E2M3FN.decode.tsv",    "minifloat/f6E3M2FN.decode.tsv",
    "minifloat/f8E3M4.decode.tsv",      "minifloat/f8E4M3.decode.tsv",
    "minifloat/f8E4M3B11FNUZ.decode.tsv", "minifloat/f8E4M3FN.decode.tsv",
    "minifloat/f8E4M3FNUZ.decode.tsv",  "minifloat/f8E5M2.decode.tsv",
    "minifloat/f8E5M2FNUZ.decode.tsv",  "minifloat/f8E8M0FNU.decode.tsv",
    "posit/posit3_0.decode.tsv",        "posit/posit4_0.decode.tsv",
    "posit/posit4_1.decode.tsv",        "posit/posit6_0.decode.tsv",
    "posit/posit6_1.decode.tsv",        "posit/posit8_0.decode.tsv",
    "posit/posit8_1.decode.tsv",        "posit/posit8_2.decode.tsv",
    "posit/posit16_1.decode.tsv",       "posit/posit16_2.decode.tsv",
};
INSTANTIATE_TEST_SUITE_P(Golden, DecodeTable, ::testing::ValuesIn(kDecodeTables),
                         paramName);

//===----------------------------------------------------------------------===//
// Encode from f32
//===----------------------------------------------------------------------===//

using EncodeTable = GoldenTable_;
TEST_P(EncodeTable, EveryInput) {
  Format f = formatOf(GetParam(), table);
  EncodePolicy p;
  // nonsat tables: overflow and +-Inf go to Inf (ieee) or NaN (fn, fnuz):
  // Overflow::Inf, whose fallback in formats without Inf is NaN.
  if (GetParam().find(".nonsat.") != std::string::npos)
    p.overflow = Overflow::Inf;
  size_t bad = 0;
  for (auto &row : table.rows) {
    uint32_t bits = static_cast<uint32_t>(hex(row[0]));
    float x;
    std::memcpy(&x, &bits, 4);
    uint64_t got = encodeF32(f, x, p);
    bool ok = row[1] == "nan" ? isNaNCode(f, got) : got == hex(row[1]);
    if (!ok && ++bad <= 5)
      ADD_FAILURE() << f.str() << " f32 " << row[0] << ": got 0x" << std::hex << got
                    << ", expected " << row[1];
  }
  EXPECT_EQ(bad, 0u);
}

const std::vector<std::string> kEncodeTables = {
    "minifloat/e1m1_finite.encode_f32.saturate.tsv",
    "minifloat/e2m2_finite.encode_f32.saturate.tsv",
    "minifloat/e2m2_ieee.encode_f32.nonsat.tsv",
    "minifloat/e2m2_ieee.encode_f32.saturate.tsv",
    "minifloat/e3m1_finite.encode_f32.saturate.tsv",
    "minifloat/e3m1_ieee.encode_f32.nonsat.tsv",
    "minifloat/e3m1_ieee.encode_f32.saturate.tsv",
    "minifloat/e3m3_finite.encode_f32.saturate.tsv",
    "minifloat/e3m3_ieee.encode_f32.nonsat.tsv",
    "minifloat/e3m3_ieee.encode_f32.saturate.tsv",
    "minifloat/e5m1_finite.encode_f32.saturate.tsv",
    "minifloat/e5m1_ieee.encode_f32.nonsat.tsv",
    "minifloat/e5m1_ieee.encode_f32.saturate.tsv",
    "minifloat/f4E2M1FN.encode_f32.saturate.tsv",
    "minifloat/f6E2M3FN.encode_f32.saturate.tsv",
    "minifloat/f6E3M2FN.encode_f32.saturate.tsv",
    "minifloat/f8E3M4.encode_f32.nonsat.tsv",
    "minifloat/f8E3M4.encode_f32.saturate.tsv",
    "minifloat/f8E4M3.encode_f32.nonsat.tsv",
    "minifloat/f8E4M3.encode_f32.saturate.tsv",
    "minifloat/f8E4M3B11FNUZ.encode_f32.nonsat.tsv",
    "minifloat/f8E4M3B11FNUZ.encode_f32.saturate.tsv",
    "minifloat/f8E4M3FN.encode_f32.nonsat.tsv",
    "minifloat/f8E4M3FN.encode_f32.saturate.tsv",
    "minifloat/f8E4M3FNUZ.encode_f32.nonsat.tsv",
    "minifloat/f8E4M3FNUZ.encode_f32.saturate.tsv",
    "minifloat/f8E5M2.encode_f32.nonsat.tsv",
    "minifloat/f8E5M2.encode_f32.saturate.tsv",
    "minifloat/f8E5M2FNUZ.encode_f32.nonsat.tsv",
    "minifloat/f8E5M2FNUZ.encode_f32.saturate.tsv",
    "posit/posit4_1.encode_f32.tsv",
    "posit/posit6_1.encode_f32.tsv",
    "posit/posit8_0.encode_f32.tsv",
    "posit/posit8_1.encode_f32.tsv",
    "posit/posit8_2.encode_f32.tsv",
    "posit/posit16_1.encode_f32.tsv",
    "posit/posit16_2.encode_f32.tsv",
    "posit/posit32_2.encode_f32.tsv",
};
INSTANTIATE_TEST_SUITE_P(Golden, EncodeTable, ::testing::ValuesIn(kEncodeTables),
                         paramName);

//===----------------------------------------------------------------------===//
// Posit arithmetic
//===----------------------------------------------------------------------===//

using ArithmeticTable = GoldenTable_;
TEST_P(ArithmeticTable, EveryPair) {
  Format f = formatOf(GetParam(), table);
  std::string opName = GetParam().substr(GetParam().find('.') + 1);
  opName = opName.substr(0, opName.find('.'));
  auto op = binaryOpFromName(opName);
  ASSERT_TRUE(op) << opName;
  size_t bad = 0;
  for (auto &row : table.rows) {
    uint64_t got = apply(*op, f, hex(row[0]), hex(row[1]));
    if (got != hex(row[2]) && ++bad <= 5)
      ADD_FAILURE() << f.str() << " " << opName << " " << row[0] << " " << row[1]
                    << ": got 0x" << std::hex << got << ", expected " << row[2];
  }
  EXPECT_EQ(bad, 0u);
}

const std::vector<std::string> kArithmeticTables = {
    "posit/posit8_0.add.tsv",  "posit/posit8_0.mul.tsv", "posit/posit8_0.div.tsv",
    "posit/posit16_1.add.tsv", "posit/posit16_1.mul.tsv",
};
INSTANTIATE_TEST_SUITE_P(Golden, ArithmeticTable,
                         ::testing::ValuesIn(kArithmeticTables), paramName);

//===----------------------------------------------------------------------===//
// Block scaling
//===----------------------------------------------------------------------===//

std::vector<float> floatsOf(const std::string &column) {
  std::vector<float> out;
  for (const std::string &w : splitWords(column)) {
    uint32_t bits = static_cast<uint32_t>(hex(w));
    float x;
    std::memcpy(&x, &bits, 4);
    out.push_back(x);
  }
  return out;
}

using MxTable = GoldenTable_;
TEST_P(MxTable, EveryBlock) {
  std::string name = GetParam();
  bool isInt8 = name.find("mxint8") != std::string::npos;
  Format elem = isInt8 ? Format::integer(8)
                : name.find("e2m1") != std::string::npos ? Format::builtin(BuiltinFloat::F4E2M1FN)
                : name.find("e2m3") != std::string::npos ? Format::builtin(BuiltinFloat::F6E2M3FN)
                : name.find("e3m2") != std::string::npos ? Format::builtin(BuiltinFloat::F6E3M2FN)
                : name.find("e4m3") != std::string::npos ? Format::builtin(BuiltinFloat::F8E4M3FN)
                                                         : Format::builtin(BuiltinFloat::F8E5M2);
  size_t bad = 0;
  for (auto &row : table.rows) {
    // mx_quantize: inputs, scale, codes; mxint8: id, category, inputs,
    // "scale codes...", dequantized values.
    std::vector<float> x = floatsOf(isInt8 ? row[2] : row[0]);
    std::vector<std::string> expected =
        isInt8 ? splitWords(row[3]) : splitWords(row[1] + " " + row[2]);
    ASSERT_EQ(expected.size(), x.size() + 1);
    std::vector<uint8_t> codes(x.size());
    uint8_t scale = mxQuantizeBlock(elem, x.data(), x.size(), codes.data());
    // The whole-tensor (table) path must give the same block.
    std::vector<uint8_t> bulkCodes(x.size());
    uint8_t bulkScale = 0;
    mxQuantize(elem, x.data(), x.size(), x.size(), &bulkScale, bulkCodes.data());
    bool ok = scale == hex(expected[0]) && bulkScale == scale;
    for (size_t i = 0; i < x.size(); ++i)
      ok = ok && codes[i] == hex(expected[i + 1]) && bulkCodes[i] == codes[i];
    if (isInt8) { // the dequantized values are exact
      std::vector<std::string> deq = splitWords(row[4]);
      for (size_t i = 0; i < x.size(); ++i)
        ok = ok && sameValue(mxDequantizeValue(elem, scale, codes[i]), deq[i]);
    }
    if (!ok && ++bad <= 3)
      ADD_FAILURE() << name << ": block with expected scale " << expected[0]
                    << " differs (got scale 0x" << std::hex << int(scale) << ")";
  }
  EXPECT_EQ(bad, 0u);
}

const std::vector<std::string> kMxTables = {
    "mx/mxfp4_e2m1.mx_quantize.tsv", "mx/mxfp6_e2m3.mx_quantize.tsv",
    "mx/mxfp6_e3m2.mx_quantize.tsv", "mx/mxfp8_e4m3.mx_quantize.tsv",
    "mx/mxfp8_e5m2.mx_quantize.tsv", "mx/mxint8.tsv",
};
INSTANTIATE_TEST_SUITE_P(Golden, MxTable, ::testing::ValuesIn(kMxTables), paramName);

using NvFp4Table = GoldenTable_;
TEST_P(NvFp4Table, EveryBlock) {
  NvFp4Rule rule = GetParam().find("exact") != std::string::npos
                       ? NvFp4Rule::Exact
                       : NvFp4Rule::F32Order;
  // Columns: tensor_id, block_index, kind, inputs, tensor scale, codes,
  // dequantized. A tensor is the consecutive rows sharing tensor_id.
  size_t bad = 0;
  for (size_t r = 0; r < table.rows.size();) {
    size_t end = r;
    std::vector<float> tensor;
    while (end < table.rows.size() && table.rows[end][0] == table.rows[r][0]) {
      auto x = floatsOf(table.rows[end][3]);
      tensor.insert(tensor.end(), x.begin(), x.end());
      ++end;
    }
    float amax = 0;
    for (float v : tensor)
      amax = std::max(amax, std::fabs(v));
    float st = nvfp4TensorScale(amax, rule);
    uint32_t stBits;
    std::memcpy(&stBits, &st, 4);
    for (size_t b = r; b < end; ++b) {
      auto &row = table.rows[b];
      bool ok = stBits == hex(row[4]);
      auto x = floatsOf(row[3]);
      std::vector<uint8_t> codes(x.size());
      uint8_t sc = nvfp4QuantizeBlock(x.data(), x.size(), amax, rule, codes.data());
      auto expected = splitWords(row[5]);
      auto deq = splitWords(row[6]);
      ok = ok && sc == hex(expected[0]);
      for (size_t i = 0; i < x.size(); ++i)
        ok = ok && codes[i] == hex(expected[i + 1]) &&
             sameValue(nvfp4DequantizeValue(sc, codes[i], st), deq[i]);
      if (!ok && ++bad <= 3)
        ADD_FAILURE() << GetParam() << ": tensor " << row[0] << " block " << row[1]
                      << " differs";
    }
    r = end;
  }
  EXPECT_EQ(bad, 0u);
}
const std::vector<std::string> kNvFp4Tables = {"mx/nvfp4_exact.tsv",
                                               "mx/nvfp4_f32order.tsv"};
INSTANTIATE_TEST_SUITE_P(Golden, NvFp4Table, ::testing::ValuesIn(kNvFp4Tables),
                         paramName);

using GroupTable = GoldenTable_;
TEST_P(GroupTable, EveryGroup) {
  std::string name = GetParam();
  bool asym = name.find("asym") != std::string::npos;
  unsigned bits = name.find("int4") != std::string::npos   ? 4
                  : name.find("int3") != std::string::npos ? 3
                                                           : 2;
  Format f = Format::integer(bits, asym ? IntEncoding::Unsigned : IntEncoding::Signed);
  IntScaleRule rule = asym ? IntScaleRule::AwqMinMax : IntScaleRule::AbsMax;
  ASSERT_EQ(checkGroupFormat(f, rule), "");
  size_t bad = 0;
  for (auto &row : table.rows) {
    // id, shape, row, group, category, inputs, scale, zero, codes
    auto x = floatsOf(row[5]);
    std::vector<uint8_t> codes(x.size());
    GroupScale s = quantizeGroup(f, rule, x.data(), x.size(), codes.data());
    uint32_t scaleBits;
    std::memcpy(&scaleBits, &s.scale, 4);
    bool ok = scaleBits == hex(row[6]) && s.zero == std::stoi(row[7]);
    auto expected = splitWords(row[8]);
    for (size_t i = 0; i < x.size(); ++i)
      ok = ok && static_cast<int>(decode(f, codes[i])) == std::stoi(expected[i]);
    if (!ok && ++bad <= 3)
      ADD_FAILURE() << name << ": matrix " << row[0] << " row " << row[2] << " group "
                    << row[3] << " (" << row[4] << ") differs";
  }
  EXPECT_EQ(bad, 0u);
}
const std::vector<std::string> kGroupTables = {
    "group/uint4_asym_g128.tsv", "group/uint2_asym_g128.tsv",
    "group/int4_sym_g128.tsv", "group/int3_sym_g128.tsv"};
INSTANTIATE_TEST_SUITE_P(Golden, GroupTable, ::testing::ValuesIn(kGroupTables),
                         paramName);

// Every table in the golden folder is covered by one of the lists above.
TEST(GoldenCoverage, EveryTableIsChecked) {
  LOWBIT_REQUIRE_GOLDEN();
  std::set<std::string> known;
  for (auto *list : {&kDecodeTables, &kEncodeTables, &kArithmeticTables, &kMxTables,
                     &kNvFp4Tables, &kGroupTables})
    known.insert(list->begin(), list->end());
  for (const char *sub : {"minifloat", "posit", "mx", "group"})
    for (const std::string &f : goldenFiles(sub, ".tsv"))
      EXPECT_TRUE(known.count(f)) << "golden table " << f << " is not checked";
}

} // namespace
