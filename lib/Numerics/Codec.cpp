//===- Codec.cpp - Exact decode and correctly rounded encode --------------===//
//
// LLVM's APFloat covers only the builtin float formats, not arbitrary eEmM
// with a free bias, fixed point, bipolar/ternary integers or posits, and it
// turns +-Inf into +-0 when converting to FP6/FP4. So the codecs are our own;
// the tests check them exhaustively against APFloat wherever APFloat has the
// format, and against the independent golden tables.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Codec.h"
#include "Rounding.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace lowbit::num;
using namespace lowbit::num::detail;

//===----------------------------------------------------------------------===//
// Unrounded
//===----------------------------------------------------------------------===//

namespace {
// x = sig * 2^exp with sig a 53-bit integer (x finite, nonzero).
void splitDouble(double x, uint64_t &sig, int &exp) {
  int e;
  double fr = std::frexp(std::fabs(x), &e); // [0.5, 1)
  sig = static_cast<uint64_t>(std::ldexp(fr, 53));
  exp = e - 53;
}

// Reduces a 128-bit magnitude to the 64-bit significand of an Unrounded.
Unrounded fromWide(bool negative, u128 mag, int exp, bool sticky) {
  Unrounded u;
  u.negative = negative;
  unsigned len = bitLength(mag);
  if (len > 64) {
    unsigned s = len - 64;
    sticky = sticky || (mag & ((u128(1) << s) - 1)) != 0;
    mag >>= s;
    exp += static_cast<int>(s);
  }
  u.sig = static_cast<uint64_t>(mag);
  u.exp = exp;
  u.sticky = sticky;
  return u;
}
} // namespace

Unrounded Unrounded::nan() {
  Unrounded u;
  u.isNaN = true;
  return u;
}

Unrounded Unrounded::inf(bool negative) {
  Unrounded u;
  u.isInf = true;
  u.negative = negative;
  return u;
}

Unrounded Unrounded::fromDouble(double x) {
  if (std::isnan(x))
    return nan();
  if (std::isinf(x))
    return inf(std::signbit(x));
  Unrounded u;
  u.negative = std::signbit(x);
  if (x != 0)
    splitDouble(x, u.sig, u.exp);
  return u;
}

Unrounded Unrounded::fromSum(double hi, double lo) {
  if (lo == 0 || !std::isfinite(hi) || !std::isfinite(lo))
    return fromDouble(hi + lo);
  if (hi == 0)
    return fromDouble(lo);
  uint64_t hs, ls;
  int he, le;
  splitDouble(hi, hs, he);
  splitDouble(lo, ls, le);
  bool hneg = hi < 0, lneg = lo < 0;
  int base = he - 64;
  if (le >= base && le - base <= 64) {
    // Both fit one signed 128-bit fixed-point number exactly.
    __int128 v = static_cast<__int128>(hs) << 64;
    if (hneg)
      v = -v;
    __int128 l = static_cast<__int128>(ls) << (le - base);
    v += lneg ? -l : l;
    bool neg = v < 0;
    return fromWide(neg, static_cast<u128>(neg ? -v : v), base, false);
  }
  // lo is far below hi's last bit: it only says on which side hi lies.
  u128 mag = static_cast<u128>(hs) << 64;
  if (hneg != lneg)
    mag -= 1;
  return fromWide(hneg, mag, base, true);
}

Unrounded Unrounded::nudged(double x, int dir) {
  if (dir == 0 || x == 0 || !std::isfinite(x))
    return fromDouble(x);
  uint64_t s;
  int e;
  splitDouble(x, s, e);
  bool neg = x < 0;
  bool away = (dir > 0) != neg;
  // Any point strictly inside (x, x + dir * ulp/2) rounds the same way in a
  // format of at most 51 significant bits: no rounding boundary lies there.
  u128 mag = (static_cast<u128>(s) << 8) - (away ? 0 : 1);
  return fromWide(neg, mag, e - 8, true);
}

//===----------------------------------------------------------------------===//
// Decode
//===----------------------------------------------------------------------===//

namespace {
double decodeFloat(const Format &f, uint64_t code) {
  unsigned e = f.exponentBits(), m = f.mantissaBits();
  uint64_t magMask = (1ull << (e + m)) - 1;
  uint64_t mag = code & magMask;
  bool neg = f.floatKind() != FloatKind::Unsigned && ((code >> (e + m)) & 1);
  uint64_t expField = mag >> m, mant = mag & ((1ull << m) - 1);
  uint64_t expOnes = (1ull << e) - 1;
  switch (f.floatKind()) {
  case FloatKind::IEEE:
    if (expField == expOnes) {
      if (mant != 0)
        return std::numeric_limits<double>::quiet_NaN();
      return neg ? -HUGE_VAL : HUGE_VAL;
    }
    break;
  case FloatKind::FN:
    if (mag == magMask)
      return std::numeric_limits<double>::quiet_NaN();
    break;
  case FloatKind::FNUZ:
    if (neg && mag == 0)
      return std::numeric_limits<double>::quiet_NaN();
    break;
  case FloatKind::Unsigned:
    if (mag == magMask)
      return std::numeric_limits<double>::quiet_NaN();
    break;
  case FloatKind::Finite: break;
  }
  double v;
  if (expField == 0 && f.hasSubnormals())
    v = std::ldexp(static_cast<double>(mant), 1 - f.bias() - static_cast<int>(m));
  else
    v = std::ldexp(static_cast<double>((1ull << m) | mant),
                   static_cast<int>(expField) - f.bias() - static_cast<int>(m));
  return neg ? -v : v;
}

double decodePosit(const Format &f, uint64_t code) {
  unsigned n = f.bits(), es = f.positES();
  uint64_t mask = f.codeMask();
  code &= mask;
  if (code == 0)
    return 0.0;
  if (code == (1ull << (n - 1)))
    return std::numeric_limits<double>::quiet_NaN();
  bool neg = (code >> (n - 1)) & 1;
  if (neg)
    code = (~code + 1) & mask;
  int remaining = static_cast<int>(n) - 1; // bits after the sign
  int pos = remaining - 1;                 // next bit to read
  bool first = (code >> pos) & 1;
  int run = 0;
  while (pos >= 0 && (((code >> pos) & 1) == first)) {
    ++run;
    --pos;
  }
  if (pos >= 0)
    --pos; // the regime terminator
  int k = first ? run - 1 : -run;
  int left = pos + 1; // bits left for exponent and fraction
  int taken = left < static_cast<int>(es) ? left : static_cast<int>(es);
  uint64_t ex = taken ? (code >> (left - taken)) & ((1ull << taken) - 1) : 0;
  ex <<= (es - taken);
  int fb = left - taken;
  uint64_t frac = fb ? code & ((1ull << fb) - 1) : 0;
  double v = std::ldexp(static_cast<double>((1ull << fb) | frac),
                        k * (1 << es) + static_cast<int>(ex) - fb);
  return neg ? -v : v;
}
} // namespace

double lowbit::num::decode(const Format &f, uint64_t code) {
  code &= f.codeMask();
  switch (f.family()) {
  case Family::Int: {
    unsigned n = f.bits();
    switch (f.intEncoding()) {
    case IntEncoding::Unsigned: return static_cast<double>(code);
    case IntEncoding::Signed: {
      int64_t v = static_cast<int64_t>(code << (64 - n)) >> (64 - n);
      return static_cast<double>(v);
    }
    case IntEncoding::Bipolar:
      return 2.0 * static_cast<double>(code) - static_cast<double>(f.codeMask());
    }
    break;
  }
  case Family::Ternary:
    switch (code) {
    case 0: return 0.0;
    case 1: return 1.0;
    case 3: return -1.0;
    default: return std::numeric_limits<double>::quiet_NaN(); // reserved 0b10
    }
  case Family::Float: return decodeFloat(f, code);
  case Family::Posit: return decodePosit(f, code);
  }
  return 0.0;
}

bool lowbit::num::isNaNCode(const Format &f, uint64_t code) {
  return std::isnan(decode(f, code));
}

float lowbit::num::decodeToF32(const Format &f, uint64_t code) {
  return static_cast<float>(decode(f, code)); // one IEEE RNE rounding
}

uint16_t lowbit::num::decodeToF16(const Format &f, uint64_t code) {
  EncodePolicy p;
  p.overflow = Overflow::Inf;
  return static_cast<uint16_t>(
      encode(Format::builtin(BuiltinFloat::F16), decode(f, code), p));
}

uint16_t lowbit::num::decodeToBF16(const Format &f, uint64_t code) {
  EncodePolicy p;
  p.overflow = Overflow::Inf;
  return static_cast<uint16_t>(
      encode(Format::builtin(BuiltinFloat::BF16), decode(f, code), p));
}

std::optional<uint64_t> lowbit::num::nanCode(const Format &f) {
  if (f.isPosit())
    return 1ull << (f.bits() - 1);
  if (!f.isFloat() || !f.hasNaN())
    return std::nullopt;
  unsigned e = f.exponentBits(), m = f.mantissaBits();
  switch (f.floatKind()) {
  case FloatKind::IEEE: return (((1ull << e) - 1) << m) | (1ull << (m - 1));
  case FloatKind::FN: return (1ull << (e + m)) - 1;
  case FloatKind::FNUZ: return 1ull << (e + m);
  case FloatKind::Unsigned: return f.codeMask();
  case FloatKind::Finite: break;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Encode
//===----------------------------------------------------------------------===//

namespace {
// Moves the significand's top bit to bit 63. Valid for sticky values as long
// as the sticky position stays below every rounding position (see Codec.h).
Unrounded normalized(Unrounded x) {
  if (x.sig != 0) {
    int s = __builtin_clzll(x.sig);
    x.sig <<= s;
    x.exp -= s;
  }
  return x;
}

uint64_t overflowCode(const Format &f, const EncodePolicy &p, bool negative,
                      uint64_t maxMag) {
  uint64_t signBit = 1ull << (f.exponentBits() + f.mantissaBits());
  if (p.overflow == Overflow::Inf && f.hasInf())
    return (((1ull << f.exponentBits()) - 1) << f.mantissaBits()) |
           (negative ? signBit : 0);
  if ((p.overflow == Overflow::Inf || p.overflow == Overflow::NaN) && f.hasNaN()) {
    // Keep the sign where the format has a NaN of each sign (ieee, fn).
    bool signedNaN = f.floatKind() == FloatKind::IEEE || f.floatKind() == FloatKind::FN;
    return *nanCode(f) | (negative && signedNaN ? signBit : 0);
  }
  return maxMag | (negative ? signBit : 0);
}

uint64_t encodeFloat(const Format &f, const Unrounded &in, const EncodePolicy &p) {
  unsigned e = f.exponentBits(), m = f.mantissaBits();
  bool isUnsigned = f.floatKind() == FloatKind::Unsigned;
  uint64_t signBit = isUnsigned ? 0 : (1ull << (e + m));
  uint64_t maxMag = f.maxFiniteCode() & ~signBit;
  if (in.isNaN)
    return f.hasNaN() ? *nanCode(f) : 0; // NaNInput::Zero: code 0 is +0 or minpos
  if (isUnsigned && in.negative)
    return 0; // negative values clamp to the lowest value
  if (in.isInf)
    return overflowCode(f, p, in.negative, maxMag);
  bool neg = in.negative;
  auto withSign = [&](uint64_t mag) {
    if (!neg || isUnsigned)
      return mag;
    if (mag == 0 && f.floatKind() == FloatKind::FNUZ)
      return uint64_t(0); // no -0: the code is NaN
    return mag | signBit;
  };
  if (in.isZero())
    return withSign(0);

  Unrounded x = normalized(in);
  int eVal = x.exp + 63;
  int emin = f.hasSubnormals() ? 1 - f.bias() : -f.bias();
  int q = (eVal > emin ? eVal : emin) - static_cast<int>(m);
  Rounded r = roundMagnitude(x.sig, x.sticky, static_cast<unsigned>(q - x.exp), neg, p);
  uint64_t n = static_cast<uint64_t>(r.n);
  if (n == 0) // rounded to zero
    return withSign(0); // formats without zero: code 0 is their smallest value
  if (n >> (m + 1)) { // carried into a new binade
    n >>= 1;
    ++q;
  }
  uint64_t mag;
  if (n < (1ull << m)) {
    // Subnormal; without subnormals the smallest value is 2^-bias.
    mag = f.hasSubnormals() ? n : 0;
  } else {
    int64_t expField = static_cast<int64_t>(q) + m + f.bias();
    if (expField >= (int64_t(1) << e)) {
      mag = ~0ull; // beyond every code
    } else {
      mag = (static_cast<uint64_t>(expField) << m) | (n - (1ull << m));
    }
  }
  if (mag > maxMag) {
    bool overflow = p.rounding == Rounding::Stochastic
                        ? true
                        : roundsAwayFromZero(p.rounding, neg);
    if (!overflow || p.overflow == Overflow::Saturate)
      return withSign(maxMag);
    return overflowCode(f, p, neg, maxMag);
  }
  return withSign(mag);
}

// Rounds x * 2^scale + halves/2 to an integer, exactly (halves lets the
// bipolar encoder add K/2 for odd K). Returns false, with out = +-INT64_MAX,
// if the result is beyond 2^40 in magnitude (the caller saturates).
bool roundToInteger(const Unrounded &in, int scale, int64_t halves,
                    const EncodePolicy &p, int64_t &out) {
  Unrounded x = normalized(in);
  if (x.sig != 0 && x.exp + 63 + scale >= 41) {
    out = x.negative ? -INT64_MAX : INT64_MAX;
    return false;
  }
  // Fixed point with 64 fraction bits in a signed 128-bit integer; anything
  // below 2^-64 only sets the sticky bit.
  constexpr int kFrac = 64;
  int shiftToFixed = x.exp + scale + kFrac; // |x| * 2^scale = sig * 2^(this - 64)
  u128 mag;
  bool sticky = x.sticky;
  if (shiftToFixed >= 0) {
    mag = static_cast<u128>(x.sig) << shiftToFixed;
  } else if (shiftToFixed > -64) {
    mag = static_cast<u128>(x.sig) >> -shiftToFixed;
    sticky = sticky || (x.sig & ((1ull << -shiftToFixed) - 1)) != 0;
  } else {
    mag = 0;
    sticky = sticky || x.sig != 0;
  }
  __int128 v = x.negative ? -static_cast<__int128>(mag) : static_cast<__int128>(mag);
  v += static_cast<__int128>(halves) << (kFrac - 1);
  // The sticky part has x's sign. If the fixed-point sum is zero the sign of
  // the whole value is x's; otherwise it is the sum's.
  bool neg = v == 0 ? x.negative : v < 0;
  u128 absv = static_cast<u128>(neg ? -v : v);
  if (sticky && v != 0 && neg != x.negative)
    absv -= 1; // the sticky part points toward zero: (|v|-1, |v|)
  Rounded r = roundMagnitude(absv, sticky, kFrac, neg, p);
  out = neg ? -static_cast<int64_t>(r.n) : static_cast<int64_t>(r.n);
  return true;
}

uint64_t encodeInt(const Format &f, const Unrounded &x, const EncodePolicy &p) {
  bool bipolar = f.isInt() && f.intEncoding() == IntEncoding::Bipolar;
  int64_t k = static_cast<int64_t>(f.codeMask());
  int64_t lo, hi, v;
  if (f.isTernary()) {
    lo = -1;
    hi = 1;
  } else if (bipolar || f.intEncoding() == IntEncoding::Unsigned) {
    lo = 0;
    hi = k;
  } else {
    lo = -(int64_t(1) << (f.bits() - 1));
    hi = (int64_t(1) << (f.bits() - 1)) - 1;
  }
  if (x.isNaN) {
    // NaNInput::Zero; bipolar has no zero: its code nearest 0 is +1.
    v = bipolar ? (k + 1) / 2 : 0;
  } else if (x.isInf) {
    v = x.negative ? lo : hi;
  } else if (bipolar) {
    // The code c whose value 2c - K is nearest x: c = round((x + K) / 2).
    roundToInteger(x, -1, k, p, v);
  } else {
    roundToInteger(x, 0, 0, p, v);
  }
  if (v < lo)
    v = lo;
  if (v > hi)
    v = hi;
  if (f.isTernary())
    return v < 0 ? 3 : static_cast<uint64_t>(v);
  return static_cast<uint64_t>(v) & f.codeMask();
}

uint64_t encodePosit(const Format &f, const Unrounded &in, const EncodePolicy &p) {
  unsigned n = f.bits(), es = f.positES();
  uint64_t nar = 1ull << (n - 1);
  if (in.isNaN || in.isInf)
    return nar;
  if (in.isZero())
    return 0;
  Unrounded x = normalized(in);
  int scale = x.exp + 63;
  // scale = k * 2^es + ex with 0 <= ex < 2^es (floor division).
  int k = scale >= 0 ? scale >> es : -((-scale + (1 << es) - 1) >> es);
  int ex = scale - k * (1 << es);
  uint64_t maxpos = nar - 1, p1;
  int limit = static_cast<int>(n) - 2;
  if (k >= limit) {
    p1 = maxpos; // at or beyond maxpos: posits never overflow to NaR
  } else if (k < -limit) {
    p1 = 1; // below minpos: posits never underflow to zero
  } else {
    // The posit bit string after the sign, unbounded, MSB-aligned at bit 127:
    // regime, exponent, then the 63 fraction bits below the hidden one.
    u128 body = 0;
    int pos = 128;
    if (k >= 0) {
      int ones = k + 1;
      body |= ((u128(1) << ones) - 1) << (pos - ones);
      pos -= ones + 1; // and a terminating 0
    } else {
      pos -= -k;                      // zeros
      body |= u128(1) << (pos - 1);   // terminating 1
      pos -= 1;
    }
    if (es) {
      body |= static_cast<u128>(ex) << (pos - es);
      pos -= es;
    }
    u128 frac = x.sig & ((1ull << 63) - 1);
    body |= frac << (pos - 63);
    Rounded r = roundMagnitude(body, x.sticky, 128 - (n - 1), x.negative, p);
    p1 = static_cast<uint64_t>(r.n);
    if (p1 > maxpos)
      p1 = maxpos;
    if (p1 == 0)
      p1 = 1;
  }
  return x.negative ? ((~p1 + 1) & f.codeMask()) : p1;
}
} // namespace

uint64_t lowbit::num::encode(const Format &f, const Unrounded &x,
                             const EncodePolicy &p) {
  switch (f.family()) {
  case Family::Float: return encodeFloat(f, x, p);
  case Family::Posit: return encodePosit(f, x, p);
  default: return encodeInt(f, x, p);
  }
}

uint64_t lowbit::num::encode(const Format &f, double x, const EncodePolicy &p) {
  return encode(f, Unrounded::fromDouble(x), p);
}

float lowbit::num::encodeAsF32(const Unrounded &x) {
  EncodePolicy p;
  p.overflow = Overflow::Inf;
  uint32_t bits =
      static_cast<uint32_t>(encode(Format::builtin(BuiltinFloat::F32), x, p));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint64_t lowbit::num::convert(const Format &from, uint64_t code, const Format &to,
                              const EncodePolicy &p) {
  return encode(to, decode(from, code), p);
}
