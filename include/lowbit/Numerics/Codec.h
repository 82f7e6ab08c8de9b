//===- Codec.h - Exact decode and correctly rounded encode ------*- C++ -*-===//
//
// decode: code -> exact value. Every value of every lowbit format is exactly
// representable as an IEEE double (see FormatLimits), so decode returns a
// double with no rounding.
//
// encode: exact input -> code, rounded once under an EncodePolicy. The input
// is an Unrounded magnitude (a 64-bit significand, a binary exponent and a
// sticky bit), which lets arithmetic hand over results that are not doubles
// without a second rounding.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_CODEC_H
#define LOWBIT_NUMERICS_CODEC_H

#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/Policy.h"

#include <cstdint>

namespace lowbit::num {

/// A real number known to lie in [sig, sig + 1) * 2^exp: exactly sig * 2^exp
/// when !sticky, strictly inside the open interval when sticky. NaN and
/// infinities are carried as flags.
struct Unrounded {
  bool negative = false;
  bool isNaN = false;
  bool isInf = false;
  bool sticky = false;
  uint64_t sig = 0;
  int exp = 0;

  bool isZero() const { return !isNaN && !isInf && sig == 0 && !sticky; }

  static Unrounded fromDouble(double x);
  /// The exact value hi + lo of two doubles (lo may be tiny or zero).
  static Unrounded fromSum(double hi, double lo);
  /// A value known to lie strictly between x and its double neighbour in
  /// the direction `dir` (+1 or -1), closer to x than half an ulp; used for
  /// quotients and square roots that are not dyadic.
  static Unrounded nudged(double x, int dir);
  static Unrounded nan();
  static Unrounded inf(bool negative);
};

/// The exact value of a code (NaN for NaN/NaR codes and the reserved ternary
/// code 0b10; +-Inf for Inf codes). Bits above the format width are ignored.
double decode(const Format &f, uint64_t code);
/// decode, rounded once to nearest-even f32 (overflow to Inf).
float decodeToF32(const Format &f, uint64_t code);
/// decode, rounded once to nearest-even f16 / bf16, returned as bit patterns.
uint16_t decodeToF16(const Format &f, uint64_t code);
uint16_t decodeToBF16(const Format &f, uint64_t code);

/// Whether a code is a NaN (or posit NaR) of the format.
bool isNaNCode(const Format &f, uint64_t code);

/// Correctly rounded encode (one rounding from the exact input).
uint64_t encode(const Format &f, const Unrounded &x, const EncodePolicy &p = {});
uint64_t encode(const Format &f, double x, const EncodePolicy &p = {});
inline uint64_t encodeF32(const Format &f, float x, const EncodePolicy &p = {}) {
  return encode(f, static_cast<double>(x), p);
}

/// An exact value rounded once to nearest-even f32 (overflow to Inf).
float encodeAsF32(const Unrounded &x);

/// Convert a code between two formats, rounded once.
uint64_t convert(const Format &from, uint64_t code, const Format &to,
                 const EncodePolicy &p = {});

/// A canonical NaN code (quiet, positive where the sign is free), if any.
std::optional<uint64_t> nanCode(const Format &f);

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_CODEC_H
