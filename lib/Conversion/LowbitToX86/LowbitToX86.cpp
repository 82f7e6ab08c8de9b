//===- LowbitToX86.cpp - convert-lowbit-to-x86 and lowbit-lower-to-lut ----===//

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"
#include "lowbit/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_CONVERTLOWBITTOX86
#define GEN_PASS_DEF_LOWBITLOWERTOLUT
#include "lowbit/Conversion/Passes.h.inc"

namespace {
struct MpGemmToX86Lowering : OpRewritePattern<MpGemmOp> {
  MpGemmToX86Lowering(MLIRContext *ctx, const X86KernelOptions &options)
      : OpRewritePattern(ctx), options(options) {}
  LogicalResult matchAndRewrite(MpGemmOp op, PatternRewriter &rewriter) const override {
    std::string whyNot;
    if (succeeded(lowerMpGemmToX86(rewriter, op, options, whyNot)))
      return success();
    return rewriter.notifyMatchFailure(op, whyNot);
  }
  X86KernelOptions options;
};

/// The rewrite both passes run: the options and every product's
/// lowbit.x86_tuning checked first, then the products rewritten; with
/// `reportFallbacks` a remark on each product left (`left` names what it
/// was not lowered to) and on each that asks for a kernel it cannot take.
LogicalResult rewriteProducts(ModuleOp module, const X86KernelOptions &options,
                              bool reportFallbacks, StringRef passName, StringRef left) {
  if (std::string e = checkX86KernelOptions(options); !e.empty())
    return module->emitError() << passName << ": " << e;
  WalkResult tuning = module->walk([&](MpGemmOp op) {
    return failed(getTunedX86Options(op, options)) ? WalkResult::interrupt()
                                                   : WalkResult::advance();
  });
  if (tuning.wasInterrupted())
    return failure();
  if (reportFallbacks && !options.requireKernel)
    module->walk([&](MpGemmOp op) {
      X86KernelOptions asked = *getTunedX86Options(op, options);
      if (asked.kernel == X86KernelKind::Auto)
        return;
      asked.requireKernel = true;
      if (std::string why = whyNotLowerableToX86(op, asked); !why.empty())
        op.emitRemark() << "mpgemm asks for kernel '" << stringifyX86KernelKind(asked.kernel)
                        << "' on target '" << options.target.name << "', which cannot take it: "
                        << why << " (the cost model chooses)";
    });
  RewritePatternSet patterns(module->getContext());
  populateLowbitToX86Patterns(patterns, options);
  walkAndApplyPatterns(module, std::move(patterns));
  if (!reportFallbacks)
    return success();
  // What stayed: each product with the reason (like -Rpass-missed).
  module->walk([&](MpGemmOp op) {
    op.emitRemark() << "mpgemm " << left << " on target '" << options.target.name
                    << "': " << whyNotLowerableToX86(op, *getTunedX86Options(op, options));
  });
  return success();
}

struct ConvertLowbitToX86Pass : impl::ConvertLowbitToX86Base<ConvertLowbitToX86Pass> {
  using ConvertLowbitToX86Base::ConvertLowbitToX86Base;

  void runOnOperation() override {
    X86KernelOptions options;
    options.target = ::lowbit::target::getCPUTarget(target);
    options.activationBlock = activationBlock;
    options.prefetchDistance = prefetchDistance;
    options.rowsPerPass = rowsPerPass;
    if (failed(rewriteProducts(getOperation(), options, reportFallbacks, getArgument(),
                               "takes the reference path")))
      signalPassFailure();
  }
};

struct LowbitLowerToLUTPass : impl::LowbitLowerToLUTBase<LowbitLowerToLUTPass> {
  using LowbitLowerToLUTBase::LowbitLowerToLUTBase;

  void runOnOperation() override {
    X86KernelOptions options;
    options.target = ::lowbit::target::getCPUTarget(target);
    options.activationBlock = activationBlock;
    options.kernel = X86KernelKind::LookupTable;
    options.tables = tables;
    options.requireKernel = true;
    int64_t block = activationBlock;
    if (block < 32 || block > 256 || (block & (block - 1))) { // a vector of nibbles holds 32 k
      getOperation()->emitError() << getArgument()
                                  << ": activation-block must be a power of two from 32 to 256, "
                                     "got "
                                  << block;
      return signalPassFailure();
    }
    if (failed(rewriteProducts(getOperation(), options, reportFallbacks, getArgument(),
                               "is not lowered to lookup tables")))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::lowbit

void mlir::lowbit::populateLowbitToX86Patterns(RewritePatternSet &patterns,
                                               const X86KernelOptions &options) {
  patterns.add<MpGemmToX86Lowering>(patterns.getContext(), options);
}
