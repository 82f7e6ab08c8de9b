//===- ArithmeticReferenceTest.cpp - Exhaustive 8-bit arithmetic ----------===//
//
// add, sub, mul and div on every pair of codes of every 8-bit format,
// against a reference that shares nothing with the library: its own
// decoders (written from the format definitions in LowbitTypes.td), exact
// rationals in llvm::APInt, and rounding as "the nearest of the format's
// sorted values", where nearest is decided by an exact comparison with the
// midpoint (the arithmetic mean for floats and integers; for posits the
// value of the (n+1)-bit posit between the two codes, which is what
// round-to-nearest-even on the bit string means). Ties go to the even code.
//
// Special results follow the documented policies (docs/numerics.md):
// default policy rne + saturate; IEEE zero signs; NaN -> the format's NaN,
// else code 0; infinite results per ArithmeticInfResult; posits never round
// a nonzero to 0, saturate at maxpos, and give NaR for NaN, Inf and x/0;
// unsigned floats give code 0 for negative results; M0TiesUp.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Arithmetic.h"

#include "llvm/ADT/APInt.h"

#include "FormatTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>

using namespace lowbit::num;
using llvm::APInt;

namespace {
// Every value of the formats below times 2^kScale is an integer (the
// smallest is E8M0's 2^-127, the largest 2^127), and the widest comparison,
// a product of two values against a midpoint, needs about 2 * 255 + 129 bits.
constexpr unsigned kWidth = 704;
constexpr int kScale = 128;

enum class Kind { Finite, NaN, PosInf, NegInf };

/// A decoded code: mant * 2^exp exactly (mant signed), or a special.
struct RefValue {
  Kind kind = Kind::Finite;
  int64_t mant = 0;
  int exp = 0;
  bool negativeZero = false;
};

/// The value times 2^kScale (an integer).
APInt scaled(const RefValue &v) {
  EXPECT_GE(v.exp + kScale, 0);
  APInt a(kWidth, static_cast<uint64_t>(v.mant < 0 ? -v.mant : v.mant));
  a <<= static_cast<unsigned>(v.exp + kScale);
  return v.mant < 0 ? -a : a;
}

struct Spec {
  std::string name;
  Format format;
};

//===----------------------------------------------------------------------===//
// Reference decoders, from the format definitions.
//===----------------------------------------------------------------------===//

RefValue refDecodeFloat(const Format &f, uint32_t code) {
  unsigned e = f.exponentBits(), m = f.mantissaBits();
  bool hasSign = f.floatKind() != FloatKind::Unsigned;
  bool neg = hasSign && ((code >> (e + m)) & 1);
  uint32_t mag = code & ((1u << (e + m)) - 1);
  uint32_t expField = mag >> m, frac = mag & ((1u << m) - 1);
  uint32_t expOnes = (1u << e) - 1;
  RefValue v;
  switch (f.floatKind()) {
  case FloatKind::IEEE:
    if (e > 0 && expField == expOnes) {
      v.kind = frac ? Kind::NaN : neg ? Kind::NegInf : Kind::PosInf;
      return v;
    }
    break;
  case FloatKind::FN:
  case FloatKind::Unsigned:
    if (mag == (1u << (e + m)) - 1) {
      v.kind = Kind::NaN;
      return v;
    }
    break;
  case FloatKind::FNUZ:
    if (neg && mag == 0) {
      v.kind = Kind::NaN;
      return v;
    }
    break;
  case FloatKind::Finite:
    break;
  }
  int bias = f.bias();
  if (e == 0 || (expField == 0 && m > 0 && f.hasSubnormals())) {
    v.mant = frac; // 0.frac x 2^(1 - bias)
    v.exp = 1 - bias - static_cast<int>(m);
  } else {
    v.mant = (int64_t(1) << m) | frac;
    v.exp = static_cast<int>(expField) - bias - static_cast<int>(m);
  }
  if (neg) {
    v.mant = -v.mant;
    v.negativeZero = v.mant == 0;
  }
  return v;
}

RefValue refDecodePosit(unsigned n, unsigned es, uint32_t code) {
  uint32_t mask = (1u << n) - 1;
  code &= mask;
  RefValue v;
  if (code == 0)
    return v;
  if (code == 1u << (n - 1)) {
    v.kind = Kind::NaN; // NaR
    return v;
  }
  bool neg = code >> (n - 1);
  uint32_t c = neg ? (0u - code) & mask : code;
  // Bits after the sign, most significant first.
  int pos = static_cast<int>(n) - 2;
  auto bit = [&](int p) { return (c >> p) & 1; };
  unsigned first = bit(pos), run = 0;
  while (pos >= 0 && bit(pos) == first) {
    ++run;
    --pos;
  }
  --pos; // the terminating bit (if any)
  int regime = first ? static_cast<int>(run) - 1 : -static_cast<int>(run);
  int expo = 0;
  for (unsigned i = 0; i < es; ++i) {
    expo <<= 1;
    if (pos >= 0)
      expo |= bit(pos--);
  }
  int fracBits = std::max(pos + 1, 0);
  uint32_t frac = fracBits ? c & ((1u << fracBits) - 1) : 0;
  v.mant = (int64_t(1) << fracBits) | frac;
  v.exp = regime * (1 << es) + expo - fracBits;
  if (neg)
    v.mant = -v.mant;
  return v;
}

RefValue refDecodeInt(const Format &f, uint32_t code) {
  RefValue v;
  unsigned b = f.bits();
  v.mant = f.intEncoding() == IntEncoding::Signed && (code >> (b - 1))
               ? static_cast<int64_t>(code) - (int64_t(1) << b)
               : code;
  return v;
}

RefValue refDecode(const Format &f, uint32_t code) {
  if (f.isPosit())
    return refDecodePosit(f.bits(), f.positES(), code);
  if (f.isInt())
    return refDecodeInt(f, code);
  return refDecodeFloat(f, code);
}

//===----------------------------------------------------------------------===//
// Exact results and rounding
//===----------------------------------------------------------------------===//

/// num / den with den > 0.
struct Rational {
  APInt num, den;
};

/// sign(r - n / 2^denShift), with one multiplication.
int compare(const Rational &r, const APInt &n, unsigned denShift) {
  APInt l = r.num.shl(denShift), rhs = n * r.den;
  return l.slt(rhs) ? -1 : l == rhs ? 0 : 1;
}

class Reference {
public:
  explicit Reference(const Format &f) : f(f) {
    for (uint32_t c = 0; c < (1u << f.bits()); ++c) {
      values.push_back(refDecode(f, c));
      const RefValue &v = values.back();
      if (v.kind != Kind::Finite || v.negativeZero)
        continue;
      // One entry per value (+0 only, and no duplicates).
      sorted.push_back({scaled(v), c, static_cast<double>(v.mant) * std::ldexp(1.0, v.exp)});
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const Entry &a, const Entry &b) { return a.scaledValue.slt(b.scaledValue); });
    if (f.isFloat()) {
      unsigned signBit = f.floatKind() == FloatKind::Unsigned ? 0 : f.exponentBits() + f.mantissaBits();
      signMask = signBit ? 1u << signBit : 0;
    }
  }

  const RefValue &value(uint32_t c) const { return values[c]; }

  /// The expected code of op(a, b).
  uint32_t expected(BinaryOp op, uint32_t a, uint32_t b) const {
    const RefValue &x = values[a], &y = values[b];
    if (f.isPosit() && op == BinaryOp::Div && y.kind == Kind::Finite && y.mant == 0)
      return nanResult();
    Kind special = specialKind(op, x, y);
    if (special == Kind::NaN)
      return nanResult();
    if (special == Kind::PosInf || special == Kind::NegInf)
      return infResult(special == Kind::NegInf);
    Rational r = exact(op, x, y);
    if (r.num.isZero())
      return zeroResult(zeroIsNegative(op, x, y));
    return roundNonzero(r);
  }

private:
  struct Entry {
    APInt scaledValue;
    uint32_t code;
    double approx;
  };

  static bool isZero(const RefValue &v) { return v.kind == Kind::Finite && v.mant == 0; }
  static bool isInf(const RefValue &v) { return v.kind == Kind::PosInf || v.kind == Kind::NegInf; }
  static bool negative(const RefValue &v) {
    return v.kind == Kind::NegInf || (v.kind == Kind::Finite && (v.mant < 0 || v.negativeZero));
  }

  // IEEE 754 special cases; Finite means "compute exactly".
  static Kind specialKind(BinaryOp op, const RefValue &x, const RefValue &y) {
    if (x.kind == Kind::NaN || y.kind == Kind::NaN)
      return Kind::NaN;
    bool sx = negative(x), sy = negative(y);
    switch (op) {
    case BinaryOp::Add:
    case BinaryOp::Sub: {
      if (op == BinaryOp::Sub)
        sy = !sy;
      if (isInf(x) && isInf(y))
        return sx == sy ? (sx ? Kind::NegInf : Kind::PosInf) : Kind::NaN;
      if (isInf(x))
        return sx ? Kind::NegInf : Kind::PosInf;
      if (isInf(y))
        return sy ? Kind::NegInf : Kind::PosInf;
      return Kind::Finite;
    }
    case BinaryOp::Mul:
      if ((isInf(x) && isZero(y)) || (isZero(x) && isInf(y)))
        return Kind::NaN;
      if (isInf(x) || isInf(y))
        return sx != sy ? Kind::NegInf : Kind::PosInf;
      return Kind::Finite;
    case BinaryOp::Div:
      if ((isInf(x) && isInf(y)) || (isZero(x) && isZero(y)))
        return Kind::NaN;
      if (isInf(x) || isZero(y))
        return sx != sy ? Kind::NegInf : Kind::PosInf;
      return Kind::Finite; // x / Inf is an exact zero below
    }
    return Kind::NaN;
  }

  static Rational exact(BinaryOp op, const RefValue &x, const RefValue &y) {
    APInt one = APInt(kWidth, 1), unit = one << kScale;
    if (isInf(y)) // finite / Inf
      return {APInt(kWidth, 0), one};
    APInt a = scaled(x), b = scaled(y);
    switch (op) {
    case BinaryOp::Add: return {a + b, unit};
    case BinaryOp::Sub: return {a - b, unit};
    case BinaryOp::Mul: return {a * b, unit * unit};
    case BinaryOp::Div:
      return b.isNegative() ? Rational{-a, -b} : Rational{a, b};
    }
    return {APInt(kWidth, 0), one};
  }

  static bool zeroIsNegative(BinaryOp op, const RefValue &x, const RefValue &y) {
    bool sx = negative(x), sy = negative(y);
    switch (op) {
    case BinaryOp::Add: return isZero(x) && isZero(y) && sx && sy;
    case BinaryOp::Sub: return isZero(x) && isZero(y) && sx && !sy;
    case BinaryOp::Mul:
    case BinaryOp::Div: return sx != sy;
    }
    return false;
  }

  bool hasNaN() const {
    for (auto &v : values)
      if (v.kind == Kind::NaN)
        return true;
    return false;
  }
  std::optional<uint32_t> findCode(Kind k) const {
    for (uint32_t c = 0; c < values.size(); ++c)
      if (values[c].kind == k)
        return c;
    return std::nullopt;
  }

  uint32_t nanResult() const {
    if (f.isPosit())
      return 1u << (f.bits() - 1);
    if (auto c = findCode(Kind::NaN))
      return *c; // any NaN code is accepted by the caller
    return 0; // NaN into a format without NaN: code 0
  }

  uint32_t infResult(bool neg) const {
    if (f.isPosit())
      return 1u << (f.bits() - 1);
    if (f.isFloat() && f.floatKind() == FloatKind::Unsigned && neg)
      return 0;
    if (auto c = findCode(neg ? Kind::NegInf : Kind::PosInf))
      return *c;
    if (auto c = findCode(Kind::NaN))
      return *c;
    return neg ? sorted.front().code : sorted.back().code; // saturate
  }

  uint32_t zeroResult(bool neg) const {
    if (!f.isFloat())
      return 0;
    if (f.floatKind() == FloatKind::Unsigned)
      return 0;
    bool hasZero = values[0].kind == Kind::Finite && values[0].mant == 0;
    if (!hasZero) // the smallest magnitude of the zero's sign
      return neg ? signMask : 0;
    if (neg && f.floatKind() != FloatKind::FNUZ)
      return signMask;
    return 0;
  }

  /// sign(r - sorted[i]).
  int compareToValue(const Rational &r, size_t i) const {
    return compare(r, sorted[i].scaledValue, kScale);
  }

  /// sign(r - the midpoint between sorted[i] and sorted[i + 1]).
  int compareToMidpoint(const Rational &r, size_t i) const {
    if (f.isPosit()) {
      unsigned n = f.bits();
      uint32_t mid = ((sorted[i].code << 1) | 1) & ((1u << (n + 1)) - 1);
      return compare(r, scaled(refDecodePosit(n + 1, f.positES(), mid)), kScale);
    }
    return compare(r, sorted[i].scaledValue + sorted[i + 1].scaledValue, kScale + 1);
  }

  uint32_t roundNonzero(const Rational &r) const {
    bool neg = r.num.isNegative();
    if (f.isFloat() && f.floatKind() == FloatKind::Unsigned && neg)
      return 0;
    // Saturate outside [lowest, max]; posits also never reach 0 or NaR.
    if (compareToValue(r, 0) <= 0)
      return sorted.front().code;
    if (compareToValue(r, sorted.size() - 1) >= 0)
      return sorted.back().code;
    // sorted[i] <= r < sorted[i + 1]: a double estimate, then exact checks.
    double approx = std::ldexp(r.num.roundToDouble(true), 0) / r.den.roundToDouble(false);
    size_t i = std::upper_bound(sorted.begin(), sorted.end(), approx,
                                [](double a, const Entry &e) { return a < e.approx; }) -
               sorted.begin();
    i = std::min(std::max<size_t>(i, 1), sorted.size() - 1) - 1;
    while (i > 0 && compareToValue(r, i) < 0)
      --i;
    while (i + 2 < sorted.size() && compareToValue(r, i + 1) >= 0)
      ++i;
    const Entry &lo = sorted[i], &hi = sorted[i + 1];
    uint32_t code;
    if (compareToValue(r, i) == 0) {
      code = lo.code;
    } else if (f.isPosit()) {
      if (lo.scaledValue.isZero()) // never round a nonzero to 0
        return hi.code;
      if (hi.scaledValue.isZero())
        return lo.code;
      int c = compareToMidpoint(r, i);
      code = c < 0 ? lo.code : c > 0 ? hi.code : (lo.code & 1 ? hi.code : lo.code);
    } else {
      int c = compareToMidpoint(r, i);
      uint32_t even;
      if (f.isFloat() && f.mantissaBits() == 0) // M0TiesUp: toward larger magnitude
        even = neg ? lo.code : hi.code;
      else
        even = lo.code & 1 ? hi.code : lo.code;
      code = c < 0 ? lo.code : c > 0 ? hi.code : even;
    }
    // A nonzero that rounds to zero keeps its sign (floats with -0).
    if (f.isFloat() && neg && refDecode(f, code).mant == 0)
      return zeroResult(true);
    return code;
  }

  Format f;
  std::vector<RefValue> values;
  std::vector<Entry> sorted;
  uint32_t signMask = 0;
};

class Exhaustive8Bit : public ::testing::TestWithParam<std::string> {};

TEST_P(Exhaustive8Bit, AddSubMulDivMatchExactReference) {
  Format f = parseTestFormat(GetParam());
  ASSERT_EQ(f.bits(), 8u);
  Reference ref(f);
  // The decoders must agree first (the reference has its own).
  for (uint32_t c = 0; c < 256; ++c) {
    const RefValue &v = ref.value(c);
    double lib = decode(f, c);
    if (v.kind == Kind::NaN)
      EXPECT_TRUE(std::isnan(lib)) << f.str() << " code " << c;
    else if (v.kind != Kind::Finite)
      EXPECT_EQ(lib, v.kind == Kind::PosInf ? INFINITY : -INFINITY) << c;
    else
      EXPECT_EQ(lib, std::ldexp(static_cast<double>(v.mant), v.exp)) << f.str() << " code " << c;
  }
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div}) {
    size_t bad = 0;
    for (uint32_t a = 0; a < 256; ++a)
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t want = ref.expected(op, a, b);
        uint32_t got = static_cast<uint32_t>(apply(op, f, a, b));
        bool same = got == want || (ref.value(want).kind == Kind::NaN &&
                                    ref.value(got).kind == Kind::NaN && !f.isPosit());
        if (!same && ++bad <= 5)
          ADD_FAILURE() << f.str() << " " << binaryOpName(op) << "(0x" << std::hex << a
                        << ", 0x" << b << "): got 0x" << got << ", reference 0x" << want;
      }
    EXPECT_EQ(bad, 0u) << f.str() << " " << binaryOpName(op);
  }
}

// Every 8-bit builtin, posits of every ES, the integer encodings with an
// order (bipolar values are odd, so "ties to even" has no meaning there),
// and custom floats covering each kind, fixed point, no subnormals, no zero
// and a non-default bias.
const std::vector<std::string> kFormats = {
    "f8E4M3FN", "f8E5M2", "f8E4M3", "f8E5M2FNUZ", "f8E4M3FNUZ", "f8E4M3B11FNUZ",
    "f8E3M4", "f8E8M0FNU",
    "posit<8, 0>", "posit<8, 1>", "posit<8, 2>", "posit<8, 3>", "posit<8, 4>",
    "int<8>", "int<8, unsigned>",
    "float<e2m5>", "float<e1m6>", "float<e0m7>", "float<e6m1, ieee>", "float<e7m0>",
    "float<e3m4, ieee, bias = 2>", "float<e4m3, fn, nosubnormal>", "float<e5m2, fnuz>",
    "float<e4m4, unsigned>", "float<e5m2, bias = 20>"};
INSTANTIATE_TEST_SUITE_P(Formats, Exhaustive8Bit, ::testing::ValuesIn(kFormats), formatParamName);
} // namespace
