//===- OperandReaders.h - Values of quantized operands in generated code -*- C++ -*-===//
//
// How generated code reads a quantized operand: the scale grid of its
// scheme (which scale an element takes), and the dequantized f32 value or
// the integer value of an element, computed as the Numerics library does
// (lowbit::num::dequantizeElement) from the codes and their scale tensors.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITCOMMON_OPERANDREADERS_H
#define LOWBIT_CONVERSION_LOWBITCOMMON_OPERANDREADERS_H

#include "lowbit/Conversion/LowbitCommon/CodeEmitter.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>
#include <optional>

namespace mlir::lowbit {
namespace num = ::lowbit::num;

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
      r.zeros = Decoder::get(b, loc, scheme.getZeroType(), /*wantInt=*/!scheme.hasOffset(),
                             error);
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
    case ScaleRule::MinOffset: { // dequantizeOffsetGroupValue: q * scale + offset
      // Two f32 operations without `contract`: LLVM keeps both roundings.
      Value q = codes->f32(b, loc, code);
      Value v = arith::MulFOp::create(b, loc, q, scales->f32(b, loc, scale));
      return arith::AddFOp::create(b, loc, v, zeros->f32(b, loc, zero));
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

} // namespace mlir::lowbit

#endif
