//===- SafetensorsTest.cpp - safetensors, GPTQ and AWQ checkpoints ---------===//
//
// The packers here follow AutoGPTQ's and AutoAWQ's pack() step by step
// (including AutoGPTQ's 3-bit word-straddling loop), independently of the
// importer's bit-stream reader.

#include "lowbit/Import/Import.h"
#include "lowbit/Import/Safetensors.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/F32Bits.h"
#include "lowbit/Numerics/Format.h"
#include "lowbit/Runtime/JIT.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

using namespace lowbit::import;
namespace num = lowbit::num;

namespace {

std::vector<uint8_t> bytesOf(const SafetensorsWriter &w) {
  std::string s;
  llvm::raw_string_ostream os(s);
  w.write(os);
  os.flush();
  return std::vector<uint8_t>(s.begin(), s.end());
}

template <class T> std::vector<uint8_t> raw(const std::vector<T> &v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(Safetensors, RoundTrip) {
  SafetensorsWriter w;
  w.addMetadata("format", "pt");
  llvm::cantFail(w.addTensor("a", "F32", {2, 3}, raw(std::vector<float>{1, 2, 3, 4, 5, 6})));
  llvm::cantFail(w.addTensor("b", "I8", {4}, {1, 2, 3, 4}));
  llvm::cantFail(w.addTensor("e", "F16", {0}, {}));
  std::vector<uint8_t> b = bytesOf(w);
  llvm::Expected<SafetensorsFile> f = SafetensorsFile::parse(b, "m.safetensors");
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  ASSERT_EQ(f->tensors.size(), 3u);
  const SafetensorsTensor *a = f->find("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->dtype, "F32");
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  float x;
  std::memcpy(&x, f->data(*a).data() + 20, 4);
  EXPECT_EQ(x, 6.0f);
  ASSERT_EQ(f->metadata.size(), 1u);
  EXPECT_EQ(f->metadata[0].second, "pt");
}

TEST(Safetensors, EveryTruncationIsAnError) {
  SafetensorsWriter w;
  llvm::cantFail(w.addTensor("a", "F32", {2, 3}, raw(std::vector<float>(6, 1.0f))));
  std::vector<uint8_t> b = bytesOf(w);
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + long(n));
    llvm::Expected<SafetensorsFile> f = SafetensorsFile::parse(cut, "cut");
    ASSERT_FALSE(bool(f)) << n;
    llvm::consumeError(f.takeError());
  }
}

std::string headerError(const std::string &json, size_t dataBytes = 16) {
  std::vector<uint8_t> b(8 + json.size() + dataBytes);
  uint64_t n = json.size();
  std::memcpy(b.data(), &n, 8);
  std::memcpy(b.data() + 8, json.data(), json.size());
  llvm::Expected<SafetensorsFile> f = SafetensorsFile::parse(b, "f");
  return f ? "parsed" : llvm::toString(f.takeError());
}

TEST(Safetensors, Diagnostics) {
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"), "parsed");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})"),
            "f: tensor 'a': unknown dtype 'F33'");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})"),
            "f: tensor 'a': holds 8 bytes, its shape and dtype need 12");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})"),
            "f: tensor 'a': data [12, 20) runs past the end of the data (16 bytes)");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"),
            "f: tensors 'a' and 'b' overlap");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})"),
            "f: tensor 'a': a dimension is not a non-negative integer");
  EXPECT_EQ(headerError(R"([1])"), "f: offset 8: the header is not a JSON object");
  EXPECT_EQ(headerError(R"({"a":)").rfind("f: offset 8: the JSON header does not parse", 0), 0u);
  std::vector<uint8_t> b(16, 0);
  uint64_t huge = uint64_t(1) << 40;
  std::memcpy(b.data(), &huge, 8);
  llvm::Expected<SafetensorsFile> f = SafetensorsFile::parse(b, "f");
  ASSERT_FALSE(bool(f));
  EXPECT_EQ(llvm::toString(f.takeError()),
            "f: offset 0: header length 1099511627776 is over the limit of 100000000 bytes");
}

//===----------------------------------------------------------------------===//
// GPTQ and AWQ
//===----------------------------------------------------------------------===//

/// AutoGPTQ's QuantLinear.pack for intweight [K][N] (rows of K packed).
std::vector<int32_t> gptqPackRows(const std::vector<std::vector<uint32_t>> &iw, unsigned bits) {
  size_t K = iw.size(), N = iw[0].size(), R = K * bits / 32;
  std::vector<uint32_t> q(R * N, 0);
  for (size_t n = 0; n < N; ++n) {
    size_t i = 0, row = 0;
    auto at = [&](size_t r) -> uint32_t & { return q[r * N + n]; };
    while (row < R) {
      if (bits != 3) {
        for (size_t j = i; j < i + 32 / bits; ++j)
          at(row) |= iw[j][n] << (bits * (j - i));
        i += 32 / bits;
        row += 1;
      } else {
        for (size_t j = i; j < i + 10; ++j)
          at(row) |= iw[j][n] << (3 * (j - i));
        i += 10;
        at(row) |= iw[i][n] << 30;
        row += 1;
        at(row) |= (iw[i][n] >> 2) & 1;
        i += 1;
        for (size_t j = i; j < i + 10; ++j)
          at(row) |= iw[j][n] << (3 * (j - i) + 1);
        i += 10;
        at(row) |= iw[i][n] << 31;
        row += 1;
        at(row) |= (iw[i][n] >> 1) & 3;
        i += 1;
        for (size_t j = i; j < i + 10; ++j)
          at(row) |= iw[j][n] << (3 * (j - i) + 2);
        i += 10;
        row += 1;
      }
    }
  }
  return std::vector<int32_t>(q.begin(), q.end());
}

/// The same packing along the columns of z [G][N] (AutoGPTQ's qzeros).
std::vector<int32_t> gptqPackCols(const std::vector<std::vector<uint32_t>> &z, unsigned bits) {
  size_t G = z.size(), N = z[0].size();
  std::vector<std::vector<uint32_t>> t(N, std::vector<uint32_t>(G));
  for (size_t g = 0; g < G; ++g)
    for (size_t n = 0; n < N; ++n)
      t[n][g] = z[g][n];
  std::vector<int32_t> packed = gptqPackRows(t, bits); // [N*bits/32][G]
  size_t C = N * bits / 32;
  std::vector<int32_t> out(G * C);
  for (size_t c = 0; c < C; ++c)
    for (size_t g = 0; g < G; ++g)
      out[g * C + c] = packed[c * G + g];
  return out;
}

/// AutoAWQ's GEMM pack: eight 4-bit columns per word, order 0 2 4 6 1 3 5 7.
std::vector<int32_t> awqPack(const std::vector<std::vector<uint32_t>> &m) {
  static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  size_t R = m.size(), C = m[0].size() / 8;
  std::vector<int32_t> out(R * C);
  for (size_t r = 0; r < R; ++r)
    for (size_t c = 0; c < C; ++c) {
      uint32_t w = 0;
      for (int i = 0; i < 8; ++i)
        w |= m[r][8 * c + size_t(order[i])] << (4 * i);
      out[r * C + c] = int32_t(w);
    }
  return out;
}

struct Layer {
  unsigned bits;
  size_t K, N, group;
  std::vector<std::vector<uint32_t>> codes; ///< [K][N]
  std::vector<std::vector<uint32_t>> zeros; ///< [G][N], the real zero points
  std::vector<uint16_t> scales;             ///< [G][N] f16 bits
  std::vector<int32_t> gidx;                ///< empty: k / group
};

Layer randomLayer(std::mt19937 &rng, unsigned bits, size_t K, size_t N, size_t group, bool actOrder) {
  Layer l{bits, K, N, group, {}, {}, {}, {}};
  uint32_t mask = (1u << bits) - 1;
  size_t G = K / group;
  l.codes.assign(K, std::vector<uint32_t>(N));
  for (auto &row : l.codes)
    for (auto &c : row)
      c = rng() & mask;
  l.zeros.assign(G, std::vector<uint32_t>(N));
  for (auto &row : l.zeros)
    for (auto &z : row)
      z = 1 + rng() % mask; // 1..2^bits-1: representable after v1's "- 1"
  l.zeros[0][0] = 0;      // stored as -1: read back as 2^bits (the v1 rule)
  for (size_t i = 0; i < G * N; ++i)
    l.scales.push_back(uint16_t(0x2000 + rng() % 0x1000)); // small positive f16
  if (actOrder) {
    std::vector<int32_t> g(K);
    for (size_t k = 0; k < K; ++k)
      g[k] = int32_t(k / group);
    std::shuffle(g.begin(), g.end(), rng);
    l.gidx = g;
  }
  return l;
}

SafetensorsWriter gptqWriter(const Layer &l, const std::string &prefix) {
  SafetensorsWriter w;
  size_t G = l.K / l.group;
  std::vector<std::vector<uint32_t>> stored = l.zeros;
  for (auto &row : stored)
    for (auto &z : row)
      z = (z - 1) & ((1u << l.bits) - 1);
  llvm::cantFail(w.addTensor(prefix + ".qweight", "I32", {int64_t(l.K * l.bits / 32), int64_t(l.N)},
                             raw(gptqPackRows(l.codes, l.bits))));
  llvm::cantFail(w.addTensor(prefix + ".qzeros", "I32", {int64_t(G), int64_t(l.N * l.bits / 32)},
                             raw(gptqPackCols(stored, l.bits))));
  llvm::cantFail(w.addTensor(prefix + ".scales", "F16", {int64_t(G), int64_t(l.N)}, raw(l.scales)));
  std::vector<int32_t> gidx = l.gidx;
  if (gidx.empty())
    for (size_t k = 0; k < l.K; ++k)
      gidx.push_back(int32_t(k / l.group));
  llvm::cantFail(w.addTensor(prefix + ".g_idx", "I32", {int64_t(l.K)}, raw(gidx)));
  llvm::cantFail(w.addTensor(prefix + ".bias", "F16", {int64_t(l.N)},
                             raw(std::vector<uint16_t>(l.N, 0x3C00))));
  return w;
}

/// A temporary checkpoint directory with `files` and a quantize config.
struct TempCheckpoint {
  llvm::SmallString<128> dir;
  TempCheckpoint() { llvm::cantFail(llvm::errorCodeToError(llvm::sys::fs::createUniqueDirectory("lowbit-st", dir))); }
  ~TempCheckpoint() { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  void writeText(llvm::StringRef name, llvm::StringRef text) const {
    std::error_code ec;
    llvm::raw_fd_ostream os(path(name), ec);
    os << text;
  }
};

float f16(uint16_t h) { return num::decodeToF32(num::Format::builtin(num::BuiltinFloat::F16), h); }

/// The dequantized weight [N][K] in the file's input order, in f32.
std::vector<float> expectedWeight(const Layer &l) {
  std::vector<float> w(l.N * l.K);
  for (size_t n = 0; n < l.N; ++n)
    for (size_t k = 0; k < l.K; ++k) {
      size_t g = l.gidx.empty() ? k / l.group : size_t(l.gidx[k]);
      float q = float(l.codes[k][n]), z = float(l.zeros[g][n] == 0 ? (1u << l.bits) : l.zeros[g][n]);
      w[n * l.K + k] = (q - z) * f16(l.scales[g * l.N + n]);
    }
  return w;
}

std::shared_ptr<const lowbit::rt::CompiledModule>
compileImport(const std::string &path, std::string &diags, const std::string &target = "host") {
  mlir::DialectRegistry registry;
  registerImportDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> m = importFile(ctx, path);
  if (!m) {
    diags = llvm::toString(m.takeError());
    return nullptr;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  (**m)->print(os);
  lowbit::rt::CompileOptions opts;
  opts.diskCache = false;
  opts.target = target;
  return lowbit::rt::compile(text, opts, diags);
}

/// `.dequantized` bit for bit, and the linear layer against x W^T in
/// double: within 1e-5 of the magnitudes on the reference path (f32 sums
/// in any order), within 2^-7 where the fast path may round activations to
/// bf16 (the bf16 kernel's named policy, docs/cpu-kernels.md).
void checkLayer(const Layer &l, const std::string &dir, const std::string &name) {
  for (const char *target : {"generic", "host"}) {
    std::string diags;
    auto mod = compileImport(dir, diags, target);
    ASSERT_TRUE(mod) << diags;
    std::vector<float> want = expectedWeight(l), got(l.N * l.K);
    ASSERT_EQ(mod->invoke(name + ".dequantized", {got.data()}), "");
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(num::f32Bits(got[i]), num::f32Bits(want[i]))
          << name << " element " << i << ": " << got[i] << " vs " << want[i];
    const int64_t M = 3;
    std::mt19937 rng(11);
    std::vector<float> x(size_t(M) * l.K), y(size_t(M) * l.N);
    for (float &v : x)
      v = std::uniform_real_distribution<float>(-1, 1)(rng);
    ASSERT_EQ(mod->invoke(name, {x.data(), y.data()}, {M}), "");
    double rel = std::string(target) == "generic" ? 1e-5 : 1.0 / 128;
    for (int64_t m = 0; m < M; ++m)
      for (size_t n = 0; n < l.N; ++n) {
        double ref = 0, mag = 0;
        for (size_t k = 0; k < l.K; ++k) {
          double p = double(x[size_t(m) * l.K + k]) * double(want[n * l.K + k]);
          ref += p;
          mag += std::fabs(p);
        }
        ASSERT_NEAR(y[size_t(m) * l.N + n], ref, rel * mag + 1e-30)
            << name << " on " << target << " (" << m << ", " << n << ")";
      }
  }
}

class GPTQLayers : public ::testing::TestWithParam<std::tuple<unsigned, bool>> {};

TEST_P(GPTQLayers, ImportPackedAndMatchTheirValues) {
  auto [bits, actOrder] = GetParam();
  std::mt19937 rng(bits * 31 + actOrder);
  Layer l = randomLayer(rng, bits, 192, 64, 64, actOrder);
  TempCheckpoint c;
  llvm::cantFail(gptqWriter(l, "model.layers.0.mlp.down_proj").writeFile(c.path("model.safetensors")));
  c.writeText("quantize_config.json", "{\"bits\": " + std::to_string(bits) +
                                          ", \"group_size\": 64, \"desc_act\": " +
                                          (actOrder ? "true" : "false") + "}");
  llvm::Expected<SafetensorsCheckpoint> ck = SafetensorsCheckpoint::open(std::string(c.dir));
  ASSERT_TRUE(bool(ck)) << llvm::toString(ck.takeError());
  llvm::Expected<std::vector<ImportedTensor>> ts = importSafetensors(*ck);
  ASSERT_TRUE(bool(ts)) << llvm::toString(ts.takeError());
  ASSERT_EQ(ts->size(), 2u); // the layer and its bias
  const ImportedTensor &t = (*ts)[0];
  EXPECT_EQ(t.name, "model.layers.0.mlp.down_proj");
  EXPECT_EQ(t.format, "GPTQ " + std::to_string(bits) + "-bit g64");
  EXPECT_EQ(t.codes.shape, (std::vector<int64_t>{64, 192}));
  // zeros[0][0] = 2^bits (a zero point of 0 in GPTQ v1): one bit wider.
  EXPECT_EQ(t.zeros.type, "!lowbit.int<" + std::to_string(bits + 1) + ", unsigned>");
  EXPECT_EQ(t.inputPermutation.empty(), !actOrder);
  EXPECT_EQ((*ts)[1].name, "model.layers.0.mlp.down_proj.bias");
  checkLayer(l, std::string(c.dir), t.name);
}

INSTANTIATE_TEST_SUITE_P(Bits, GPTQLayers,
                         ::testing::Combine(::testing::Values(2u, 3u, 4u, 8u), ::testing::Bool()),
                         [](const auto &info) {
                           return std::to_string(std::get<0>(info.param)) + "bit" +
                                  (std::get<1>(info.param) ? "ActOrder" : "");
                         });

TEST(AWQ, ImportPackedAndMatchTheirValues) {
  std::mt19937 rng(7);
  Layer l = randomLayer(rng, 4, 256, 48, 128, false);
  for (auto &row : l.zeros)
    for (auto &z : row)
      z = rng() & 15; // AWQ stores its zero points as they are, 0 included
  SafetensorsWriter w;
  size_t G = l.K / l.group;
  llvm::cantFail(w.addTensor("m.q_proj.qweight", "I32", {int64_t(l.K), int64_t(l.N / 8)}, raw(awqPack(l.codes))));
  llvm::cantFail(w.addTensor("m.q_proj.qzeros", "I32", {int64_t(G), int64_t(l.N / 8)}, raw(awqPack(l.zeros))));
  llvm::cantFail(w.addTensor("m.q_proj.scales", "F16", {int64_t(G), int64_t(l.N)}, raw(l.scales)));
  TempCheckpoint c;
  // Sharded: the layer in one file, a plain tensor in another.
  llvm::cantFail(w.writeFile(c.path("model-00001-of-00002.safetensors")));
  SafetensorsWriter w2;
  llvm::cantFail(w2.addTensor("lm_head.weight", "BF16", {4, 256}, std::vector<uint8_t>(2048, 0x3F)));
  llvm::cantFail(w2.writeFile(c.path("model-00002-of-00002.safetensors")));
  c.writeText("model.safetensors.index.json",
              R"({"metadata": {}, "weight_map": {"m.q_proj.qweight": "model-00001-of-00002.safetensors",)"
              R"("m.q_proj.qzeros": "model-00001-of-00002.safetensors",)"
              R"("m.q_proj.scales": "model-00001-of-00002.safetensors",)"
              R"("lm_head.weight": "model-00002-of-00002.safetensors"}})");
  c.writeText("config.json", R"({"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128}})");
  std::string diags;
  auto mod = compileImport(std::string(c.dir), diags);
  ASSERT_TRUE(mod) << diags;
  std::vector<float> got(l.N * l.K);
  ASSERT_EQ(mod->invoke("m.q_proj.dequantized", {got.data()}), "");
  for (size_t n = 0; n < l.N; ++n)
    for (size_t k = 0; k < l.K; ++k) {
      size_t g = k / l.group;
      float want = (float(l.codes[k][n]) - float(l.zeros[g][n])) * f16(l.scales[g * l.N + n]);
      ASSERT_EQ(num::f32Bits(got[n * l.K + k]), num::f32Bits(want)) << n << " " << k;
    }
  std::vector<float> head(4 * 256);
  ASSERT_EQ(mod->invoke("lm_head.weight.dequantized", {head.data()}), "");
  EXPECT_EQ(head[5], num::f32FromBits(0x3F3F0000u));
}

TEST(GPTQ, Diagnostics) {
  std::mt19937 rng(1);
  Layer l = randomLayer(rng, 4, 64, 32, 32, false);
  SafetensorsWriter w = gptqWriter(l, "p");
  TempCheckpoint c;
  llvm::cantFail(w.writeFile(c.path("model.safetensors")));
  c.writeText("quantize_config.json", R"({"bits": 5, "group_size": 32})");
  llvm::Expected<SafetensorsCheckpoint> ck = SafetensorsCheckpoint::open(std::string(c.dir));
  ASSERT_TRUE(bool(ck));
  llvm::Expected<std::vector<ImportedTensor>> ts = importSafetensors(*ck);
  ASSERT_FALSE(bool(ts));
  EXPECT_EQ(llvm::toString(ts.takeError()),
            c.path("quantize_config.json") + ": bits = 5 (2, 3, 4 and 8 are supported)");
  c.writeText("quantize_config.json", R"({"bits": 4, "group_size": 48})");
  ck = SafetensorsCheckpoint::open(std::string(c.dir));
  ts = importSafetensors(*ck);
  ASSERT_FALSE(bool(ts));
  EXPECT_EQ(llvm::toString(ts.takeError()),
            c.path("model.safetensors") + ": layer 'p': 2 scale rows do not fit 64 inputs in groups of 48");
}

} // namespace
