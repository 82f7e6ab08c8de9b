//===- JITTest.cpp - The JIT's API contract ---------------------------------===//
//
// Caching by (source, options), diagnostics instead of crashes, wrong calls
// reported, and concurrent compiles and calls giving the single-threaded
// results.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Runtime/JIT.h"

#include <gtest/gtest.h>

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {
const char *kSource = R"mlir(
func.func @dot(%a: tensor<4x64xf32>, %w: tensor<8x64x!lowbit.posit<8, 0>>) -> tensor<4x8xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b}
      : tensor<4x64xf32>, tensor<8x64x!lowbit.posit<8, 0>> -> tensor<4x8xf32>
  return %c : tensor<4x8xf32>
}
)mlir";

TEST(JIT, CachesBySourceAndOptions) {
  std::string d1, d2, d3;
  auto a = lowbit::rt::compile(kSource, {}, d1);
  auto b = lowbit::rt::compile(kSource, {}, d2);
  lowbit::rt::CompileOptions o1;
  o1.optLevel = 1;
  auto c = lowbit::rt::compile(kSource, o1, d3);
  ASSERT_TRUE(a && b && c) << d1 << d2 << d3;
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
}

/// Sources above 16 MiB are hashed in 8 MiB chunks on several threads: the
/// same text still hits the cache, and one character changed anywhere (in
/// the first, a middle or the last chunk) misses it.
TEST(JIT, LargeSourcesAreKeyedByEveryByte) {
  std::string comment = "// " + std::string(40u << 20, 'x') + "\n";
  std::string source = comment + kSource;
  std::string d;
  auto a = lowbit::rt::compile(source, {}, d);
  ASSERT_TRUE(a) << d;
  EXPECT_EQ(lowbit::rt::compile(std::string(source), {}, d).get(), a.get());
  for (size_t at : {size_t(5), size_t(20u << 20), comment.size() - 2}) {
    std::string changed = source;
    changed[at] = 'y';
    auto b = lowbit::rt::compile(changed, {}, d);
    ASSERT_TRUE(b) << d;
    EXPECT_NE(b.get(), a.get()) << "changed at " << at;
  }
}

/// A module compiled once is kept on disk and loaded by later compiles (in
/// this or another process) once no one holds it: the same results, the
/// same remarks; LOWBIT_CACHE=0 keeps nothing.
TEST(JIT, DiskCacheServesLaterCompiles) {
  if (const char *off = getenv("LOWBIT_CACHE"); off && std::string(off) == "0")
    GTEST_SKIP() << "LOWBIT_CACHE=0 turns the disk cache off";
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-jit-cache", dir));
  setenv("LOWBIT_CACHE_DIR", dir.c_str(), 1);
  const char *remarkSource = R"mlir(
func.func @f(%a: tensor<2x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<2x16xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f64, transpose_b}
      : tensor<2x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}
)mlir";
  lowbit::rt::CompileOptions o;
  o.target = "x86-64-v3";
  o.numThreads = 1;
  o.reportFallbacks = true;
  std::vector<float> a(2 * 64, 0.5f), c1(2 * 16), c2(2 * 16);
  std::vector<int8_t> w(16 * 64, 3);
  std::string d1, d2;
  {
    auto first = lowbit::rt::compile(remarkSource, o, d1);
    ASSERT_TRUE(first) << d1;
    ASSERT_EQ(first->invoke("f", {a.data(), w.data(), c1.data()}), "");
  }
  std::error_code ec;
  size_t files = 0;
  for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    files += llvm::StringRef(it->path()).ends_with(".so");
  EXPECT_EQ(files, 1u);
  auto second = lowbit::rt::compile(remarkSource, o, d2);
  ASSERT_TRUE(second) << d2;
  EXPECT_TRUE(second->isSharedObject());
  ASSERT_EQ(second->invoke("f", {a.data(), w.data(), c2.data()}), "");
  EXPECT_EQ(c1, c2);
  EXPECT_NE(d1.find("takes the reference path"), std::string::npos) << d1;
  EXPECT_EQ(d1, d2);
  second.reset();

  setenv("LOWBIT_CACHE", "0", 1);
  std::string d3;
  auto off = lowbit::rt::compile(std::string(remarkSource) + "\n// changed\n", o, d3);
  ASSERT_TRUE(off) << d3;
  EXPECT_FALSE(off->isSharedObject());
  unsetenv("LOWBIT_CACHE");
  unsetenv("LOWBIT_CACHE_DIR");
  llvm::sys::fs::remove_directories(dir);
}

/// The disk cache keeps to its pruning policy (LLVM's pruneCache with
/// $LOWBIT_CACHE_POLICY): with room for nothing, each new entry replaces
/// the older ones, and a later compile of a pruned module compiles it again.
/// A policy LLVM cannot parse is a warning, and the default applies.
TEST(JIT, DiskCacheIsPruned) {
  if (const char *off = getenv("LOWBIT_CACHE"); off && std::string(off) == "0")
    GTEST_SKIP() << "LOWBIT_CACHE=0 turns the disk cache off";
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-jit-prune", dir));
  setenv("LOWBIT_CACHE_DIR", dir.c_str(), 1);
  setenv("LOWBIT_CACHE_POLICY", "prune_interval=0s:cache_size_bytes=1", 1);
  auto entries = [&] {
    std::error_code ec;
    size_t files = 0;
    for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      files += llvm::StringRef(it->path()).ends_with(".so");
    return files;
  };
  lowbit::rt::CompileOptions o;
  o.target = "generic";
  for (int i = 0; i < 3; ++i) {
    std::string d;
    auto m = lowbit::rt::compile(std::string(kSource) + "\n// module " + std::to_string(i) + "\n",
                                 o, d);
    ASSERT_TRUE(m) << d;
    EXPECT_TRUE(m->isSharedObject());
    EXPECT_EQ(entries(), 1u) << "after module " << i;
  }
  setenv("LOWBIT_CACHE_POLICY", "cache_size=lots", 1);
  std::string d;
  auto m = lowbit::rt::compile(std::string(kSource) + "\n// module 0\n", o, d);
  ASSERT_TRUE(m) << d;
  EXPECT_NE(d.find("warning: LOWBIT_CACHE_POLICY: "), std::string::npos) << d;
  EXPECT_EQ(entries(), 2u); // the default policy keeps both
  unsetenv("LOWBIT_CACHE_POLICY");
  unsetenv("LOWBIT_CACHE_DIR");
  llvm::sys::fs::remove_directories(dir);
}

TEST(JIT, SignatureInStorageForm) {
  std::string d;
  auto m = lowbit::rt::compile(kSource, {}, d);
  ASSERT_TRUE(m) << d;
  const lowbit::rt::FunctionSignature *sig = m->find("dot");
  ASSERT_NE(sig, nullptr);
  ASSERT_EQ(sig->inputs.size(), 2u);
  EXPECT_EQ(sig->inputs[1].elementType, "!lowbit.posit<8, 0>");
  EXPECT_EQ(sig->inputs[1].storageType, "i8");
  EXPECT_EQ(sig->inputs[1].bytes(), 8u * 64u);
  EXPECT_EQ(sig->outputs[0].storageType, "f32");
  EXPECT_EQ(m->find("nope"), nullptr);
}

TEST(JIT, ErrorsAreDiagnostics) {
  std::string d;
  lowbit::rt::CompileOptions o;
  o.sourceName = "bad.mlir";
  EXPECT_EQ(lowbit::rt::compile("func.func @f(%a: tensor<4xf32>) {\n  %x = lowbit.nope\n}", o, d),
            nullptr);
  EXPECT_NE(d.find("bad.mlir:2:"), std::string::npos) << d;
  d.clear();
  EXPECT_EQ(lowbit::rt::compile("func.func @f(%a: tensor<*xf32>) {\n  return\n}", o, d), nullptr);
  EXPECT_NE(d.find("must be ranked tensors"), std::string::npos) << d;
  // A dynamic dimension through an op whose shape rules the JIT cannot
  // check: refused at the op.
  d.clear();
  EXPECT_EQ(lowbit::rt::compile("func.func @f(%a: tensor<?xf32>) -> tensor<?xf32> {\n"
                                "  %b = tensor.cast %a : tensor<?xf32> to tensor<?xf32>\n"
                                "  return %b : tensor<?xf32>\n}",
                                o, d),
            nullptr);
  EXPECT_NE(d.find("bad.mlir:2:8: error: 'tensor.cast' takes or makes a tensor of dynamic shape"),
            std::string::npos)
      << d;
}

/// Dynamic dimensions: one symbol for A's M, C's M and the per-row scales'
/// M; sizes bound from the input shapes (checked against each other), or
/// given; every wrong size refused before the call.
TEST(JIT, DynamicDimensionsAreSymbols) {
  const char *source = R"mlir(
func.func @f(%a: tensor<?x64xi8>, %sa: tensor<?x1xf32>, %w: tensor<8x64xi8>) -> tensor<?x8xf32> {
  %c = lowbit.mpgemm %a [%sa], %w {a_scheme = #lowbit.scheme<rule = absmax, channel, axis = 1, scale = f32>, acc_type = i32, transpose_b}
      : tensor<?x64xi8> [tensor<?x1xf32>], tensor<8x64xi8> -> tensor<?x8xf32>
  return %c : tensor<?x8xf32>
}
)mlir";
  std::string d;
  auto m = lowbit::rt::compile(source, {}, d);
  ASSERT_TRUE(m) << d;
  const lowbit::rt::FunctionSignature &sig = m->functions()[0];
  EXPECT_EQ(sig.numSymbols, 1u);
  EXPECT_EQ(sig.inputs[1].symbols, (std::vector<int>{0, -1}));
  EXPECT_EQ(sig.inputs[2].symbols, (std::vector<int>{-1, -1}));
  EXPECT_EQ(sig.outputs[0].shapeFor({5}), (std::vector<int64_t>{5, 8}));
  EXPECT_EQ(sig.outputs[0].bytes({5}), 5u * 8u * 4u);

  std::vector<int64_t> dims;
  EXPECT_EQ(sig.bindSymbols({{3, 64}, {3, 1}, {8, 64}}, dims), "");
  EXPECT_EQ(dims, (std::vector<int64_t>{3}));
  EXPECT_NE(sig.bindSymbols({{3, 64}, {4, 1}, {8, 64}}, dims).find("must have the size 3"),
            std::string::npos);
  EXPECT_NE(sig.bindSymbols({{3, 64}, {3, 1}, {8, 63}}, dims).find("must be 8x64"),
            std::string::npos);
  EXPECT_NE(sig.bindSymbols({{0, 64}, {0, 1}, {8, 64}}, dims).find("at least 1"),
            std::string::npos);
  EXPECT_NE(sig.checkSymbols({int64_t(1) << 61}).find("2^62 bytes"), std::string::npos);

  // The call: int8 rows, their scales, weights of 1; y = 2 * rowsum.
  std::vector<int8_t> a(3 * 64), w(8 * 64, 1);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<int8_t>(i % 7 - 3);
  std::vector<float> sa{2, 2, 2}, c(3 * 8, -1);
  EXPECT_NE(m->invoke("f", {a.data(), sa.data(), w.data(), c.data()}).find("1 dynamic dimension"),
            std::string::npos);
  EXPECT_NE(m->invoke("f", {a.data(), sa.data(), w.data(), c.data()}, {0}).find("at least 1"),
            std::string::npos);
  ASSERT_EQ(m->invoke("f", {a.data(), sa.data(), w.data(), c.data()}, {3}), "");
  for (int64_t i = 0; i < 3; ++i) {
    int sum = 0;
    for (int64_t k = 0; k < 64; ++k)
      sum += a[i * 64 + k];
    for (int64_t j = 0; j < 8; ++j)
      EXPECT_EQ(c[i * 8 + j], 2.0f * sum) << i << "," << j;
  }
}

TEST(JIT, WrongCallsAreReported) {
  std::string d;
  auto m = lowbit::rt::compile(kSource, {}, d);
  ASSERT_TRUE(m) << d;
  EXPECT_NE(m->invoke("nope", {}).find("no function 'nope'"), std::string::npos);
  EXPECT_NE(m->invoke("dot", {nullptr}).find("takes 3 buffers"), std::string::npos);
}

/// One call of @dot on buffers derived from `seed`.
std::vector<float> runDot(const lowbit::rt::CompiledModule &m, int seed) {
  std::vector<float> a(4 * 64), c(4 * 8);
  std::vector<uint8_t> w(8 * 64);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>((i * 7 + seed) % 13) - 6.0f;
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = static_cast<uint8_t>((i * 31 + seed) % 256);
  for (auto &x : w) // no NaR (0x80): NaN != NaN would fail the comparison
    if (x == 0x80)
      x = 0x7f;
  EXPECT_EQ(m.invoke("dot", {a.data(), w.data(), c.data()}), "");
  return c;
}

TEST(JIT, ConcurrentCompilesAndCalls) {
  std::string d;
  auto m = lowbit::rt::compile(kSource, {}, d);
  ASSERT_TRUE(m) << d;
  constexpr int kThreads = 8;
  std::vector<std::vector<float>> expected;
  for (int t = 0; t < kThreads; ++t)
    expected.push_back(runDot(*m, t));
  std::vector<std::vector<float>> got(kThreads);
  std::vector<const lowbit::rt::CompiledModule *> modules(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::string diag;
      auto mine = lowbit::rt::compile(kSource, {}, diag); // the cached module
      modules[t] = mine.get();
      for (int r = 0; r < 50; ++r)
        got[t] = runDot(*mine, t);
    });
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(modules[t], m.get());
    EXPECT_EQ(std::memcmp(got[t].data(), expected[t].data(), got[t].size() * 4), 0);
  }
}
/// Cold compiles from 8 threads at once, half of them of the same new source
/// (one compile wins the cache, the others get its module), through the x86
/// kernels and the disk cache, then calls on every thread: each result is
/// the single-threaded one. Run under ThreadSanitizer by
/// `scripts/check.sh --tsan`.
TEST(JIT, ConcurrentColdCompiles) {
  constexpr int kThreads = 8;
  // A comment new to every run keeps the compiles cold (neither the
  // in-memory nor the disk cache has them).
  std::string nonce = "// run " + std::to_string(std::random_device{}()) + " " +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                      "\n";
  auto source = [&](int variant) {
    // Distinct programs: the variant changes the activation rows.
    std::string rows = std::to_string(2 + variant % 4);
    return nonce + "func.func @dot(%a: tensor<" + rows + "x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) "
           "-> tensor<" + rows + "x16xf32> {\n"
           "  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<" + rows +
           "x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<" + rows + "x16xf32>\n"
           "  return %c : tensor<" + rows + "x16xf32>\n}\n";
  };
  lowbit::rt::CompileOptions options;
  std::vector<std::shared_ptr<const lowbit::rt::CompiledModule>> modules(kThreads);
  std::vector<std::string> diagnostics(kThreads);
  std::vector<std::vector<float>> got(kThreads);
  std::vector<std::thread> threads;
  auto call = [](const lowbit::rt::CompiledModule &m, int rows) {
    std::vector<float> a(rows * 64), c(rows * 16);
    std::vector<uint8_t> w(16 * 64);
    for (size_t i = 0; i < a.size(); ++i)
      a[i] = static_cast<float>((i * 37) % 17) - 8.0f;
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = static_cast<uint8_t>((i * 11) % 16); // int4 codes, one per byte
    std::string e = m.invoke("dot", {a.data(), w.data(), c.data()});
    EXPECT_EQ(e, "");
    return c;
  };
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      int variant = t % 2 ? 0 : t; // the odd threads share variant 0
      auto m = lowbit::rt::compile(source(variant), options, diagnostics[t]);
      if (!m)
        return;
      modules[t] = m;
      got[t] = call(*m, 2 + variant % 4);
    });
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_NE(modules[t], nullptr) << diagnostics[t];
    int variant = t % 2 ? 0 : t;
    std::string d;
    auto again = lowbit::rt::compile(source(variant), options, d);
    ASSERT_TRUE(again) << d;
    EXPECT_EQ(again.get(), modules[t].get()) << "thread " << t;
    std::vector<float> expected = call(*again, 2 + variant % 4);
    EXPECT_EQ(got[t], expected) << "thread " << t;
  }
}
} // namespace
