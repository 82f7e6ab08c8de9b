//===- LowbitOps.h - lowbit tensor operations -------------------*- C++ -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITOPS_H
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITOPS_H

#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/Policy.h"
#include "lowbit/Numerics/TensorQuantization.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h.inc"



namespace mlir::lowbit {

/// A codes tensor with the scale operands its scheme asks for. The ops that
/// take quantized operands (dequantize, mpgemm) list the scales, then the
/// zero points or the per-tensor scale; this names them.
struct QuantizedOperand {
  Value codes;
  SchemeAttr scheme; ///< null: plain codes
  Value scales, zeroPoints, tensorScale;

  static QuantizedOperand get(Value codes, ValueRange params, SchemeAttr scheme);
};

/// The layout encoding of a tensor type (codes stored in a bit layout), or
/// null.
LayoutAttr getLayoutEncoding(Type type);

/// Whether a type has a lowbit number format (lowbit types, builtin floats
/// and integers of at most 32 bits).
bool hasNumberFormat(Type type);

/// The Numerics view of a scheme applied to a tensor of this shape.
::lowbit::num::TensorScheme getTensorScheme(SchemeAttr scheme, Type elementType,
                                            ArrayRef<int64_t> shape);

/// lowbit.pack and lowbit.unpack on host arrays (folding, the reference
/// evaluator): codes of `shape` (row-major), exactly one of order / layout.
std::vector<uint8_t> packCodes(ArrayRef<uint64_t> codes, ArrayRef<int64_t> shape,
                               unsigned bits, std::optional<BitOrder> order,
                               LayoutAttr layout);
/// packCodes of a constant's codes (iN/uiN, N the code width), as a dense
/// attribute of type `bytesType`.
DenseIntElementsAttr packCodesAttr(DenseIntElementsAttr codes, ArrayRef<int64_t> shape,
                                   std::optional<BitOrder> order, LayoutAttr layout,
                                   RankedTensorType bytesType);
std::vector<uint64_t> unpackCodes(ArrayRef<uint8_t> bytes, ArrayRef<int64_t> shape,
                                  unsigned bits, std::optional<BitOrder> order,
                                  LayoutAttr layout);

} // namespace mlir::lowbit
#endif
