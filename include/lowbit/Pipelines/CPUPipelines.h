//===- CPUPipelines.h - Tensor-level lowbit IR to LLVM for CPU targets -*- C++ -*-===//
#ifndef LOWBIT_PIPELINES_CPUPIPELINES_H
#define LOWBIT_PIPELINES_CPUPIPELINES_H

#include "lowbit/Target/CPUTarget.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
namespace lowbit {

/// The dialects the reference pipeline passes through, with the external
/// interface models its passes need (bufferization of arith/linalg/tensor/
/// func, conversion to LLVM) and the LLVM IR translations of the result.
void registerReferencePipelineDialects(DialectRegistry &registry);

/// convert-lowbit-to-linalg, bufferization with function results turned
/// into caller-allocated out-parameters (dynamic shapes included), loops,
/// and the LLVM dialect with MLIR's default calling convention: a function
/// `f(tensor A, tensor B) -> tensor C` becomes `f(A, B, C)` over storage
/// elements, each memref passed as its descriptor's fields (allocated and
/// aligned pointer, offset, sizes, strides), which carry dynamic sizes.
void buildReferencePipeline(OpPassManager &pm);

/// The pipelines of CPU targets, one per target family, sharing their
/// stages: weight folding, the family's fast-path lowerings, the reference
/// lowering for what they leave, bufferization and the LLVM dialect, then
/// lowbit-check-target-features. buildCPUPipeline picks the family of the
/// configured target.
struct CPUPipelineConfig {
  ::lowbit::target::CPUTargetKind target = ::lowbit::target::CPUTargetKind::Host;
  /// Remark on every product left to the reference lowering, and why.
  bool reportFallbacks = false;
  /// Threads of the kernels' loops over output tiles: above 1 they become
  /// OpenMP worksharing loops (the module then needs LLVM's libomp).
  unsigned numThreads = 1;
};
/// `generic`: the reference lowering only.
void buildGenericCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config);
/// x86-64-v3, x86-64-v4, znver4, aarch64, aarch64+i8mm (and host on x86
/// and AArch64): the byte-dot and lookup-table kernels
/// (convert-lowbit-to-x86, which emits each family's instructions) for the
/// products they cover.
void buildKernelCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config);
/// The pipeline of the configured target's family.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config);

/// Registers `--lowbit-reference-pipeline` and `--lowbit-cpu-pipeline`.
void registerCPUPipelines();

} // namespace lowbit
} // namespace mlir

#endif
