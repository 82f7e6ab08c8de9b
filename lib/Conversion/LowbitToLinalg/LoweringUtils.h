//===- LoweringUtils.h - Shared pieces of the reference lowering -*- C++ -*-===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOLINALG_LOWERINGUTILS_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOLINALG_LOWERINGUTILS_H

#include "CodeEmitter.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace mlir::lowbit {
namespace num = ::lowbit::num;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// An empty tensor of `shape`, whose dynamic dimensions have the sizes
/// `dynamicSizes` (in order).
inline Value emptyLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elem,
                       ValueRange dynamicSizes = {}) {
  return tensor::EmptyOp::create(b, loc, shape, elem, dynamicSizes);
}

/// The sizes of the dynamic dimensions of `shape`, read from `like` (a
/// tensor whose shape equals `shape` where `shape` is dynamic).
inline SmallVector<Value> dynamicSizesOf(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                                         Value like) {
  SmallVector<Value> sizes;
  for (auto [d, size] : llvm::enumerate(shape))
    if (ShapedType::isDynamic(size))
      sizes.push_back(tensor::DimOp::create(b, loc, like, d));
  return sizes;
}

inline Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elem,
                    TypedAttr value, ValueRange dynamicSizes = {}) {
  Value init = emptyLike(b, loc, shape, elem, dynamicSizes);
  Value v = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, v, init).getResult(0);
}

/// A linalg.generic with parallel iterators over the result's shape,
/// writing a fresh tensor: `inputs` are read through `inputMaps`, and
/// `body` returns the result element from the inputs' elements. Dynamic
/// dimensions of the result take the sizes `dynamicSizes`, or by default
/// those of the first input (read through an identity map).
inline Value parallelGeneric(OpBuilder &b, Location loc, RankedTensorType resultType,
                             ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                             function_ref<Value(OpBuilder &, Location, ValueRange)> body,
                             std::optional<SmallVector<Value>> dynamicSizes = std::nullopt) {
  unsigned rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, b.getContext()));
  if (!dynamicSizes) {
    assert((resultType.hasStaticShape() || (!inputs.empty() && maps[0].isIdentity())) &&
           "a dynamic result needs its sizes");
    dynamicSizes = resultType.hasStaticShape()
                       ? SmallVector<Value>{}
                       : dynamicSizesOf(b, loc, resultType.getShape(), inputs[0]);
  }
  Value init = emptyLike(b, loc, resultType.getShape(), resultType.getElementType(),
                         *dynamicSizes);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [&](OpBuilder &bb, Location l, ValueRange args) {
               linalg::YieldOp::create(bb, l, body(bb, l, args.drop_back()));
             })
      .getResult(0);
}

/// The indices of the current point of the enclosing linalg.generic.
inline SmallVector<Value> loopIndices(OpBuilder &b, Location l, unsigned rank) {
  SmallVector<Value> idx;
  for (unsigned d = 0; d < rank; ++d)
    idx.push_back(linalg::IndexOp::create(b, l, d));
  return idx;
}

/// Which entry of a scheme's scale grid an element falls in: along each
/// axis, index / group extent, or 0 where the grid has a single entry. The
/// same rule as an affine map (linalg indexing maps) or as index values
/// (reads inside loop bodies).
struct ScaleGrid {
  SmallVector<int64_t> extents, shape; ///< group extents; the grid's shape

  ScaleGrid(SchemeAttr scheme, ArrayRef<int64_t> tensorShape)
      : extents(scheme.getGroupExtents(tensorShape)),
        shape(scheme.getScaleShape(tensorShape)) {}

  /// The grid index of the element whose indices are `exprs` of `numDims`
  /// iteration dims.
  AffineMap map(MLIRContext *ctx, unsigned numDims, ArrayRef<AffineExpr> exprs) const {
    SmallVector<AffineExpr> out;
    for (auto [d, e] : llvm::enumerate(exprs))
      out.push_back(shape[d] == 1    ? getAffineConstantExpr(0, ctx)
                    : extents[d] == 1 ? e
                                      : e.floorDiv(extents[d]));
    return AffineMap::get(numDims, 0, out, ctx);
  }
  /// The map over the tensor's own indices.
  AffineMap map(MLIRContext *ctx) const {
    unsigned rank = extents.size();
    return map(ctx, rank, AffineMap::getMultiDimIdentityMap(rank, ctx).getResults());
  }
  /// The grid index of the element at `idx`.
  SmallVector<Value> index(OpBuilder &b, Location l, ValueRange idx) const {
    SmallVector<Value> out;
    for (auto [d, v] : llvm::enumerate(idx)) {
      if (shape[d] == 1)
        out.push_back(arith::ConstantIndexOp::create(b, l, 0));
      else if (extents[d] == 1)
        out.push_back(v);
      else
        out.push_back(arith::DivUIOp::create(
            b, l, v, arith::ConstantIndexOp::create(b, l, extents[d])));
    }
    return out;
  }
};

/// A clamp with std::clamp's comparisons: v < lo ? lo : (hi < v ? hi : v).
inline Value clampF32(OpBuilder &b, Location loc, Value v, float lo, float hi) {
  Value l = constF32(b, loc, lo), h = constF32(b, loc, hi);
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, l);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, h, v);
  return arith::SelectOp::create(b, loc, below, l,
                                 arith::SelectOp::create(b, loc, above, h, v));
}

inline Value toStorageInt(OpBuilder &b, Location loc, Value i32, Type storage) {
  unsigned w = storage.getIntOrFloatBitWidth();
  if (w < 32)
    return arith::TruncIOp::create(b, loc, storage, i32);
  return i32;
}

//===----------------------------------------------------------------------===//
// Dequantized values (shared by dequantize and mpgemm)
//===----------------------------------------------------------------------===//

/// Reads one operand's values: plain codes, or codes with their scheme.
struct OperandReader {
  SchemeAttr scheme;
  std::optional<Decoder> codes, scales, zeros;
  bool mxInt8 = false;

  static FailureOr<OperandReader> get(OpBuilder &b, Location loc, Operation *op,
                                      Type elementType, SchemeAttr scheme,
                                      bool wantInt) {
    OperandReader r;
    r.scheme = scheme;
    std::string error;
    r.codes = Decoder::get(b, loc, elementType, wantInt, error);
    if (!r.codes)
      return op->emitOpError() << error, failure();
    if (!scheme)
      return r;
    r.scales = Decoder::get(b, loc, scheme.getScaleType(), false, error);
    if (!r.scales)
      return op->emitOpError() << error, failure();
    if (scheme.getZeroType()) {
      r.zeros = Decoder::get(b, loc, scheme.getZeroType(), true, error);
      if (!r.zeros)
        return op->emitOpError() << error, failure();
    }
    const num::Format &f = r.codes->format;
    r.mxInt8 = scheme.getRule() == ScaleRule::MX && f.isInt();
    return r;
  }

  /// The dequantized value as f32 (lowbit::num::dequantizeElement).
  Value valueF32(OpBuilder &b, Location loc, Value code, Value scale, Value zero,
                 Value tensorScale) const {
    if (!scheme)
      return codes->f32(b, loc, code);
    switch (scheme.getRule()) {
    case ScaleRule::MX: { // mxDequantizeValue: exact, then one rounding
      Value e = codes->f64(b, loc, code);
      Value v = arith::MulFOp::create(b, loc, e, scaleFactorF64(b, loc, scale));
      return castFloat(b, loc, v, b.getF32Type());
    }
    case ScaleRule::NvFp4: { // nvfp4DequantizeValue
      Value e = codes->f64(b, loc, code);
      Value sb = scales->f64(b, loc, scale);
      Value st = castFloat(b, loc, tensorScale, b.getF64Type());
      Value v = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, e, sb), st);
      return castFloat(b, loc, v, b.getF32Type());
    }
    default: { // dequantizeGroupValue: (q - zero) * scale in f32
      Value q = codes->f32(b, loc, code);
      if (zeros)
        q = arith::SubFOp::create(b, loc, q, zeros->f32(b, loc, zero));
      return arith::MulFOp::create(b, loc, q, scales->f32(b, loc, scale));
    }
    }
  }

  /// The integer value of a code minus its zero point (i32 accumulation).
  Value intValue(OpBuilder &b, Location loc, Value code, Value zero) const {
    Value q = codes->i32(b, loc, code);
    if (zeros)
      q = arith::SubIOp::create(b, loc, q, zeros->i32(b, loc, zero));
    return q;
  }

  /// The factor a group's integer values are multiplied by (i32 mode).
  Value factorF32(OpBuilder &b, Location loc, Value scale) const {
    if (scheme.getRule() == ScaleRule::MX)
      return castFloat(b, loc, scaleFactorF64(b, loc, scale), b.getF32Type());
    return scales->f32(b, loc, scale);
  }

private:
  /// 2^(s - 127) for an E8M0 scale code s (2^(s - 133) for MXINT8, whose
  /// elements are k / 64), NaN for the NaN code 0xFF.
  Value scaleFactorF64(OpBuilder &b, Location loc, Value scale) const {
    Value s = arith::ExtUIOp::create(b, loc, b.getI32Type(), scale);
    Value k = arith::SubIOp::create(b, loc, s, constI32(b, loc, mxInt8 ? 133 : 127));
    Value isNaN = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, s,
                                        constI32(b, loc, 255));
    return arith::SelectOp::create(b, loc, isNaN, constF64(b, loc, NAN),
                                   exp2F64(b, loc, k));
  }
};

/// Reads elements of one quantized operand (codes plus its scheme's
/// tensors, captured by a loop body) at an index: the dequantized f32 value,
/// or the integer value for i32 accumulation.
struct OperandAccess {
  const OperandReader *reader;
  QuantizedOperand q;
  std::optional<ScaleGrid> grid;

  OperandAccess(const OperandReader &r, const QuantizedOperand &q, RankedTensorType type)
      : reader(&r), q(q) {
    if (q.scheme)
      grid.emplace(q.scheme, type.getShape());
  }

  Value read(OpBuilder &b, Location l, ValueRange idx, bool asInt) const {
    Value code = tensor::ExtractOp::create(b, l, q.codes, idx);
    Value scale, zero, st;
    if (q.scheme) {
      SmallVector<Value> g = grid->index(b, l, idx);
      scale = tensor::ExtractOp::create(b, l, q.scales, g);
      if (q.zeroPoints)
        zero = tensor::ExtractOp::create(b, l, q.zeroPoints, g);
      if (q.tensorScale)
        st = tensor::ExtractOp::create(b, l, q.tensorScale, ValueRange{});
    }
    if (asInt)
      return reader->intValue(b, l, code, zero);
    return reader->valueF32(b, l, code, scale, zero, st);
  }
};

/// The patterns of the larger ops, one file each.
void populateQuantizeLoweringPatterns(TypeConverter &converter, RewritePatternSet &patterns);
void populateMpGemmLoweringPatterns(TypeConverter &converter, RewritePatternSet &patterns);
void populatePackingLoweringPatterns(TypeConverter &converter, RewritePatternSet &patterns);

} // namespace mlir::lowbit

#endif
