//===- LowbitToX86.cpp - The convert-lowbit-to-x86 pass -------------------===//

#include "MpGemmToX86.h"

#include "lowbit/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_CONVERTLOWBITTOX86
#include "lowbit/Conversion/Passes.h.inc"

namespace {
struct ConvertLowbitToX86Pass : impl::ConvertLowbitToX86Base<ConvertLowbitToX86Pass> {
  using ConvertLowbitToX86Base::ConvertLowbitToX86Base;

  void runOnOperation() override {
    if (activationBlock < 8 || activationBlock > 256 ||
        (activationBlock & (activationBlock - 1))) {
      getOperation()->emitError() << "convert-lowbit-to-x86: activation-block must be a power "
                                     "of two from 8 to 256, got "
                                  << static_cast<int64_t>(activationBlock);
      return signalPassFailure();
    }
    X86KernelOptions options;
    options.target = ::lowbit::target::getCPUTarget(target);
    options.activationBlock = activationBlock;
    SmallVector<MpGemmOp> ops;
    getOperation()->walk([&](MpGemmOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (MpGemmOp op : ops) {
      std::string whyNot;
      if (succeeded(lowerMpGemmToX86(rewriter, op, options, whyNot)))
        continue;
      if (reportFallbacks)
        op.emitRemark() << "mpgemm takes the reference path on target '" << options.target.name
                        << "': " << whyNot;
    }
  }
};
} // namespace
} // namespace mlir::lowbit
