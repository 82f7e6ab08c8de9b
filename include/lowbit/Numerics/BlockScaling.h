//===- BlockScaling.h - MX, NVFP4 and integer group quantization -*- C++ -*-===//
//
// Block and group scaling, where the anchors disagree, is a named choice:
//
//  * MX (OCP MX v1.0): shared_exp = floor(log2(amax)) - emax(element),
//    clamped to [-127, 127]; an all-zero block is treated as amax = 2^-126
//    (FP32's smallest normal, as microsoft/microxcaling does), which gives
//    -127 after clamping for every float element and -126 for MXINT8.
//    Elements are x / 2^shared_exp rounded once (RNE), saturating. "MX zero
//    sign": an input of -0 gives +0 (the value 0 has no sign), a negative
//    value that rounds to zero gives -0.
//    MXINT8 is the element format int<8>: k = clamp(RNE(64 x / X), -127, 127).
//  * NVFP4: blocks of 16 E2M1 values, an E4M3 block scale and an f32
//    per-tensor scale. Two rules: NvFp4Rule::Exact rounds every stored
//    quantity once from exact values; NvFp4Rule::F32Order follows NVIDIA
//    TransformerEngine's f32 operation order. They differ on a few blocks.
//  * Integer groups: IntScaleRule::AbsMax (symmetric), ::AwqMinMax (AWQ's
//    asymmetric min/max), ::GptqMinMax (GPTQ's: the range always includes
//    0, and an all-zero group uses [-1, 1]). Each step is one f32 operation
//    rounded to nearest-even, round() is half-to-even, and x / scale is a
//    true f32 division, as PyTorch computes them.
//  * IntScaleRule::MinOffset: llama.cpp's "type-1" blocks (Q4_1, Q5_1 and
//    the K-quants with a minimum): a float offset instead of an integer
//    zero point, value = q * scale + offset (two f32 roundings, in ggml's
//    order), quantized with offset = min, scale = max(max - min, 1e-5) /
//    qmax, q = round((x - offset) / scale).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_BLOCKSCALING_H
#define LOWBIT_NUMERICS_BLOCKSCALING_H

#include "lowbit/Numerics/Format.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace lowbit::num {

//===----------------------------------------------------------------------===//
// OCP MX
//===----------------------------------------------------------------------===//

/// Empty if `elem` can be an MX element (a signed float format of at most 8
/// bits, or int<8> for MXINT8), else the reason.
std::string checkMxElementFormat(const Format &elem);
/// emax of the element format: the exponent of its largest finite value
/// (0 for MXINT8, whose elements are k/64 with |k| <= 127).
int mxElementEmax(const Format &elem);
/// The shared exponent of a block with this amax (finite, >= 0).
int mxSharedExponent(const Format &elem, float amax);
/// Quantizes one block; returns the E8M0 scale code.
uint8_t mxQuantizeBlock(const Format &elem, const float *x, size_t n,
                        uint8_t *codes);
/// The value of one element code times the block scale, exactly (in double).
double mxDequantizeValue(const Format &elem, uint8_t scale, uint8_t code);
/// Whole tensors: n values in blocks of `block` (the last may be partial);
/// scales gets ceil(n / block) codes.
void mxQuantize(const Format &elem, const float *x, size_t n, size_t block,
                uint8_t *scales, uint8_t *codes);
void mxDequantize(const Format &elem, const uint8_t *scales, const uint8_t *codes,
                  size_t n, size_t block, float *out);

//===----------------------------------------------------------------------===//
// NVFP4
//===----------------------------------------------------------------------===//

enum class NvFp4Rule : uint8_t { Exact, F32Order };
constexpr size_t kNvFp4Block = 16;

/// The stored per-tensor scale from the tensor's amax: s_t (Exact) or
/// S_dec (F32Order); 1.0 when amax == 0.
float nvfp4TensorScale(float amax, NvFp4Rule rule);
/// Quantizes one block of at most 16 values of a tensor whose amax is
/// `tensorAmax`; returns the E4M3 scale code.
uint8_t nvfp4QuantizeBlock(const float *x, size_t n, float tensorAmax,
                           NvFp4Rule rule, uint8_t *codes);
/// e * s_b * s_t, exactly.
double nvfp4DequantizeValue(uint8_t scale, uint8_t code, float tensorScale);
/// Whole tensors (blocks of 16); returns the per-tensor scale.
float nvfp4Quantize(const float *x, size_t n, NvFp4Rule rule, uint8_t *scales,
                    uint8_t *codes);

//===----------------------------------------------------------------------===//
// Integer group quantization
//===----------------------------------------------------------------------===//

enum class IntScaleRule : uint8_t { AbsMax, AwqMinMax, GptqMinMax, MinOffset };

struct GroupScale {
  float scale;
  int32_t zero;       ///< 0 for symmetric rules and MinOffset
  float offset = 0.f; ///< MinOffset's offset (the group's minimum); else 0
};

/// Empty if `f` can hold group-quantized codes under `rule` (an integer of
/// 2..8 bits, unsigned for the asymmetric rules, signed for AbsMax).
std::string checkGroupFormat(const Format &f, IntScaleRule rule);
/// Quantizes one group of n values to codes of f.
GroupScale quantizeGroup(const Format &f, IntScaleRule rule, const float *x,
                         size_t n, uint8_t *codes);
/// The code of one value under a group's scale and zero point (the rounding
/// quantizeGroup applies to each member; GPTQ's column updates call it with
/// scales chosen before the values changed).
uint8_t quantizeGroupValue(const Format &f, IntScaleRule rule, GroupScale s, float x);
/// (q - zero) * scale, in f32 as the reference frameworks compute it.
float dequantizeGroupValue(const Format &f, GroupScale s, uint8_t code);
/// MinOffset: q * scale + offset, each operation rounded to f32 (ggml's
/// dequantize_row_q4_1 and _q4_K order; where q * scale is exact, as for
/// every ggml block, this equals one fused multiply-add).
float dequantizeOffsetGroupValue(const Format &f, GroupScale s, uint8_t code);
/// The value of a code under any rule of integer groups.
float dequantizeGroupValue(const Format &f, IntScaleRule rule, GroupScale s, uint8_t code);
/// A rows x k row-major matrix in groups of `group` along k (group == k is
/// per channel; rows == 1, group == k is per tensor). k must be a multiple
/// of group. scales/zeros get rows * (k / group) entries.
void quantizeGroups(const Format &f, IntScaleRule rule, const float *x,
                    size_t rows, size_t k, size_t group, GroupScale *scales,
                    uint8_t *codes);

} // namespace lowbit::num

#endif
