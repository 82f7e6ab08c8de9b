//===- Arithmetic.cpp - Correctly rounded arithmetic on codes -------------===//
//
// Every value of every lowbit format is a double with at most 30 significant
// bits, and every product or quotient of two such values is a normal double
// (FormatLimits). So one double operation plus its exact error term (TwoSum,
// TwoProduct through fma, the division and square-root remainders) gives
// the exact result, or brackets a non-dyadic one, with no big numbers.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Arithmetic.h"

#include <cmath>
#include <limits>

using namespace lowbit::num;

const char *lowbit::num::binaryOpName(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "add";
  case BinaryOp::Sub: return "sub";
  case BinaryOp::Mul: return "mul";
  case BinaryOp::Div: return "div";
  }
  return "?";
}

std::optional<BinaryOp> lowbit::num::binaryOpFromName(const std::string &s) {
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div})
    if (s == binaryOpName(op))
      return op;
  return std::nullopt;
}

namespace {
int sign(double x) { return (x > 0) - (x < 0); }
} // namespace

Unrounded lowbit::num::exactBinary(BinaryOp op, double a, double b) {
  switch (op) {
  case BinaryOp::Sub:
    b = -b;
    [[fallthrough]];
  case BinaryOp::Add: {
    double s = a + b;
    if (!std::isfinite(s))
      return Unrounded::fromDouble(s);
    double bb = s - a; // TwoSum (Knuth): s + err == a + b exactly
    double err = (a - (s - bb)) + (b - bb);
    if (s == 0 && err == 0) // exact zero: IEEE sign rule for x + (-x)
      return Unrounded::fromDouble(s);
    return Unrounded::fromSum(s, err);
  }
  case BinaryOp::Mul: {
    double prod = a * b;
    if (!std::isfinite(prod) || prod == 0)
      return Unrounded::fromDouble(prod);
    return Unrounded::fromSum(prod, std::fma(a, b, -prod));
  }
  case BinaryOp::Div: {
    double q = a / b;
    if (!std::isfinite(q) || q == 0)
      return Unrounded::fromDouble(q);
    // a = q*b + r exactly; the exact quotient is q + r/b.
    double r = std::fma(-q, b, a);
    return Unrounded::nudged(q, sign(r) * sign(b));
  }
  }
  return Unrounded::nan();
}

Unrounded lowbit::num::exactSqrt(double a) {
  if (std::isnan(a) || a < 0)
    return Unrounded::nan();
  double s = std::sqrt(a);
  if (!std::isfinite(s) || s == 0)
    return Unrounded::fromDouble(s);
  double r = std::fma(-s, s, a); // a - s^2, exact
  return Unrounded::nudged(s, sign(r));
}

Unrounded lowbit::num::exactFma(double a, double b, double c) {
  ExactAccumulator acc;
  acc.addProduct(a, b);
  acc.add(c);
  Unrounded u = acc.value();
  // Exact zero: IEEE sign rule (a*b + c with both terms zero keeps the sign
  // when both are the same signed zero, else +0).
  if (u.isZero()) {
    double p = a * b;
    u.negative = (p == 0 && c == 0) ? (std::signbit(p) && std::signbit(c)) : false;
  }
  return u;
}

namespace {
// Named choice (ArithmeticInfResult): an infinite exact result (an Inf
// operand, or x / 0) is not an overflow, so the overflow policy does not
// apply: it is Inf where the format has Inf, else NaN where it has NaN,
// else the largest value of its sign (posits give NaR). The overflow policy
// governs finite results beyond the range only.
uint64_t encodeResult(const Format &f, const Unrounded &r, const EncodePolicy &p) {
  if (!r.isInf)
    return encode(f, r, p);
  EncodePolicy q = p;
  q.overflow = Overflow::Inf;
  return encode(f, r, q);
}
} // namespace

uint64_t lowbit::num::apply(BinaryOp op, const Format &f, uint64_t a, uint64_t b,
                            const EncodePolicy &p) {
  double x = decode(f, a), y = decode(f, b);
  if (f.isPosit() && op == BinaryOp::Div && y == 0)
    return 1ull << (f.bits() - 1); // x / 0 = NaR
  return encodeResult(f, exactBinary(op, x, y), p);
}

uint64_t lowbit::num::fma(const Format &f, uint64_t a, uint64_t b, uint64_t c,
                          const EncodePolicy &p) {
  return encodeResult(f, exactFma(decode(f, a), decode(f, b), decode(f, c)), p);
}

uint64_t lowbit::num::sqrt(const Format &f, uint64_t a, const EncodePolicy &p) {
  return encodeResult(f, exactSqrt(decode(f, a)), p);
}

Ordering lowbit::num::compare(const Format &f, uint64_t a, uint64_t b) {
  if (f.isPosit()) {
    // Posits order as two's-complement integers; NaR is the most negative.
    unsigned shift = 64 - f.bits();
    int64_t x = static_cast<int64_t>(a << shift) >> shift;
    int64_t y = static_cast<int64_t>(b << shift) >> shift;
    return x < y ? Ordering::Less : x > y ? Ordering::Greater : Ordering::Equal;
  }
  double x = decode(f, a), y = decode(f, b);
  if (std::isnan(x) || std::isnan(y))
    return Ordering::Unordered;
  return x < y ? Ordering::Less : x > y ? Ordering::Greater : Ordering::Equal;
}

//===----------------------------------------------------------------------===//
// ExactAccumulator
//===----------------------------------------------------------------------===//

void ExactAccumulator::clear() {
  limbs.fill(0);
  nan = false;
  inf = 0;
}

void ExactAccumulator::addScaled(uint64_t sig, int exp, bool negative) {
  // Two's-complement addition of sig * 2^exp at bit (exp + kFracBits).
  int bit = exp + kFracBits;
  if (bit < 0 || bit + 64 > kLimbs * 64 - 2) {
    nan = true; // outside the documented range: never for lowbit values
    return;
  }
  int limb = bit / 64, off = bit % 64;
  uint64_t lo = sig << off;
  uint64_t hi = off ? sig >> (64 - off) : 0;
  if (!negative) {
    unsigned __int128 carry = 0;
    for (int i = limb; i < kLimbs; ++i) {
      uint64_t addend = i == limb ? lo : i == limb + 1 ? hi : 0;
      unsigned __int128 s = static_cast<unsigned __int128>(limbs[i]) + addend + carry;
      limbs[i] = static_cast<uint64_t>(s);
      carry = s >> 64;
      if (i > limb + 1 && carry == 0)
        break;
    }
  } else {
    uint64_t borrow = 0;
    for (int i = limb; i < kLimbs; ++i) {
      uint64_t sub = i == limb ? lo : i == limb + 1 ? hi : 0;
      uint64_t x = limbs[i];
      uint64_t d = x - sub - borrow;
      borrow = (x < sub) || (x - sub < borrow) ? 1 : 0;
      limbs[i] = d;
      if (i > limb + 1 && borrow == 0)
        break;
    }
  }
}

void ExactAccumulator::add(double x) {
  if (std::isnan(x)) {
    nan = true;
    return;
  }
  if (std::isinf(x)) {
    int s = x > 0 ? 1 : -1;
    inf = inf == 0 ? s : (inf == s ? s : 2);
    return;
  }
  if (x == 0)
    return;
  int e;
  double fr = std::frexp(std::fabs(x), &e);
  addScaled(static_cast<uint64_t>(std::ldexp(fr, 53)), e - 53, x < 0);
}

void ExactAccumulator::addProduct(double a, double b) {
  double p = a * b;
  if (!std::isfinite(p) || std::isnan(a) || std::isnan(b)) {
    add(std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::quiet_NaN() : p);
    return;
  }
  add(p);
  if (p != 0)
    add(std::fma(a, b, -p)); // the exact rounding error of the product
}

Unrounded ExactAccumulator::value() const {
  if (nan || inf == 2)
    return Unrounded::nan();
  if (inf)
    return Unrounded::inf(inf < 0);
  std::array<uint64_t, kLimbs> mag = limbs;
  bool negative = (mag[kLimbs - 1] >> 63) & 1;
  if (negative) { // two's-complement negate
    uint64_t carry = 1;
    for (auto &l : mag) {
      l = ~l + carry;
      carry = (carry && l == 0) ? 1 : 0;
    }
  }
  int top = kLimbs - 1;
  while (top >= 0 && mag[top] == 0)
    --top;
  Unrounded u;
  u.negative = negative;
  if (top < 0)
    return u;
  int lz = __builtin_clzll(mag[top]);
  int msb = top * 64 + (63 - lz); // bit index of the leading one
  // Take 64 bits from msb down; everything below is the sticky bit.
  int lowBit = msb - 63;
  uint64_t sig = 0;
  bool sticky = false;
  for (int i = 0; i < 64; ++i) {
    int bit = lowBit + i;
    if (bit >= 0 && ((mag[bit / 64] >> (bit % 64)) & 1))
      sig |= 1ull << i;
  }
  if (lowBit > 0) {
    int full = lowBit / 64, rem = lowBit % 64;
    for (int i = 0; i < full && !sticky; ++i)
      sticky = mag[i] != 0;
    if (!sticky && rem)
      sticky = (mag[full] & ((1ull << rem) - 1)) != 0;
  }
  u.sig = sig;
  u.exp = lowBit - kFracBits;
  u.sticky = sticky;
  return u;
}

uint64_t lowbit::num::dot(const Format &fa, const uint64_t *a, const Format &fb,
                          const uint64_t *b, size_t n, const Format &fout,
                          const EncodePolicy &p) {
  ExactAccumulator acc;
  for (size_t i = 0; i < n; ++i)
    acc.addProduct(decode(fa, a[i]), decode(fb, b[i]));
  return acc.round(fout, p);
}
