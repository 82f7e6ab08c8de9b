//===- EmulatedModule.h - Test modules run under an emulator -----*- C++ -*-===//
//
// A module compiled ahead of time for another architecture's target
// (aarch64), linked for the emulator (lowbit/Runtime/Emulator.h), with its
// parsed source for the evaluator: what the AArch64 kernel tests run.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_UNITTESTS_RUNTIME_EMULATEDMODULE_H
#define LOWBIT_UNITTESTS_RUNTIME_EMULATEDMODULE_H

#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/AOT.h"
#include "lowbit/Runtime/Emulator.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace lowbit::test {
namespace emu = lowbit::rt::emulator;

inline mlir::DialectRegistry evaluatorRegistry() {
  mlir::DialectRegistry r;
  mlir::lowbit::registerReferencePipelineDialects(r);
  return r;
}

/// A module compiled for an AArch64 target and linked for the emulator,
/// with its parsed source for the evaluator.
struct Emulated {
  lowbit::rt::AOTOutput out;
  emu::Program program;
  std::string diagnostics;
  mlir::MLIRContext ctx{evaluatorRegistry()};
  mlir::OwningOpRef<mlir::ModuleOp> parsed;

  const lowbit::rt::FunctionSignature *find(const std::string &name) const {
    for (const lowbit::rt::FunctionSignature &s : out.signatures)
      if (s.name == name)
        return &s;
    return nullptr;
  }

  /// Runs @name on random inputs (seeded) through the emulator.
  void run(const std::string &name, std::mt19937_64 &rng,
           std::vector<lowbit::ref::HostTensor> &inputs,
           std::vector<lowbit::ref::HostTensor> &outputs) {
    auto func = parsed->lookupSymbol<mlir::func::FuncOp>(name);
    const lowbit::rt::FunctionSignature *sig = find(name);
    ASSERT_TRUE(func && sig) << name;
    inputs.clear();
    for (mlir::Type type : func.getArgumentTypes())
      inputs.push_back(
          lowbit::ref::HostTensor::random(llvm::cast<mlir::RankedTensorType>(type), rng));
    ASSERT_EQ(lowbit::ref::invokeWith(*sig, invoker(*sig), func, inputs, outputs), "");
  }

  lowbit::ref::Invoker invoker(const lowbit::rt::FunctionSignature &sig) const {
    return [this, &sig](const std::vector<void *> &buffers, const std::vector<int64_t> &dims) {
      return emu::run(program, sig, buffers, dims);
    };
  }
};

/// Compiles and links `source` for `target`; a fatal failure or a skip
/// (no cross tools) leaves null.
inline std::unique_ptr<Emulated> emulate(const std::string &source, const char *target) {
  if (std::string why = emu::unavailable(target); !why.empty()) {
    [&] { GTEST_SKIP() << why; }();
    return nullptr;
  }
  auto m = std::make_unique<Emulated>();
  lowbit::rt::AOTOptions options;
  options.target = target;
  options.optLevel = 2;
  options.reportFallbacks = true;
  options.prefix = "lowbit_emulated";
  options.textStages = false;
  bool ok = lowbit::rt::compileAhead(source, options, m->out, m->diagnostics);
  EXPECT_TRUE(ok) << m->diagnostics << source.substr(0, 2000);
  if (!ok)
    return nullptr;
  std::string why;
  std::string e = emu::build(m->out, emu::emulatorFor(target, "", why), m->program);
  EXPECT_EQ(e, "");
  if (!e.empty())
    return nullptr;
  m->parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &m->ctx);
  EXPECT_TRUE(m->parsed);
  return m->parsed ? std::move(m) : nullptr;
}

} // namespace lowbit::test

#endif
