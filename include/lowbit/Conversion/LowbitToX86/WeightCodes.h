//===- WeightCodes.h - Weight codes as bytes of an integer dot product -*- C++ -*-===//
//
// The x86 mpGEMM kernels multiply bytes: an unsigned operand per weight
// times a signed byte per (quantized) activation, summed exactly in int32
// (vpdpbusd, or vpmaddubsw + vpmaddwd). A weight format qualifies when its
// values are an affine image of small unsigned integers:
//
//   value(code) = alpha * operand(code) + beta,  operand in [0, 255]
//
// so that sum_k value_k a_k = alpha * sum_k operand_k a_k + beta * sum_k a_k,
// with the second sum computed once per activation block. Two ways to get
// the operand, chosen per format:
//
// * affine: the values themselves are evenly spaced (every integer format:
//   signed, unsigned, bipolar, ternary). The weight slot stores the operand
//   directly (repacked at compile time), so the kernel only shifts and masks.
// * codebook (formats of at most 4 bits, e.g. e2m1; up to 6 bits, e.g.
//   e2m3 of MXFP6, where the target has AVX-512 VBMI): the values are
//   integers times a power of two but not evenly spaced. The slot stores the
//   raw code and one byte shuffle maps it to the operand: vpshufb for 16
//   entries, vpermb (a whole 64-byte table) for 32 or 64.
//
// Nothing here depends on MLIR: the plan is computed from the Numerics
// library's exact decode of every code.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITTOX86_WEIGHTCODES_H
#define LOWBIT_CONVERSION_LOWBITTOX86_WEIGHTCODES_H

#include "lowbit/Numerics/Format.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lowbit::x86 {

struct WeightCodes {
  /// The operand's bit planes in the kernel layout (WeightPacking.h), low
  /// bits first: the format's width for affine formats (3 bits: 2 + 1), 4
  /// for codebooks (the raw code).
  std::vector<unsigned> planes;
  bool codebook = false;  ///< slots hold raw codes, mapped by `table`
  std::vector<uint8_t> slot;     ///< per code: the slot's contents
  std::vector<uint8_t> table;    ///< codebook: code -> operand (16 or 2^bits entries)
  std::vector<bool> finite;      ///< per code: has a finite value (others must not occur)
  double alpha = 1, beta = 0;    ///< value = alpha * operand + beta
  unsigned maxOperand = 0;

  unsigned slotBits() const {
    unsigned b = 0;
    for (unsigned p : planes)
      b += p;
    return b;
  }
  /// The operand byte of a code.
  uint8_t operand(uint64_t code) const { return codebook ? table[code] : slot[code]; }
};

/// Weights for the bf16 kernel (formats no byte operand holds: e4m3, e5m2,
/// e3m2, posits of up to 8 bits): the raw code in planes of the format's
/// bits, decoded in registers to the exact bf16 of its value by byte
/// lookups (vpermb / vpermi2b) and multiplied with bf16 activations by
/// vdpbf16ps.
struct BF16WeightCodes {
  std::vector<unsigned> planes;  ///< the raw code's planes (planesFor(bits))
  std::vector<uint16_t> bf16;    ///< per code: the bf16 bit pattern of its value (inf, NaN too)
  std::vector<bool> finite;      ///< per code: has a finite value (others must not occur)
  /// Sign-magnitude with the sign in the top bit (value(c ^ top) =
  /// -value(c)): 8-bit tables then cover the 128 magnitudes and the sign
  /// bit is or-ed in, one vpermi2b per byte instead of two and a blend.
  bool signMagnitude = false;
  unsigned bits = 0;
};

/// The bf16 plan for `f`, or nullopt with the reason in `whyNot`: every
/// finite value must be a bf16 exactly, zero or of magnitude in [2^-64,
/// 2^64] (vdpbf16ps flushes subnormals; this range keeps what it flushes
/// below the int8 policy's bound, docs/cpu-kernels.md).
std::optional<BF16WeightCodes> planBF16WeightCodes(const lowbit::num::Format &f,
                                                   std::string &whyNot);

/// Codes of at most 8 bits decoded to f32 by integer arithmetic, for the
/// f32 kernel (targets without AVX-512 BF16 and VBMI, whose codes no byte
/// operand holds: e4m3, e5m2, e3m2, MXFP8): with mag the code's low
/// `magBits` bits and s its sign bit (if `sign`),
///
///   f = bitcast<f32>((mag << shift) + (exponentBias << 23))
///   v = mag < subnormalBelow ? (f - subnormalBase) * 2 : f
///   value = s ? -v : v
///
/// (the exponent moved into f32's, normal codes exact; subnormal codes
/// get f32's implicit leading one, subtracted, so no f32 subnormal ever
/// appears and flush-to-zero modes cannot change a value). Codes without a
/// finite value are `specials`, selected to their value. The parameters are
/// searched and checked against the Numerics library's decode of every
/// code: exact by construction.
struct F32WeightDecode {
  std::vector<unsigned> planes; ///< the raw code's planes (planesFor(bits))
  unsigned bits = 0, magBits = 0, shift = 0, exponentBias = 0;
  uint32_t subnormalBelow = 0;
  float subnormalBase = 0;
  bool sign = false;
  std::vector<std::pair<uint32_t, float>> specials; ///< code, value (inf, NaN)
  std::vector<bool> finite;                           ///< per code
};

/// The f32 decode of `f`'s codes, or nullopt with the reason in `whyNot`.
std::optional<F32WeightDecode> planF32WeightDecode(const lowbit::num::Format &f,
                                                   std::string &whyNot);

/// What the generated code computes for `code` (the tests compare it with
/// the Numerics library's decode of every code).
float decodeF32(const F32WeightDecode &d, uint32_t code);

/// The plan for `f`, or nullopt with the reason in `whyNot`. Codebooks of
/// formats up to `maxCodebookBits` (4: vpshufb; 6: vpermb).
std::optional<WeightCodes> planWeightCodes(const lowbit::num::Format &f, std::string &whyNot,
                                           unsigned maxCodebookBits = 4);

} // namespace lowbit::x86

#endif
