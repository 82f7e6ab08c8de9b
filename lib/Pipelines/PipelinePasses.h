//===- PipelinePasses.h - Passes of the CPU pipelines ----------*- C++ -*-===//
//
// Passes the CPU pipelines run that are not part of a dialect (internal to
// lib/Pipelines; registered for lowbit-opt by registerCPUPipelines).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_PIPELINES_PIPELINEPASSES_H
#define LOWBIT_LIB_PIPELINES_PIPELINEPASSES_H

#include <memory>

namespace mlir {
class Pass;
namespace lowbit {
/// lowbit-depthwise-conv-to-vectors (DepthwiseConvToVectors.cpp).
std::unique_ptr<Pass> createDepthwiseConvToVectorsPass();
void registerDepthwiseConvToVectorsPass();
/// lowbit-transposes-to-vectors (TransposesToVectors.cpp).
std::unique_ptr<Pass> createTransposesToVectorsPass();
void registerTransposesToVectorsPass();
} // namespace lowbit
} // namespace mlir

#endif
