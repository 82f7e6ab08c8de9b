//===- DenseF32Kernel.cpp - f32 products with constant f32 weights --------===//
//
// C = A W^T with A and W in f32 and W a constant: the layers an imported
// model keeps in f32 (every Conv's im2col product, MatMul and Gemm without
// --quantize). The reference lowering sums each output as a dot product
// over k: one weight load per FMA and a horizontal sum per output, so a
// product is bound by the bandwidth of the cache that holds its weights.
// Here the weights are packed at compile time as [tiles][K][T] (tiles of T
// = 32 columns with AVX-512 as far as N allows, then of 16), and each step
// over k loads
// the tile's T weights and multiplies them with R activations, each
// broadcast (an outer product): R x T sums stay in registers, the rows are
// taken R at a time and the column tiles in parallel (scf.forall, OpenMP
// threads).
//
// Policy (docs/cpu-kernels.md, "The dense f32 kernel"): each output sums K
// in blocks of 16 k, each block a chain of fused multiply-adds in k order
// from +0, the block sums added in k order; so its bits depend on neither
// the rows per pass, the row's place in M, nor the threads. They differ
// from the reference path's, whose reassociated sums LLVM orders, within
// the error bound of an f32 sum over K.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lowbit;
using ::lowbit::target::CPUFeature;
using namespace mlir::lowbit::x86kernel;

namespace {
/// Columns of one vector of f32 sums (a zmm, two ymm, four q registers);
/// a tile is `vectors` of them.
constexpr int64_t kVectorCols = 16;
/// k per block of the blocked sum: each block's sums are an FMA chain, the
/// blocks' sums are added in order, so that an output's rounding error
/// grows with kBlockK + K / kBlockK rather than with K. 16 was the most
/// accurate of 8, 16, 32 and 64 on PP-OCRv4 (docs/cpu-kernels.md), at no
/// measurable cost: the block sums are added in memory, 3 vector memory
/// operations per 16 FMAs.
constexpr int64_t kBlockK = 16;
} // namespace

bool mlir::lowbit::x86kernel::isDenseF32Candidate(MpGemmOp op) {
  return op.getB().getType().getElementType().isF32() && !op.getBSchemeAttr();
}

FailureOr<DenseF32Plan> mlir::lowbit::x86kernel::planDenseF32(MpGemmOp op,
                                                              const X86KernelOptions &options,
                                                              std::string &whyNot, bool checkOnly) {
  const ::lowbit::target::CPUTarget &t = options.target;
  bool arm = t.family == ::lowbit::target::CPUFamily::AArch64;
  if (t.generic ||
      (arm ? !t.has(CPUFeature::NEON) : !t.has(CPUFeature::AVX2) || !t.has(CPUFeature::FMA))) {
    whyNot = "target '" + t.name + "' has no dense f32 kernel (needs AVX2 and FMA, or NEON)";
    return failure();
  }
  if (options.requireKernel && options.kernel != X86KernelKind::Auto) {
    whyNot = std::string("f32 weights take the dense f32 kernel, not the ") +
             stringifyX86KernelKind(options.kernel).str() + " kernel";
    return failure();
  }
  if (!op.getA().getType().getElementType().isF32() || op.getASchemeAttr()) {
    whyNot = "the dense f32 kernel (f32 weights) takes f32 activations without a scheme";
    return failure();
  }
  if (!op.getAccType().isF32() || !op.getC().getType().getElementType().isF32()) {
    whyNot = "the dense f32 kernel (f32 weights) accumulates in f32 and writes f32";
    return failure();
  }
  std::optional<std::vector<uint64_t>> bits = constantCodes(op.getB());
  if (!bits) {
    whyNot = "the dense f32 kernel needs constant f32 weights (packed into column tiles at "
             "compile time)";
    return failure();
  }
  DenseF32Plan p;
  p.m = op.getM();
  p.n = op.getN();
  p.k = op.getK();
  bool avx512 = !arm && t.has(CPUFeature::AVX512F);
  // Registers: R x V sums of 16 f32, V weight vectors and a broadcast.
  // With AVX-512 (32 zmm) tiles of two vectors and 6 rows where N has 32
  // columns: per k two weight loads and 6 broadcasts feed 12 FMAs (one
  // vector: one load and R broadcasts feed R), which keeps the loads below
  // the FMAs' rate; the rest in tiles of one vector and 8 rows (the FMA
  // latency of 4 hidden twice over). AVX2's 16 ymm hold 4 rows of two ymm
  // each, NEON's 32 q registers 4 rows of four.
  int64_t wide = avx512 ? p.n / (2 * kVectorCols) : 0;
  int64_t narrow = (p.n - wide * 2 * kVectorCols + kVectorCols - 1) / kVectorCols;
  auto group = [&](int64_t firstCol, int64_t tiles, int64_t vectors, int64_t rows) {
    DenseF32Plan::TileGroup g;
    g.firstCol = firstCol;
    g.tiles = tiles;
    g.vectors = vectors;
    g.rows = options.rowsPerPass > 0 ? options.rowsPerPass : rows;
    if (!ShapedType::isDynamic(p.m))
      g.rows = std::max<int64_t>(1, std::min(g.rows, p.m));
    p.groups.push_back(g);
  };
  if (wide)
    group(0, wide, 2, 6);
  if (narrow)
    group(wide * 2 * kVectorCols, narrow, 1, avx512 ? 8 : 4);
  p.cols = wide * 2 * kVectorCols + narrow * kVectorCols;
  if (checkOnly)
    return p;
  bool transposed = op.getTransposeB();
  for (DenseF32Plan::TileGroup &g : p.groups) {
    int64_t width = g.tileCols();
    g.weights.assign(g.tiles * width * p.k, 0.0f);
    for (int64_t n = g.firstCol; n < std::min(p.n, g.firstCol + g.tiles * width); ++n)
      for (int64_t k = 0; k < p.k; ++k) {
        auto u = static_cast<uint32_t>((*bits)[transposed ? n * p.k + k : k * p.n + n]);
        float w;
        std::memcpy(&w, &u, sizeof w);
        int64_t c = n - g.firstCol;
        g.weights[((c / width) * p.k + k) * width + c % width] = w;
      }
  }
  return p;
}

LogicalResult mlir::lowbit::x86kernel::lowerDenseF32(RewriterBase &rewriter, MpGemmOp op,
                                                     const DenseF32Plan &p) {
  OpBuilder &b = rewriter;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Type f32 = b.getF32Type();
  auto idx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(b, loc, v); };
  auto addi = [&](Value x, Value y) -> Value { return arith::AddIOp::create(b, loc, x, y); };
  VectorType rowVec = VectorType::get({kVectorCols}, f32);
  Value a = op.getA();
  SmallVector<Value> dynamicM = dynamicSizesOf(b, loc, {p.m}, a);
  Value m = dynamicM.empty() ? idx(p.m) : dynamicM[0];
  OpFoldResult mSize = dynamicM.empty() ? OpFoldResult(b.getIndexAttr(p.m)) : OpFoldResult(m);
  Value zeros =
      arith::ConstantOp::create(b, loc, DenseElementsAttr::get(rowVec, b.getF32FloatAttr(0)));
  Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));

  // One scf.forall over each group's tiles, writing its columns of C.
  Value c = emptyLike(b, loc, {p.m, p.cols}, f32, dynamicM);
  for (const DenseF32Plan::TileGroup &g : p.groups) {
    int64_t width = g.tileCols(), vectors = g.vectors, rowsPerPass = g.rows;
    auto wType = RankedTensorType::get({g.tiles, p.k, width}, f32);
    Value w = arith::ConstantOp::create(b, loc,
                                        DenseElementsAttr::get(wType, ArrayRef<float>(g.weights)));
    auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(g.tiles)},
                                        ValueRange{c}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value tile = forall.getInductionVar(0);
      Value zero = idx(0);
      // Rows m0 .. m0 + count - 1 of this tile's 16 columns, written to `out`.
      auto pass = [&](Value m0, int64_t count, Value out) -> Value {
        SmallVector<Value> rows{m0};
        for (int64_t r = 1; r < count; ++r)
          rows.push_back(addi(m0, idx(r)));
        // Sums [r][v] of k in [kStart, kEnd): row r, columns 16 v .. 16 v +
        // 15 of the tile, each an FMA chain in k order from +0.
        auto blockSums = [&](Value kStart, Value kEnd) {
          SmallVector<Value> init(count * vectors, zeros);
          auto kLoop = scf::ForOp::create(
              b, loc, kStart, kEnd, idx(1), init,
              [&](OpBuilder &, Location, Value k, ValueRange sums) {
                SmallVector<Value> wv;
                for (int64_t v = 0; v < vectors; ++v)
                  wv.push_back(vector::TransferReadOp::create(
                      b, loc, rowVec, w, ValueRange{tile, k, idx(v * kVectorCols)}, pad,
                      ArrayRef<bool>{true}));
                SmallVector<Value> next;
                for (int64_t r = 0; r < count; ++r) {
                  Value x = tensor::ExtractOp::create(b, loc, a, ValueRange{rows[r], k});
                  Value xs = vector::BroadcastOp::create(b, loc, rowVec, x);
                  for (int64_t v = 0; v < vectors; ++v)
                    next.push_back(math::FmaOp::create(b, loc, xs, wv[v], sums[r * vectors + v]));
                }
                scf::YieldOp::create(b, loc, next);
              });
          return SmallVector<Value>(kLoop.getResults());
        };
        auto at = [&](int64_t r, int64_t v) { return ValueRange{rows[r], idx(v * kVectorCols)}; };
        auto write = [&](Value sum, Value into, int64_t r, int64_t v) -> Value {
          return vector::TransferWriteOp::create(b, loc, sum, into, at(r, v), ArrayRef<bool>{true})
              .getResult();
        };
        // The first block of kBlockK k is written, each later one added to
        // it in k order.
        SmallVector<Value> first = blockSums(zero, idx(std::min(p.k, kBlockK)));
        for (int64_t r = 0; r < count; ++r)
          for (int64_t v = 0; v < vectors; ++v)
            out = write(first[r * vectors + v], out, r, v);
        if (p.k <= kBlockK)
          return out;
        return scf::ForOp::create(
                   b, loc, idx(kBlockK), idx(p.k), idx(kBlockK), ValueRange{out},
                   [&](OpBuilder &, Location, Value k0, ValueRange st) {
                     Value kEnd = arith::MinUIOp::create(b, loc, addi(k0, idx(kBlockK)), idx(p.k));
                     SmallVector<Value> sums = blockSums(k0, kEnd);
                     Value o = st[0];
                     for (int64_t r = 0; r < count; ++r)
                       for (int64_t v = 0; v < vectors; ++v) {
                         Value prev = vector::TransferReadOp::create(b, loc, rowVec, o, at(r, v),
                                                                     pad, ArrayRef<bool>{true});
                         o = write(arith::AddFOp::create(b, loc, prev, sums[r * vectors + v]), o, r,
                                   v);
                       }
                     scf::YieldOp::create(b, loc, o);
                   })
            .getResult(0);
      };
      // Blocks of R rows, then the rest: one pass of M mod R rows for a
      // static M, else a row at a time.
      Value step = idx(rowsPerPass);
      Value full =
          dynamicM.empty()
              ? idx(p.m / rowsPerPass * rowsPerPass)
              : arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, m, step), step)
                    .getResult();
      Value t0 = emptyLike(b, loc, {p.m, width}, f32, dynamicM);
      Value out = scf::ForOp::create(b, loc, zero, full, step, ValueRange{t0},
                                     [&](OpBuilder &, Location, Value m0, ValueRange st) {
                                       scf::YieldOp::create(b, loc, pass(m0, rowsPerPass, st[0]));
                                     })
                      .getResult(0);
      if (!dynamicM.empty() && rowsPerPass > 1)
        out = scf::ForOp::create(b, loc, full, m, idx(1), ValueRange{out},
                                 [&](OpBuilder &, Location, Value m0, ValueRange st) {
                                   scf::YieldOp::create(b, loc, pass(m0, 1, st[0]));
                                 })
                  .getResult(0);
      else if (dynamicM.empty() && p.m % rowsPerPass)
        out = pass(full, p.m % rowsPerPass, out);
      Value firstCol = addi(arith::MulIOp::create(b, loc, tile, idx(width)), idx(g.firstCol));
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          b, loc, out, forall.getRegionIterArgs()[0],
          ArrayRef<OpFoldResult>{b.getIndexAttr(0), firstCol},
          ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(width)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    }
    c = forall.getResult(0);
  }
  if (p.cols != p.n)
    c = tensor::ExtractSliceOp::create(
        b, loc, op.getC().getType(), c,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(p.n)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  rewriter.replaceOp(op, c);
  return success();
}
