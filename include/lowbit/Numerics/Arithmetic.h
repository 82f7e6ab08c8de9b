//===- Arithmetic.h - Correctly rounded arithmetic on codes -----*- C++ -*-===//
//
// Emulated arithmetic for every float and posit format (and the integer
// formats, which round and saturate): each operation computes the exact
// result and rounds it once under the EncodePolicy. The exact accumulator
// (posit quire semantics) sums products without any rounding.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_ARITHMETIC_H
#define LOWBIT_NUMERICS_ARITHMETIC_H

#include "lowbit/Numerics/Codec.h"

#include <array>
#include <cstdint>

namespace lowbit::num {

enum class BinaryOp : uint8_t { Add, Sub, Mul, Div };
const char *binaryOpName(BinaryOp op);
std::optional<BinaryOp> binaryOpFromName(const std::string &s);

/// The exact result of op(a, b) on doubles, as an Unrounded (IEEE special
/// rules for NaN/Inf/zero; x/0 is +-Inf, 0/0 NaN). Exact for the operands of
/// any lowbit format (see FormatLimits).
Unrounded exactBinary(BinaryOp op, double a, double b);
Unrounded exactFma(double a, double b, double c);
Unrounded exactSqrt(double a);

/// op on two codes of format f, rounded once. Posits follow the posit
/// standard: NaR in -> NaR out, x/0 = NaR.
uint64_t apply(BinaryOp op, const Format &f, uint64_t a, uint64_t b,
               const EncodePolicy &p = {});
inline uint64_t add(const Format &f, uint64_t a, uint64_t b, const EncodePolicy &p = {}) {
  return apply(BinaryOp::Add, f, a, b, p);
}
inline uint64_t sub(const Format &f, uint64_t a, uint64_t b, const EncodePolicy &p = {}) {
  return apply(BinaryOp::Sub, f, a, b, p);
}
inline uint64_t mul(const Format &f, uint64_t a, uint64_t b, const EncodePolicy &p = {}) {
  return apply(BinaryOp::Mul, f, a, b, p);
}
inline uint64_t div(const Format &f, uint64_t a, uint64_t b, const EncodePolicy &p = {}) {
  return apply(BinaryOp::Div, f, a, b, p);
}
/// a * b + c, rounded once.
uint64_t fma(const Format &f, uint64_t a, uint64_t b, uint64_t c,
             const EncodePolicy &p = {});
/// sqrt(a), rounded once (negative -> NaN / NaR / the format's NaN policy).
uint64_t sqrt(const Format &f, uint64_t a, const EncodePolicy &p = {});

enum class Ordering : int8_t { Less = -1, Equal = 0, Greater = 1, Unordered = 2 };
/// IEEE comparison for floats (NaN unordered, -0 == +0); for posits the
/// posit total order, in which NaR equals itself and is below every value.
Ordering compare(const Format &f, uint64_t a, uint64_t b);

/// An exact fixed-point accumulator over the whole range of products of
/// lowbit values (2^-1100 .. 2^1100): the posit quire generalised to every
/// format. Sums of products are exact; rounding happens once, in round().
class ExactAccumulator {
public:
  void clear();
  /// Adds a double exactly (NaN/Inf make the result NaN/Inf, as IEEE).
  void add(double x);
  /// Adds a * b exactly.
  void addProduct(double a, double b);
  /// The exact sum.
  Unrounded value() const;
  /// The exact sum rounded once to f.
  uint64_t round(const Format &f, const EncodePolicy &p = {}) const {
    return encode(f, value(), p);
  }

private:
  static constexpr int kLimbs = 38;   // 2432 bits
  static constexpr int kFracBits = 1184; // bit 0 weighs 2^-1184
  void addScaled(uint64_t sig, int exp, bool negative);
  std::array<uint64_t, kLimbs> limbs{};
  bool nan = false;
  int inf = 0; // +1 / -1 / 2 for +Inf + -Inf
};

/// The exact dot product sum(a[i] * b[i]) of two code vectors of formats fa
/// and fb, rounded once to fout.
uint64_t dot(const Format &fa, const uint64_t *a, const Format &fb,
             const uint64_t *b, size_t n, const Format &fout,
             const EncodePolicy &p = {});

} // namespace lowbit::num

#endif
