//===- BitplaneDecompose.cpp - Weights in the lookup-table kernel's planes -===//
//
// lowbit-bitplane-decompose: the products the lookup-table kernel takes get
// their weights stored in its nibble planes through lowbit.pack /
// lowbit.unpack, in the order of the target's lookups (bits<nibble_planes,
// W, B> for vpermb, bits<nibble_lanes, W, B> for vpshufb), so that the
// kernel reads a layout of the layout algebra instead of packing them
// itself, and run-time weights can come in that layout.
//
//===----------------------------------------------------------------------===//

#include "KernelPlan.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"
#include "lowbit/Conversion/Passes.h"
#include "lowbit/Dialect/Lowbit/Transforms/StoreInLayout.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITBITPLANEDECOMPOSE
#include "lowbit/Conversion/Passes.h.inc"

namespace {
struct LowbitBitplaneDecomposePass
    : impl::LowbitBitplaneDecomposeBase<LowbitBitplaneDecomposePass> {
  using LowbitBitplaneDecomposeBase::LowbitBitplaneDecomposeBase;

  void runOnOperation() override {
    X86KernelOptions options;
    options.target = ::lowbit::target::getCPUTarget(target);
    options.activationBlock = activationBlock;
    if (std::string e = checkX86KernelOptions(options); !e.empty()) {
      getOperation()->emitError() << getArgument() << ": " << e;
      return signalPassFailure();
    }
    WalkResult result = getOperation()->walk([&](MpGemmOp op) {
      FailureOr<X86KernelOptions> tuned = getTunedX86Options(op, options);
      if (failed(tuned))
        return WalkResult::interrupt();
      X86KernelOptions o = *tuned;
      o.assumeNibblePlanes = true;
      if (all) { // the kernel's own reason where it cannot take the product
        o.kernel = X86KernelKind::LookupTable;
        o.requireKernel = true;
      }
      std::string whyNot;
      FailureOr<x86kernel::KernelPlan> plan = x86kernel::planKernel(op, o, whyNot, true);
      if (succeeded(plan) && !plan->lut)
        whyNot = "the cost model keeps another kernel (the tables take 1-bit operands; `all` "
                 "takes every product they can)";
      else if (succeeded(plan) && plan->prepacked)
        return WalkResult::advance(); // stored so already
      else if (succeeded(plan) && op.getK() % plan->kb != 0)
        whyNot = "K (" + std::to_string(op.getK()) + ") is not a multiple of the block (" +
                 std::to_string(plan->kb) + " k)";
      if (failed(plan) || !whyNot.empty()) {
        if (reportFallbacks)
          op.emitRemark() << "mpgemm weights are not decomposed into bit planes on target '"
                          << options.target.name << "': " << whyNot;
        return WalkResult::advance();
      }
      auto layout = LayoutAttr::get(op.getContext(), LayoutKind::Bits, "",
                                    plan->shape.lutLanes ? BitLayoutKind::NibbleLanes
                                                         : BitLayoutKind::NibblePlanes,
                                    {static_cast<int64_t>(plan->codes.slotBits()), plan->kb});
      return failed(storeWeightsInLayout(op, layout)) ? WalkResult::interrupt()
                                                      : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::lowbit
