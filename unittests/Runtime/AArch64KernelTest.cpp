//===- AArch64KernelTest.cpp - The AArch64 kernels under qemu --------------===//
//
// The format matrix of the x86 kernel tests (KernelCases.h: every weight
// format x f32/f16/bf16 activations x odd and even shapes) on the two
// AArch64 targets: `aarch64` (NEON + dotprod: sdot, tbl) and
// `aarch64+i8mm` (usdot), compiled ahead of time by the same lowering,
// linked with Debian's aarch64-linux-gnu-gcc and run under qemu-aarch64
// (lowbit/Runtime/Emulator.h; `aarch64` on a Cortex-A76, which has dotprod
// and no i8mm, so that an i8mm instruction in its code would fault). Each
// case checks the fast path was taken (or the fallback reported, for
// posits), every element within the fast-path policy's bound, and the
// relative L2 error; the lookup-table kernels asked for; the exact tables
// bit for bit against the byte-dot kernel; and int8 activations with i32
// accumulation bit for bit against the reference. Skipped, with the reason,
// where the cross tools are missing (scripts/check.sh installs them).
//
// One module per target and format holds every case of it (one compile and
// one link, then a run under qemu per case).
//
//===----------------------------------------------------------------------===//

#include "KernelCases.h"
#include "EmulatedModule.h"
#include "KernelChecks.h"

#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/AOT.h"
#include "lowbit/Runtime/Emulator.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

namespace {
using namespace lowbit::test;

const char *kArmTargets[] = {"aarch64", "aarch64+i8mm"};

bool grouped(const Weight &w) {
  return groupedScheme(w);
}

std::string caseFunction(size_t shape, const std::string &variant) {
  return "f" + std::to_string(shape) + "_" + variant;
}

/// Every shape x activation type of `w` (with `tuning`), checked within the
/// fast-path policy's bound.
void runMatrix(const char *target, const Weight &w, const char *tuning) {
  const auto &shapes = grouped(w) ? kGroupShapes : kShapes;
  std::string source;
  for (size_t s = 0; s < std::size(kShapes); ++s)
    for (const char *act : kActivations)
      source += program(w, act, shapes[s], "f32", false, tuning, caseFunction(s, act));
  std::unique_ptr<Emulated> m = emulate(source, target);
  if (!m)
    return;
  const std::string &d = m->diagnostics;
  if (std::string(w.type).find("posit") != std::string::npos)
    // Posits have no arithmetic decode and no byte operand holds them:
    // the reference path, with the reason.
    EXPECT_NE(d.find("the bf16 kernel is x86 only"), std::string::npos) << d;
  else
    EXPECT_EQ(d.find("reference path"), std::string::npos) << d;
  EXPECT_EQ(d.find("asks for kernel"), std::string::npos) << d;
  auto t = lowbit::target::parseCPUTarget(target);
  for (size_t s = 0; s < std::size(kShapes); ++s)
    for (const char *act : kActivations) {
      std::string name = caseFunction(s, act);
      SCOPED_TRACE(std::string(target) + " " + w.name + " " + name);
      auto func = m->parsed->lookupSymbol<mlir::func::FuncOp>(name);
      const lowbit::rt::FunctionSignature *sig = m->find(name);
      ASSERT_TRUE(func && sig);
      std::mt19937_64 rng(shapes[s].m * 7 + shapes[s].k);
      std::vector<lowbit::ref::HostTensor> inputs{lowbit::ref::HostTensor::random(
          llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[0]), rng)};
      expectWithinPolicyBound(*sig, m->invoker(*sig), func, inputs, *t);
    }
}

class AArch64Kernel : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(AArch64Kernel, MatchesEvaluatorWithinBound) {
  auto [target, w] = GetParam();
  runMatrix(target, w, nullptr);
}

INSTANTIATE_TEST_SUITE_P(Formats, AArch64Kernel,
                         ::testing::Combine(::testing::ValuesIn(kArmTargets),
                                            ::testing::ValuesIn(kWeights)),
                         targetFormatName<Weight>);

/// The lookup-table kernel asked for (tbl over four table registers, summed
/// by sdot or usdot) on every integer format, i8 and 7 bits included.
class AArch64LutKernel : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(AArch64LutKernel, MatchesEvaluatorWithinTableBound) {
  auto [target, w] = GetParam();
  runMatrix(target, w, kLutTuning);
}

std::vector<std::tuple<const char *, Weight>> integerCases(bool withInt7) {
  std::vector<std::tuple<const char *, Weight>> cases;
  for (const char *target : kArmTargets) {
    for (const Weight &w : kIntegerWeights)
      cases.emplace_back(target, w);
    if (withInt7)
      cases.emplace_back(target, kInt7);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(IntegerFormats, AArch64LutKernel, ::testing::ValuesIn(integerCases(true)),
                         targetFormatName<Weight>);

/// Exact tables against the byte-dot kernel, bit for bit, and i32 results
/// against the reference, for float and int8 activations (as
/// X86ExactLutKernel); then int8 activations with the cost model's kernel,
/// i32 and f32 accumulation (as X86KernelInt8).
class AArch64ExactKernel : public ::testing::TestWithParam<std::tuple<const char *, Weight>> {};

TEST_P(AArch64ExactKernel, BitIdenticalToByteDotAndReference) {
  auto [target, w] = GetParam();
  struct Variant {
    const char *act, *acc;
    bool aScheme;
    std::string name() const {
      return std::string(act) + "_" + acc + (aScheme ? "_scaled" : "");
    }
  };
  const Variant variants[] = {{"f32", "f32", false}, {"bf16", "f32", false}, {"i8", "f32", false},
                              {"i8", "i32", false},  {"i8", "i32", true}};
  const auto &shapes = grouped(w) ? kGroupShapes : kShapes;
  auto skipped = [&](const Variant &v) {
    // A scaled A needs a scaled result; i32 sums need scales constant along K.
    return (v.aScheme && !w.scheme) || (grouped(w) && std::string(v.acc) == "i32");
  };
  std::string source;
  for (size_t s = 0; s < std::size(kShapes); ++s)
    for (const Variant &v : variants) {
      if (skipped(v))
        continue;
      source += program(w, v.act, shapes[s], v.acc, v.aScheme, kExactLutTuning,
                        caseFunction(s, "exact_" + v.name()));
      source += program(w, v.act, shapes[s], v.acc, v.aScheme, kByteDotTuning,
                        caseFunction(s, "bytes_" + v.name()));
      if (std::string(v.act) == "i8")
        source += program(w, v.act, shapes[s], v.acc, v.aScheme, nullptr,
                          caseFunction(s, "auto_" + v.name()));
    }
  std::unique_ptr<Emulated> m = emulate(source, target);
  if (!m)
    return;
  EXPECT_EQ(m->diagnostics.find("asks for kernel"), std::string::npos) << m->diagnostics;
  EXPECT_EQ(m->diagnostics.find("reference path"), std::string::npos) << m->diagnostics;
  for (size_t s = 0; s < std::size(kShapes); ++s)
    for (const Variant &v : variants) {
      if (skipped(v))
        continue;
      SCOPED_TRACE(std::string(target) + " " + w.name + " shape " + std::to_string(s) + " " +
                   v.name());
      std::vector<lowbit::ref::HostTensor> inputs, tables, bytes, chosen, expected;
      std::mt19937_64 rng(shapes[s].m * 11 + shapes[s].k);
      m->run(caseFunction(s, "exact_" + v.name()), rng, inputs, tables);
      rng.seed(shapes[s].m * 11 + shapes[s].k);
      m->run(caseFunction(s, "bytes_" + v.name()), rng, inputs, bytes);
      if (HasFatalFailure())
        return;
      EXPECT_EQ(tables[0].codes, bytes[0].codes); // bit for bit
      auto func = m->parsed->lookupSymbol<mlir::func::FuncOp>(caseFunction(s, "exact_" + v.name()));
      ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected), "");
      if (std::string(v.acc) == "i32")
        EXPECT_EQ(tables[0].codes, expected[0].codes);
      if (std::string(v.act) != "i8")
        continue;
      rng.seed(shapes[s].m * 11 + shapes[s].k);
      m->run(caseFunction(s, "auto_" + v.name()), rng, inputs, chosen);
      if (HasFatalFailure())
        return;
      if (std::string(v.acc) == "i32") {
        EXPECT_EQ(chosen[0].codes, expected[0].codes); // bit for bit
      } else {
        lowbit::ref::Comparison c = lowbit::ref::compare(expected[0], chosen[0]);
        EXPECT_EQ(c.mismatches, 0u) << c.maxError;
      }
    }
}

INSTANTIATE_TEST_SUITE_P(IntegerFormats, AArch64ExactKernel,
                         ::testing::ValuesIn(integerCases(true)), targetFormatName<Weight>);

/// The JIT refuses another architecture's target (it would run it on this
/// CPU), naming how to run it instead.
TEST(AArch64Target, JITRefusesAndSaysWhatRunsIt) {
  auto t = lowbit::target::parseCPUTarget("aarch64");
  ASSERT_TRUE(t);
  if (!t->isCross())
    GTEST_SKIP() << "an AArch64 host";
  std::string why = lowbit::target::checkRunnableOnHost(*t);
  EXPECT_NE(why.find("code for target 'aarch64' is for aarch64-unknown-linux-gnu"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("lowbit-run --emulator"), std::string::npos) << why;
}

} // namespace
