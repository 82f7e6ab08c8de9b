//===- ReferencePipeline.h - Tensor-level lowbit IR to LLVM -----*- C++ -*-===//
#ifndef LOWBIT_PIPELINES_REFERENCEPIPELINE_H
#define LOWBIT_PIPELINES_REFERENCEPIPELINE_H

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

/// The pipeline for a CPU target: the x86 kernels (convert-lowbit-to-x86)
/// for the products they cover, the reference lowering for the rest, the
/// same bufferization and LLVM lowering, then lowbit-check-target-features.
/// `Generic` is the reference pipeline.
struct CPUPipelineConfig {
  ::lowbit::target::CPUTargetKind target = ::lowbit::target::CPUTargetKind::Host;
  /// Remark on every product left to the reference lowering, and why.
  bool reportFallbacks = false;
  /// Threads of the kernels' loops over output tiles: above 1 they become
  /// OpenMP worksharing loops (the module then needs LLVM's libomp).
  unsigned numThreads = 1;
};
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config);

/// Registers `--lowbit-reference-pipeline` and `--lowbit-cpu-pipeline`.
void registerReferencePipeline();

} // namespace lowbit
} // namespace mlir

#endif
