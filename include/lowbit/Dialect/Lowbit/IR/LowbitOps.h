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

/// Named policy `group-divisor` (docs/importing.md): a scheme with groups
/// along the reduction axis that needs whole groups, applied to a weight
/// whose reduction size `k` is not a multiple of the group, quantizes in
/// groups of the largest divisor of k not above the group (g128 on
/// K = 360: groups of 120). Other schemes come back unchanged.
SchemeAttr fitSchemeToReduction(SchemeAttr scheme, int64_t k);

/// The bits a weight of `shape` stores under `scheme` with codes of
/// `element`: codes, scales, zero points and NVFP4's f32 tensor scale.
int64_t getStoredBits(SchemeAttr scheme, Type element, ArrayRef<int64_t> shape);

/// The result types of lowbit.quantize of a tensor of `shape` to codes of
/// `element`: codes, scales, then zero points and the tensor scale where
/// the scheme has them.
SmallVector<Type> getQuantizeResultTypes(SchemeAttr scheme, Type element,
                                         ArrayRef<int64_t> shape);

/// The constant values of those results for quantized data `q` (as the
/// fold of lowbit.quantize makes them): dense integer codes, scales as
/// floats or codes, zero-point codes, the f32 tensor scale.
SmallVector<Attribute> getQuantizedAttrs(SchemeAttr scheme, Type element,
                                         ArrayRef<int64_t> shape,
                                         const ::lowbit::num::QuantizedTensor &q);

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
