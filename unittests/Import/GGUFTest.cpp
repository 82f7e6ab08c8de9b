//===- GGUFTest.cpp - The GGUF container -----------------------------------===//

#include "GGMLBlocks.h"

#include "lowbit/Import/GGUF.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace lowbit::import;
using namespace lowbit::import::test;

namespace {

std::vector<uint8_t> bytesOf(const GGUFWriter &w) {
  std::string s;
  llvm::raw_string_ostream os(s);
  w.write(os);
  os.flush();
  return std::vector<uint8_t>(s.begin(), s.end());
}

GGUFWriter sampleWriter(uint32_t version = 3, uint32_t alignment = 32) {
  GGUFWriter w;
  w.version = version;
  w.alignment = alignment;
  using T = GGUFValueType;
  w.add("u8", GGUFValue::uint(T::UInt8, 200));
  w.add("i8", GGUFValue::sint(T::Int8, -5));
  w.add("u16", GGUFValue::uint(T::UInt16, 60000));
  w.add("i16", GGUFValue::sint(T::Int16, -30000));
  w.add("u32", GGUFValue::uint(T::UInt32, 4000000000u));
  w.add("i32", GGUFValue::sint(T::Int32, -2000000000));
  w.add("u64", GGUFValue::uint(T::UInt64, ~uint64_t(0)));
  w.add("i64", GGUFValue::sint(T::Int64, INT64_MIN));
  w.add("f32", GGUFValue::real(T::Float32, 0.5));
  w.add("f64", GGUFValue::real(T::Float64, -1e300));
  w.add("bool", GGUFValue::boolean(true));
  w.add("str", GGUFValue::string("héllo"));
  w.add("tokens", GGUFValue::array(T::String, {GGUFValue::string("a"), GGUFValue::string("")}));
  w.add("ints", GGUFValue::array(T::Int32, {GGUFValue::sint(T::Int32, -1),
                                            GGUFValue::sint(T::Int32, 7)}));
  std::mt19937 rng(1);
  const GGMLTypeInfo &q4 = *ggmlTypeInfo(uint32_t(GGMLType::Q4_0));
  const GGMLTypeInfo &f32 = *ggmlTypeInfo(uint32_t(GGMLType::F32));
  llvm::cantFail(w.addTensor("blk.0.w", {64, 3}, uint32_t(GGMLType::Q4_0), randomBlocks(rng, q4, 6)));
  llvm::cantFail(w.addTensor("norm", {5}, uint32_t(GGMLType::F32), randomBlocks(rng, f32, 5)));
  return w;
}

TEST(GGUF, RoundTripsEveryValueTypeVersionAndAlignment) {
  for (uint32_t version : {2u, 3u})
    for (uint32_t alignment : {32u, 64u, 1u}) {
      std::vector<uint8_t> b = bytesOf(sampleWriter(version, alignment));
      llvm::Expected<GGUFFile> f = GGUFFile::parse(b, "sample.gguf");
      ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
      EXPECT_EQ(f->version, version);
      EXPECT_EQ(f->alignment, alignment);
      EXPECT_EQ(f->dataOffset % alignment, 0u);
      EXPECT_EQ(f->find("u8")->u, 200u);
      EXPECT_EQ(f->find("i8")->i(), -5);
      EXPECT_EQ(f->find("u16")->u, 60000u);
      EXPECT_EQ(f->find("i16")->i(), -30000);
      EXPECT_EQ(f->find("u32")->u, 4000000000u);
      EXPECT_EQ(f->find("i32")->i(), -2000000000);
      EXPECT_EQ(f->find("u64")->u, ~uint64_t(0));
      EXPECT_EQ(f->find("i64")->i(), INT64_MIN);
      EXPECT_EQ(f->find("f32")->f, 0.5);
      EXPECT_EQ(f->find("f64")->f, -1e300);
      EXPECT_EQ(f->find("bool")->u, 1u);
      EXPECT_EQ(f->find("str")->s, "héllo");
      ASSERT_EQ(f->find("tokens")->elements.size(), 2u);
      EXPECT_EQ(f->find("tokens")->elements[0].s, "a");
      EXPECT_EQ(f->find("ints")->elements[0].i(), -1);
      ASSERT_EQ(f->tensors.size(), 2u);
      EXPECT_EQ(f->tensors[0].name, "blk.0.w");
      EXPECT_EQ(f->tensors[0].dims, (std::vector<uint64_t>{64, 3}));
      EXPECT_EQ(f->tensors[0].bytes, 6u * 18u);
      EXPECT_EQ(f->tensors[1].offset % alignment, 0u);
      std::mt19937 rng(1);
      std::vector<uint8_t> q4 = randomBlocks(rng, *ggmlTypeInfo(uint32_t(GGMLType::Q4_0)), 6);
      llvm::ArrayRef<uint8_t> got = f->tensorData(f->tensors[0]);
      EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()), q4);
    }
}

// Every prefix of a valid file is an error (not a crash, not a read past
// the end: the sanitized build checks that), naming an offset.
TEST(GGUF, EveryTruncationIsAnError) {
  std::vector<uint8_t> b = bytesOf(sampleWriter());
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + long(n));
    llvm::Expected<GGUFFile> f = GGUFFile::parse(cut, "cut.gguf");
    ASSERT_FALSE(bool(f)) << "prefix of " << n << " bytes parsed";
    std::string msg = llvm::toString(f.takeError());
    EXPECT_EQ(msg.rfind("cut.gguf: offset ", 0), 0u) << msg;
  }
}

// Random byte changes never crash; they parse or give an error.
TEST(GGUF, CorruptedBytesNeverCrash) {
  std::vector<uint8_t> b = bytesOf(sampleWriter());
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> c = b;
    for (int j = 0; j < 1 + int(rng() % 4); ++j)
      c[rng() % c.size()] = static_cast<uint8_t>(rng());
    llvm::Expected<GGUFFile> f = GGUFFile::parse(c, "x");
    if (!f)
      llvm::consumeError(f.takeError());
  }
}

std::string parseError(std::vector<uint8_t> b) {
  llvm::Expected<GGUFFile> f = GGUFFile::parse(b, "f.gguf");
  if (f)
    return "parsed";
  return llvm::toString(f.takeError());
}

template <class T> void poke(std::vector<uint8_t> &b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

TEST(GGUF, Diagnostics) {
  std::vector<uint8_t> good = bytesOf(sampleWriter());
  std::vector<uint8_t> b = good;
  b[0] = 'X';
  EXPECT_EQ(parseError(b), "f.gguf: offset 0: not a GGUF file (no 'GGUF' magic)");
  b = good;
  poke<uint32_t>(b, 4, 1);
  EXPECT_EQ(parseError(b), "f.gguf: offset 4: GGUF version 1 is not supported (versions 2 and 3 are)");
  b = good;
  poke<uint32_t>(b, 4, 0x03000000);
  EXPECT_EQ(parseError(b), "f.gguf: offset 4: big-endian GGUF files are not supported");
  b = good;
  poke<uint64_t>(b, 16, uint64_t(1) << 60);
  EXPECT_EQ(parseError(b), "f.gguf: offset 16: metadata count 1152921504606846976 is more than the "
                           "file holds");
  b = good;
  poke<uint64_t>(b, 24, uint64_t(1) << 40); // the first key's length
  EXPECT_EQ(parseError(b), "f.gguf: offset 24: a metadata key of 1099511627776 bytes runs past the "
                           "end (" + std::to_string(good.size() - 32) + " bytes left)");

  // A tensor whose data runs past the end of the file.
  b = good;
  b.resize(b.size() - 8);
  EXPECT_EQ(parseError(b), "f.gguf: offset 448: tensor 'norm': data [128, 148) of the data "
                           "section runs past the end of the file (140 bytes of data)");

  GGUFWriter w;
  w.add("k", GGUFValue::uint(GGUFValueType::UInt8, 1));
  w.add("k", GGUFValue::uint(GGUFValueType::UInt8, 2));
  EXPECT_EQ(parseError(bytesOf(w)), "f.gguf: offset 38: metadata key 'k' appears twice");

  GGUFWriter n;
  n.add("a", GGUFValue::array(GGUFValueType::Array, {}));
  EXPECT_EQ(parseError(bytesOf(n)), "f.gguf: offset 37: nested arrays are not supported");

  GGUFWriter bad;
  bad.add("b", GGUFValue::uint(GGUFValueType::Bool, 2));
  EXPECT_EQ(parseError(bytesOf(bad)), "f.gguf: offset 37: bool value 2 is neither 0 nor 1");

  GGUFWriter al;
  al.add("general.alignment", GGUFValue::uint(GGUFValueType::UInt32, 3));
  EXPECT_EQ(parseError(bytesOf(al)), "f.gguf: offset 57: general.alignment must be a uint32 power of two");
}

TEST(GGUF, TensorDiagnostics) {
  std::mt19937 rng(2);
  GGUFWriter w;
  llvm::cantFail(w.addTensor("t", {32}, uint32_t(GGMLType::Q8_0),
                             randomBlocks(rng, *ggmlTypeInfo(uint32_t(GGMLType::Q8_0)), 1)));
  std::vector<uint8_t> good = bytesOf(w);
  // Layout: 24-byte header, name (8 + 1), n_dims at 33, dim at 37, type at
  // 45, offset at 49.
  std::vector<uint8_t> b = good;
  poke<uint32_t>(b, 33, 5);
  EXPECT_EQ(parseError(b), "f.gguf: offset 24: tensor 't': 5 dimensions (1 to 4 are allowed)");
  b = good;
  poke<uint32_t>(b, 45, 77);
  EXPECT_EQ(parseError(b), "f.gguf: offset 24: tensor 't': unknown ggml type 77");
  b = good;
  poke<uint64_t>(b, 37, 48);
  EXPECT_EQ(parseError(b), "f.gguf: offset 24: tensor 't': 48 elements per row are not whole q8_0 "
                           "blocks of 32");
  b = good;
  poke<uint64_t>(b, 49, 8);
  EXPECT_EQ(parseError(b), "f.gguf: offset 24: tensor 't': offset 8 is not a multiple of the "
                           "alignment 32");
  b = good;
  poke<uint64_t>(b, 37, 0);
  EXPECT_EQ(parseError(b), "f.gguf: offset 24: tensor 't': dimension 0 is zero or makes the tensor "
                           "too large");
  llvm::Error e = w.addTensor("u", {31}, uint32_t(GGMLType::Q8_0), {});
  EXPECT_EQ(llvm::toString(std::move(e)), "tensor 'u': data does not match its shape");
}

} // namespace
