//===- QuantizeLowering.cpp - lowbit.quantize of runtime tensors ----------===//
//
// Three steps, each a linalg.generic:
//  1. group statistics: the input (zero-padded to whole groups where the
//     rule allows a short last group; zeros change no max |x|) is reshaped
//     so that every axis d becomes (groups_d, extent_d), and reduced over
//     the extents;
//  2. per group: the stored scale (and zero point) and what the codes need;
//  3. per element: the code.
// Each body repeats the operations of lowbit/Numerics/BlockScaling.cpp in
// its order and precision; the comments name the function.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "lowbit/Numerics/BlockScaling.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

#include <cfloat>

using namespace mlir;
using namespace mlir::lowbit;

namespace {

Value f32Of(OpBuilder &b, Location l, Value x) { return castFloat(b, l, x, b.getF32Type()); }
Value f64Of(OpBuilder &b, Location l, Value x) { return castFloat(b, l, x, b.getF64Type()); }

/// The largest finite value of an f32/f16/bf16 scale type, as f32.
float largestScale(Type t) {
  APFloat v = APFloat::getLargest(cast<FloatType>(t).getFloatSemantics());
  bool lost;
  v.convert(APFloat::IEEEsingle(), APFloat::rmTowardZero, &lost);
  return v.convertToFloat();
}

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    OpBuilder &b = rewriter;
    SchemeAttr scheme = op.getScheme();
    RankedTensorType inType = op.getInput().getType();
    RankedTensorType codesType = op.getCodes().getType();
    ArrayRef<int64_t> shape = inType.getShape();
    unsigned rank = shape.size();
    SmallVector<int64_t> ext = scheme.getGroupExtents(shape);
    SmallVector<int64_t> grid = scheme.getScaleShape(shape);
    ScaleRule rule = scheme.getRule();
    num::Format elem = *getFormat(codesType.getElementType());
    Type codeStorage = getStorageElementType(codesType.getElementType());
    Type scaleStorage = getStorageElementType(scheme.getScaleType());
    Type f32 = b.getF32Type(), f64 = b.getF64Type(), i32 = b.getI32Type();

    std::string error;
    std::optional<Encoder> enc = Encoder::get(b, loc, codesType.getElementType(), {}, error);
    if (!enc)
      return op.emitOpError() << error;

    // 1. Statistics over (groups, extent) per axis.
    Value x = adaptor.getInput();
    SmallVector<int64_t> padded, expanded;
    SmallVector<ReassociationIndices> reassoc;
    for (unsigned d = 0; d < rank; ++d) {
      padded.push_back(grid[d] * ext[d]);
      expanded.push_back(grid[d]);
      expanded.push_back(ext[d]);
      reassoc.push_back({int64_t(2 * d), int64_t(2 * d + 1)});
    }
    Value source = x;
    if (ArrayRef<int64_t>(padded) != shape) {
      Type et = inType.getElementType();
      Value zeroPad = arith::ConstantOp::create(b, loc, b.getZeroAttr(et));
      source = tensor::createPadHighOp(RankedTensorType::get(padded, et), x, zeroPad,
                                       /*nofold=*/false, loc, b);
    }
    Value groups = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(expanded, inType.getElementType()), source, reassoc);

    bool minMax = rule == ScaleRule::GptqMinMax || rule == ScaleRule::AwqMinMax;
    SmallVector<Value> statInits;
    SmallVector<Type> statTypes;
    auto addStat = [&](Type t, TypedAttr init) {
      statInits.push_back(filled(b, loc, grid, t, init));
      statTypes.push_back(RankedTensorType::get(grid, t));
    };
    if (rule == ScaleRule::MX) {
      addStat(i32, b.getI32IntegerAttr(0)); // max |x| as f32 bit patterns
    } else if (minMax) {
      addStat(f32, b.getF32FloatAttr(INFINITY));
      addStat(f32, b.getF32FloatAttr(-INFINITY));
    } else {
      addStat(f32, b.getF32FloatAttr(0));
    }
    SmallVector<AffineExpr> gridDims;
    SmallVector<utils::IteratorType> statIters;
    for (unsigned d = 0; d < rank; ++d) {
      gridDims.push_back(getAffineDimExpr(2 * d, ctx));
      statIters.push_back(utils::IteratorType::parallel);
      statIters.push_back(utils::IteratorType::reduction);
    }
    AffineMap statIn = AffineMap::getMultiDimIdentityMap(2 * rank, ctx);
    AffineMap statOut = AffineMap::get(2 * rank, 0, gridDims, ctx);
    SmallVector<AffineMap> statMaps{statIn};
    statMaps.append(statInits.size(), statOut);
    auto stats = linalg::GenericOp::create(
        b, loc, statTypes, ValueRange{groups}, statInits, statMaps, statIters,
        [&](OpBuilder &bb, Location l, ValueRange args) {
          Value v = f32Of(bb, l, args[0]);
          if (rule == ScaleRule::MX) {
            // mxBlockExponent: integer max over |x| bit patterns.
            Value bits = arith::AndIOp::create(
                bb, l, arith::BitcastOp::create(bb, l, bb.getI32Type(), v),
                constI32(bb, l, 0x7fffffff));
            linalg::YieldOp::create(bb, l, arith::MaxUIOp::create(bb, l, args[1], bits).getResult());
          } else if (minMax) {
            linalg::YieldOp::create(bb, l, ValueRange{
                arith::MinNumFOp::create(bb, l, args[1], v).getResult(),
                arith::MaxNumFOp::create(bb, l, args[2], v).getResult()});
          } else {
            Value a = math::AbsFOp::create(bb, l, v);
            linalg::YieldOp::create(bb, l, arith::MaxNumFOp::create(bb, l, args[1], a).getResult());
          }
        });

    // NVFP4's per-tensor scale: nvfp4TensorScale(amax, Exact) =
    // amax / 2688 rounded once to f32. The f64 quotient rounded to f32 gives
    // the same: a quotient of a 24-bit and a 5-bit significand is never
    // within 2^-53 (relative) of an f32 midpoint unless it equals one.
    Value tensorScale;
    if (rule == ScaleRule::NvFp4) {
      SmallVector<utils::IteratorType> allRed(rank, utils::IteratorType::reduction);
      Value init0 = filled(b, loc, {}, f32, b.getF32FloatAttr(0));
      auto red = linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get({}, f32)}, ValueRange{stats.getResult(0)},
          ValueRange{init0},
          {AffineMap::getMultiDimIdentityMap(rank, ctx), AffineMap::get(rank, 0, {}, ctx)},
          allRed, [&](OpBuilder &bb, Location l, ValueRange args) {
            linalg::YieldOp::create(bb, l, arith::MaxNumFOp::create(bb, l, args[1], args[0]).getResult());
          });
      Value amax = tensor::ExtractOp::create(b, loc, red.getResult(0), ValueRange{});
      Value q = arith::DivFOp::create(b, loc, f64Of(b, loc, amax), constF64(b, loc, 2688.0));
      Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, amax,
                                           constF32(b, loc, 0));
      Value st = arith::SelectOp::create(b, loc, isZero, constF32(b, loc, 1.0f), f32Of(b, loc, q));
      tensorScale = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, f32),
                                                   ValueRange{st});
    }

    // 2. Per group: stored scale (and zero point), and the aux values the
    // codes need.
    std::optional<Encoder> e4m3, zeroEnc;
    std::optional<Decoder> e4m3Dec;
    if (rule == ScaleRule::NvFp4) {
      e4m3 = Encoder::get(b, loc, scheme.getScaleType(), {}, error);
      e4m3Dec = Decoder::get(b, loc, scheme.getScaleType(), false, error);
    }
    if (scheme.getZeroType())
      zeroEnc = Encoder::get(b, loc, scheme.getZeroType(), {}, error);
    if ((rule == ScaleRule::NvFp4 && (!e4m3 || !e4m3Dec)) ||
        (scheme.getZeroType() && !zeroEnc))
      return op.emitOpError() << error;

    SmallVector<Type> paramTypes{RankedTensorType::get(grid, scaleStorage)};
    SmallVector<Value> paramInits{emptyLike(b, loc, grid, scaleStorage)};
    Type zeroStorage;
    if (scheme.getZeroType()) {
      zeroStorage = getStorageElementType(scheme.getZeroType());
      paramTypes.push_back(RankedTensorType::get(grid, zeroStorage));
      paramInits.push_back(emptyLike(b, loc, grid, zeroStorage));
    }
    // aux[0]: f64 multiplier (MX) or divisor (NVFP4), or the f32 scale;
    // aux[1]: the f32 zero point (min/max rules).
    Type auxType = (rule == ScaleRule::MX || rule == ScaleRule::NvFp4) ? f64 : f32;
    paramTypes.push_back(RankedTensorType::get(grid, auxType));
    paramInits.push_back(emptyLike(b, loc, grid, auxType));
    if (minMax) {
      paramTypes.push_back(RankedTensorType::get(grid, f32));
      paramInits.push_back(emptyLike(b, loc, grid, f32));
    }
    AffineMap gridId = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<Value> paramIns(stats.getResults());
    SmallVector<AffineMap> paramMaps(paramIns.size(), gridId);
    if (tensorScale) {
      paramIns.push_back(tensorScale);
      paramMaps.push_back(AffineMap::get(rank, 0, {}, ctx));
    }
    paramMaps.append(paramInits.size(), gridId);
    int emax = num::mxElementEmax(elem);
    bool mxInt8 = rule == ScaleRule::MX && elem.isInt();
    float qmaxSigned = float((1 << (elem.bits() - 1)) - 1);
    float qmaxUnsigned = float((1u << elem.bits()) - 1);
    Type scaleType = scheme.getScaleType();
    auto storedScale = [&](OpBuilder &bb, Location l, Value s) -> Value {
      // Stored-scale rounding: RNE to the scale type, saturating.
      Value capped = arith::MinNumFOp::create(bb, l, s, constF32(bb, l, largestScale(scaleType)));
      return castFloat(bb, l, capped, scaleType);
    };
    auto params = linalg::GenericOp::create(
        b, loc, paramTypes, paramIns, paramInits, paramMaps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &bb, Location l, ValueRange args) {
          SmallVector<Value> out;
          if (rule == ScaleRule::MX) {
            // mxSharedExponent: floor(log2 amax) - emax, clamped; amax == 0
            // counts as 2^-126. Subnormal amax: from the leading one.
            Value bits = args[0];
            Value nonFinite = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::uge, bits,
                                                    constI32(bb, l, 0x7f800000));
            Value biased = arith::ShRUIOp::create(bb, l, bits, constI32(bb, l, 23));
            Value normal = arith::SubIOp::create(bb, l, biased, constI32(bb, l, 127));
            Value lz = math::CountLeadingZerosOp::create(bb, l, bits);
            Value sub = arith::SubIOp::create(bb, l, constI32(bb, l, 31 - 149), lz);
            Value isNormal = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ugt, biased,
                                                   constI32(bb, l, 0));
            Value isZero = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::eq, bits,
                                                 constI32(bb, l, 0));
            Value fl = arith::SelectOp::create(
                bb, l, isZero, constI32(bb, l, -126),
                arith::SelectOp::create(bb, l, isNormal, normal, sub));
            Value e = arith::SubIOp::create(bb, l, fl, constI32(bb, l, emax));
            e = arith::MaxSIOp::create(bb, l, e, constI32(bb, l, -127));
            e = arith::MinSIOp::create(bb, l, e, constI32(bb, l, 127));
            Value code = arith::SelectOp::create(
                bb, l, nonFinite, constI32(bb, l, 255),
                arith::AddIOp::create(bb, l, e, constI32(bb, l, 127)));
            out.push_back(toStorageInt(bb, l, code, scaleStorage));
            Value k = arith::SubIOp::create(bb, l, constI32(bb, l, mxInt8 ? 6 : 0), e);
            out.push_back(arith::SelectOp::create(bb, l, nonFinite, constF64(bb, l, -1.0),
                                                  exp2F64(bb, l, k)));
          } else if (rule == ScaleRule::NvFp4) {
            // nvfp4QuantizeBlock (Exact): every quotient in f64 is as good as
            // the exact one for E4M3/E2M1 targets (see the tensor scale).
            Value amax = args[0], st64 = f64Of(bb, l, args[1]);
            Value q = arith::DivFOp::create(
                bb, l, f64Of(bb, l, amax),
                arith::MulFOp::create(bb, l, constF64(bb, l, 6.0), st64));
            Value isZero = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, amax,
                                                 constF32(bb, l, 0));
            Value sc = e4m3->encode(bb, l, q);
            sc = arith::SelectOp::create(
                bb, l, isZero,
                arith::ConstantOp::create(bb, l, bb.getIntegerAttr(sc.getType(), 0)), sc);
            out.push_back(sc);
            out.push_back(arith::MulFOp::create(bb, l, e4m3Dec->f64(bb, l, sc), st64));
          } else if (rule == ScaleRule::AbsMax) {
            // quantizeGroup, AbsMax: fmax(amax, 1e-5) / qmax.
            Value s = arith::DivFOp::create(
                bb, l, arith::MaxNumFOp::create(bb, l, args[0], constF32(bb, l, 1e-5f)),
                constF32(bb, l, qmaxSigned));
            out.push_back(storedScale(bb, l, s));
            out.push_back(s);
          } else {
            // quantizeGroup, GPTQ/AWQ min/max.
            Value mn = args[0], mx = args[1];
            Value zero = constF32(bb, l, 0.0f);
            Value range;
            if (rule == ScaleRule::GptqMinMax) {
              mn = arith::SelectOp::create(
                  bb, l, arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OLT, zero, mn), zero, mn);
              mx = arith::SelectOp::create(
                  bb, l, arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OLT, mx, zero), zero, mx);
              Value both = arith::AndIOp::create(
                  bb, l, arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, mn, zero),
                  arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, mx, zero));
              mn = arith::SelectOp::create(bb, l, both, constF32(bb, l, -1.0f), mn);
              mx = arith::SelectOp::create(bb, l, both, constF32(bb, l, 1.0f), mx);
              range = arith::SubFOp::create(bb, l, mx, mn);
            } else {
              range = arith::MaxNumFOp::create(bb, l, arith::SubFOp::create(bb, l, mx, mn),
                                               constF32(bb, l, 1e-5f));
            }
            Value s = arith::DivFOp::create(bb, l, range, constF32(bb, l, qmaxUnsigned));
            Value negMn = arith::NegFOp::create(bb, l, mn);
            Value z = clampF32(bb, l, math::RoundEvenOp::create(bb, l, arith::DivFOp::create(bb, l, negMn, s)),
                               0.0f, qmaxUnsigned);
            out.push_back(storedScale(bb, l, s));
            out.push_back(zeroEnc->encode(bb, l, f64Of(bb, l, z)));
            out.push_back(s);
            out.push_back(z);
          }
          linalg::YieldOp::create(bb, l, out);
        });

    // 3. Codes.
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap toGrid = ScaleGrid(scheme, shape).map(ctx);
    unsigned auxIndex = scheme.getZeroType() ? 2 : 1;
    SmallVector<Value> codeIns{x, params.getResult(auxIndex)};
    SmallVector<AffineMap> codeMaps{id, toGrid};
    if (minMax) {
      codeIns.push_back(params.getResult(auxIndex + 1));
      codeMaps.push_back(toGrid);
    }
    codeMaps.push_back(id);
    Value codeInit = emptyLike(b, loc, shape, codeStorage);
    auto codes = linalg::GenericOp::create(
        b, loc, TypeRange{RankedTensorType::get(shape, codeStorage)}, codeIns,
        ValueRange{codeInit}, codeMaps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &bb, Location l, ValueRange args) {
          Value v = f32Of(bb, l, args[0]);
          Value aux = args[1];
          auto storageConst = [&](int64_t c) {
            return arith::ConstantOp::create(bb, l, bb.getIntegerAttr(codeStorage, c)).getResult();
          };
          Value code;
          if (rule == ScaleRule::MX) {
            // mxQuantizeBlock: encode(x * 2^(-e)) exactly; x == 0 gives +0
            // (MX zero sign); MXINT8 saturates to +-127; non-finite blocks
            // (multiplier -1) get zero codes.
            Value y = arith::MulFOp::create(bb, l, f64Of(bb, l, v), aux);
            code = enc->encode(bb, l, y);
            if (mxInt8) {
              Value isMin = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::eq, code,
                                                  storageConst(0x80));
              code = arith::SelectOp::create(bb, l, isMin, storageConst(0x81), code);
            } else {
              Value isZero = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, v,
                                                   constF32(bb, l, 0));
              code = arith::SelectOp::create(bb, l, isZero, storageConst(0), code);
            }
            Value nonFinite = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OLT, aux,
                                                    constF64(bb, l, 0));
            code = arith::SelectOp::create(bb, l, nonFinite, storageConst(0), code);
          } else if (rule == ScaleRule::NvFp4) {
            Value y = arith::DivFOp::create(bb, l, f64Of(bb, l, v), aux);
            Value positive = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGT, aux,
                                                   constF64(bb, l, 0));
            Value neg = arith::CmpIOp::create(
                bb, l, arith::CmpIPredicate::slt,
                arith::BitcastOp::create(bb, l, bb.getI32Type(), v), constI32(bb, l, 0));
            Value signedZero = arith::SelectOp::create(bb, l, neg, storageConst(8), storageConst(0));
            code = arith::SelectOp::create(bb, l, positive, enc->encode(bb, l, y), signedZero);
          } else if (rule == ScaleRule::AbsMax) {
            Value q = clampF32(bb, l, math::RoundEvenOp::create(bb, l, arith::DivFOp::create(bb, l, v, aux)),
                               -qmaxSigned - 1, qmaxSigned);
            Value qi = arith::FPToSIOp::create(bb, l, bb.getI32Type(), q);
            qi = arith::AndIOp::create(bb, l, qi,
                                       constI32(bb, l, static_cast<int32_t>(elem.codeMask())));
            code = toStorageInt(bb, l, qi, codeStorage);
          } else {
            Value r = arith::AddFOp::create(
                bb, l, math::RoundEvenOp::create(bb, l, arith::DivFOp::create(bb, l, v, aux)),
                args[2]);
            Value q = clampF32(bb, l, r, 0.0f, qmaxUnsigned);
            code = toStorageInt(bb, l, arith::FPToUIOp::create(bb, l, bb.getI32Type(), q),
                                codeStorage);
          }
          linalg::YieldOp::create(bb, l, code);
        });

    SmallVector<Value> results{codes.getResult(0), params.getResult(0)};
    if (scheme.getZeroType())
      results.push_back(params.getResult(1));
    if (tensorScale)
      results.push_back(tensorScale);
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void mlir::lowbit::populateQuantizeLoweringPatterns(TypeConverter &converter,
                                                    RewritePatternSet &patterns) {
  patterns.add<QuantizeLowering>(converter, patterns.getContext());
}
