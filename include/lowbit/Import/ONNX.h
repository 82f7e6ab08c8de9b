//===- ONNX.h - ONNX graphs to lowbit IR ------------------------*- C++ -*-===//
//
// An ONNX model (opsets 9 to 21, parsed with Debian's libonnx / protobuf)
// becomes one function `@main` with the graph's inputs and outputs, built
// from linalg, tensor and arith ops on tensors (and lowbit ops where
// weights are quantized). Shapes are static: a graph input with symbolic
// dimensions needs them given (`inputShapes`). Shape computations of the
// graph (Shape, Gather, Slice, Concat, Cast, ... on known values) are
// evaluated at import; initializers and Constant nodes become constants;
// BatchNormalization after a Conv is folded into its weights. Every op's
// location names its node. An operator the importer does not know is an
// error naming the operator and the node.
//
// The supported operators and their limits are listed in docs/importing.md.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_IMPORT_ONNX_H
#define LOWBIT_IMPORT_ONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lowbit::import {

struct ONNXImportOptions {
  /// Shapes of graph inputs by name (overriding the file's).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Quantization of constant MatMul/Gemm/Conv weights: a scheme preset or
  /// body for every such weight ("" for none; see docs/importing.md).
  std::string quantize;
  /// Per-node schemes: pairs of (node name or glob pattern, scheme), the
  /// first match wins; "none" keeps a weight in f32.
  std::vector<std::pair<std::string, std::string>> quantizeConfig;
  /// Ops of `main` per private function it calls in order (0: one
  /// function). Small functions compile several times faster in LLVM.
  size_t segmentOps = 64;
  /// Calibration taps: `main` also returns, after the graph's outputs, the
  /// input of every product with a constant weight that a scheme could
  /// quantize (MatMul, Gemm, im2col Conv): the rows x K matrix it
  /// multiplies. WeightStat::tap names each one's result. Weights stay f32
  /// unless `quantize`/`quantizeConfig` say otherwise.
  bool calibrationTaps = false;
  /// Weight arguments: the f32 weight of every product that stays f32 is
  /// an argument of `main` after the graph's inputs (WeightStat::argument)
  /// instead of a constant, so that one compiled module runs the model with
  /// any weights (lowbit-quantize-model's measured sensitivities).
  bool weightArguments = false;
};

/// A constant weight of a MatMul, Gemm or Conv as the module holds it.
struct WeightStat {
  std::string node;   ///< the node's name
  std::string scheme; ///< "" for f32
  int64_t elements = 0;
  int64_t bits = 0;   ///< codes, scales and zero points
  /// The product's shape (output channels n, reduction k) where the weight
  /// is an n x k product operand (0 for depthwise convolutions).
  int64_t n = 0, k = 0;
  /// With ONNXImportOptions::calibrationTaps: the result of `main` holding
  /// this product's input (-1 for none).
  int tap = -1;
  /// With ONNXImportOptions::weightArguments: the argument of `main`
  /// holding this weight (n x k f32; -1 for none).
  int argument = -1;
};

/// Whether this build has the ONNX importer (libonnx was found).
bool haveONNX();

/// `stats`, if given, receives every constant MatMul/Gemm/Conv weight.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importONNX(mlir::MLIRContext &context, llvm::StringRef path, const ONNXImportOptions &options,
           std::vector<WeightStat> *stats = nullptr);
/// The same from the model's bytes; `name` names it in locations.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importONNXBuffer(mlir::MLIRContext &context, llvm::StringRef bytes, llvm::StringRef name,
                 const ONNXImportOptions &options, std::vector<WeightStat> *stats = nullptr);

} // namespace lowbit::import

#endif
