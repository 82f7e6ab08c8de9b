//===- MpGemmLowering.cpp - lowbit.mpgemm to linalg -----------------------===//
//
// The sums over k run in an scf.for with the accumulators in registers (a
// reduction dimension of a linalg.generic would load and store C at every
// step). Rows are taken in blocks of R (the largest divisor of M up to 8;
// 1 for a dynamic M) summed together, so that each code of B is decoded
// once per block: two
// scf.for loops over blocks and columns insert the R sums; for R = 1 a
// linalg.generic over (m, n) holds the loop. A second, elementwise generic
// converts (and for an i32 accumulator with scales, scales) the sums. The
// float sums are marked `reassoc` so that LLVM may vectorize them: the
// result then depends on the summation order, which the end-to-end tests'
// error bound allows for.
//
//===----------------------------------------------------------------------===//

#include "LoweringPatterns.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {

/// Rows of C summed in one pass over B (registers for their sums).
constexpr int64_t kMaxRowsPerBlock = 8;

struct MpGemmLowering : OpConversionPattern<MpGemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MpGemmOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    RankedTensorType aType = op.getA().getType(), bType = op.getB().getType();
    RankedTensorType cType = op.getC().getType();
    Type acc = op.getAccType();
    bool intAcc = acc.isInteger(32);
    SchemeAttr aScheme = op.getASchemeAttr(), bScheme = op.getBSchemeAttr();
    FailureOr<OperandReader> ra = OperandReader::get(rewriter, loc, op, aType.getElementType(),
                                                     aScheme, intAcc);
    FailureOr<OperandReader> rb = OperandReader::get(rewriter, loc, op, bType.getElementType(),
                                                     bScheme, intAcc);
    if (failed(ra) || failed(rb))
      return failure();
    QuantizedOperand qa = QuantizedOperand::get(adaptor.getA(), adaptor.getAParams(), aScheme);
    QuantizedOperand qb = QuantizedOperand::get(adaptor.getB(), adaptor.getBParams(), bScheme);

    OperandAccess accA(*ra, qa, aType), accB(*rb, qb, bType);
    bool transposeB = op.getTransposeB();
    int64_t kSize = aType.getDimSize(1);
    ArrayRef<int64_t> cShape = cType.getShape();
    auto fm = arith::FastMathFlagsAttr::get(
        ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
    auto accType = RankedTensorType::get(cShape, acc);
    int64_t m = cShape[0], n = cShape[1];
    // A dynamic M (its size read from A) takes one row at a time.
    SmallVector<Value> dynamicM = dynamicSizesOf(rewriter, loc, aType.getShape(), adaptor.getA());
    // Rows summed together: each code of B is decoded once per block of R
    // rows (R the largest divisor of M up to 8), not once per row.
    int64_t rowsPerBlock = 1;
    for (int64_t r = ShapedType::isDynamic(m) ? 1 : std::min<int64_t>(m, kMaxRowsPerBlock); r > 1;
         --r)
      if (m % r == 0) {
        rowsPerBlock = r;
        break;
      }
    auto idx = [&](OpBuilder &b, Location l, int64_t v) {
      return arith::ConstantIndexOp::create(b, l, v).getResult();
    };
    // The rows of one block, from its first.
    auto blockRows = [&](OpBuilder &b, Location l, Value m0) {
      SmallVector<Value> rows{m0};
      for (int64_t r = 1; r < rowsPerBlock; ++r)
        rows.push_back(arith::AddIOp::create(b, l, m0, idx(b, l, r)));
      return rows;
    };
    // The sums of `rows` at column j, over k in registers.
    auto sumRows = [&](OpBuilder &b, Location l, ArrayRef<Value> rows, Value j) {
      Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(acc));
      SmallVector<Value> zeros(rows.size(), zero);
      return scf::ForOp::create(
                 b, l, idx(b, l, 0), idx(b, l, kSize), idx(b, l, 1), zeros,
                 [&](OpBuilder &lb, Location ll, Value k, ValueRange sums) {
                   Value bv = transposeB ? accB.read(lb, ll, {j, k}, intAcc)
                                         : accB.read(lb, ll, {k, j}, intAcc);
                   if (!intAcc)
                     bv = castFloat(lb, ll, bv, acc);
                   SmallVector<Value> next;
                   for (auto [r, row] : llvm::enumerate(rows)) {
                     Value av = accA.read(lb, ll, {row, k}, intAcc);
                     if (intAcc) {
                       next.push_back(arith::AddIOp::create(
                           lb, ll, sums[r], arith::MulIOp::create(lb, ll, av, bv)));
                     } else {
                       av = castFloat(lb, ll, av, acc);
                       next.push_back(arith::AddFOp::create(
                           lb, ll, sums[r], arith::MulFOp::create(lb, ll, av, bv, fm), fm));
                     }
                   }
                   scf::YieldOp::create(lb, ll, next);
                 })
          .getResults();
    };
    Value sums;
    if (rowsPerBlock == 1) {
      sums = parallelGeneric(
          rewriter, loc, accType, {}, {},
          [&](OpBuilder &b, Location l, ValueRange) {
            SmallVector<Value> ij = loopIndices(b, l, 2);
            return sumRows(b, l, {ij[0]}, ij[1])[0];
          },
          dynamicM);
    } else {
      Value init = emptyLike(rewriter, loc, cShape, acc); // the blocks' sums
      auto blocks = scf::ForOp::create(
          rewriter, loc, idx(rewriter, loc, 0), idx(rewriter, loc, m / rowsPerBlock),
          idx(rewriter, loc, 1), ValueRange{init},
          [&](OpBuilder &b, Location l, Value blk, ValueRange outer) {
            SmallVector<Value> rows =
                blockRows(b, l, arith::MulIOp::create(b, l, blk, idx(b, l, rowsPerBlock)));
            auto cols = scf::ForOp::create(
                b, l, idx(b, l, 0), idx(b, l, n), idx(b, l, 1), ValueRange{outer[0]},
                [&](OpBuilder &cb, Location cl, Value j, ValueRange inner) {
                  ValueRange rowSums = sumRows(cb, cl, rows, j);
                  Value c = inner[0];
                  for (auto [row, sum] : llvm::zip(rows, rowSums))
                    c = tensor::InsertOp::create(cb, cl, sum, c, ValueRange{row, j});
                  scf::YieldOp::create(cb, cl, c);
                });
            scf::YieldOp::create(b, l, cols.getResults());
          });
      sums = blocks.getResult(0);
    }

    Type outElem = cType.getElementType();
    if ((intAcc && !aScheme && !bScheme) || (!intAcc && acc == outElem)) {
      rewriter.replaceOp(op, sums);
      return success();
    }

    // Epilogue over (m, n): convert, and scale integer sums (verified to be
    // per tensor or per channel, so the K index of their scale grid is 0).
    AffineExpr em = getAffineDimExpr(0, ctx), en = getAffineDimExpr(1, ctx);
    AffineExpr zero = getAffineConstantExpr(0, ctx);
    SmallVector<Value> epInputs{sums};
    SmallVector<AffineMap> epMaps{AffineMap::getMultiDimIdentityMap(2, ctx)};
    bool scaleA = intAcc && aScheme, scaleB = intAcc && bScheme;
    if (scaleA) {
      epInputs.push_back(qa.scales);
      epMaps.push_back(accA.grid->map(ctx, 2, {em, zero}));
    }
    if (scaleB) {
      SmallVector<AffineExpr> e = op.getTransposeB() ? SmallVector<AffineExpr>{en, zero}
                                                     : SmallVector<AffineExpr>{zero, en};
      epInputs.push_back(qb.scales);
      epMaps.push_back(accB.grid->map(ctx, 2, e));
    }
    Value epilogue = parallelGeneric(
        rewriter, loc, cType, epInputs, epMaps, [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0];
          if (intAcc) {
            // float(sum) * factorA * factorB, each step one f32 rounding.
            v = arith::SIToFPOp::create(b, l, b.getF32Type(), v);
            unsigned i = 1;
            if (scaleA)
              v = arith::MulFOp::create(b, l, v, ra->factorF32(b, l, args[i++]));
            if (scaleB)
              v = arith::MulFOp::create(b, l, v, rb->factorF32(b, l, args[i++]));
          }
          return castFloat(b, l, v, outElem);
        });
    rewriter.replaceOp(op, epilogue);
    return success();
  }
};
} // namespace

void mlir::lowbit::populateMpGemmLoweringPatterns(TypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<MpGemmLowering>(converter, patterns.getContext());
}
