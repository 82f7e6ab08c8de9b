//===- LowbitTypes.h - lowbit element types ---------------------*- C++ -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPES_H
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPES_H

#include "lowbit/Numerics/Format.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#include <optional>

namespace mlir {
class DialectRegistry;
namespace lowbit {

/// The MLIR builtin float type identical to `format`, or null.
Type getBuiltinType(MLIRContext *ctx, const ::lowbit::num::Format &format);
/// The lowbit type of a format (int, ternary, float or posit).
Type getLowbitType(MLIRContext *ctx, const ::lowbit::num::Format &format);
/// The format of any type that has one: lowbit element types, the builtin
/// float types with a lowbit equivalent, and builtin integers (iN / siN are
/// two's complement, uiN unsigned) of at most 32 bits.
std::optional<::lowbit::num::Format> getFormat(Type type);

/// Attaches LowbitFormatTypeInterface to the builtin float types that equal
/// a lowbit format (f8E4M3FN, f8E5M2, ..., f16, bf16, tf32, f32).
void registerBuiltinFormatInterfaceExternalModels(DialectRegistry &registry);

} // namespace lowbit
} // namespace mlir

#include "lowbit/Dialect/Lowbit/IR/LowbitTypeInterfaces.h.inc"

#define GET_TYPEDEF_CLASSES
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h.inc"

#endif
