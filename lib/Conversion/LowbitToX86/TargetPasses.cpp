//===- TargetPasses.cpp - Passes that tie generated code to its CPU target ===//
//
// lowbit-check-target-features: LLVM aborts the process on an intrinsic the
// target machine cannot select; this check turns that into a located error
// before code generation. lowbit-annotate-target: every LLVM function says
// which CPU and features it was generated for, so that code outside the
// JIT (an object file, a shared library) is compiled for the same target.
// convert-lowbit-intrinsics-to-llvm: lowbit.pure_intrinsic to LLVM calls.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/Passes.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITCHECKTARGETFEATURES
#include "lowbit/Conversion/Passes.h.inc"

namespace {
using ::lowbit::target::CPUFeature;

/// The x86 and AArch64 intrinsics lowbit emits and the features each one
/// needs.
struct IntrinsicNeeds {
  const char *name;
  std::initializer_list<CPUFeature> features;
};
const IntrinsicNeeds kIntrinsics[] = {
    {"llvm.x86.avx2.pshuf.b", {CPUFeature::AVX2}},
    {"llvm.x86.avx2.pmadd.ub.sw", {CPUFeature::AVX2}},
    {"llvm.x86.avx2.pmadd.wd", {CPUFeature::AVX2}},
    {"llvm.x86.avx512.pshuf.b.512", {CPUFeature::AVX512BW}},
    {"llvm.x86.avx512.pmaddubs.w.512", {CPUFeature::AVX512BW}},
    {"llvm.x86.avx512.pmaddw.d.512", {CPUFeature::AVX512BW}},
    {"llvm.x86.avx512.permvar.qi.512", {CPUFeature::AVX512VBMI}},
    {"llvm.x86.avx512.vpermi2var.qi.512", {CPUFeature::AVX512VBMI}},
    {"llvm.x86.avx512.vpdpbusd.512", {CPUFeature::AVX512VNNI}},
    {"llvm.x86.avx512.vpdpbusd.256", {CPUFeature::AVX512VNNI, CPUFeature::AVX512VL}},
    {"llvm.x86.avx512bf16.dpbf16ps.512", {CPUFeature::AVX512BF16}},
    {"llvm.aarch64.neon.tbl1.v16i8", {CPUFeature::NEON}},
    {"llvm.aarch64.neon.tbl4.v16i8", {CPUFeature::NEON}},
    {"llvm.aarch64.neon.sdot.v4i32.v16i8", {CPUFeature::NEON, CPUFeature::DotProd}},
    {"llvm.aarch64.neon.usdot.v4i32.v16i8", {CPUFeature::NEON, CPUFeature::I8MM}},
};

/// The architecture an intrinsic belongs to, by its prefix; null for the
/// target-independent ones (llvm.fma, llvm.prefetch, ...).
const char *architectureOf(StringRef name) {
  if (name.starts_with("llvm.x86."))
    return "x86";
  if (name.starts_with("llvm.aarch64."))
    return "AArch64";
  return nullptr;
}

struct LowbitCheckTargetFeaturesPass
    : impl::LowbitCheckTargetFeaturesBase<LowbitCheckTargetFeaturesPass> {
  using LowbitCheckTargetFeaturesBase::LowbitCheckTargetFeaturesBase;

  void runOnOperation() override {
    ::lowbit::target::CPUTarget t = ::lowbit::target::getCPUTarget(target);
    bool failed = false;
    getOperation()->walk([&](Operation *call) {
      StringRef name;
      if (auto c = dyn_cast<LLVM::CallIntrinsicOp>(call))
        name = c.getIntrin();
      else if (auto c = dyn_cast<PureIntrinsicOp>(call))
        name = c.getIntrin();
      const char *arch = architectureOf(name);
      if (!arch)
        return;
      bool x86 = StringRef(arch) == "x86";
      bool archMatches = x86 ? t.family == ::lowbit::target::CPUFamily::X86
                             : t.family == ::lowbit::target::CPUFamily::AArch64;
      if (!t.generic && !archMatches) {
        call->emitError() << "'" << name << "' is an " << arch << " intrinsic, and target '"
                          << t.name << "' is not " << arch;
        failed = true;
        return;
      }
      const IntrinsicNeeds *needs = nullptr;
      for (const IntrinsicNeeds &n : kIntrinsics)
        if (name == n.name)
          needs = &n;
      if (!needs) {
        call->emitError() << "'" << name << "' is an " << arch
                          << " intrinsic whose target features lowbit does not know";
        failed = true;
        return;
      }
      std::string missing;
      for (CPUFeature f : needs->features)
        if (t.generic || !t.has(f))
          missing += (missing.empty() ? "" : ", ") + std::string(featureName(f));
      if (!missing.empty()) {
        call->emitError() << "'" << name << "' needs " << missing << ", which target '" << t.name
                         << "' lacks";
        failed = true;
      }
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::lowbit

namespace mlir::lowbit {
#define GEN_PASS_DEF_CONVERTLOWBITINTRINSICSTOLLVM
#include "lowbit/Conversion/Passes.h.inc"

namespace {
struct ConvertLowbitIntrinsicsToLLVMPass
    : impl::ConvertLowbitIntrinsicsToLLVMBase<ConvertLowbitIntrinsicsToLLVMPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](PureIntrinsicOp op) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, LLVM::CallIntrinsicOp::create(rewriter, op.getLoc(),
                                                           op.getResult().getType(),
                                                           op.getIntrinAttr(), op.getArgs())
                                 ->getResults());
    });
  }
};
} // namespace
} // namespace mlir::lowbit

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITANNOTATETARGET
#include "lowbit/Conversion/Passes.h.inc"

namespace {
struct LowbitAnnotateTargetPass : impl::LowbitAnnotateTargetBase<LowbitAnnotateTargetPass> {
  using LowbitAnnotateTargetBase::LowbitAnnotateTargetBase;
  void runOnOperation() override {
    ::lowbit::target::CPUTarget t = ::lowbit::target::getCPUTarget(target);
    std::string features = t.llvmFeatureString();
    if (t.generic || t.name == "host") // the host's own: name them as detected
      features = ::lowbit::target::hostFeatureString();
    MLIRContext *ctx = &getContext();
    auto cpu = StringAttr::get(ctx, t.cpu);
    auto attr = LLVM::TargetFeaturesAttr::get(ctx, StringRef(features));
    getOperation()->walk([&](LLVM::LLVMFuncOp f) {
      if (f.isExternal())
        return;
      f.setTargetCpuAttr(cpu);
      f.setTargetFeaturesAttr(attr);
    });
  }
};
} // namespace
} // namespace mlir::lowbit
