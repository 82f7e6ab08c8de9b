//===- DepthwiseConvToVectors.cpp - NCHW depthwise convolutions as vectors ===//
//
// out[n, c, oh, ow] += in[n, c, oh * sh + kh * dh, ow + kw * dw] * w[c, kh, kw]
// (linalg.depthwise_conv_2d_nchw_chw with stride 1 along w, on buffers) as
// loops over (n, c, oh) and chunks of up to 64 ow, each chunk's sums in up
// to 4 vectors of 16 f32 registers while the window (kh, kw) is walked:
// per window tap one broadcast weight and one load, multiply and add per
// vector. lowbit-vectorizable-loop-order's form (ow innermost, LLVM's
// vectorizer) loads and stores the output at every tap, which bounds it at
// a third of this (PP-OCRv4's 5x5 convolutions: 16 GMAC/s).
//
// Each output's sum keeps linalg's order and operations (kh, then kw; a
// multiply, then an add, never fused), so results keep their bits.
//
//===----------------------------------------------------------------------===//

#include "LoopBuilder.h"
#include "PipelinePasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace {
/// f32 lanes per vector, and vectors per chunk of ow.
constexpr int64_t kLanes = 16, kMaxVectors = 4;

struct DepthwiseConvToVectors : PassWrapper<DepthwiseConvToVectors, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DepthwiseConvToVectors)
  StringRef getArgument() const override { return "lowbit-depthwise-conv-to-vectors"; }
  StringRef getDescription() const override {
    return "Rewrite f32 NCHW depthwise convolutions with stride 1 along w (on buffers) as loops "
           "whose sums stay in vector registers over the window (results keep their bits)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, memref::MemRefDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  }

  static bool applies(linalg::DepthwiseConv2DNchwChwOp op) {
    if (!op.hasPureBufferSemantics())
      return false;
    for (Value v : op->getOperands()) {
      auto t = dyn_cast<MemRefType>(v.getType());
      if (!t || !t.hasStaticShape() || !t.getElementType().isF32() || !t.getLayout().isIdentity())
        return false;
    }
    return op.getStrides().getValues<int64_t>()[1] == 1;
  }

  static void rewrite(linalg::DepthwiseConv2DNchwChwOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value in = op.getDpsInputs()[0], w = op.getDpsInputs()[1], out = op.getDpsInits()[0];
    ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
    ArrayRef<int64_t> wShape = cast<MemRefType>(w.getType()).getShape();
    int64_t sh = op.getStrides().getValues<int64_t>()[0];
    int64_t dh = op.getDilations().getValues<int64_t>()[0];
    int64_t dw = op.getDilations().getValues<int64_t>()[1];
    int64_t kh = wShape[1], kw = wShape[2], ow = outShape[3];
    lowbit::LoopBuilder lb{b, loc};
    auto idx = [&](int64_t v) { return lb.index(v); };
    auto add = [&](Value x, int64_t c) { return lb.add(x, c); };
    VectorType vec = VectorType::get({kLanes}, b.getF32Type());
    Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    int64_t vectors = std::min<int64_t>(kMaxVectors, (ow + kLanes - 1) / kLanes);
    int64_t chunk = vectors * kLanes, full = ow / chunk * chunk;
    // `count` vectors of sums from ow0 (in bounds: whole vectors; else
    // masked at the row's end).
    auto chunkAt = [&](Value n, Value c, Value oh, Value ow0, int64_t count, bool inBounds) {
      SmallVector<bool, 1> bounds{inBounds};
      SmallVector<Value> sums;
      for (int64_t v = 0; v < count; ++v)
        sums.push_back(vector::TransferReadOp::create(
            b, loc, vec, out, ValueRange{n, c, oh, add(ow0, v * kLanes)}, pad, bounds));
      Value ih0 = arith::MulIOp::create(b, loc, oh, idx(sh));
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) {
          Value wt = memref::LoadOp::create(b, loc, w, ValueRange{c, idx(i), idx(j)});
          Value ws = vector::BroadcastOp::create(b, loc, vec, wt);
          Value ih = add(ih0, i * dh);
          for (int64_t v = 0; v < count; ++v) {
            Value x = vector::TransferReadOp::create(
                b, loc, vec, in, ValueRange{n, c, ih, add(ow0, v * kLanes + j * dw)}, pad, bounds);
            sums[v] = arith::AddFOp::create(b, loc, sums[v], arith::MulFOp::create(b, loc, x, ws));
          }
        }
      for (int64_t v = 0; v < count; ++v)
        vector::TransferWriteOp::create(b, loc, sums[v], out,
                                        ValueRange{n, c, oh, add(ow0, v * kLanes)}, bounds);
    };
    lb.loop(0, outShape[0], 1, [&](Value n) {
      lb.loop(0, outShape[1], 1, [&](Value c) {
        lb.loop(0, outShape[2], 1, [&](Value oh) {
          lb.loop(0, full, chunk, [&](Value ow0) { chunkAt(n, c, oh, ow0, vectors, true); });
          // The rest of the row, a vector at a time: whole vectors in
          // bounds, the last one masked.
          int64_t whole = full + (ow - full) / kLanes * kLanes;
          lb.loop(full, whole, kLanes, [&](Value ow0) { chunkAt(n, c, oh, ow0, 1, true); });
          if (whole < ow)
            chunkAt(n, c, oh, idx(whole), 1, false);
        });
      });
    });
    op.erase();
  }

  void runOnOperation() override {
    SmallVector<linalg::DepthwiseConv2DNchwChwOp> ops;
    getOperation().walk([&](linalg::DepthwiseConv2DNchwChwOp op) {
      if (applies(op))
        ops.push_back(op);
    });
    for (linalg::DepthwiseConv2DNchwChwOp op : ops)
      rewrite(op);
  }
};
} // namespace

std::unique_ptr<Pass> mlir::lowbit::createDepthwiseConvToVectorsPass() {
  return std::make_unique<DepthwiseConvToVectors>();
}

void mlir::lowbit::registerDepthwiseConvToVectorsPass() {
  PassRegistration<DepthwiseConvToVectors>();
}
