//===- MpGemmLowering.cpp - lowbit.mpgemm to linalg -----------------------===//
//
// One linalg.generic over (m, n, k) decodes and scales both operands in its
// body and accumulates; a second, elementwise one converts (and for an i32
// accumulator with scales, scales) the sums. The float sum is marked
// `reassoc` so that LLVM may vectorize it: the result then depends on the
// summation order, which the end-to-end tests' error bound allows for.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {

/// Inputs of one operand in the main loop: codes, then its scheme's tensors.
struct OperandInputs {
  unsigned first = 0; ///< index of the codes among the body's arguments
  bool zero = false, tensorScale = false, scales = false;
  unsigned scaleArg() const { return first + 1; }
  unsigned zeroArg() const { return first + 2; }
  unsigned tensorScaleArg() const { return first + 2; }
};

OperandInputs addOperand(MLIRContext *ctx, const QuantizedOperand &q,
                         RankedTensorType type, ArrayRef<AffineExpr> exprs,
                         SmallVectorImpl<Value> &inputs, SmallVectorImpl<AffineMap> &maps) {
  OperandInputs in;
  in.first = inputs.size();
  inputs.push_back(q.codes);
  maps.push_back(AffineMap::get(3, 0, exprs, ctx));
  if (!q.scheme)
    return in;
  AffineMap g = gridMap(ctx, 3, exprs, type.getShape(),
                        q.scheme.getGroupExtents(type.getShape()));
  in.scales = true;
  inputs.push_back(q.scales);
  maps.push_back(g);
  if (q.zeroPoints) {
    in.zero = true;
    inputs.push_back(q.zeroPoints);
    maps.push_back(g);
  }
  if (q.tensorScale) {
    in.tensorScale = true;
    inputs.push_back(q.tensorScale);
    maps.push_back(AffineMap::get(3, 0, {}, ctx));
  }
  return in;
}

Value readValue(OpBuilder &b, Location l, const OperandReader &r, const OperandInputs &in,
                ValueRange args, bool intAcc) {
  Value zero = in.zero ? args[in.zeroArg()] : Value();
  if (intAcc)
    return r.intValue(b, l, args[in.first], zero);
  Value scale = in.scales ? args[in.scaleArg()] : Value();
  Value st = in.tensorScale ? args[in.tensorScaleArg()] : Value();
  return r.valueF32(b, l, args[in.first], scale, zero, st);
}

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

    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineExpr> aExprs{m, k};
    SmallVector<AffineExpr> bExprs = op.getTransposeB() ? SmallVector<AffineExpr>{n, k}
                                                        : SmallVector<AffineExpr>{k, n};
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    OperandInputs ia = addOperand(ctx, qa, aType, aExprs, inputs, maps);
    OperandInputs ib = addOperand(ctx, qb, bType, bExprs, inputs, maps);
    maps.push_back(AffineMap::get(3, 0, {m, n}, ctx));

    ArrayRef<int64_t> cShape = cType.getShape();
    Value init = filled(rewriter, loc, cShape, acc, rewriter.getZeroAttr(acc));
    auto fm = arith::FastMathFlagsAttr::get(
        ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
    auto accType = RankedTensorType::get(cShape, acc);
    auto main = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accType}, inputs, ValueRange{init}, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value av = readValue(b, l, *ra, ia, args, intAcc);
          Value bv = readValue(b, l, *rb, ib, args, intAcc);
          Value sum = args.back();
          if (intAcc) {
            sum = arith::AddIOp::create(b, l, sum, arith::MulIOp::create(b, l, av, bv));
          } else {
            av = castFloat(b, l, av, acc);
            bv = castFloat(b, l, bv, acc);
            sum = arith::AddFOp::create(b, l, sum,
                                        arith::MulFOp::create(b, l, av, bv, fm), fm);
          }
          linalg::YieldOp::create(b, l, sum);
        });
    Value sums = main.getResult(0);
    Type outElem = cType.getElementType();
    if (intAcc && !aScheme && !bScheme) {
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
