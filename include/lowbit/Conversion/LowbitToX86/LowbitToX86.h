//===- LowbitToX86.h - lowbit.mpgemm to x86 byte-dot kernels ---*- C++ -*-===//
//
// The x86 fast path (docs/cpu-kernels.md): products it covers become
// kernels of vector ops and x86 intrinsics; the rest stays for the
// reference lowering (LowbitToLinalg.h), which runs after it.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITTOX86_LOWBITTOX86_H
#define LOWBIT_CONVERSION_LOWBITTOX86_LOWBITTOX86_H

#include "lowbit/Conversion/LowbitToX86/X86KernelKinds.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace mlir::lowbit {

struct X86KernelOptions {
  ::lowbit::target::CPUTarget target;
  /// The kernel family: the cost model's choice, or one asked for. A family
  /// that cannot take a product leaves it to the cost model, unless
  /// `requireKernel` (lowbit-lower-to-lut): then the product is not
  /// rewritten.
  X86KernelKind kernel = X86KernelKind::Auto;
  bool requireKernel = false;
  /// The lookup-table kernel's entries for float activations.
  X86TableKind tables = X86TableKind::Int8;
  /// Plan run-time weights as if they were stored in the lookup-table
  /// kernel's nibble planes (lowbit-bitplane-decompose asks which products
  /// to store so).
  bool assumeNibblePlanes = false;
  /// Activations are quantized to int8 per block of this many k (a power
  /// of two, at least 8); smaller when a weight scale group needs it.
  int64_t activationBlock = 32;
  /// Bytes ahead of its read that each weight vector's cache line is
  /// prefetched (0: no prefetches).
  int64_t prefetchDistance = 8192;
  /// Activation rows whose sums one pass over a weight tile keeps in
  /// registers (0: 8 with AVX-512, 2 with AVX2).
  int64_t rowsPerPass = 0;
};

/// Why these options are out of range (empty if they are valid):
/// activationBlock a power of two in [8, 256], prefetchDistance a multiple
/// of 64 in [0, 1 MiB], rowsPerPass in [0, 8].
std::string checkX86KernelOptions(const X86KernelOptions &options);

/// The discardable attribute of an mpgemm that sets its kernel's tuning
/// (written by the autotuner, or by hand): a dictionary of any of
/// `activation_block`, `rows_per_pass`, `prefetch_distance` (integers),
/// `kernel` (a string: auto, byte-dot, lut) and `tables` (int8, exact).
constexpr StringLiteral kX86TuningAttrName = "lowbit.x86_tuning";

/// `options` with the op's lowbit.x86_tuning entries applied, or failure
/// with an error at the op (unknown key, not an integer, out of range).
FailureOr<X86KernelOptions> getTunedX86Options(MpGemmOp op, const X86KernelOptions &options);

/// Replaces `op` by a byte-dot kernel, or returns failure with the reason
/// in `whyNot` (the op is then left for the reference lowering).
LogicalResult lowerMpGemmToX86(RewriterBase &rewriter, MpGemmOp op,
                               const X86KernelOptions &options, std::string &whyNot);

/// Why `op` stays on the reference path (empty if a kernel covers it).
std::string whyNotLowerableToX86(MpGemmOp op, const X86KernelOptions &options);

/// The pattern of lowerMpGemmToX86 (its failures are match failures with
/// the reason). Greedy drivers would also fold other ops; the pass applies
/// it with walkAndApplyPatterns.
void populateLowbitToX86Patterns(RewritePatternSet &patterns, const X86KernelOptions &options);

} // namespace mlir::lowbit

#endif
