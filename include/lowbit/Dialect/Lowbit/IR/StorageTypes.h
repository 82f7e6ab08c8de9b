//===- StorageTypes.h - How lowered code stores each element type -*- C++ -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_STORAGETYPES_H
#define LOWBIT_DIALECT_LOWBIT_IR_STORAGETYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

namespace mlir::lowbit {
// The dialect's storage ABI: what lowered code (and the JIT's callers) hold
// for a tensor of codes. Part of the dialect because `lowbit.to_storage`
// verifies against it.

/// The storage of one element after convert-lowbit-to-linalg: f32/f16/bf16/
/// f64 and i8/i16/i32/i64 stay; other formats take i8, i16 or i32 by their
/// width (one code per storage element, in its low bits). Null for types
/// without a number format.
Type getStorageElementType(Type elementType);

/// The storage of a tensor: its shape in storage elements, or, for codes
/// with a `#lowbit.layout<bits<...>>` encoding, the bytes of that layout
/// (tensor<N x i8>). Null where the element type has no storage.
RankedTensorType getStorageTensorType(RankedTensorType type);
} // namespace mlir::lowbit

#endif
