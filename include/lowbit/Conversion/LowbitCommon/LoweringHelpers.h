//===- LoweringHelpers.h - Tensor-level building blocks of lowerings -*- C++ -*-===//
//
// Small builders the lowerings of lowbit ops share: empty and filled
// tensors (dynamic sizes included), parallel linalg.generic ops over a
// result, clamps and integer narrowing with the Numerics library's
// semantics.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITCOMMON_LOWERINGHELPERS_H
#define LOWBIT_CONVERSION_LOWBITCOMMON_LOWERINGHELPERS_H

#include "lowbit/Conversion/LowbitCommon/CodeEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <optional>

namespace mlir::lowbit {

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

} // namespace mlir::lowbit

#endif
