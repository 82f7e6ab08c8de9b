//===- TensorQuantization.h - Schemes applied to whole tensors --*- C++ -*-===//
//
// A scheme (the dialect's #lowbit.scheme without MLIR) applied to an
// N-dimensional row-major tensor: every group of elements that shares a
// scale is gathered in row-major order and handed to the per-block
// functions of BlockScaling.h. The compiler folds `lowbit.quantize` of
// constants with this, and the reference evaluator (lowbit-run --check, the
// end-to-end tests) computes quantize/dequantize/mpgemm with it, so both
// agree with the library by construction.
//
// Stored scales: MX scales are E8M0 codes and NVFP4 block scales E4M3 codes
// as the rules produce them. The integer rules compute an f32 scale (as
// PyTorch does); a scheme with f16 or bf16 scales stores it rounded to
// nearest-even ("stored-scale rounding", docs/schemes.md) and dequantizes
// with the stored value, while the codes stay those chosen with the f32
// scale. Zero points are stored as codes of the zero format; MinOffset's
// float offsets (in `zero`, a float format) are rounded to it as the scales
// are.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_TENSORQUANTIZATION_H
#define LOWBIT_NUMERICS_TENSORQUANTIZATION_H

#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Format.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace lowbit::num {

enum class SchemeRule : uint8_t { MX, NvFp4, AbsMax, GptqMinMax, AwqMinMax, MinOffset };

struct TensorScheme {
  SchemeRule rule = SchemeRule::MX;
  Format element = Format::integer(8);
  Format scale = Format::builtin(BuiltinFloat::F32);
  std::optional<Format> zero;
  /// Elements of one group along each axis (as SchemeAttr::getGroupExtents).
  std::vector<int64_t> extents;
};

/// The per-block rule of an integer scheme rule (AbsMax, GptqMinMax,
/// AwqMinMax, MinOffset); nullopt for MX and NvFp4, which are not integer
/// groups.
std::optional<IntScaleRule> intScaleRule(SchemeRule r);

/// Codes of one tensor with its scales, as codes of the scheme's formats.
struct QuantizedTensor {
  std::vector<uint32_t> codes;      ///< one per element, row-major
  std::vector<uint32_t> scales;     ///< one per group, row-major scale grid
  std::vector<uint32_t> zeroPoints; ///< empty unless the rule has them (MinOffset: the offsets)
  float tensorScale = 1.0f;         ///< NVFP4's per-tensor scale
};

/// Number of elements of a shape.
int64_t numElements(const std::vector<int64_t> &shape);
/// The scale grid's shape: ceil(shape[d] / extents[d]).
std::vector<int64_t> scaleGridShape(const std::vector<int64_t> &shape,
                                    const std::vector<int64_t> &extents);
/// For each element (row-major), the row-major index of its group.
std::vector<uint32_t> groupIndexOfElements(const std::vector<int64_t> &shape,
                                           const std::vector<int64_t> &extents);

/// Quantizes x (row-major, `shape`) under the scheme.
QuantizedTensor quantizeTensor(const TensorScheme &s, const std::vector<int64_t> &shape,
                               const float *x);

/// The f32 value of element i of a quantized tensor whose group is g: MX and
/// NVFP4 compute value(code) x scale exactly and round once; the integer
/// rules compute (q - zero) x scale in f32, MinOffset q x scale + offset.
float dequantizeElement(const TensorScheme &s, const QuantizedTensor &q, size_t i,
                        size_t g);

/// dequantizeElement for every element.
std::vector<float> dequantizeTensor(const TensorScheme &s,
                                    const std::vector<int64_t> &shape,
                                    const QuantizedTensor &q);

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_TENSORQUANTIZATION_H
