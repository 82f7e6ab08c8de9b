//===- KernelChecks.h - Fast-path results against the evaluator -*- C++ -*-===//
//
// What the x86 kernel tests check for every case: the compiled function's
// outputs against the reference evaluator within the bound of the target's
// fast-path policies (ReferenceEvaluator's fastPathPolicy: int8 activation
// blocks, and int8 tables where the lookup-table kernel can run), every
// element, and the
// relative L2 error of output 0 below `maxRelativeL2` (int8 activation
// blocks give about 3e-3; a wrong scale or a lost k shows far above 1e-2).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_UNITTESTS_RUNTIME_KERNELCHECKS_H
#define LOWBIT_UNITTESTS_RUNTIME_KERNELCHECKS_H

#include "lowbit/Runtime/Module.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <string>
#include <tuple>

namespace lowbit::test {

/// Runs `func` compiled in `module` on `inputs`, evaluates it, and checks
/// the outputs; returns them (empty after a fatal failure).
/// (`sig` and `invoke` call the function: code run under an emulator.)
inline std::vector<ref::HostTensor>
expectWithinPolicyBound(const rt::FunctionSignature &sig, const ref::Invoker &invoke,
                        mlir::func::FuncOp func, const std::vector<ref::HostTensor> &inputs,
                        const target::CPUTarget &target, double maxRelativeL2 = 1e-2) {
  std::vector<ref::HostTensor> actual, expected;
  std::string e = ref::invokeWith(sig, invoke, func, inputs, actual);
  EXPECT_EQ(e, "");
  ref::EvaluateOptions policy = ref::fastPathPolicy(target);
  std::string e2 = ref::evaluate(func, inputs, expected, policy);
  EXPECT_EQ(e2, "");
  if (!e.empty() || !e2.empty() || actual.empty() || expected.empty())
    return {};
  ref::Comparison c = ref::compare(expected[0], actual[0]);
  EXPECT_EQ(c.mismatches, 0u) << "max error " << c.maxError << ", tolerance up to "
                              << c.maxTolerance;
  double err = 0, norm = 0;
  for (size_t i = 0; i < actual[0].codes.size(); ++i) {
    double d = actual[0].value(i) - expected[0].value(i);
    err += d * d;
    norm += expected[0].value(i) * expected[0].value(i);
  }
  EXPECT_LT(std::sqrt(err / norm), maxRelativeL2) << "relative L2 error";
  return actual;
}

inline std::vector<ref::HostTensor>
expectWithinPolicyBound(const rt::CompiledModule &module, mlir::func::FuncOp func,
                        const std::vector<ref::HostTensor> &inputs,
                        const target::CPUTarget &target, double maxRelativeL2 = 1e-2) {
  const rt::FunctionSignature *sig = module.find(func.getName().str());
  EXPECT_TRUE(sig);
  if (!sig)
    return {};
  return expectWithinPolicyBound(
      *sig,
      [&](const std::vector<void *> &buffers, const std::vector<int64_t> &dims) {
        return module.invoke(sig->name, buffers, dims);
      },
      func, inputs, target, maxRelativeL2);
}

/// A gtest case name "target_format" for a (target, format) parameter
/// whose format has a `name`, with the characters names cannot hold as '_'.
template <class Format>
std::string targetFormatName(const ::testing::TestParamInfo<std::tuple<const char *, Format>> &info) {
  std::string name = std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
  for (char &c : name)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

} // namespace lowbit::test

#endif
