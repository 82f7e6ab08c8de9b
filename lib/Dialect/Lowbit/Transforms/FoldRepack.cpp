//===- FoldRepack.cpp - Store planned weights in their layout -------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITFOLDREPACK
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

namespace {
struct LowbitFoldRepackPass : impl::LowbitFoldRepackBase<LowbitFoldRepackPass> {
  void runOnOperation() override {
    getOperation()->walk([&](MpGemmOp op) {
      LayoutAttr layout = op.getBLayoutAttr();
      if (!layout)
        return;
      RankedTensorType b = op.getB().getType();
      int64_t rows = b.getDimSize(0), k = b.getDimSize(1);
      auto bits = layout.getBitLayout(rows, k);
      if (!bits) {
        op.emitOpError() << "b_layout " << layout << " does not fit B: " << bits.error();
        return signalPassFailure();
      }
      OpBuilder builder(op);
      Location loc = op.getLoc();
      auto bytesType = RankedTensorType::get({bits->storageBytes()}, builder.getI8Type());
      // createOrFold: a constant B is repacked here, by the folder.
      Value packed =
          builder.createOrFold<PackOp>(loc, bytesType, op.getB(), BitOrderAttr(), layout);
      Value codes = UnpackOp::create(builder, loc, b, packed, BitOrderAttr(), layout);
      op.getBMutable().assign(codes);
      op.removeBLayoutAttr();
    });
  }
};
} // namespace
} // namespace mlir::lowbit
