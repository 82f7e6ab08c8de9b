//===- X86KernelKinds.h - Kernel and table choices of the x86 path -*- C++ -*-===//
//
// The enums of X86KernelOptions that pass options also take (Passes.td),
// apart from LowbitToX86.h so that the pass declarations need no dialect
// headers.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITTOX86_X86KERNELKINDS_H
#define LOWBIT_CONVERSION_LOWBITTOX86_X86KERNELKINDS_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::lowbit {

/// Which kernel family a product takes (docs/cpu-kernels.md).
enum class X86KernelKind {
  Auto,        ///< the cost model's choice
  ByteDot,     ///< operand bytes x int8 activations (vpdpbusd / vpmaddubsw)
  LookupTable, ///< bit planes indexing per-row tables (vpermb / vpshufb)
  BitSerial,   ///< low-bit activation codes: popcounts of bit-plane ANDs
};

/// The option spelling of `kind`: auto, byte-dot, lut, bit-serial.
llvm::StringRef stringifyX86KernelKind(X86KernelKind kind);
std::optional<X86KernelKind> parseX86KernelKind(llvm::StringRef name);

/// The entries of the lookup-table kernel's tables (docs/cpu-kernels.md).
enum class X86TableKind {
  /// Float activations: the f32 sums of 4 activations rounded to int8, one
  /// scale per block (T-MAC's tables; their own error bound).
  Int8,
  /// The exact int16 sums of the int8 activations the byte-dot kernel
  /// multiplies (float activations quantized per block as it does, or int8
  /// activations as they are), looked up as two byte tables: the results
  /// are the byte-dot kernel's, bit for bit. Always taken for int8
  /// activations.
  Exact,
};

/// The option spelling of `kind`: int8, exact.
llvm::StringRef stringifyX86TableKind(X86TableKind kind);
std::optional<X86TableKind> parseX86TableKind(llvm::StringRef name);

} // namespace mlir::lowbit

#endif
