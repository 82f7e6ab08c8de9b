//===- PlanLayout.cpp - Assign storage layouts to matrix weights ----------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITPLANLAYOUT
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

namespace {
/// Word size of the bit-plane target: one 32-bit word holds one bit of 32
/// consecutive k, so a popcount or LUT kernel reads 32 products per load.
constexpr int64_t kPlaneWordBits = 32;

struct LowbitPlanLayoutPass : impl::LowbitPlanLayoutBase<LowbitPlanLayoutPass> {
  using LowbitPlanLayoutBase::LowbitPlanLayoutBase;

  void runOnOperation() override {
    getOperation()->walk([&](MpGemmOp op) {
      if (op.getBLayoutAttr())
        return;
      RankedTensorType b = op.getB().getType();
      Type elem = b.getElementType();
      if (elem.isF32() || elem.isF16() || elem.isBF16())
        return;
      std::optional<::lowbit::num::Format> f = getFormat(elem);
      if (!f || f->bits() > 16)
        return;
      MLIRContext *ctx = op.getContext();
      int64_t w = f->bits();
      LayoutAttr layout = LayoutAttr::get(ctx, LayoutKind::Bits, "", BitLayoutKind::LSBFirst, {w});
      if (target == LayoutPlanTarget::Bitplane && op.getTransposeB() && b.getDimSize(1) % kPlaneWordBits == 0)
        layout = LayoutAttr::get(ctx, LayoutKind::Bits, "", BitLayoutKind::PlanesTiled,
                                 {w, kPlaneWordBits});
      op.setBLayoutAttr(layout);
    });
  }
};
} // namespace
} // namespace mlir::lowbit
