//===- TargetMachine.h - The LLVM target machine of a CPU target -*- C++ -*-===//
//
// Shared by the JIT and the ahead-of-time compiler, so that both generate
// the same code: a named target gets its own CPU and features (x86-64-v3
// code uses no AVX-512 even on a host that has it), and another
// architecture's target its triple; host and generic get the host's. Without a target machine the optimizer's cost model sees no
// vector registers and the loop vectorizer does nothing.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_RUNTIME_TARGETMACHINE_H
#define LOWBIT_LIB_RUNTIME_TARGETMACHINE_H

#include "lowbit/Target/CPUTarget.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/TargetParser/SubtargetFeature.h"

namespace lowbit::rt::detail {

inline llvm::Expected<llvm::orc::JITTargetMachineBuilder>
targetMachineBuilder(const lowbit::target::CPUTarget &target) {
  // Another architecture's target (aarch64 on an x86 host): its triple,
  // for ahead-of-time code only (the JIT refuses to run it).
  if (target.isCross()) {
    llvm::orc::JITTargetMachineBuilder cross{
        llvm::Triple(lowbit::target::targetTriple(target.family))};
    cross.setCPU(target.cpu);
    llvm::SubtargetFeatures f;
    f.addFeaturesVector(llvm::SmallVector<std::string>(
        llvm::split(llvm::StringRef(target.llvmFeatureString()), ',')));
    cross.setFeatures(f.getString());
    return cross;
  }
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  if (std::string features = target.llvmFeatureString(); !features.empty()) {
    builder->setCPU(target.cpu);
    llvm::SubtargetFeatures f;
    f.addFeaturesVector(
        llvm::SmallVector<std::string>(llvm::split(llvm::StringRef(features), ',')));
    builder->setFeatures(f.getString());
  }
  return builder;
}

} // namespace lowbit::rt::detail

#endif
