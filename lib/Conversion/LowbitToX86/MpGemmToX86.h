//===- MpGemmToX86.h - lowbit.mpgemm to x86 byte-dot kernels ---*- C++ -*-===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOX86_MPGEMMTOX86_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOX86_MPGEMMTOX86_H

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir::lowbit {

struct X86KernelOptions {
  ::lowbit::target::CPUTarget target;
  /// Activations are quantized to int8 per block of this many k (a power
  /// of two, at least 8); smaller when a weight scale group needs it.
  int64_t activationBlock = 32;
};

/// Replaces `op` by a byte-dot kernel, or returns failure with the reason
/// in `whyNot` (the op is then left for the reference lowering).
LogicalResult lowerMpGemmToX86(RewriterBase &rewriter, MpGemmOp op,
                               const X86KernelOptions &options, std::string &whyNot);

} // namespace mlir::lowbit

#endif
