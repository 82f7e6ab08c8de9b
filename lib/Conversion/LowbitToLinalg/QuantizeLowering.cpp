//===- QuantizeLowering.cpp - lowbit.quantize of runtime tensors ----------===//
//
// Three steps, each a linalg.generic:
//  1. group statistics: the input (zero-padded to whole groups where the
//     rule allows a short last group; zeros change no max |x|) is reshaped
//     so that every axis d becomes (groups_d, extent_d), and reduced over
//     the extents (a dynamic axis has groups of one element: (size, 1));
//  2. per group: the stored scale (and zero point) and what the codes need;
//  3. per element: the code.
// Each rule's bodies repeat the operations of lowbit/Numerics/BlockScaling.cpp
// in its order and precision; the comments name the function.
//
//===----------------------------------------------------------------------===//

#include "LoweringPatterns.h"

#include "lowbit/Numerics/BlockScaling.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

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

/// What the steps of one quantize share: the rule, the formats and the
/// codecs prepared outside the loop bodies.
struct Quantization {
  ScaleRule rule;
  num::Format elem = num::Format::integer(8);
  Type codeStorage, scaleStorage, scaleType;
  std::optional<Encoder> codes, scaleCodes, zeroCodes; ///< scaleCodes: NVFP4's E4M3
  std::optional<Decoder> scaleValues;                  ///< NVFP4's E4M3
  int emax = 0;
  bool mxInt8 = false;
  float qmaxSigned = 0, qmaxUnsigned = 0;

  bool minMax() const {
    return rule == ScaleRule::GptqMinMax || rule == ScaleRule::AwqMinMax ||
           rule == ScaleRule::MinOffset;
  }
  Value storageConst(OpBuilder &b, Location l, int64_t c) const {
    return arith::ConstantOp::create(b, l, b.getIntegerAttr(codeStorage, c));
  }
  /// Stored-scale rounding: RNE to the scale type, saturating.
  Value storedScale(OpBuilder &b, Location l, Value s) const {
    Value capped = arith::MinNumFOp::create(b, l, s, constF32(b, l, largestScale(scaleType)));
    return castFloat(b, l, capped, scaleType);
  }
};

//===----------------------------------------------------------------------===//
// Step 1: statistics
//===----------------------------------------------------------------------===//

/// Per group: max |x| as f32 bit patterns (MX, mxBlockExponent's integer
/// max), min and max (GPTQ/AWQ), or max |x| (NVFP4, absmax). `dynamic`:
/// the sizes of x's dynamic axes (the verifier allows only groups of one
/// element along them, so the grid has the same sizes there).
linalg::GenericOp groupStatistics(OpBuilder &b, Location loc, const Quantization &qz,
                                  Value x, RankedTensorType inType,
                                  ArrayRef<int64_t> ext, ArrayRef<int64_t> grid,
                                  ValueRange dynamic) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = inType.getShape();
  unsigned rank = shape.size();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  SmallVector<int64_t> padded, expanded;
  SmallVector<OpFoldResult> expandedSizes;
  SmallVector<ReassociationIndices> reassoc;
  unsigned nextDynamic = 0;
  for (unsigned d = 0; d < rank; ++d) {
    bool dyn = ShapedType::isDynamic(shape[d]);
    padded.push_back(dyn ? ShapedType::kDynamic : grid[d] * ext[d]);
    expanded.push_back(dyn ? ShapedType::kDynamic : grid[d]);
    expanded.push_back(ext[d]);
    expandedSizes.push_back(dyn ? OpFoldResult(dynamic[nextDynamic++])
                                : OpFoldResult(b.getIndexAttr(grid[d])));
    expandedSizes.push_back(b.getIndexAttr(ext[d]));
    reassoc.push_back({int64_t(2 * d), int64_t(2 * d + 1)});
  }
  Type et = inType.getElementType();
  Value source = x;
  if (ArrayRef<int64_t>(padded) != shape) {
    Value zeroPad = arith::ConstantOp::create(b, loc, b.getZeroAttr(et));
    source = tensor::createPadHighOp(RankedTensorType::get(padded, et), x, zeroPad,
                                     /*nofold=*/false, loc, b, dynamic);
  }
  Value groups = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(expanded, et),
                                               source, reassoc, expandedSizes);

  SmallVector<Value> inits;
  SmallVector<Type> types;
  auto addStat = [&](Type t, TypedAttr init) {
    inits.push_back(filled(b, loc, grid, t, init, dynamic));
    types.push_back(RankedTensorType::get(grid, t));
  };
  if (qz.rule == ScaleRule::MX) {
    addStat(i32, b.getI32IntegerAttr(0));
  } else if (qz.minMax()) {
    addStat(f32, b.getF32FloatAttr(INFINITY));
    addStat(f32, b.getF32FloatAttr(-INFINITY));
  } else {
    addStat(f32, b.getF32FloatAttr(0));
  }
  SmallVector<AffineExpr> gridDims;
  SmallVector<utils::IteratorType> iters;
  for (unsigned d = 0; d < rank; ++d) {
    gridDims.push_back(getAffineDimExpr(2 * d, ctx));
    iters.push_back(utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
  }
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(2 * rank, ctx)};
  maps.append(inits.size(), AffineMap::get(2 * rank, 0, gridDims, ctx));
  return linalg::GenericOp::create(
      b, loc, types, ValueRange{groups}, inits, maps, iters,
      [&](OpBuilder &bb, Location l, ValueRange args) {
        Value v = f32Of(bb, l, args[0]);
        SmallVector<Value> out;
        if (qz.rule == ScaleRule::MX) {
          Value bits = arith::AndIOp::create(
              bb, l, arith::BitcastOp::create(bb, l, bb.getI32Type(), v),
              constI32(bb, l, 0x7fffffff));
          out.push_back(arith::MaxUIOp::create(bb, l, args[1], bits));
        } else if (qz.minMax()) {
          // NaN-propagating: a group holding NaN is found by its statistics
          // (and one holding an infinity by their being infinite).
          out.push_back(arith::MinimumFOp::create(bb, l, args[1], v));
          out.push_back(arith::MaximumFOp::create(bb, l, args[2], v));
        } else if (qz.rule == ScaleRule::AbsMax) {
          out.push_back(
              arith::MaximumFOp::create(bb, l, args[1], math::AbsFOp::create(bb, l, v)));
        } else {
          out.push_back(
              arith::MaxNumFOp::create(bb, l, args[1], math::AbsFOp::create(bb, l, v)));
        }
        linalg::YieldOp::create(bb, l, out);
      });
}

/// NVFP4's per-tensor scale: nvfp4TensorScale(amax, Exact) = amax / 2688
/// rounded once to f32. The f64 quotient rounded to f32 gives the same: a
/// quotient of a 24-bit and a 5-bit significand is never within 2^-53
/// (relative) of an f32 midpoint unless it equals one. A rank-0 tensor.
Value nvfp4TensorScale(OpBuilder &b, Location loc, Value groupAmax, unsigned rank) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Value init = filled(b, loc, {}, f32, b.getF32FloatAttr(0));
  auto red = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get({}, f32)}, ValueRange{groupAmax},
      ValueRange{init},
      {AffineMap::getMultiDimIdentityMap(rank, ctx), AffineMap::get(rank, 0, {}, ctx)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
      [&](OpBuilder &bb, Location l, ValueRange args) {
        linalg::YieldOp::create(bb, l,
                                Value(arith::MaxNumFOp::create(bb, l, args[1], args[0])));
      });
  Value amax = tensor::ExtractOp::create(b, loc, red.getResult(0), ValueRange{});
  Value q = arith::DivFOp::create(b, loc, f64Of(b, loc, amax), constF64(b, loc, 2688.0));
  Value isZero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, amax, constF32(b, loc, 0));
  Value st = arith::SelectOp::create(b, loc, isZero, constF32(b, loc, 1.0f), f32Of(b, loc, q));
  return tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, f32),
                                        ValueRange{st});
}

//===----------------------------------------------------------------------===//
// Step 2: per group. Each returns {stored scale, [stored zero], aux...}.
//===----------------------------------------------------------------------===//

/// mxSharedExponent: floor(log2 amax) - emax, clamped; amax == 0 counts as
/// 2^-126; a subnormal amax from its leading one. Aux: the f64 multiplier
/// 2^-e (x 64 for MXINT8), -1 for a non-finite block.
SmallVector<Value> mxGroup(OpBuilder &b, Location l, const Quantization &qz, ValueRange args) {
  Value bits = args[0];
  Value nonFinite =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, bits, constI32(b, l, 0x7f800000));
  Value biased = arith::ShRUIOp::create(b, l, bits, constI32(b, l, 23));
  Value normal = arith::SubIOp::create(b, l, biased, constI32(b, l, 127));
  Value lz = math::CountLeadingZerosOp::create(b, l, bits);
  Value sub = arith::SubIOp::create(b, l, constI32(b, l, 31 - 149), lz);
  Value isNormal =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::ugt, biased, constI32(b, l, 0));
  Value isZero = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, bits, constI32(b, l, 0));
  Value fl = arith::SelectOp::create(b, l, isZero, constI32(b, l, -126),
                                     arith::SelectOp::create(b, l, isNormal, normal, sub));
  Value e = arith::SubIOp::create(b, l, fl, constI32(b, l, qz.emax));
  e = arith::MaxSIOp::create(b, l, e, constI32(b, l, -127));
  e = arith::MinSIOp::create(b, l, e, constI32(b, l, 127));
  Value code = arith::SelectOp::create(b, l, nonFinite, constI32(b, l, 255),
                                       arith::AddIOp::create(b, l, e, constI32(b, l, 127)));
  Value k = arith::SubIOp::create(b, l, constI32(b, l, qz.mxInt8 ? 6 : 0), e);
  return {toStorageInt(b, l, code, qz.scaleStorage),
          arith::SelectOp::create(b, l, nonFinite, constF64(b, l, -1.0), exp2F64(b, l, k))};
}

/// nvfp4QuantizeBlock (Exact): every quotient in f64 is as good as the
/// exact one for E4M3/E2M1 targets (see nvfp4TensorScale). Aux: the f64
/// divisor s_block * s_tensor.
SmallVector<Value> nvfp4Group(OpBuilder &b, Location l, const Quantization &qz,
                              ValueRange args) {
  Value amax = args[0], st64 = f64Of(b, l, args[1]);
  Value q = arith::DivFOp::create(b, l, f64Of(b, l, amax),
                                  arith::MulFOp::create(b, l, constF64(b, l, 6.0), st64));
  Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, amax, constF32(b, l, 0));
  Value sc = qz.scaleCodes->encode(b, l, q);
  sc = arith::SelectOp::create(
      b, l, isZero, arith::ConstantOp::create(b, l, b.getIntegerAttr(sc.getType(), 0)), sc);
  return {sc, arith::MulFOp::create(b, l, qz.scaleValues->f64(b, l, sc), st64)};
}

/// Whether a group statistic is NaN or infinite (the group holds one).
Value nonFinite(OpBuilder &b, Location l, Value v) {
  return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UGE, math::AbsFOp::create(b, l, v),
                               constF32(b, l, INFINITY));
}

/// quantizeGroup's non-finite policy: a NaN scale (stored as NaN, not
/// saturated) where `bad`, else `s`. Returns {stored, f32}.
std::pair<Value, Value> scaleOrNaN(OpBuilder &b, Location l, const Quantization &qz, Value bad,
                                   Value s) {
  Value nan = constF32(b, l, NAN);
  return {arith::SelectOp::create(b, l, bad, castFloat(b, l, nan, qz.scaleType),
                                  qz.storedScale(b, l, s)),
          arith::SelectOp::create(b, l, bad, nan, s)};
}

/// quantizeGroup, AbsMax: fmax(amax, 1e-5) / qmax. Aux: the f32 scale.
SmallVector<Value> absMaxGroup(OpBuilder &b, Location l, const Quantization &qz,
                               ValueRange args) {
  Value s = arith::DivFOp::create(
      b, l, arith::MaxNumFOp::create(b, l, args[0], constF32(b, l, 1e-5f)),
      constF32(b, l, qz.qmaxSigned));
  auto [stored, f32] = scaleOrNaN(b, l, qz, nonFinite(b, l, args[0]), s);
  return {stored, f32};
}

/// quantizeGroup, GPTQ/AWQ min/max. Aux: the f32 scale and zero point
/// (MinOffset: the f32 scale and offset).
SmallVector<Value> minMaxGroup(OpBuilder &b, Location l, const Quantization &qz,
                               ValueRange args) {
  Value mn = args[0], mx = args[1];
  Value zero = constF32(b, l, 0.0f);
  auto lt = [&](Value x, Value y) {
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y);
  };
  Value range;
  if (qz.rule == ScaleRule::GptqMinMax) {
    mn = arith::SelectOp::create(b, l, lt(zero, mn), zero, mn); // std::min(mn, 0)
    mx = arith::SelectOp::create(b, l, lt(mx, zero), zero, mx); // std::max(mx, 0)
    Value both = arith::AndIOp::create(
        b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, mn, zero),
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, mx, zero));
    mn = arith::SelectOp::create(b, l, both, constF32(b, l, -1.0f), mn);
    mx = arith::SelectOp::create(b, l, both, constF32(b, l, 1.0f), mx);
    range = arith::SubFOp::create(b, l, mx, mn);
  } else {
    range = arith::MaxNumFOp::create(b, l, arith::SubFOp::create(b, l, mx, mn),
                                     constF32(b, l, 1e-5f));
  }
  Value s = arith::DivFOp::create(b, l, range, constF32(b, l, qz.qmaxUnsigned));
  Value bad = arith::OrIOp::create(b, l, nonFinite(b, l, args[0]), nonFinite(b, l, args[1]));
  if (qz.rule == ScaleRule::MinOffset) { // the offset is the minimum (0 where NaN)
    Value offset = arith::SelectOp::create(b, l, bad, zero, mn);
    auto [stored, f32] = scaleOrNaN(b, l, qz, bad, s);
    return {stored, qz.zeroCodes->encode(b, l, f64Of(b, l, offset)), f32, offset};
  }
  Value z = clampF32(b, l,
                     math::RoundEvenOp::create(
                         b, l, arith::DivFOp::create(b, l, arith::NegFOp::create(b, l, mn), s)),
                     0.0f, qz.qmaxUnsigned);
  z = arith::SelectOp::create(b, l, bad, zero, z);
  auto [stored, f32] = scaleOrNaN(b, l, qz, bad, s);
  return {stored, qz.zeroCodes->encode(b, l, f64Of(b, l, z)), f32, z};
}

//===----------------------------------------------------------------------===//
// Step 3: per element
//===----------------------------------------------------------------------===//

/// mxQuantizeBlock: encode(x * 2^(-e)) exactly; x == 0 gives +0 (MX zero
/// sign); MXINT8 saturates to +-127; non-finite blocks (multiplier -1) get
/// zero codes.
Value mxCode(OpBuilder &b, Location l, const Quantization &qz, Value v, Value multiplier) {
  Value code = qz.codes->encode(b, l, arith::MulFOp::create(b, l, f64Of(b, l, v), multiplier));
  if (qz.mxInt8) {
    Value isMin = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, code,
                                        qz.storageConst(b, l, 0x80));
    code = arith::SelectOp::create(b, l, isMin, qz.storageConst(b, l, 0x81), code);
  } else {
    Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v, constF32(b, l, 0));
    code = arith::SelectOp::create(b, l, isZero, qz.storageConst(b, l, 0), code);
  }
  Value nonFinite =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, multiplier, constF64(b, l, 0));
  return arith::SelectOp::create(b, l, nonFinite, qz.storageConst(b, l, 0), code);
}

/// nvfp4QuantizeBlock: e2m1(x / divisor), or a signed zero in a zero block.
Value nvfp4Code(OpBuilder &b, Location l, const Quantization &qz, Value v, Value divisor) {
  Value y = arith::DivFOp::create(b, l, f64Of(b, l, v), divisor);
  Value positive =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, divisor, constF64(b, l, 0));
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                    arith::BitcastOp::create(b, l, b.getI32Type(), v),
                                    constI32(b, l, 0));
  Value signedZero = arith::SelectOp::create(b, l, neg, qz.storageConst(b, l, 8),
                                             qz.storageConst(b, l, 0));
  return arith::SelectOp::create(b, l, positive, qz.codes->encode(b, l, y), signedZero);
}

/// 0 where the group's scale is NaN (the non-finite policy: zero codes),
/// so that no NaN reaches the float-to-integer conversion.
Value zeroWhereNaN(OpBuilder &b, Location l, Value scale, Value q) {
  Value nan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, scale, scale);
  return arith::SelectOp::create(b, l, nan, constF32(b, l, 0.0f), q);
}

/// quantizeGroup, AbsMax: clamp(round(x / s), -qmax - 1, qmax) as codes.
Value absMaxCode(OpBuilder &b, Location l, const Quantization &qz, Value v, Value scale) {
  Value q = clampF32(b, l, math::RoundEvenOp::create(b, l, arith::DivFOp::create(b, l, v, scale)),
                     -qz.qmaxSigned - 1, qz.qmaxSigned);
  q = zeroWhereNaN(b, l, scale, q);
  Value qi = arith::FPToSIOp::create(b, l, b.getI32Type(), q);
  qi = arith::AndIOp::create(b, l, qi, constI32(b, l, static_cast<int32_t>(qz.elem.codeMask())));
  return toStorageInt(b, l, qi, qz.codeStorage);
}

/// quantizeGroup, min/max: clamp(round(x / s) + zero, 0, qmax); MinOffset:
/// clamp(round((x - offset) / s), 0, qmax).
Value minMaxCode(OpBuilder &b, Location l, const Quantization &qz, Value v, Value scale,
                 Value zero) {
  Value r =
      qz.rule == ScaleRule::MinOffset
          ? math::RoundEvenOp::create(
                b, l, arith::DivFOp::create(b, l, arith::SubFOp::create(b, l, v, zero), scale))
                .getResult()
          : arith::AddFOp::create(
                b, l, math::RoundEvenOp::create(b, l, arith::DivFOp::create(b, l, v, scale)),
                zero)
                .getResult();
  Value q = zeroWhereNaN(b, l, scale, clampF32(b, l, r, 0.0f, qz.qmaxUnsigned));
  return toStorageInt(b, l, arith::FPToUIOp::create(b, l, b.getI32Type(), q), qz.codeStorage);
}

//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

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
    ScaleGrid grid(scheme, shape);

    Quantization qz;
    qz.rule = scheme.getRule();
    qz.elem = *getFormat(codesType.getElementType());
    qz.codeStorage = getStorageElementType(codesType.getElementType());
    qz.scaleType = scheme.getScaleType();
    qz.scaleStorage = getStorageElementType(qz.scaleType);
    qz.emax = num::mxElementEmax(qz.elem);
    qz.mxInt8 = qz.rule == ScaleRule::MX && qz.elem.isInt();
    qz.qmaxSigned = float((1 << (qz.elem.bits() - 1)) - 1);
    qz.qmaxUnsigned = float((1u << qz.elem.bits()) - 1);
    std::string error;
    qz.codes = Encoder::get(b, loc, codesType.getElementType(), {}, error);
    if (qz.rule == ScaleRule::NvFp4) {
      qz.scaleCodes = Encoder::get(b, loc, qz.scaleType, {}, error);
      qz.scaleValues = Decoder::get(b, loc, qz.scaleType, false, error);
    }
    if (scheme.getZeroType())
      qz.zeroCodes = Encoder::get(b, loc, scheme.getZeroType(), {}, error);
    if (!error.empty())
      return op.emitOpError() << error;

    // 1. Statistics.
    Value x = adaptor.getInput();
    SmallVector<Value> dynamic = dynamicSizesOf(b, loc, shape, x);
    linalg::GenericOp stats =
        groupStatistics(b, loc, qz, x, inType, grid.extents, grid.shape, dynamic);
    Value tensorScale;
    if (qz.rule == ScaleRule::NvFp4)
      tensorScale = nvfp4TensorScale(b, loc, stats.getResult(0), rank);

    // 2. Per group: {stored scale, [stored zero], aux...}.
    Type f32 = b.getF32Type(), f64 = b.getF64Type();
    SmallVector<Type> paramElems{qz.scaleStorage};
    if (scheme.getZeroType())
      paramElems.push_back(getStorageElementType(scheme.getZeroType()));
    paramElems.push_back(qz.rule == ScaleRule::MX || qz.rule == ScaleRule::NvFp4 ? f64 : f32);
    if (qz.minMax())
      paramElems.push_back(f32);
    SmallVector<Type> paramTypes;
    SmallVector<Value> paramInits;
    for (Type t : paramElems) {
      paramTypes.push_back(RankedTensorType::get(grid.shape, t));
      paramInits.push_back(emptyLike(b, loc, grid.shape, t, dynamic));
    }
    AffineMap gridId = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<Value> paramIns(stats.getResults());
    SmallVector<AffineMap> paramMaps(paramIns.size(), gridId);
    if (tensorScale) {
      paramIns.push_back(tensorScale);
      paramMaps.push_back(AffineMap::get(rank, 0, {}, ctx));
    }
    paramMaps.append(paramInits.size(), gridId);
    auto params = linalg::GenericOp::create(
        b, loc, paramTypes, paramIns, paramInits, paramMaps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &bb, Location l, ValueRange args) {
          SmallVector<Value> out;
          switch (qz.rule) {
          case ScaleRule::MX: out = mxGroup(bb, l, qz, args); break;
          case ScaleRule::NvFp4: out = nvfp4Group(bb, l, qz, args); break;
          case ScaleRule::AbsMax: out = absMaxGroup(bb, l, qz, args); break;
          default: out = minMaxGroup(bb, l, qz, args); break;
          }
          linalg::YieldOp::create(bb, l, out);
        });

    // 3. Codes, from the input and the aux values of its group.
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap toGrid = grid.map(ctx);
    unsigned auxIndex = scheme.getZeroType() ? 2 : 1;
    SmallVector<Value> codeIns{x};
    SmallVector<AffineMap> codeMaps{id};
    for (unsigned i = auxIndex; i < params.getNumResults(); ++i) {
      codeIns.push_back(params.getResult(i));
      codeMaps.push_back(toGrid);
    }
    Value codes = parallelGeneric(
        b, loc, RankedTensorType::get(shape, qz.codeStorage), codeIns, codeMaps,
        [&](OpBuilder &bb, Location l, ValueRange args) {
          Value v = f32Of(bb, l, args[0]);
          switch (qz.rule) {
          case ScaleRule::MX: return mxCode(bb, l, qz, v, args[1]);
          case ScaleRule::NvFp4: return nvfp4Code(bb, l, qz, v, args[1]);
          case ScaleRule::AbsMax: return absMaxCode(bb, l, qz, v, args[1]);
          default: return minMaxCode(bb, l, qz, v, args[1], args[2]);
          }
        });

    SmallVector<Value> results{codes, params.getResult(0)};
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
