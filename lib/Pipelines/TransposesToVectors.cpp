//===- TransposesToVectors.cpp - Transposes as 16 x 16 register blocks ----===//
//
// A linalg.transpose of f32 buffers that moves the innermost dimension
// (NHWC -> NCHW around a convolution's product, NCHW -> NHWC as a
// pointwise convolution's im2col) reads one of its operands with a stride
// in the loop that convert-linalg-to-loops puts innermost, which LLVM
// vectorizes with gathers. Here the two dimensions that are innermost in
// the input and in the output are taken in blocks of 16 x 16: 16 vector
// loads along the input's rows, a transpose in registers (vector.transpose
// lowered at once by MLIR's shuffle16x16 patterns: 1-D shuffles), 16
// vector stores along the output's rows. The
// rest of either dimension stays a linalg.transpose of subviews. A copy
// moves the values as they are: the same bits.
//
//===----------------------------------------------------------------------===//

#include "LoopBuilder.h"
#include "PipelinePasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {
/// The block side: one vector of f32.
constexpr int64_t kBlock = 16;

struct TransposesToVectors : PassWrapper<TransposesToVectors, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TransposesToVectors)
  StringRef getArgument() const override { return "lowbit-transposes-to-vectors"; }
  StringRef getDescription() const override {
    return "Rewrite f32 linalg.transpose ops on buffers that move the innermost dimension as "
           "loops over 16 x 16 blocks transposed in vector registers";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, memref::MemRefDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  }

  /// The output dimension that is the input's innermost, if the op is one
  /// this pass takes.
  static std::optional<int64_t> rowDim(linalg::TransposeOp op) {
    if (!op.hasPureBufferSemantics())
      return std::nullopt;
    auto in = dyn_cast<MemRefType>(op.getInput().getType());
    auto out = dyn_cast<MemRefType>(op.getInit().getType());
    if (!in || !out || !in.hasStaticShape() || !out.hasStaticShape() ||
        !in.getElementType().isF32() || !in.getLayout().isIdentity() ||
        !out.getLayout().isIdentity())
      return std::nullopt;
    ArrayRef<int64_t> perm = op.getPermutation();
    int64_t rank = perm.size();
    if (rank < 2 || perm.back() == rank - 1)
      return std::nullopt;
    int64_t q = std::find(perm.begin(), perm.end(), rank - 1) - perm.begin();
    if (out.getDimSize(q) < kBlock || out.getDimSize(rank - 1) < kBlock)
      return std::nullopt;
    return q;
  }

  /// Rewrites `op`; the vector ops of its blocks go to `blockOps`.
  static void rewrite(linalg::TransposeOp op, int64_t q, SmallVectorImpl<Operation *> &blockOps) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value in = op.getInput(), out = op.getInit();
    ArrayRef<int64_t> perm = op.getPermutation();
    auto outType = cast<MemRefType>(out.getType());
    ArrayRef<int64_t> shape = outType.getShape();
    int64_t rank = shape.size(), last = rank - 1;
    lowbit::LoopBuilder lb{b, loc};
    auto add = [&](Value x, int64_t c) { return lb.add(x, c); };
    Type f32 = b.getF32Type();
    VectorType row = VectorType::get({kBlock}, f32);
    VectorType block = VectorType::get({kBlock, kBlock}, f32);
    Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    int64_t fullQ = shape[q] / kBlock * kBlock, fullLast = shape[last] / kBlock * kBlock;

    // Output index `at` -> the input's index.
    auto inputIndex = [&](ArrayRef<Value> at) {
      SmallVector<Value> j(rank);
      for (int64_t k = 0; k < rank; ++k)
        j[perm[k]] = at[k];
      return j;
    };
    SmallVector<Value> at(rank);
    // Loops over the other output dimensions in order, then over blocks of
    // (q, last).
    std::function<void(int64_t)> nest = [&](int64_t d) {
      if (d == rank) {
        auto blockAt = [&](Value q0, Value l0) {
          // Row r: the 16 inputs of output (q0 .. q0 + 15, l0 + r), along
          // the input's innermost dimension.
          Value v = arith::ConstantOp::create(b, loc,
                                              DenseElementsAttr::get(block, b.getF32FloatAttr(0)));
          SmallVector<Value> o(at);
          for (int64_t r = 0; r < kBlock; ++r) {
            o[q] = q0;
            o[last] = add(l0, r);
            Value x = vector::TransferReadOp::create(b, loc, row, in, inputIndex(o), pad,
                                                     ArrayRef<bool>{true});
            v = vector::InsertOp::create(b, loc, x, v, ArrayRef<int64_t>{r});
            blockOps.push_back(v.getDefiningOp());
          }
          Value t = vector::TransposeOp::create(b, loc, v, ArrayRef<int64_t>{1, 0});
          blockOps.push_back(t.getDefiningOp());
          for (int64_t s = 0; s < kBlock; ++s) {
            o[q] = add(q0, s);
            o[last] = l0;
            Value y = vector::ExtractOp::create(b, loc, t, ArrayRef<int64_t>{s});
            blockOps.push_back(y.getDefiningOp());
            vector::TransferWriteOp::create(b, loc, y, out, o, ArrayRef<bool>{true});
          }
        };
        lb.loop(0, fullQ, kBlock, [&](Value q0) {
          lb.loop(0, fullLast, kBlock, [&](Value l0) { blockAt(q0, l0); });
        });
        return;
      }
      if (d == q || d == last)
        return nest(d + 1);
      lb.loop(0, shape[d], 1, [&](Value i) {
        at[d] = i;
        nest(d + 1);
      });
    };
    nest(0);

    // The rest: (q < fullQ, last >= fullLast) and (q >= fullQ, every last),
    // as linalg.transpose of subviews.
    auto rest = [&](int64_t qFrom, int64_t qTo, int64_t lFrom, int64_t lTo) {
      if (qFrom >= qTo || lFrom >= lTo)
        return;
      SmallVector<int64_t> offsets(rank, 0), sizes(shape), strides(rank, 1);
      offsets[q] = qFrom;
      sizes[q] = qTo - qFrom;
      offsets[last] = lFrom;
      sizes[last] = lTo - lFrom;
      SmallVector<int64_t> inOffsets(rank), inSizes(rank);
      for (int64_t k = 0; k < rank; ++k) {
        inOffsets[perm[k]] = offsets[k];
        inSizes[perm[k]] = sizes[k];
      }
      Value o = memref::SubViewOp::create(b, loc, out, offsets, sizes, strides);
      Value i = memref::SubViewOp::create(b, loc, in, inOffsets, inSizes, strides);
      linalg::TransposeOp::create(b, loc, i, o, perm);
    };
    rest(0, fullQ, fullLast, shape[last]);
    rest(fullQ, shape[q], 0, shape[last]);
    op.erase();
  }

  void runOnOperation() override {
    SmallVector<std::pair<linalg::TransposeOp, int64_t>> ops;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (std::optional<int64_t> q = rowDim(op))
        ops.push_back({op, *q});
    });
    SmallVector<Operation *> blockOps;
    for (auto [op, q] : ops)
      rewrite(op, q, blockOps);
    if (blockOps.empty())
      return;
    // The transposes as 1-D shuffles now (shuffle16x16: unpacks and
    // 128-bit lane shuffles), so that a later canonicalization cannot take
    // them apart into single elements.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransposeLoweringPatterns(patterns,
                                                    vector::VectorTransposeLowering::Shuffle16x16);
    vector::InsertOp::getCanonicalizationPatterns(patterns, &getContext());
    vector::ExtractOp::getCanonicalizationPatterns(patterns, &getContext());
    // Only these blocks' ops (and what the patterns make of them): other
    // vector.transpose ops in the module keep the lowering
    // convert-vector-to-llvm gives them.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(blockOps, std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace

std::unique_ptr<Pass> mlir::lowbit::createTransposesToVectorsPass() {
  return std::make_unique<TransposesToVectors>();
}

void mlir::lowbit::registerTransposesToVectorsPass() { PassRegistration<TransposesToVectors>(); }
