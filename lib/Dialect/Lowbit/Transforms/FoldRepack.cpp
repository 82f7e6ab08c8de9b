//===- FoldRepack.cpp - Store planned weights in their layout -------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"
#include "lowbit/Dialect/Lowbit/Transforms/StoreInLayout.h"

#include "mlir/IR/Builders.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITFOLDREPACK
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

LogicalResult storeWeightsInLayout(MpGemmOp op, LayoutAttr layout) {
  RankedTensorType b = op.getB().getType();
  int64_t rows = b.getDimSize(0), k = b.getDimSize(1);
  auto bits = layout.getBitLayout(rows, k);
  if (!bits)
    return op.emitOpError() << "b_layout " << layout << " does not fit B: " << bits.error();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto bytesType = RankedTensorType::get({bits->storageBytes()}, builder.getI8Type());
  // createOrFold: a constant B is repacked here, by the folder.
  Value packed = builder.createOrFold<PackOp>(loc, bytesType, op.getB(), BitOrderAttr(), layout);
  Value codes = UnpackOp::create(builder, loc, b, packed, BitOrderAttr(), layout);
  op.getBMutable().assign(codes);
  return success();
}

namespace {
struct LowbitFoldRepackPass : impl::LowbitFoldRepackBase<LowbitFoldRepackPass> {
  void runOnOperation() override {
    getOperation()->walk([&](MpGemmOp op) {
      LayoutAttr layout = op.getBLayoutAttr();
      if (!layout)
        return;
      if (failed(storeWeightsInLayout(op, layout)))
        return signalPassFailure();
      op.removeBLayoutAttr();
    });
  }
};
} // namespace
} // namespace mlir::lowbit
