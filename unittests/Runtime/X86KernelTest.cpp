//===- X86KernelTest.cpp - The x86 byte-dot kernels against the evaluator -===//
//
// Every weight format the x86 kernels cover (integers of 1 to 8 bits,
// bipolar, ternary, e2m1; MX, NVFP4, GPTQ/AWQ, per-channel schemes) x
// activation types (f32, f16, bf16) x odd and even shapes x the three
// kernel instruction sets (VNNI zmm on znver4, vpmaddubsw zmm on
// x86-64-v4, vpmaddubsw ymm on x86-64-v3), with constant weights so that
// the compile-time repacking runs. Each case checks that the fast path was
// taken (no fallback remark), that every element is within the derived
// bound of the int8-activation policy (ReferenceEvaluator), and that the
// relative L2 error against the exact result is below 1e-2 (int8
// activation blocks give about 3e-3; a wrong scale or a lost k shows up
// far above it). Targets this host cannot run are skipped.
//
//===----------------------------------------------------------------------===//

#include "KernelCases.h"
#include "KernelChecks.h"

#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/DenseText.h"
#include "lowbit/Runtime/JIT.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <random>
#include <sstream>

namespace {
using namespace lowbit::test;

const char *kTargets[] = {"znver4", "x86-64-v4", "x86-64-v3"};


mlir::DialectRegistry registry() {
  mlir::DialectRegistry r;
  mlir::lowbit::registerReferencePipelineDialects(r);
  return r;
}

void runCase(const char *target, const Weight &w, const char *act, const Shape &s,
             const char *tuning = nullptr) {
  std::optional<lowbit::target::CPUTarget> t = lowbit::target::parseCPUTarget(target);
  ASSERT_TRUE(t);
  if (std::string e = lowbit::target::checkRunnableOnHost(*t); !e.empty())
    GTEST_SKIP() << e;
  std::string source = program(w, act, s, "f32", false, tuning);
  lowbit::rt::CompileOptions options;
  options.optLevel = 2;
  options.target = target;
  // OpenMP on x86-64-v4, one thread elsewhere: both paths are checked.
  options.numThreads = std::string(target) == "x86-64-v4" ? 2 : 1;
  options.reportFallbacks = true;
  options.sourceName = std::string(w.name) + ".mlir";
  std::string diagnostics;
  auto module = lowbit::rt::compile(source, options, diagnostics);
  ASSERT_TRUE(module) << diagnostics << source.substr(0, 2000);
  // The fast path was taken (no product fell back to the reference path),
  // or the fallback was reported with its reason.
  if (w.needsVnni && !t->has(lowbit::target::CPUFeature::AVX512VNNI))
    EXPECT_NE(diagnostics.find("takes the reference path on target '" + std::string(target) +
                               "': weight operands reach 255, and vpmaddubsw saturates"),
              std::string::npos)
        << diagnostics;
  else if (w.needsBf16 && !t->has(lowbit::target::CPUFeature::AVX512BF16) &&
           std::string(w.type).find("posit") != std::string::npos)
    // Without the bf16 kernel minifloats take the f32 kernel; posits have
    // no arithmetic decode.
    EXPECT_NE(diagnostics.find("the bf16 kernel needs AVX-512 BF16 and VBMI; f32 kernel: its "
                               "values are not a sign, exponent and mantissa that f32 holds"),
              std::string::npos)
        << diagnostics;
  else
    EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
  // The kernel asked for was taken (else a remark says why not).
  EXPECT_EQ(diagnostics.find("asks for kernel"), std::string::npos) << diagnostics;

  mlir::MLIRContext ctx(registry());
  auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
  ASSERT_TRUE(parsed);
  auto func = parsed->lookupSymbol<mlir::func::FuncOp>("f");
  std::mt19937_64 rng(s.m * 7 + s.k);
  std::vector<lowbit::ref::HostTensor> inputs{lowbit::ref::HostTensor::random(
      llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[0]), rng)};
  lowbit::test::expectWithinPolicyBound(*module, func, inputs, *t);
}

constexpr auto caseName = lowbit::test::targetFormatName<Weight>;

/// runCase over the shapes (grouped schemes: K in whole groups) and the
/// activation types, stopping at a skip or a fatal failure.
void runShapesAndActivations(const char *target, const Weight &w, const char *tuning = nullptr) {
  bool grouped = groupedScheme(w);
  for (const Shape &s : grouped ? kGroupShapes : kShapes)
    for (const char *act : kActivations) {
      SCOPED_TRACE(std::string(target) + " " + w.name + " " + act + " " + std::to_string(s.m) +
                   "x" + std::to_string(s.n) + "x" + std::to_string(s.k));
      runCase(target, w, act, s, tuning);
      if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure())
        return;
    }
}

class X86Kernel : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(X86Kernel, MatchesEvaluatorWithinBound) {
  auto [target, w] = GetParam();
  runShapesAndActivations(target, w);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, X86Kernel, ::testing::Combine(::testing::ValuesIn(kTargets), ::testing::ValuesIn(kWeights)),
    caseName);

/// The lookup-table kernels asked for (lowbit.x86_tuning kernel = "lut")
/// on every integer weight format they take (1 to 8 bits: signed,
/// unsigned, bipolar, ternary, i8; GPTQ/AWQ groups, per-channel scales),
/// every activation type and the odd shapes, against the evaluator within
/// the int8 tables' bound: vpermb + vpdpbusd on znver4, vpshufb +
/// vpmaddubsw (int16 sums) on zmm on x86-64-v4 (operands of at most 7
/// bits) and on ymm on x86-64-v3 (at most 6 bits). 1-bit weights (and
/// 2-bit ones on x86-64-v3) take them by default (the X86Kernel suite).
class X86LutKernel : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(X86LutKernel, MatchesEvaluatorWithinTableBound) {
  auto [target, w] = GetParam();
  runShapesAndActivations(target, w, kLutTuning);
}

/// Every target x integer format, but i8 weights only on znver4 and 7-bit
/// ones not on x86-64-v3: the vpshufb tables' int16 sums hold operands of
/// at most 7 (zmm) or 6 (ymm) bits (X86LutKernel.UnhonouredRequestIsReported).
std::vector<std::tuple<const char *, Weight>> lutCases() {
  std::vector<std::tuple<const char *, Weight>> cases;
  for (const char *target : kTargets) {
    bool vpermb = std::string(target) == "znver4", zmm = std::string(target) == "x86-64-v4";
    for (const Weight &w : kIntegerWeights)
      if (vpermb || std::string(w.type) != "i8")
        cases.emplace_back(target, w);
    if (vpermb || zmm)
      cases.emplace_back(target, kInt7);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(IntegerFormats, X86LutKernel, ::testing::ValuesIn(lutCases()), caseName);

/// The exact tables (tables = "exact", and every product of int8
/// activations that takes the lookup-table kernel): int16 entries of the
/// byte-dot kernel's int8 activations, so the results are the byte-dot
/// kernel's bit for bit, for every integer format, activation type
/// (f32/f16/bf16 quantized per block, i8 as it is), accumulator (f32, i32,
/// i32 with A's per-row scales) and the odd shapes; i32 results are the
/// reference's too. znver4 only (vpermb); the other targets report the
/// request and run the byte-dot kernel (UnhonouredRequestIsReported).
class X86ExactLutKernel : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(X86ExactLutKernel, BitIdenticalToByteDot) {
  auto [target, w] = GetParam();
  auto t = lowbit::target::parseCPUTarget(target);
  if (std::string e = lowbit::target::checkRunnableOnHost(*t); !e.empty())
    GTEST_SKIP() << e;
  bool grouped = groupedScheme(w);
  struct Variant {
    const char *act, *acc;
    bool aScheme;
  };
  for (const Shape &s : grouped ? kGroupShapes : kShapes)
    for (Variant v : {Variant{"f32", "f32", false}, {"f16", "f32", false}, {"bf16", "f32", false},
                      {"i8", "f32", false}, {"i8", "i32", false}, {"i8", "i32", true}}) {
      if ((v.aScheme && !w.scheme) || (grouped && std::string(v.acc) == "i32"))
        continue; // a scaled A needs a scaled result; i32 sums need scales constant along K
      SCOPED_TRACE(std::string(target) + " " + w.name + " " + v.act + " acc " + v.acc +
                   (v.aScheme ? " with A scales " : " ") + std::to_string(s.m) + "x" +
                   std::to_string(s.n) + "x" + std::to_string(s.k));
      lowbit::rt::CompileOptions options;
      options.target = target;
      options.reportFallbacks = true;
      std::string exactSource = program(w, v.act, s, v.acc, v.aScheme, kExactLutTuning);
      std::string diagnostics;
      auto exact = lowbit::rt::compile(exactSource, options, diagnostics);
      ASSERT_TRUE(exact) << diagnostics;
      EXPECT_EQ(diagnostics.find("asks for kernel"), std::string::npos) << diagnostics;
      EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
      diagnostics.clear();
      std::string byteSource = program(w, v.act, s, v.acc, v.aScheme, kByteDotTuning);
      auto byteDot = lowbit::rt::compile(byteSource, options, diagnostics);
      ASSERT_TRUE(byteDot) << diagnostics;

      mlir::MLIRContext ctx(registry());
      auto parsed = mlir::parseSourceString<mlir::ModuleOp>(exactSource, &ctx);
      auto func = parsed->lookupSymbol<mlir::func::FuncOp>("f");
      std::mt19937_64 rng(s.m * 11 + s.k);
      std::vector<lowbit::ref::HostTensor> inputs, fromTables, fromBytes, expected;
      for (mlir::Type type : func.getArgumentTypes())
        inputs.push_back(
            lowbit::ref::HostTensor::random(llvm::cast<mlir::RankedTensorType>(type), rng));
      ASSERT_EQ(lowbit::ref::invokeOnHost(*exact, func, inputs, fromTables), "");
      ASSERT_EQ(lowbit::ref::invokeOnHost(*byteDot, func, inputs, fromBytes), "");
      EXPECT_EQ(fromTables[0].codes, fromBytes[0].codes); // bit for bit
      if (std::string(v.acc) == "i32") {
        ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected), "");
        EXPECT_EQ(fromTables[0].codes, expected[0].codes);
      }
    }
}

std::vector<std::tuple<const char *, Weight>> exactLutCases() {
  std::vector<std::tuple<const char *, Weight>> cases;
  for (const Weight &w : kIntegerWeights)
    cases.emplace_back("znver4", w);
  cases.emplace_back("znver4", kInt7);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(IntegerFormats, X86ExactLutKernel, ::testing::ValuesIn(exactLutCases()),
                         caseName);

/// A kernel asked for that cannot take the product is reported, and the
/// cost model's choice runs (e2m1 is a codebook: no tables of sums).
TEST(X86LutKernel, UnhonouredRequestIsReported) {
  auto t = lowbit::target::parseCPUTarget("znver4");
  if (std::string e = lowbit::target::checkRunnableOnHost(*t); !e.empty())
    GTEST_SKIP() << e;
  lowbit::rt::CompileOptions options;
  options.target = "znver4";
  options.reportFallbacks = true;
  std::string diagnostics;
  auto module = lowbit::rt::compile(program(kWeights[9], "f32", {3, 37, 200}, "f32", false, kLutTuning),
                                    options, diagnostics);
  ASSERT_TRUE(module) << diagnostics;
  EXPECT_NE(diagnostics.find("mpgemm asks for kernel 'lut' on target 'znver4', which cannot take "
                             "it: the lookup-table kernel needs weight values evenly spaced"),
            std::string::npos)
      << diagnostics;
  EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
  // Operands of 7 bits overflow the int16 sums of the ymm vpshufb tables
  // (x86-64-v4's zmm ones take them); 8-bit ones no target without VNNI
  // holds (vpmaddubsw); exact tables need vpermb (the byte-dot kernel,
  // which gives their numbers, runs instead).
  for (auto [target, weight, tuning, message] :
       {std::tuple{"x86-64-v3", kInt7, kLutTuning,
                   "the lookup-table kernel with vpshufb takes operands of at most 6 bits (its "
                   "int16 sums), got 7"},
        std::tuple{"x86-64-v4", kWeights[6], kLutTuning,
                   "the lookup-table kernel cannot hold the format: weight operands reach 255"},
        std::tuple{"x86-64-v4", kWeights[3], kExactLutTuning,
                   "the lookup-table kernel with exact (int16) tables (int8 activations, or "
                   "tables = \"exact\") needs vpermb and vpdpbusd (AVX-512 VBMI and VNNI)"}}) {
    options.target = target;
    diagnostics.clear();
    module = lowbit::rt::compile(program(weight, "f32", {3, 37, 200}, "f32", false, tuning),
                                 options, diagnostics);
    ASSERT_TRUE(module) << diagnostics;
    EXPECT_NE(diagnostics.find(message), std::string::npos) << target << ": " << diagnostics;
  }
}

/// Non-finite activations give non-finite results in their row (the named
/// policy of the int8 blocks: the block's scale is NaN or infinite), never
/// finite garbage.
TEST(X86KernelPolicy, NonFiniteActivationsGiveNonFiniteRows) {
  if (!lowbit::target::checkRunnableOnHost(*lowbit::target::parseCPUTarget("x86-64-v3")).empty())
    GTEST_SKIP() << "host without AVX2";
  Shape s{2, 16, 64};
  std::string source = program(kWeights[3], "f32", s); // int4
  lowbit::rt::CompileOptions options;
  options.target = "x86-64-v3";
  std::string diagnostics;
  auto module = lowbit::rt::compile(source, options, diagnostics);
  ASSERT_TRUE(module) << diagnostics;
  std::vector<float> a(s.m * s.k, 0.5f), c(s.m * s.n);
  a[3] = NAN;                      // row 0
  a[s.k + 5] = INFINITY;           // row 1
  ASSERT_EQ(module->invoke("f", {a.data(), c.data()}), "");
  for (int64_t j = 0; j < s.n; ++j) {
    EXPECT_TRUE(std::isnan(c[j])) << j;
    EXPECT_FALSE(std::isfinite(c[s.n + j])) << j;
  }
}

/// The bf16 kernel (e4m3 weights): rows of subnormal, tiny and huge
/// activations are scaled by a power of two before vdpbf16ps (which flushes
/// subnormals), so they are neither flushed to zero nor overflowed, and stay
/// within the bound; rows with a NaN or an infinity give NaN or infinite
/// results.
TEST(X86KernelPolicy, Bf16KernelKeepsTinyAndHugeRows) {
  auto t = lowbit::target::parseCPUTarget("znver4");
  if (!lowbit::target::checkRunnableOnHost(*t).empty())
    GTEST_SKIP() << "host without AVX-512 BF16 and VBMI (znver4)";
  Shape s{6, 32, 128};
  std::string source = program(kWeights[17], "f32", s); // e4m3
  lowbit::rt::CompileOptions options;
  options.target = "znver4";
  options.reportFallbacks = true;
  std::string diagnostics;
  auto module = lowbit::rt::compile(source, options, diagnostics);
  ASSERT_TRUE(module) << diagnostics;
  EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(s.m * s.k);
  const float rowScale[] = {1e-40f /* subnormal */, 1e-30f, 1.0f, 1e30f};
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t k = 0; k < s.k; ++k)
      a[r * s.k + k] = u(rng) * rowScale[r];
  for (int64_t k = 0; k < s.k; ++k) { // a row of 1 and subnormals
    a[4 * s.k + k] = k == 7 ? 1.0f : u(rng) * 1e-39f;
    a[5 * s.k + k] = u(rng);
  }
  mlir::MLIRContext ctx(registry());
  auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
  auto func = parsed->lookupSymbol<mlir::func::FuncOp>("f");
  auto aType = llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[0]);
  std::vector<lowbit::ref::HostTensor> inputs{lowbit::ref::HostTensor::fromStorage(aType, a.data())};
  std::vector<lowbit::ref::HostTensor> actual, expected;
  ASSERT_EQ(lowbit::ref::invokeOnHost(*module, func, inputs, actual), "");
  lowbit::ref::EvaluateOptions policy;
  policy.int8ActivationBlocks = true;
  ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected, policy), "");
  lowbit::ref::Comparison c = lowbit::ref::compare(expected[0], actual[0]);
  EXPECT_EQ(c.mismatches, 0u) << "max error " << c.maxError;
  for (int64_t r = 0; r < 4; ++r) { // no row flushed to zero or overflowed
    double err = 0, ref = 0;
    for (int64_t j = 0; j < s.n; ++j) {
      double e = expected[0].value(r * s.n + j), g = actual[0].value(r * s.n + j);
      EXPECT_TRUE(std::isfinite(g)) << r << "," << j;
      err += (g - e) * (g - e);
      ref += e * e;
    }
    EXPECT_GT(ref, 0) << "row " << r;
    EXPECT_LT(std::sqrt(err / ref), 1e-2) << "row " << r << ": relative L2 error";
  }
  // Non-finite activations: NaN or infinite results in their row.
  std::vector<float> b(s.m * s.k, 0.25f), out(s.m * s.n);
  b[3] = NAN;
  b[s.k + 9] = INFINITY;
  ASSERT_EQ(module->invoke("f", {b.data(), out.data()}), "");
  for (int64_t j = 0; j < s.n; ++j) {
    EXPECT_TRUE(std::isnan(out[j])) << j;
    EXPECT_FALSE(std::isfinite(out[s.n + j])) << j;
    EXPECT_TRUE(std::isfinite(out[2 * s.n + j])) << j;
  }
}

/// int8 activations x integer weights accumulated in i32 are bit-exact with
/// the reference: unscaled i32 results, and f32 results scaled per row of A
/// and per channel of B (float(sum) * factorA * factorB); int8 activations
/// with an f32 accumulator are exact sums too.
class X86KernelInt8 : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(X86KernelInt8, BitExactWithI32Accumulation) {
  auto [target, w] = GetParam();
  auto t = lowbit::target::parseCPUTarget(target);
  if (std::string e = lowbit::target::checkRunnableOnHost(*t); !e.empty())
    GTEST_SKIP() << e;
  bool fallback = w.needsVnni && !t->has(lowbit::target::CPUFeature::AVX512VNNI);
  for (const Shape &s : kShapes)
    for (auto [acc, aScheme] : {std::pair{"i32", false}, {"i32", true}, {"f32", false}}) {
      if (aScheme && !w.scheme)
        continue; // a scaled A needs a scaled result: only with a weight scheme
      SCOPED_TRACE(std::string(target) + " " + w.name + " acc " + acc +
                   (aScheme ? " with A scales " : " ") + std::to_string(s.m) + "x" +
                   std::to_string(s.n) + "x" + std::to_string(s.k));
      std::string source = program(w, "i8", s, acc, aScheme);
      lowbit::rt::CompileOptions options;
      options.target = target;
      options.reportFallbacks = true;
      std::string diagnostics;
      auto module = lowbit::rt::compile(source, options, diagnostics);
      ASSERT_TRUE(module) << diagnostics;
      EXPECT_EQ(diagnostics.find("reference path") == std::string::npos, !fallback) << diagnostics;
      mlir::MLIRContext ctx(registry());
      auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
      auto func = parsed->lookupSymbol<mlir::func::FuncOp>("f");
      std::mt19937_64 rng(s.m * 5 + s.n);
      std::vector<lowbit::ref::HostTensor> inputs, actual, expected;
      for (mlir::Type type : func.getArgumentTypes())
        inputs.push_back(
            lowbit::ref::HostTensor::random(llvm::cast<mlir::RankedTensorType>(type), rng));
      ASSERT_EQ(lowbit::ref::invokeOnHost(*module, func, inputs, actual), "");
      ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected), "");
      if (std::string(acc) == "i32") {
        EXPECT_EQ(actual[0].codes, expected[0].codes); // bit for bit
      } else {
        lowbit::ref::Comparison c = lowbit::ref::compare(expected[0], actual[0]);
        EXPECT_EQ(c.mismatches, 0u) << c.maxError;
      }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Formats, X86KernelInt8,
    ::testing::Combine(::testing::ValuesIn(kTargets), ::testing::ValuesIn(kIntWeights)),
    caseName);

/// Output tiles are split between threads, each tile computed by one thread
/// with the same code: every thread count gives the same bits.
TEST(X86KernelPolicy, ThreadCountsGiveIdenticalBits) {
  if (!lowbit::target::checkRunnableOnHost(*lowbit::target::parseCPUTarget("x86-64-v3")).empty())
    GTEST_SKIP() << "host without AVX2";
  Shape s{5, 100, 256};
  std::string source = program(kWeights[10], "f32", s); // gptq_u4_g128
  std::vector<float> a(s.m * s.k);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float &x : a)
    x = u(rng);
  std::vector<std::vector<float>> results;
  for (unsigned threads : {1u, 2u, 3u, 7u}) {
    lowbit::rt::CompileOptions options;
    options.numThreads = threads;
    std::string diagnostics;
    auto module = lowbit::rt::compile(source, options, diagnostics);
    ASSERT_TRUE(module) << diagnostics;
    results.emplace_back(s.m * s.n);
    ASSERT_EQ(module->invoke("f", {a.data(), results.back().data()}), "");
    EXPECT_EQ(std::memcmp(results.back().data(), results[0].data(), results[0].size() * 4), 0)
        << threads << " threads";
  }
}

/// A dynamic M (`tensor<?xKxf32>`) runs the same kernels: for every M the
/// results are bit for bit those of the program compiled for that M, on
/// every x86 target (the rows past the last full pass of 8, or 2 on AVX2,
/// take passes of 4, 2 and 1 rows), for float and int8 activations, with
/// and without per-row activation scales; the reference path stays within
/// its bound.
TEST(X86KernelDynamic, AnyMGivesTheStaticBits) {
  // An M no weight dimension has, replaced by `?` in the program text.
  constexpr int64_t kMarker = 999;
  struct Case {
    Weight w;
    const char *act, *acc;
    bool aScheme;
  };
  const Case cases[] = {{kWeights[0], "f32", "f32", false},  // int1: lookup tables on znver4
                        {kWeights[1], "f32", "f32", false},  // int2
                        {kWeights[9], "f16", "f32", false},  // e2m1
                        {kWeights[10], "f32", "f32", false}, // gptq_u4_g128
                        {kWeights[3], "i8", "i32", false},   // int4, i32 results
                        {kWeights[12], "i8", "i32", true},   // int8 per channel, A per row
                        {kWeights[22], "f32", "f32", false}, // mxfp8_e4m3: the bf16 kernel
                        {kWeights[19], "bf16", "f32", false}}; // e3m2: the bf16 kernel
  for (const char *target : {"generic", "znver4", "x86-64-v4", "x86-64-v3"}) {
    auto t = lowbit::target::parseCPUTarget(target);
    if (!lowbit::target::checkRunnableOnHost(*t).empty())
      continue;
    for (const Case &c : cases) {
      SCOPED_TRACE(std::string(target) + " " + c.w.name + " " + c.act);
      std::string dynamicSource = program(c.w, c.act, {kMarker, 37, 256}, c.acc, c.aScheme);
      for (size_t at; (at = dynamicSource.find("tensor<999x")) != std::string::npos;)
        dynamicSource.replace(at, 11, "tensor<?x");
      lowbit::rt::CompileOptions options;
      options.target = target;
      options.reportFallbacks = true;
      std::string diagnostics;
      auto dynamicModule = lowbit::rt::compile(dynamicSource, options, diagnostics);
      ASSERT_TRUE(dynamicModule) << diagnostics;
      bool fallback = (c.w.needsVnni && !t->has(lowbit::target::CPUFeature::AVX512VNNI)) ||
                      (c.w.needsBf16 && !t->has(lowbit::target::CPUFeature::AVX512BF16));
      if (!t->generic && !fallback)
        EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
      const lowbit::rt::FunctionSignature &sig = dynamicModule->functions()[0];
      EXPECT_EQ(sig.numSymbols, 1u);
      EXPECT_EQ(sig.inputs[0].shape, (std::vector<int64_t>{lowbit::rt::kDynamic, 256}));
      EXPECT_EQ(sig.outputs[0].symbols, (std::vector<int>{0, -1}));
      mlir::MLIRContext ctx(registry());
      auto dynamicParsed = mlir::parseSourceString<mlir::ModuleOp>(dynamicSource, &ctx);
      auto dynamicFunc = dynamicParsed->lookupSymbol<mlir::func::FuncOp>("f");
      for (int64_t m : {1, 2, 3, 7, 8, 9, 15, 23}) {
        SCOPED_TRACE("M = " + std::to_string(m));
        std::string staticSource = program(c.w, c.act, {m, 37, 256}, c.acc, c.aScheme);
        auto staticModule = lowbit::rt::compile(staticSource, options, diagnostics);
        ASSERT_TRUE(staticModule) << diagnostics;
        auto staticParsed = mlir::parseSourceString<mlir::ModuleOp>(staticSource, &ctx);
        auto staticFunc = staticParsed->lookupSymbol<mlir::func::FuncOp>("f");
        std::mt19937_64 rng(m);
        std::vector<lowbit::ref::HostTensor> inputs, fromDynamic, fromStatic;
        for (mlir::Type type : staticFunc.getArgumentTypes())
          inputs.push_back(
              lowbit::ref::HostTensor::random(llvm::cast<mlir::RankedTensorType>(type), rng));
        ASSERT_EQ(lowbit::ref::invokeOnHost(*staticModule, staticFunc, inputs, fromStatic), "");
        ASSERT_EQ(lowbit::ref::invokeOnHost(*dynamicModule, dynamicFunc, inputs, fromDynamic),
                  "");
        EXPECT_EQ(fromDynamic[0].shape, (std::vector<int64_t>{m, 37}));
        if ((!t->generic && !fallback) || std::string(c.acc) == "i32") {
          EXPECT_EQ(fromDynamic[0].codes, fromStatic[0].codes);
          continue;
        }
        // The reference lowering (generic, or a product the target's
        // kernels do not cover) sums a static M in blocks of rows and a
        // dynamic one row by row, in `reassoc` float sums: the same bound,
        // not the same bits.
        std::vector<lowbit::ref::HostTensor> expected;
        ASSERT_EQ(lowbit::ref::evaluate(dynamicFunc, inputs, expected), "");
        EXPECT_EQ(lowbit::ref::compare(expected[0], fromDynamic[0]).mismatches, 0u);
      }
    }
  }
}

/// --autotune: the first compile searches and writes one cache entry per
/// kind of product; a compile of other weights of that kind (and a dynamic
/// M) reads it; LOWBIT_CACHE=0 searches again and writes nothing. Tuned
/// kernels stay within the evaluator's bound.
TEST(X86KernelAutotune, SearchesOnceThenReadsTheCache) {
  if (!lowbit::target::checkRunnableOnHost(*lowbit::target::parseCPUTarget("x86-64-v3")).empty())
    GTEST_SKIP() << "host without AVX2";
  std::string dir = ::testing::TempDir() + "lowbit-autotune-test";
  std::filesystem::remove_all(dir);
  ::setenv("LOWBIT_CACHE_DIR", dir.c_str(), 1);
  ::unsetenv("LOWBIT_CACHE");
  auto entries = [&] {
    size_t n = 0;
    if (std::filesystem::exists(dir + "/autotune"))
      for (auto &e : std::filesystem::directory_iterator(dir + "/autotune"))
        n += e.path().extension() == ".txt";
    return n;
  };
  lowbit::rt::CompileOptions options;
  options.autotune = true;
  options.numThreads = 1;
  Shape s{3, 64, 256};
  Weight w = kWeights[10]; // gptq_u4_g128
  std::string diagnostics;
  auto first = lowbit::rt::compile(program(w, "f32", s), options, diagnostics);
  ASSERT_TRUE(first) << diagnostics;
  EXPECT_NE(diagnostics.find("remark: autotune: {activation_block = "), std::string::npos)
      << diagnostics;
  EXPECT_NE(diagnostics.find("(searched "), std::string::npos) << diagnostics;
  EXPECT_EQ(entries(), 1u);

  // Other weights of the same kind: from the cache.
  w.range = 0.5;
  std::string source = program(w, "f32", s);
  diagnostics.clear();
  auto second = lowbit::rt::compile(source, options, diagnostics);
  ASSERT_TRUE(second) << diagnostics;
  EXPECT_NE(diagnostics.find("(from the cache)"), std::string::npos) << diagnostics;
  EXPECT_EQ(entries(), 1u);
  mlir::MLIRContext ctx(registry());
  auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
  auto func = parsed->lookupSymbol<mlir::func::FuncOp>("f");
  std::mt19937_64 rng(4);
  std::vector<lowbit::ref::HostTensor> inputs{lowbit::ref::HostTensor::random(
      llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[0]), rng)};
  std::vector<lowbit::ref::HostTensor> actual, expected;
  ASSERT_EQ(lowbit::ref::invokeOnHost(*second, func, inputs, actual), "");
  lowbit::ref::EvaluateOptions policy;
  policy.int8ActivationBlocks = true;
  ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected, policy), "");
  EXPECT_EQ(lowbit::ref::compare(expected[0], actual[0]).mismatches, 0u);

  // A dynamic M is another kind (measured at M = 8).
  std::string dynamicSource = program(w, "f32", {999, 64, 256});
  for (size_t at; (at = dynamicSource.find("tensor<999x")) != std::string::npos;)
    dynamicSource.replace(at, 11, "tensor<?x");
  diagnostics.clear();
  ASSERT_TRUE(lowbit::rt::compile(dynamicSource, options, diagnostics)) << diagnostics;
  EXPECT_NE(diagnostics.find("(searched "), std::string::npos) << diagnostics;
  EXPECT_EQ(entries(), 2u);

  // No cache: searched, nothing written.
  ::setenv("LOWBIT_CACHE", "0", 1);
  w.range = 0.25;
  diagnostics.clear();
  ASSERT_TRUE(lowbit::rt::compile(program(w, "f32", s), options, diagnostics)) << diagnostics;
  EXPECT_NE(diagnostics.find("(searched "), std::string::npos) << diagnostics;
  EXPECT_EQ(entries(), 2u);
  ::unsetenv("LOWBIT_CACHE");
  ::unsetenv("LOWBIT_CACHE_DIR");
  std::filesystem::remove_all(dir);
}

/// A target this host cannot run is refused, not executed into SIGILL; an
/// unknown name lists the known ones.
TEST(X86KernelPolicy, TargetsAreChecked) {
  lowbit::rt::CompileOptions options;
  options.target = "pentium";
  std::string diagnostics;
  EXPECT_FALSE(lowbit::rt::compile("func.func @f() { return }", options, diagnostics));
  EXPECT_NE(diagnostics.find("unknown target 'pentium'; expected one of host, generic"),
            std::string::npos)
      << diagnostics;
  for (const char *name : kTargets) {
    auto t = lowbit::target::parseCPUTarget(name);
    std::string why = lowbit::target::checkRunnableOnHost(*t);
    options.target = name;
    diagnostics.clear();
    auto module = lowbit::rt::compile("func.func @f() { return }", options, diagnostics);
    EXPECT_EQ(!module, !why.empty()) << name << ": " << diagnostics;
    if (!why.empty())
      EXPECT_NE(diagnostics.find("cannot run on this host"), std::string::npos);
  }
}

} // namespace
