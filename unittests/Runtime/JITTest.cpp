//===- JITTest.cpp - The JIT's API contract ---------------------------------===//
//
// Caching by (source, options), diagnostics instead of crashes, wrong calls
// reported, and concurrent compiles and calls giving the single-threaded
// results.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Runtime/JIT.h"

#include <gtest/gtest.h>

#include <cstring>
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
  EXPECT_EQ(lowbit::rt::compile("func.func @f(%a: tensor<?xf32>) {\n  return\n}", o, d), nullptr);
  EXPECT_NE(d.find("static shape"), std::string::npos) << d;
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
} // namespace
