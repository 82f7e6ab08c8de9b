//===- BitSerialKernelTest.cpp - WpAq bit-serial products against the reference ===//
//
// Low-bit integer activations (signed, unsigned, bipolar; 1 to 8 bits) x
// constant integer weights (1 to 8 bits, ternary) with i32 accumulation:
// the bit-serial kernel's results (BitSerialKernel.cpp) must be the
// reference's bit for bit, for M = 1, 3 and 9 (dynamic M too), N not a
// multiple of the 16-row tile, K not a multiple of the 512-bit step, and
// weights stored N x K or K x N; on every x86 target this host runs
// (vpopcntq on znver4, the vpshufb count elsewhere) and on both AArch64
// targets under qemu (cnt + pairwise adds). Each module must take the
// kernel: no fallback remark.
//
//===----------------------------------------------------------------------===//

#include "EmulatedModule.h"

#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/AOT.h"
#include "lowbit/Runtime/DenseText.h"
#include "lowbit/Runtime/Emulator.h"
#include "lowbit/Runtime/JIT.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace {
namespace emu = lowbit::rt::emulator;

struct Operand {
  const char *name;
  const char *type;
  double range; ///< weights: f32 values uniform in [-range, range), cast
};

const Operand kActivations[] = {
    {"a1", "!lowbit.int<1, bipolar>", 0},  {"a1u", "!lowbit.int<1, unsigned>", 0},
    {"a2", "!lowbit.int<2>", 0},           {"a2u", "!lowbit.int<2, unsigned>", 0},
    {"a2b", "!lowbit.int<2, bipolar>", 0}, {"a3", "!lowbit.int<3>", 0},
    {"a4", "!lowbit.int<4>", 0},           {"a4u", "!lowbit.int<4, unsigned>", 0},
    {"a8", "!lowbit.int<8>", 0},           {"a8u", "!lowbit.int<8, unsigned>", 0},
};
const Operand kWeights[] = {
    {"w1", "!lowbit.int<1, bipolar>", 1.5}, {"w2", "!lowbit.int<2>", 2.0},
    {"w4", "!lowbit.int<4>", 8.0},          {"w4u", "!lowbit.int<4, unsigned>", 16.0},
    {"wt", "!lowbit.ternary", 1.5},         {"w8", "i8", 128.0},
    {"w8u", "!lowbit.int<8, unsigned>", 256.0},
};

struct Shape {
  int64_t m, n, k;
  bool transposed;
  bool dynamicM;
};
const Shape kShapes[] = {{1, 16, 512, true, false},
                         {3, 37, 200, true, false},
                         {9, 20, 1000, false, false},
                         {5, 33, 130, true, true}};

std::string fn(size_t s) { return "f" + std::to_string(s); }

/// One function per shape: C = A x W (W cast from f32 at compile time),
/// the bit-serial kernel asked for (the cost model would give most pairs
/// to the byte-dot kernel: convert-lowbit-to-x86-bit-serial.mlir).
std::string program(const Operand &a, const Operand &w, bool forced) {
  std::ostringstream os;
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    const Shape &s = kShapes[i];
    std::mt19937 rng(static_cast<unsigned>(s.n * 17 + s.k));
    std::uniform_real_distribution<float> dist(-static_cast<float>(w.range),
                                               static_cast<float>(w.range));
    std::vector<float> wf(s.n * s.k);
    for (float &x : wf)
      x = dist(rng);
    std::string m = s.dynamicM ? "?" : std::to_string(s.m);
    std::string at = "tensor<" + m + "x" + std::to_string(s.k) + "x" + a.type + ">";
    std::string dims = s.transposed ? std::to_string(s.n) + "x" + std::to_string(s.k)
                                    : std::to_string(s.k) + "x" + std::to_string(s.n);
    std::string ft = "tensor<" + dims + "xf32>", wt = "tensor<" + dims + "x" + w.type + ">";
    std::string ct = "tensor<" + m + "x" + std::to_string(s.n) + "xi32>";
    os << "func.func @" << fn(i) << "(%a: " << at << ") -> " << ct << " {\n"
       << "  %wf = arith.constant dense<" << lowbit::rt::denseHexF32(wf) << "> : " << ft << "\n"
       << "  %w = lowbit.cast %wf : " << ft << " to " << wt << "\n"
       << "  %c = lowbit.mpgemm %a, %w {acc_type = i32" << (s.transposed ? ", transpose_b" : "")
       << (forced ? ", lowbit.x86_tuning = {kernel = \"bit-serial\"}" : "") << "} : " << at << ", " << wt << " -> " << ct << "\n"
       << "  return %c : " << ct << "\n}\n";
  }
  return os.str();
}

mlir::DialectRegistry registry() {
  mlir::DialectRegistry r;
  mlir::lowbit::registerReferencePipelineDialects(r);
  return r;
}

const char *kTargets[] = {"znver4", "x86-64-v4", "x86-64-v3", "aarch64", "aarch64+i8mm"};

/// (target, activations, weights, the bit-serial kernel asked for: else
/// the cost model's choice, mostly the byte-dot kernel on i8 values)
using Case = std::tuple<const char *, Operand, Operand, bool>;
class BitSerialKernel : public ::testing::TestWithParam<Case> {};

TEST_P(BitSerialKernel, BitExactWithReference) {
  auto [target, a, w, forced] = GetParam();
  auto t = lowbit::target::parseCPUTarget(target);
  ASSERT_TRUE(t);
  bool emulated = t->isCross();
  if (std::string why = emulated ? emu::unavailable(target) : lowbit::target::checkRunnableOnHost(*t);
      !why.empty())
    GTEST_SKIP() << why;
  std::string source = program(a, w, forced);
  std::string diagnostics;
  std::shared_ptr<const lowbit::rt::CompiledModule> module;
  std::unique_ptr<lowbit::test::Emulated> emulatedModule;
  if (emulated) {
    emulatedModule = lowbit::test::emulate(source, target);
    if (!emulatedModule)
      return;
    diagnostics = emulatedModule->diagnostics;
  } else {
    lowbit::rt::CompileOptions options;
    options.target = target;
    options.optLevel = 2;
    options.reportFallbacks = true;
    options.numThreads = std::string(target) == "x86-64-v4" ? 2 : 1; // OpenMP too
    module = lowbit::rt::compile(source, options, diagnostics);
    ASSERT_TRUE(module) << diagnostics;
  }
  EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
  EXPECT_EQ(diagnostics.find("asks for kernel"), std::string::npos) << diagnostics;

  mlir::MLIRContext ctx(registry());
  auto parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
  ASSERT_TRUE(parsed);
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    SCOPED_TRACE(std::string(target) + " " + a.name + " x " + w.name + " shape " +
                 std::to_string(i));
    auto func = parsed->lookupSymbol<mlir::func::FuncOp>(fn(i));
    auto aType = llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[0]);
    std::mt19937_64 rng(kShapes[i].m * 13 + kShapes[i].k);
    std::vector<int64_t> shape{kShapes[i].m, kShapes[i].k};
    std::vector<lowbit::ref::HostTensor> inputs{
        lowbit::ref::HostTensor::random(aType, rng, false, shape)},
        actual, expected;
    if (emulated) {
      const lowbit::rt::FunctionSignature *sig = emulatedModule->find(fn(i));
      ASSERT_TRUE(sig);
      ASSERT_EQ(lowbit::ref::invokeWith(*sig, emulatedModule->invoker(*sig), func, inputs, actual),
                "");
    } else {
      ASSERT_EQ(lowbit::ref::invokeOnHost(*module, func, inputs, actual), "");
    }
    ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected), "");
    EXPECT_EQ(actual[0].codes, expected[0].codes); // bit for bit
  }
}

std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  std::string name = std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name +
                     "_" + std::get<2>(info.param).name + (std::get<3>(info.param) ? "" : "_auto");
  for (char &c : name)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Formats, BitSerialKernel,
                         ::testing::Combine(::testing::ValuesIn(kTargets),
                                            ::testing::ValuesIn(kActivations),
                                            ::testing::ValuesIn(kWeights),
                                            ::testing::Values(true)),
                         caseName);

/// The cost model's choice (the byte-dot kernel on the codes' i8 values
/// for most pairs, the bit-serial one where it pays or the byte-dot one
/// cannot take the product: unsigned 8-bit activations) is exact too.
const Operand kAutoActivations[] = {kActivations[0], kActivations[2], kActivations[4],
                                    kActivations[6], kActivations[9]};
INSTANTIATE_TEST_SUITE_P(CostModel, BitSerialKernel,
                         ::testing::Combine(::testing::ValuesIn(kTargets),
                                            ::testing::ValuesIn(kAutoActivations),
                                            ::testing::ValuesIn(kWeights),
                                            ::testing::Values(false)),
                         caseName);

/// What the bit-serial kernel does not take goes to the byte-dot kernel on
/// the codes' values as i8 where they fit (run-time weights, f32 results),
/// else to the reference path with both reasons.
TEST(BitSerialKernel, OtherProductsTakeByteDotOrSayWhy) {
  if (!lowbit::target::checkRunnableOnHost(*lowbit::target::parseCPUTarget("x86-64-v3")).empty())
    GTEST_SKIP() << "host without AVX2";
  struct Case {
    const char *source, *message; ///< null: a fast path (no remark)
  } cases[] = {
      {"func.func @f(%a: tensor<2x64x!lowbit.int<2>>, %w: tensor<8x64x!lowbit.int<2>>) -> "
       "tensor<2x8xi32> {\n  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b} : "
       "tensor<2x64x!lowbit.int<2>>, tensor<8x64x!lowbit.int<2>> -> tensor<2x8xi32>\n  return %c "
       ": tensor<2x8xi32>\n}\n",
       nullptr},
      {"func.func @f(%a: tensor<2x64x!lowbit.int<2>>) -> tensor<2x8xf32> {\n  %wf = "
       "arith.constant dense<1.0> : tensor<8x64xf32>\n  %w = lowbit.cast %wf : tensor<8x64xf32> to "
       "tensor<8x64x!lowbit.int<2>>\n  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : "
       "tensor<2x64x!lowbit.int<2>>, tensor<8x64x!lowbit.int<2>> -> tensor<2x8xf32>\n  return %c "
       ": tensor<2x8xf32>\n}\n",
       nullptr},
      {"func.func @f(%a: tensor<2x64x!lowbit.ternary>) -> tensor<2x8xi32> {\n  %wf = "
       "arith.constant dense<1.0> : tensor<8x64xf32>\n  %w = lowbit.cast %wf : tensor<8x64xf32> to "
       "tensor<8x64x!lowbit.int<2>>\n  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b} : "
       "tensor<2x64x!lowbit.ternary>, tensor<8x64x!lowbit.int<2>> -> tensor<2x8xi32>\n  return %c "
       ": tensor<2x8xi32>\n}\n",
       "the bit-serial kernel needs activation codes that are their operand xor a constant, every "
       "code with a value; as i8 activations: the activations' values do not fit i8"},
      {"func.func @f(%a: tensor<2x64x!lowbit.int<8, unsigned>>) -> tensor<2x8xf32> {\n  %wf = "
       "arith.constant dense<1.0> : tensor<8x64xf32>\n  %w = lowbit.cast %wf : tensor<8x64xf32> to "
       "tensor<8x64x!lowbit.int<2>>\n  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : "
       "tensor<2x64x!lowbit.int<8, unsigned>>, tensor<8x64x!lowbit.int<2>> -> tensor<2x8xf32>\n  "
       "return %c : tensor<2x8xf32>\n}\n",
       "the bit-serial kernel (low-bit integer activations) takes i32 accumulation and results "
       "without scales; as i8 activations: the activations' values do not fit i8"},
  };
  for (const Case &c : cases) {
    lowbit::rt::CompileOptions options;
    options.target = "x86-64-v3";
    options.reportFallbacks = true;
    std::string diagnostics;
    auto module = lowbit::rt::compile(c.source, options, diagnostics);
    ASSERT_TRUE(module) << diagnostics;
    if (c.message)
      EXPECT_NE(diagnostics.find(std::string("takes the reference path on target 'x86-64-v3': ") +
                                 c.message),
                std::string::npos)
          << diagnostics;
    else
      EXPECT_EQ(diagnostics.find("reference path"), std::string::npos) << diagnostics;
  }
}

} // namespace
