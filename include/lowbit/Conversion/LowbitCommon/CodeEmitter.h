//===- CodeEmitter.h - Decode and encode codes in generated code -*- C++ -*-===//
//
// The scalar pieces every lowering of lowbit ops shares: a Decoder or
// Encoder is prepared outside a loop body (its constant tables are tensors
// the body captures) and then emits the per-element arithmetic inside it.
// The tables come from the Numerics library, so the generated code is exact
// by construction for every format of at most 16 bits.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITCOMMON_CODEEMITTER_H
#define LOWBIT_CONVERSION_LOWBITCOMMON_CODEEMITTER_H

#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"
#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/Policy.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <string>

namespace mlir::lowbit {

/// Reads codes of one element type.
struct Decoder {
  enum class Kind { Table, Float, WideInt, Call };
  Kind kind = Kind::Float;
  ::lowbit::num::Format format = ::lowbit::num::Format::integer(8);
  Value table;          ///< f32 or f64 values of every code (Kind::Table)
  Value intTable;       ///< i32 values (integer-valued formats), if asked for
  FlatSymbolRefAttr callee; ///< lowbit_rt_decode (Kind::Call)

  /// Prepares the tables at `b`'s insertion point; an error text if the
  /// reference lowering cannot decode this type.
  static std::optional<Decoder> get(OpBuilder &b, Location loc, Type elementType,
                                    bool wantInt, std::string &error);
  /// The exact value as f64.
  Value f64(OpBuilder &b, Location loc, Value storage) const;
  /// The value rounded once to f32.
  Value f32(OpBuilder &b, Location loc, Value storage) const;
  /// The integer value as i32 (integer-valued formats only).
  Value i32(OpBuilder &b, Location loc, Value storage) const;
  /// The code as an index (table formats).
  Value index(OpBuilder &b, Location loc, Value storage) const;

private:
  /// The exact value in the type it comes in (the storage float, the
  /// table's f32 or f64, the runtime's f64); integers are converted by
  /// their callers, in one rounding to the type they want.
  Value exact(OpBuilder &b, Location loc, Value storage) const;
};

/// Writes codes of one element type from f64 values under a policy.
struct Encoder {
  enum class Kind { Steps, F32, Call };
  Kind kind = Kind::F32;
  ::lowbit::num::Format format = ::lowbit::num::Format::integer(8);
  ::lowbit::num::EncodePolicy policy;
  Type storage;
  Value steps, codes; ///< sorted u64 patterns and their codes, padded
  unsigned searchBits = 0;
  FlatSymbolRefAttr callee; ///< lowbit_rt_encode (Kind::Call)

  static std::optional<Encoder> get(OpBuilder &b, Location loc, Type elementType,
                                    const ::lowbit::num::EncodePolicy &policy,
                                    std::string &error);
  /// The code (as storage) of an f64 value.
  Value encode(OpBuilder &b, Location loc, Value x) const;
};

/// Small scalar helpers.
Value constF64(OpBuilder &b, Location loc, double v);
Value constF32(OpBuilder &b, Location loc, float v);
Value constI32(OpBuilder &b, Location loc, int32_t v);
/// 2^e as f64 for an i32 e in [-1022, 1023].
Value exp2F64(OpBuilder &b, Location loc, Value e);
/// Converts an f32 value to f32/f16/bf16.
Value castFloat(OpBuilder &b, Location loc, Value v, Type to);

} // namespace mlir::lowbit

#endif
