//===- LowbitToX86.cpp - The convert-lowbit-to-x86 pass -------------------===//

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"
#include "lowbit/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_CONVERTLOWBITTOX86
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

struct ConvertLowbitToX86Pass : impl::ConvertLowbitToX86Base<ConvertLowbitToX86Pass> {
  using ConvertLowbitToX86Base::ConvertLowbitToX86Base;

  void runOnOperation() override {
    X86KernelOptions options;
    options.target = ::lowbit::target::getCPUTarget(target);
    options.activationBlock = activationBlock;
    options.prefetchDistance = prefetchDistance;
    options.rowsPerPass = rowsPerPass;
    if (std::string e = checkX86KernelOptions(options); !e.empty()) {
      getOperation()->emitError() << "convert-lowbit-to-x86: " << e;
      return signalPassFailure();
    }
    // Per-product tuning (lowbit.x86_tuning) is checked before any rewrite.
    WalkResult tuning = getOperation()->walk([&](MpGemmOp op) {
      return failed(getTunedX86Options(op, options)) ? WalkResult::interrupt()
                                                     : WalkResult::advance();
    });
    if (tuning.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateLowbitToX86Patterns(patterns, options);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    if (!reportFallbacks)
      return;
    // What stayed: each product with the reason (like -Rpass-missed).
    getOperation()->walk([&](MpGemmOp op) {
      op.emitRemark() << "mpgemm takes the reference path on target '" << options.target.name
                      << "': " << whyNotLowerableToX86(op, *getTunedX86Options(op, options));
    });
  }
};
} // namespace
} // namespace mlir::lowbit

void mlir::lowbit::populateLowbitToX86Patterns(RewritePatternSet &patterns,
                                               const X86KernelOptions &options) {
  patterns.add<MpGemmToX86Lowering>(patterns.getContext(), options);
}
