//===- X86RuntimeWeightsTest.cpp - x86 kernels on run-time weights -------===//
//
// Weights, scales and zero points passed as function arguments (one code
// per byte, N x K) instead of constants: the x86 kernels read them at run
// time (16 row reads and an in-register transpose per block; scales per
// row tile and group). Every format family (two's-complement, unsigned,
// bipolar and ternary integers; e2m1 and e2m3 codebooks; the bf16 kernel's
// e4m3 and posits) with and without schemes (GPTQ with zero points, MX,
// NVFP4 with its tensor scale, per channel), on each x86 target, M = 1, 3,
// 17 and N not a multiple of 16. The scheme's inputs are made by
// quantizing random weights (so that the scales are realistic), the others
// are random codes over every finite value. Each case checks that the fast
// path was taken (no fallback remark where the target has the kernel),
// every element against the evaluator within the policy's bound, and the
// relative L2 error.
//
//===----------------------------------------------------------------------===//

#include "KernelChecks.h"

#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/JIT.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

namespace {

struct Format {
  const char *name;
  const char *codes;  ///< element type of B
  const char *scheme; ///< preset, or nullptr: plain codes
  /// The types after the codes that the scheme's quantize returns, split
  /// by ';' (NxG replaced by the scale grid's shape).
  const char *params;
  int64_t group; ///< k per scale group (0: one per row)
  lowbit::target::CPUFeature needs; ///< the feature the kernel needs
  /// A code without a finite value (ternary's reserved 0b10), which the
  /// byte kernels cannot give as NaN: run-time weights of the format take
  /// the reference path, with a remark.
  bool reservedCode = false;
};

using lowbit::target::CPUFeature;
const Format kFormats[] = {
    {"int4", "!lowbit.int<4>", nullptr, "", 0, CPUFeature::AVX2},
    {"int2", "!lowbit.int<2>", nullptr, "", 0, CPUFeature::AVX2},
    {"bipolar1", "!lowbit.int<1, bipolar>", nullptr, "", 0, CPUFeature::AVX2},
    {"ternary", "!lowbit.ternary", nullptr, "", 0, CPUFeature::AVX2, true},
    {"e2m1", "f4E2M1FN", nullptr, "", 0, CPUFeature::AVX2},
    {"int8", "i8", nullptr, "", 0, CPUFeature::AVX512VNNI},
    {"gptq_u4_g128", "!lowbit.int<4, unsigned>", "gptq_u4_g128",
     "tensor<NxGxf16>;tensor<NxGx!lowbit.int<4, unsigned>>", 128, CPUFeature::AVX2},
    {"int8_per_channel", "i8", "int8_per_channel", "tensor<NxGxf32>", 0,
     CPUFeature::AVX512VNNI},
    {"mxfp4", "f4E2M1FN", "mxfp4", "tensor<NxGxf8E8M0FNU>", 32, CPUFeature::AVX2},
    {"nvfp4", "f4E2M1FN", "nvfp4", "tensor<NxGxf8E4M3FN>;tensor<f32>", 16, CPUFeature::AVX2},
    // A vpermb codebook or the bf16 kernel where the target has them, else
    // the f32 kernel (FMA).
    {"mxfp6_e2m3", "f6E2M3FN", "mxfp6_e2m3", "tensor<NxGxf8E8M0FNU>", 32, CPUFeature::FMA},
    {"mxfp8_e4m3", "f8E4M3FN", "mxfp8_e4m3", "tensor<NxGxf8E8M0FNU>", 32, CPUFeature::FMA},
    {"posit8", "!lowbit.posit<8, 0>", nullptr, "", 0, CPUFeature::AVX512BF16},
};

struct Shape {
  int64_t m, n, k;
};
const Shape kShapes[] = {{1, 64, 256}, {3, 37, 384}, {17, 20, 128}};

std::string tensor(int64_t a, int64_t b, const std::string &e) {
  return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" + e + ">";
}

std::string replaceAll(std::string s, const std::string &from, const std::string &to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

/// How the weights are passed: one code per byte, packed rows of bytes
/// (`lowbit.unpack ... order lsb_first`), or a tensor with the
/// `bits<lsb_first, W>` layout encoding (unpacked by `lowbit.unpack`).
enum class Packing { Bytes, Rows, Encoded };

unsigned codeBits(const Format &f) {
  std::string c = f.codes;
  if (c.find("<1") != std::string::npos)
    return 1;
  if (c.find("<2") != std::string::npos)
    return 2;
  return c.find("<4") != std::string::npos || c.find("f4") == 0 ? 4 : 8;
}

/// @f(a, w, params...) = a w^T with every weight operand an argument, and
/// (with a scheme) @q(wf) = quantize(wf) (packed like @f's weights), which
/// makes realistic inputs.
std::string program(const Format &f, const Shape &s, Packing packing = Packing::Bytes) {
  std::string at = tensor(s.m, s.k, "f32"), wt = tensor(s.n, s.k, f.codes);
  unsigned w = codeBits(f);
  std::string layout = "#lowbit.layout<bits<lsb_first, " + std::to_string(w) + ">>";
  std::string pt = packing == Packing::Rows ? tensor(s.n, s.k * w / 8, "i8")
                   : packing == Packing::Encoded
                       ? "tensor<" + std::to_string(s.n) + "x" + std::to_string(s.k) + "x" +
                             f.codes + ", " + layout + ">"
                       : wt;
  std::string unpack = packing == Packing::Rows      ? " order lsb_first"
                       : packing == Packing::Encoded ? ""
                                                     : "-";
  std::string ct = tensor(s.m, s.n, "f32");
  int64_t g = f.group ? s.k / f.group : 1;
  std::string params = replaceAll(f.params, "NxG", std::to_string(s.n) + "x" + std::to_string(g));
  std::vector<std::string> types;
  for (size_t from = 0; !params.empty();) {
    size_t end = params.find(';', from);
    types.push_back(params.substr(from, end - from));
    if (end == std::string::npos)
      break;
    from = end + 1;
  }
  std::ostringstream os;
  os << "func.func @f(%a: " << at << ", %" << (unpack == "-" ? "w" : "wp") << ": " << pt;
  std::string names, list;
  for (size_t i = 0; i < types.size(); ++i) {
    os << ", %p" << i << ": " << types[i];
    names += (i ? ", %p" : "%p") + std::to_string(i);
    list += (i ? ", " : "") + types[i];
  }
  os << ") -> " << ct << " {\n";
  if (unpack != "-")
    os << "  %w = lowbit.unpack %wp" << unpack << " : " << pt << " -> " << wt << "\n";
  os << "  %c = lowbit.mpgemm %a, %w";
  if (f.scheme)
    os << " [" << names << "] {b_scheme = #lowbit.scheme<" << f.scheme << ">, ";
  else
    os << " {";
  os << "acc_type = f32, transpose_b} : " << at << ", " << wt;
  if (f.scheme)
    os << " [" << list << "]";
  os << " -> " << ct << "\n  return %c : " << ct << "\n}\n";
  if (f.scheme) {
    std::string ft = tensor(s.n, s.k, "f32");
    os << "func.func @q(%wf: " << ft << ") -> (" << pt << ", " << list << ") {\n  %w, " << names
       << " = lowbit.quantize %wf {scheme = #lowbit.scheme<" << f.scheme << ">} : " << ft
       << " -> " << wt << ", " << list << "\n";
    std::string result = "%w";
    if (packing == Packing::Rows) {
      os << "  %wp = lowbit.pack %w order lsb_first : " << wt << " -> " << pt << "\n";
      result = "%wp";
    }
    os << "  return " << result << ", " << names << " : " << pt << ", " << list << "\n}\n";
  }
  return os.str();
}

mlir::DialectRegistry registry() {
  mlir::DialectRegistry r;
  mlir::lowbit::registerReferencePipelineDialects(r);
  return r;
}

void runCases(const char *target, const Format &f, Packing packing) {
  std::optional<lowbit::target::CPUTarget> t = lowbit::target::parseCPUTarget(target);
  ASSERT_TRUE(t);
  if (std::string e = lowbit::target::checkRunnableOnHost(*t); !e.empty())
    GTEST_SKIP() << e;
  for (const Shape &s : kShapes) {
    SCOPED_TRACE(std::string(target) + " " + f.name + " " + std::to_string(s.m) + "x" +
                 std::to_string(s.n) + "x" + std::to_string(s.k));
    std::string source = program(f, s, packing);
    lowbit::rt::CompileOptions options;
    options.target = target;
    options.numThreads = std::string(target) == "x86-64-v4" ? 2 : 1;
    options.reportFallbacks = true;
    std::string diagnostics;
    auto module = lowbit::rt::compile(source, options, diagnostics);
    ASSERT_TRUE(module) << diagnostics << source;
    bool fast = t->has(f.needs) && !f.reservedCode &&
                (f.needs != CPUFeature::AVX512BF16 || t->has(CPUFeature::AVX512VBMI));
    EXPECT_EQ(diagnostics.find("reference path") == std::string::npos, fast) << diagnostics;
    if (f.reservedCode)
      EXPECT_NE(diagnostics.find("codes without a finite value"), std::string::npos)
          << diagnostics;

    mlir::MLIRContext ctx(registry());
    auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
    ASSERT_TRUE(parsed);
    auto func = parsed->lookupSymbol<mlir::func::FuncOp>("f");
    std::mt19937_64 rng(s.m * 31 + s.n);
    std::vector<lowbit::ref::HostTensor> inputs;
    inputs.push_back(lowbit::ref::HostTensor::random(
        llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[0]), rng));
    if (auto q = parsed->lookupSymbol<mlir::func::FuncOp>("q")) {
      std::vector<lowbit::ref::HostTensor> wf{lowbit::ref::HostTensor::random(
          llvm::cast<mlir::RankedTensorType>(q.getArgumentTypes()[0]), rng)},
          quantized;
      ASSERT_EQ(lowbit::ref::evaluate(q, wf, quantized), "");
      for (lowbit::ref::HostTensor &h : quantized) {
        h.tolerance.clear();
        inputs.push_back(std::move(h));
      }
    } else {
      inputs.push_back(lowbit::ref::HostTensor::random(
          llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[1]), rng));
    }
    lowbit::test::expectWithinPolicyBound(*module, func, inputs, *t);
  }
}

class X86RuntimeWeights
    : public ::testing::TestWithParam<std::tuple<const char *, Format>> {};

TEST_P(X86RuntimeWeights, MatchEvaluatorWithinBound) {
  auto [target, f] = GetParam();
  runCases(target, f, Packing::Bytes);
}

/// Packed rows (the DLPack / llama.cpp order, two 4-bit codes per byte) and
/// the bits<lsb_first, W> encoding: read as they are, no unpacking.
class X86RuntimePackedWeights
    : public ::testing::TestWithParam<std::tuple<const char *, Format>> {};

TEST_P(X86RuntimePackedWeights, MatchEvaluatorWithinBound) {
  auto [target, f] = GetParam();
  runCases(target, f, Packing::Rows);
  if (!f.scheme && !::testing::Test::HasFailure())
    runCases(target, f, Packing::Encoded);
}

constexpr auto caseName = lowbit::test::targetFormatName<Format>;

const char *kTargets[] = {"znver4", "x86-64-v4", "x86-64-v3"};

INSTANTIATE_TEST_SUITE_P(Formats, X86RuntimeWeights,
                         ::testing::Combine(::testing::ValuesIn(kTargets),
                                            ::testing::ValuesIn(kFormats)),
                         caseName);

const Format kPackedFormats[] = {kFormats[0], kFormats[1], kFormats[2], kFormats[4],
                                 kFormats[6], kFormats[8], kFormats[9]};

INSTANTIATE_TEST_SUITE_P(Formats, X86RuntimePackedWeights,
                         ::testing::Combine(::testing::ValuesIn(kTargets),
                                            ::testing::ValuesIn(kPackedFormats)),
                         caseName);

/// The bf16 kernel decodes codes without a finite value to the bf16 NaN or
/// infinity: a run-time e4m3 NaN code makes its output column NaN, an e5m2
/// infinity its column infinite (or NaN), never a finite value.
TEST(X86RuntimeWeightsPolicy, NonFiniteCodesGiveNonFiniteColumns) {
  auto t = lowbit::target::parseCPUTarget("znver4");
  if (!lowbit::target::checkRunnableOnHost(*t).empty())
    GTEST_SKIP() << "host without AVX-512 BF16 and VBMI (znver4)";
  for (auto [type, code] : {std::pair{"f8E4M3FN", 0x7f}, {"f8E5M2", 0x7c}}) {
    SCOPED_TRACE(type);
    Format f{"nonfinite", type, nullptr, "", 0, CPUFeature::AVX512BF16};
    Shape s{2, 32, 64};
    lowbit::rt::CompileOptions options;
    options.target = "znver4";
    std::string diagnostics;
    auto module = lowbit::rt::compile(program(f, s), options, diagnostics);
    ASSERT_TRUE(module) << diagnostics;
    std::vector<float> a(s.m * s.k, 0.5f), c(s.m * s.n);
    std::vector<uint8_t> w(s.n * s.k, 0x38); // 1.0 in e4m3, 0.5 in e5m2
    w[5 * s.k + 17] = static_cast<uint8_t>(code);
    ASSERT_EQ(module->invoke("f", {a.data(), w.data(), c.data()}), "");
    for (int64_t r = 0; r < s.m; ++r)
      for (int64_t j = 0; j < s.n; ++j) {
        float v = c[r * s.n + j];
        if (j == 5)
          EXPECT_FALSE(std::isfinite(v)) << r;
        else
          EXPECT_TRUE(std::isfinite(v)) << r << "," << j;
      }
  }
}

} // namespace

namespace {
/// int8 activations x run-time integer weights with i32 accumulation: the
/// exact int32 sums (the codes' operands read at run time), bit-exact with
/// the evaluator, for an unscaled i32 result and per-channel f32 scales.
TEST(X86RuntimeWeightsPolicy, Int8ActivationsAreBitExact) {
  const char *source = R"mlir(
func.func @raw(%a: tensor<3x128xi8>, %w: tensor<20x128x!lowbit.int<4>>) -> tensor<3x20xi32> {
  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b}
      : tensor<3x128xi8>, tensor<20x128x!lowbit.int<4>> -> tensor<3x20xi32>
  return %c : tensor<3x20xi32>
}
func.func @scaled(%a: tensor<3x128xi8>, %w: tensor<20x128xi8>, %s: tensor<20x1xf32>) -> tensor<3x20xf32> {
  %c = lowbit.mpgemm %a, %w [%s] {b_scheme = #lowbit.scheme<int8_per_channel>, acc_type = i32, transpose_b}
      : tensor<3x128xi8>, tensor<20x128xi8> [tensor<20x1xf32>] -> tensor<3x20xf32>
  return %c : tensor<3x20xf32>
}
)mlir";
  for (const char *target : {"znver4", "x86-64-v4", "x86-64-v3"}) {
    auto t = lowbit::target::parseCPUTarget(target);
    if (!lowbit::target::checkRunnableOnHost(*t).empty())
      continue;
    SCOPED_TRACE(target);
    lowbit::rt::CompileOptions options;
    options.target = target;
    options.reportFallbacks = true;
    std::string diagnostics;
    auto module = lowbit::rt::compile(source, options, diagnostics);
    ASSERT_TRUE(module) << diagnostics;
    bool vnni = t->has(CPUFeature::AVX512VNNI);
    mlir::MLIRContext ctx(registry());
    auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
    for (const char *name : {"raw", "scaled"}) {
      SCOPED_TRACE(name);
      // int8 weights need VNNI (operands up to 255); int4 run everywhere.
      if (std::string(name) == "raw" || vnni)
        EXPECT_EQ(diagnostics.find("@" + std::string(name)), std::string::npos) << diagnostics;
      auto func = parsed->lookupSymbol<mlir::func::FuncOp>(name);
      std::mt19937_64 rng(9);
      std::vector<lowbit::ref::HostTensor> inputs;
      for (mlir::Type type : func.getArgumentTypes())
        inputs.push_back(
            lowbit::ref::HostTensor::random(llvm::cast<mlir::RankedTensorType>(type), rng));
      std::vector<lowbit::ref::HostTensor> actual, expected;
      ASSERT_EQ(lowbit::ref::invokeOnHost(*module, func, inputs, actual), "");
      ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected), "");
      EXPECT_EQ(actual[0].codes, expected[0].codes);
    }
  }
}
} // namespace
