//===- Bulk.h - Array conversions between f32 and lowbit codes ---*- C++ -*-===//
//
// The array paths the runtime uses on whole tensors. They give exactly the
// codes and values of the scalar codec (Codec.h), only faster:
//
//  * BulkDecoder: a table of every code's f32 value (formats of at most 16
//    bits), read 8 codes at a time from LSB-first packed bytes (8 codes of b
//    bits are exactly b bytes, so the shifts are compile-time constants).
//  * BulkEncoder: the scalar encoder is a monotone step function of the f32
//    bit pattern for each sign (NaN patterns sort above Inf), so it is
//    captured as the sorted list of patterns where the code changes, found
//    by bisection with the scalar encoder itself. A bucket index on the top
//    16 bits of the pattern leaves one comparison per element for formats
//    of at most 8 bits; denser formats use a per-binade affine rule, checked
//    against the steps when built.
//    Equality with the scalar path therefore holds by construction; the
//    tests also compare both exhaustively over f16/bf16 inputs and randomly
//    over f32.
//
// Formats wider than 16 bits, and stochastic rounding (which needs random
// bits per element), go through the scalar codec element by element.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_BULK_H
#define LOWBIT_NUMERICS_BULK_H

#include "lowbit/Numerics/F32Bits.h"
#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/Policy.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lowbit::num {

/// Widest format the table paths handle.
constexpr unsigned kMaxBulkTableBits = 16;

/// Format codes -> f32, rounded to nearest-even as decodeToF32.
class BulkDecoder {
public:
  explicit BulkDecoder(const Format &f);

  const Format &format() const { return fmt; }
  /// Decodes n codes packed LSB-first (the DLPack convention, Packing.h)
  /// starting at bit 0 of `packed`, which holds packedBytes(n, bits) bytes.
  void decodePacked(const uint8_t *packed, size_t n, float *out) const;
  /// Decodes n codes held one per uint32 (bits above the width ignored).
  void decodeCodes(const uint32_t *codes, size_t n, float *out) const;
  /// The f32 value of one code.
  float value(uint32_t code) const;

private:
  Format fmt;
  std::vector<float> table; ///< empty for formats wider than 16 bits
};

/// f32 -> format codes under a fixed policy, as encodeF32.
class BulkEncoder {
public:
  /// `policy.rounding` must not be Stochastic (see encodeStochastic).
  BulkEncoder(const Format &f, const EncodePolicy &policy = {});

  const Format &format() const { return fmt; }
  /// The code of one value.
  uint32_t code(float x) const {
    if (steps.empty())
      return scalarCode(x);
    uint32_t u = f32Bits(x);
    // At most one step per bucket (every format of at most 8 bits): three
    // loads and a compare beat the binade rule's arithmetic.
    return searchTop <= 1 ? searchCode(u) : binadeCode(u);
  }
  /// Encodes n values into packedBytes(n, bits) bytes, LSB-first.
  void encodePacked(const float *x, size_t n, uint8_t *packed) const;
  /// Encodes n values, one code per element.
  void encodeCodes(const float *x, size_t n, uint32_t *codes) const;
  void encodeCodes(const float *x, size_t n, uint8_t *codes) const; ///< bits <= 8

  /// Number of code changes over all f32 patterns (for tests and docs).
  size_t numSteps() const { return steps.size() - 2 * searchTop; }

private:
  uint32_t scalarCode(float x) const;
  uint32_t searchCode(uint32_t u) const {
    uint32_t j = bucketFirst[u >> 16];
    // Branch-free bisection over the steps inside the bucket: every step
    // past the bucket is above u, and the padding repeats the last code.
    for (uint32_t s = searchTop; s; s >>= 1)
      j += (steps[j + s] <= u) ? s : 0;
    return stepCode[j];
  }
  template <class Body> void withCodeFunction(const Body &body) const;
  void buildSteps();
  void buildBucketIndex();
  void buildBinadeRules();

  Format fmt;
  EncodePolicy policy;
  uint32_t codeMask = 0;

  // steps[j] is the first f32 pattern (as an unsigned integer over the whole
  // 2^32 range: positives, then negatives) whose code is stepCode[j];
  // steps[0] == 0. bucketFirst[b] is the last j with steps[j] <= b << 16.
  // searchTop is the largest power of two <= the most steps inside one
  // bucket (0 if none); both arrays are padded with 2 * searchTop copies of
  // (0xffffffff, last code).
  std::vector<uint32_t> steps;
  std::vector<uint32_t> stepCode;
  std::vector<uint32_t> bucketFirst;
  uint32_t searchTop = 0;

  // Within one f32 binade (fixed sign and exponent) a format's values are
  // usually evenly spaced with consecutive codes, so the code is an affine
  // function of the rounded mantissa: base + codeStep * q with
  // q = (m + add [+ tie bonus]) >> shift. Each rule is checked against the
  // steps when built; binades where none fits (saturation edges, Inf/NaN)
  // search the steps.
  struct BinadeRule {
    uint32_t base = 0;
    uint32_t add = 0;
    int32_t codeStep = 0;
    uint8_t shift = 0;
    uint8_t tiesToEven = 0; ///< 1: add 1 when q's code is odd (ties to even)
    uint8_t searchSteps = 1;
  };
  std::vector<BinadeRule> rules; ///< 512: indexed by u >> 23

  static uint32_t ruleQ(const BinadeRule &r, uint32_t m) {
    uint32_t tieBonus = r.tiesToEven & ((m >> r.shift) + r.base);
    return (m + r.add + tieBonus) >> r.shift;
  }
  uint32_t ruleCode(const BinadeRule &r, uint32_t m) const {
    return (r.base + static_cast<uint32_t>(r.codeStep) * ruleQ(r, m)) & codeMask;
  }
  /// The binade's rule where one fits, else the step search.
  uint32_t binadeCode(uint32_t u) const {
    const BinadeRule &r = rules[u >> 23];
    return r.searchSteps ? searchCode(u) : ruleCode(r, u & 0x7fffffu);
  }
};

/// Stochastic rounding of n values with one random word per element (see
/// EncodePolicy::randomBits), one code per element.
void encodeStochastic(const Format &f, const EncodePolicy &policy,
                      const float *x, const uint32_t *randomBits, size_t n,
                      uint32_t *codes);

/// Shared, lazily built codecs for a format (thread-safe; they live until
/// exit). Building one costs a few thousand scalar conversions for 8-bit
/// formats and a few million (about 0.3 s) for 16-bit ones.
const BulkDecoder &bulkDecoderFor(const Format &f);
const BulkEncoder &bulkEncoderFor(const Format &f, const EncodePolicy &policy = {});

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_BULK_H
