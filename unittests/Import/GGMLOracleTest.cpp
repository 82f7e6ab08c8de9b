//===- GGMLOracleTest.cpp - ggml block types against ggml itself -----------===//
//
// Every imported block type, decoded by lowbit (the library's codes and
// scales, then the module's `.dequantized` function through the JIT), is
// compared bit for bit with ggml's own dequantize_row_* on random blocks.

#include "GGMLBlocks.h"

#include "lowbit/Import/GGUF.h"
#include "lowbit/Import/Import.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/F32Bits.h"
#include "lowbit/Numerics/Format.h"
#include "lowbit/Runtime/JIT.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

using namespace lowbit::import;
using namespace lowbit::import::test;
namespace num = lowbit::num;

namespace {

// The types the importer decodes into lowbit codes and scales.
const GGMLType kBlockTypes[] = {GGMLType::Q4_0, GGMLType::Q4_1, GGMLType::Q5_0,
                                GGMLType::Q5_1, GGMLType::Q8_0, GGMLType::MXFP4,
                                GGMLType::TQ1_0, GGMLType::TQ2_0, GGMLType::Q2_K,
                                GGMLType::Q3_K, GGMLType::Q4_K, GGMLType::Q5_K,
                                GGMLType::Q6_K};

std::string typeName(GGMLType t) { return ggmlTypeInfo(static_cast<uint32_t>(t))->name; }

/// Element s of a scale (or offset) tensor as f32.
float scaleValue(const CodeTensor &c, size_t s) {
  if (c.type == "f16")
    return num::decodeToF32(num::Format::builtin(num::BuiltinFloat::F16),
                            uint16_t(c.data[2 * s] | c.data[2 * s + 1] << 8));
  if (c.type == "f8E8M0FNU")
    return num::decodeToF32(num::Format::builtin(num::BuiltinFloat::F8E8M0FNU), c.data[s]);
  float v;
  std::memcpy(&v, &c.data[4 * s], 4);
  return v;
}

/// The value of a decoded element, from the ImportedTensor alone: the
/// code's value (Numerics) times its group's scale, in f32, plus the
/// group's offset (rule min_offset) in a second rounding.
float libraryValue(const ImportedTensor &t, size_t row, size_t col) {
  size_t k = size_t(t.codes.shape.back());
  size_t groups = size_t(t.scales.shape.back()), group = k / groups;
  uint8_t code = t.codes.data[row * k + col];
  std::string error;
  std::string formatText = t.codes.type.rfind("!lowbit.", 0) == 0
                               ? t.codes.type.substr(std::string("!lowbit.").size())
                               : t.codes.type;
  std::optional<num::Format> f = formatText == "i8" ? num::Format::integer(8)
                                : num::Format::parse(formatText, error);
  EXPECT_TRUE(f) << t.codes.type << ": " << error;
  if (!f)
    return NAN;
  float v = num::decodeToF32(*f, code);
  size_t s = row * groups + col / group;
  float product = v * scaleValue(t.scales, s);
  return t.zeros.type.empty() ? product : product + scaleValue(t.zeros, s);
}

TEST(GGMLTypes, TableMatchesGGML) {
  GGML &g = GGML::get();
  if (!g.available())
    GTEST_SKIP() << g.why();
  auto name = g.symbol<const char *(*)(int)>("ggml_type_name");
  auto blck = g.symbol<int64_t (*)(int)>("ggml_blck_size");
  auto size = g.symbol<size_t (*)(int)>("ggml_type_size");
  ASSERT_TRUE(name && blck && size);
  for (const GGMLTypeInfo &t : ggmlTypes()) {
    int id = static_cast<int>(t.type);
    EXPECT_STREQ(name(id), t.name) << id;
    EXPECT_EQ(blck(id), t.blockElements) << t.name;
    EXPECT_EQ(size(id), t.blockBytes) << t.name;
  }
}

class GGMLOracle : public ::testing::TestWithParam<GGMLType> {};

TEST_P(GGMLOracle, LibraryAndJITMatchGGMLBitForBit) {
  GGML &g = GGML::get();
  const GGMLTypeInfo &info = *ggmlTypeInfo(static_cast<uint32_t>(GetParam()));
  std::mt19937 rng(static_cast<unsigned>(info.type) * 7919u);
  const size_t rows = 3, blocksPerRow = info.blockElements == 256 ? 2 : 4;
  const size_t k = blocksPerRow * info.blockElements;
  std::vector<uint8_t> data = randomBlocks(rng, info, rows * blocksPerRow);
  std::vector<uint64_t> dims{k, rows};
  llvm::Expected<ImportedTensor> t = decodeGGMLTensor("w", uint32_t(info.type), dims, data);
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());

  // The reference: ggml's decoder, else (absent) the library's values are
  // still checked through the JIT against themselves.
  std::vector<float> want(rows * k);
  GGML::Dequantize deq = g.dequantize(info.name);
  bool oracle = g.available() && deq;
  if (oracle) {
    deq(data.data(), want.data(), int64_t(rows * k));
  } else {
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < k; ++c)
        want[r * k + c] = libraryValue(*t, r, c);
  }
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < k; ++c)
      ASSERT_EQ(num::f32Bits(libraryValue(*t, r, c)), num::f32Bits(want[r * k + c]))
          << info.name << " row " << r << " element " << c << ": " << libraryValue(*t, r, c)
          << " vs ggml " << want[r * k + c];

  // The module's accessor, compiled and run.
  mlir::DialectRegistry registry;
  registerImportDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> m = buildWeightModule(ctx, {*t}, "test.gguf");
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  std::string text;
  llvm::raw_string_ostream os(text);
  (**m)->print(os);
  lowbit::rt::CompileOptions opts;
  opts.diskCache = false;
  std::string diags;
  auto mod = lowbit::rt::compile(text, opts, diags);
  ASSERT_TRUE(mod) << diags;
  std::vector<float> got(rows * k);
  std::string e = mod->invoke("w.dequantized", {got.data()});
  ASSERT_EQ(e, "");
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(num::f32Bits(got[i]), num::f32Bits(want[i]))
        << info.name << " element " << i << ": " << got[i] << " vs " << want[i];
  if (!oracle)
    GTEST_SKIP() << "checked against the library only: " << g.why();
}

INSTANTIATE_TEST_SUITE_P(BlockTypes, GGMLOracle, ::testing::ValuesIn(kBlockTypes),
                         [](const auto &info) { return typeName(info.param); });

// Plain types keep their bytes.
TEST(GGMLTypes, PlainTypesKeepTheirBytes) {
  std::mt19937 rng(3);
  for (GGMLType ty : {GGMLType::F32, GGMLType::F16, GGMLType::BF16, GGMLType::I8}) {
    const GGMLTypeInfo &info = *ggmlTypeInfo(uint32_t(ty));
    std::vector<uint8_t> d = randomBlocks(rng, info, 12);
    llvm::Expected<ImportedTensor> t = decodeGGMLTensor("p", uint32_t(ty), {4, 3}, d);
    ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
    EXPECT_EQ(t->codes.data, d);
    EXPECT_EQ(t->codes.shape, (std::vector<int64_t>{3, 4}));
    EXPECT_TRUE(t->scheme.empty());
  }
}

TEST(GGMLTypes, ErrorsNameTheTensorAndBlock) {
  const GGMLTypeInfo &mx = *ggmlTypeInfo(uint32_t(GGMLType::MXFP4));
  std::vector<uint8_t> d(2 * mx.blockBytes, 0);
  d[mx.blockBytes] = 0xFF;
  llvm::Expected<ImportedTensor> t = decodeGGMLTensor("blk.3.ffn", uint32_t(GGMLType::MXFP4), {64}, d);
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(llvm::toString(t.takeError()),
            "tensor 'blk.3.ffn': block 1: MXFP4 scale 0xFF (NaN in OCP MX; ggml reads it as 2^127)");
  std::vector<uint8_t> tq(66, 0xFF);
  t = decodeGGMLTensor("t", uint32_t(GGMLType::TQ2_0), {256}, tq);
  ASSERT_FALSE(bool(t));
  EXPECT_NE(llvm::toString(t.takeError()).find("TQ2_0 code 3 at element 0"), std::string::npos);
  t = decodeGGMLTensor("q", uint32_t(GGMLType::Q8_1), {32}, std::vector<uint8_t>(36));
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(llvm::toString(t.takeError()),
            "tensor 'q': ggml type q8_1 is not imported (see docs/importing.md for the supported "
            "types)");
  t = decodeGGMLTensor("q", uint32_t(GGMLType::Q8_0), {48}, std::vector<uint8_t>(34));
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(llvm::toString(t.takeError()), "tensor 'q': 48 elements per row are not whole blocks of 32");
  t = decodeGGMLTensor("q", 99, {32}, {});
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(llvm::toString(t.takeError()), "tensor 'q': unknown ggml type 99");
}

} // namespace
