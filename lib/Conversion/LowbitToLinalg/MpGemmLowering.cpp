//===- MpGemmLowering.cpp - lowbit.mpgemm to linalg -----------------------===//
//
// One linalg.generic over (m, n) whose body sums over k in an scf.for with
// the accumulator in a register (a reduction dimension of the generic would
// be lowered to a load and a store of C per step, which no later pass turns
// back into a register); both operands are decoded and scaled in the loop.
// A second, elementwise generic converts (and for an i32 accumulator with
// scales, scales) the sums. The float sum is marked `reassoc` so that LLVM
// may vectorize it: the result then depends on the summation order, which
// the end-to-end tests' error bound allows for.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {

/// Reads element (i, j) of one operand (codes plus scheme tensors, all
/// captured by the loop body) as a dequantized f32 or an integer value.
struct OperandAccess {
  const OperandReader *reader;
  QuantizedOperand q;
  SmallVector<int64_t, 2> extents, grid;

  OperandAccess(const OperandReader &r, const QuantizedOperand &q, RankedTensorType type)
      : reader(&r), q(q) {
    if (q.scheme) {
      extents = q.scheme.getGroupExtents(type.getShape());
      grid = q.scheme.getScaleShape(type.getShape());
    }
  }

  SmallVector<Value> gridIndex(OpBuilder &b, Location l, Value i, Value j) const {
    SmallVector<Value> idx;
    for (auto [d, v] : llvm::enumerate(SmallVector<Value>{i, j})) {
      if (grid[d] == 1)
        idx.push_back(arith::ConstantIndexOp::create(b, l, 0));
      else if (extents[d] == 1)
        idx.push_back(v);
      else
        idx.push_back(arith::DivUIOp::create(b, l, v,
                                             arith::ConstantIndexOp::create(b, l, extents[d])));
    }
    return idx;
  }

  Value read(OpBuilder &b, Location l, Value i, Value j, bool intAcc) const {
    Value code = tensor::ExtractOp::create(b, l, q.codes, ValueRange{i, j});
    Value scale, zero, st;
    if (q.scheme) {
      SmallVector<Value> g = gridIndex(b, l, i, j);
      scale = tensor::ExtractOp::create(b, l, q.scales, g);
      if (q.zeroPoints)
        zero = tensor::ExtractOp::create(b, l, q.zeroPoints, g);
      if (q.tensorScale)
        st = tensor::ExtractOp::create(b, l, q.tensorScale, ValueRange{});
    }
    if (intAcc)
      return reader->intValue(b, l, code, zero);
    return reader->valueF32(b, l, code, scale, zero, st);
  }
};

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
    Value init = emptyLike(rewriter, loc, cShape, acc);
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    auto main = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accType}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{id2},
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value i = linalg::IndexOp::create(b, l, 0), j = linalg::IndexOp::create(b, l, 1);
          Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(acc));
          auto loop = scf::ForOp::create(
              b, l, arith::ConstantIndexOp::create(b, l, 0),
              arith::ConstantIndexOp::create(b, l, kSize),
              arith::ConstantIndexOp::create(b, l, 1), ValueRange{zero},
              [&](OpBuilder &lb, Location ll, Value k, ValueRange iter) {
                Value av = accA.read(lb, ll, i, k, intAcc);
                Value bv = transposeB ? accB.read(lb, ll, j, k, intAcc)
                                      : accB.read(lb, ll, k, j, intAcc);
                Value sum = iter[0];
                if (intAcc) {
                  sum = arith::AddIOp::create(lb, ll, sum, arith::MulIOp::create(lb, ll, av, bv));
                } else {
                  av = castFloat(lb, ll, av, acc);
                  bv = castFloat(lb, ll, bv, acc);
                  sum = arith::AddFOp::create(lb, ll, sum,
                                              arith::MulFOp::create(lb, ll, av, bv, fm), fm);
                }
                scf::YieldOp::create(lb, ll, sum);
              });
          linalg::YieldOp::create(b, l, loop.getResults());
        });
    Value sums = main.getResult(0);
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
      epMaps.push_back(gridMap(ctx, 2, {em, zero}, aType.getShape(),
                               aScheme.getGroupExtents(aType.getShape())));
    }
    if (scaleB) {
      SmallVector<AffineExpr> e = op.getTransposeB() ? SmallVector<AffineExpr>{en, zero}
                                                     : SmallVector<AffineExpr>{zero, en};
      epInputs.push_back(qb.scales);
      epMaps.push_back(gridMap(ctx, 2, e, bType.getShape(),
                               bScheme.getGroupExtents(bType.getShape())));
    }
    epMaps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    Value out = emptyLike(rewriter, loc, cShape, outElem);
    auto epilogue = linalg::GenericOp::create(
        rewriter, loc, TypeRange{cType}, epInputs, ValueRange{out}, epMaps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
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
          linalg::YieldOp::create(b, l, castFloat(b, l, v, outElem));
        });
    rewriter.replaceOp(op, epilogue.getResults());
    return success();
  }
};
} // namespace

void mlir::lowbit::populateMpGemmLoweringPatterns(TypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<MpGemmLowering>(converter, patterns.getContext());
}
