//===- Format.cpp - Descriptors of lowbit number formats ------------------===//

#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/Codec.h"

#include <cctype>
#include <cmath>
#include <cstring>

using namespace lowbit::num;

namespace {
struct BuiltinInfo {
  BuiltinFloat id;
  const char *name;
  unsigned e, m;
  FloatKind kind;
  int bias;
};
// The parameters of MLIR's builtin float types (mlir/IR/BuiltinTypes.td and
// llvm/ADT/APFloat.h), written in lowbit's terms.
const BuiltinInfo kBuiltins[kNumBuiltinFloats] = {
    {BuiltinFloat::F8E4M3FN, "f8E4M3FN", 4, 3, FloatKind::FN, 7},
    {BuiltinFloat::F8E5M2, "f8E5M2", 5, 2, FloatKind::IEEE, 15},
    {BuiltinFloat::F8E4M3, "f8E4M3", 4, 3, FloatKind::IEEE, 7},
    {BuiltinFloat::F8E5M2FNUZ, "f8E5M2FNUZ", 5, 2, FloatKind::FNUZ, 16},
    {BuiltinFloat::F8E4M3FNUZ, "f8E4M3FNUZ", 4, 3, FloatKind::FNUZ, 8},
    {BuiltinFloat::F8E4M3B11FNUZ, "f8E4M3B11FNUZ", 4, 3, FloatKind::FNUZ, 11},
    {BuiltinFloat::F8E3M4, "f8E3M4", 3, 4, FloatKind::IEEE, 3},
    {BuiltinFloat::F6E3M2FN, "f6E3M2FN", 3, 2, FloatKind::Finite, 3},
    {BuiltinFloat::F6E2M3FN, "f6E2M3FN", 2, 3, FloatKind::Finite, 1},
    {BuiltinFloat::F4E2M1FN, "f4E2M1FN", 2, 1, FloatKind::Finite, 1},
    {BuiltinFloat::F8E8M0FNU, "f8E8M0FNU", 8, 0, FloatKind::Unsigned, 127},
    {BuiltinFloat::F16, "f16", 5, 10, FloatKind::IEEE, 15},
    {BuiltinFloat::BF16, "bf16", 8, 7, FloatKind::IEEE, 127},
    {BuiltinFloat::TF32, "tf32", 8, 10, FloatKind::IEEE, 127},
    {BuiltinFloat::F32, "f32", 8, 23, FloatKind::IEEE, 127},
};

std::string range(const char *what, int64_t lo, int64_t hi, int64_t got) {
  return std::string(what) + " must be in " + std::to_string(lo) + ".." +
         std::to_string(hi) + ", got " + std::to_string(got);
}
} // namespace

const char *lowbit::num::builtinFloatName(BuiltinFloat b) {
  return kBuiltins[static_cast<unsigned>(b)].name;
}

std::optional<BuiltinFloat>
lowbit::num::builtinFloatFromName(const std::string &name) {
  for (const BuiltinInfo &b : kBuiltins)
    if (name == b.name)
      return b.id;
  return std::nullopt;
}

const char *lowbit::num::floatKindName(FloatKind k) {
  switch (k) {
  case FloatKind::Finite: return "finite";
  case FloatKind::IEEE: return "ieee";
  case FloatKind::FN: return "fn";
  case FloatKind::FNUZ: return "fnuz";
  case FloatKind::Unsigned: return "unsigned";
  }
  return "?";
}

std::optional<FloatKind> lowbit::num::floatKindFromName(const std::string &s) {
  for (FloatKind k : {FloatKind::Finite, FloatKind::IEEE, FloatKind::FN,
                      FloatKind::FNUZ, FloatKind::Unsigned})
    if (s == floatKindName(k))
      return k;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Checks and builders
//===----------------------------------------------------------------------===//

std::string Format::checkInt(int64_t bits, IntEncoding) {
  if (bits < 1 || bits > FormatLimits::kMaxIntBits)
    return range("integer width N", 1, FormatLimits::kMaxIntBits, bits);
  return {};
}

std::string Format::checkFloat(int64_t e, int64_t m, FloatKind kind,
                               std::optional<int64_t> bias, bool subnormals) {
  if (e < 0 || e > FormatLimits::kMaxExponentBits)
    return range("exponent width E", 0, FormatLimits::kMaxExponentBits, e);
  if (m < 0 || m > FormatLimits::kMaxMantissaBits)
    return range("mantissa width M", 0, FormatLimits::kMaxMantissaBits, m);
  // E <= 8 and M <= 23 already bound the width to E + M + 1 <= 32.
  static_assert(FormatLimits::kMaxExponentBits + FormatLimits::kMaxMantissaBits + 1 <=
                FormatLimits::kMaxFloatBits);
  if (e + m == 0)
    return "a float needs at least one exponent or mantissa bit (E+M >= 1)";
  if (e == 0 && kind != FloatKind::Finite)
    return std::string("kind '") + floatKindName(kind) +
           "' needs an exponent field (E >= 1); E = 0 (fixed point) allows "
           "only 'finite'";
  if (e == 0 && !subnormals)
    return "E = 0 (fixed point) has only subnormal codes; 'nosubnormal' is "
           "not allowed";
  if (bias && (*bias < FormatLimits::kMinBias || *bias > FormatLimits::kMaxBias))
    return range("bias", FormatLimits::kMinBias, FormatLimits::kMaxBias, *bias);
  return {};
}

std::string Format::checkPosit(int64_t n, int64_t es) {
  if (n < FormatLimits::kMinPositBits || n > FormatLimits::kMaxPositBits)
    return range("posit width N", FormatLimits::kMinPositBits,
                 FormatLimits::kMaxPositBits, n);
  if (es < 0 || es > FormatLimits::kMaxPositES)
    return range("posit exponent size ES", 0, FormatLimits::kMaxPositES, es);
  return {};
}

int Format::defaultBias(unsigned e, FloatKind kind) {
  if (e == 0)
    return 1;
  if (kind == FloatKind::FNUZ)
    return 1 << (e - 1);
  return (1 << (e - 1)) - 1;
}

Format Format::integer(unsigned bits, IntEncoding enc) {
  Format f;
  f.fam = Family::Int;
  f.intEnc = enc;
  f.width = bits;
  return f;
}

Format Format::ternary() {
  Format f;
  f.fam = Family::Ternary;
  f.width = 2;
  return f;
}

Format Format::minifloat(unsigned e, unsigned m, FloatKind kind,
                         std::optional<int> bias, bool subnormals) {
  Format f;
  f.fam = Family::Float;
  f.e = e;
  f.m = m;
  f.kind = kind;
  f.biasValue = bias ? *bias : defaultBias(e, kind);
  // Normalised so that equal formats compare (and unique) equal.
  f.subnormals = subnormals && canHaveSubnormals(e, m);
  f.width = e + m + (kind == FloatKind::Unsigned ? 0 : 1);
  return f;
}

Format Format::posit(unsigned n, unsigned es) {
  Format f;
  f.fam = Family::Posit;
  f.width = n;
  f.es = es;
  return f;
}

Format Format::builtin(BuiltinFloat b) {
  const BuiltinInfo &i = kBuiltins[static_cast<unsigned>(b)];
  return minifloat(i.e, i.m, i.kind, i.bias, true);
}

bool Format::operator==(const Format &o) const {
  if (fam != o.fam || width != o.width)
    return false;
  switch (fam) {
  case Family::Int: return intEnc == o.intEnc;
  case Family::Ternary: return true;
  case Family::Posit: return es == o.es;
  case Family::Float:
    return e == o.e && m == o.m && kind == o.kind && biasValue == o.biasValue &&
           subnormals == o.subnormals;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Facts
//===----------------------------------------------------------------------===//

bool Format::isSigned() const {
  switch (fam) {
  case Family::Int: return intEnc != IntEncoding::Unsigned;
  case Family::Float: return kind != FloatKind::Unsigned;
  default: return true;
  }
}

uint64_t Format::numCodes() const {
  return isTernary() ? 3 : (1ull << width);
}

bool Format::hasInf() const { return isFloat() && kind == FloatKind::IEEE; }

bool Format::hasNaN() const {
  if (isPosit())
    return true;
  if (!isFloat())
    return false;
  if (kind == FloatKind::IEEE)
    return m > 0;
  return kind != FloatKind::Finite;
}

bool Format::hasZero() const {
  switch (fam) {
  case Family::Int: return intEnc != IntEncoding::Bipolar;
  case Family::Float: return subnormals;
  default: return true;
  }
}

bool Format::hasNegativeZero() const {
  return isFloat() && subnormals &&
         (kind == FloatKind::Finite || kind == FloatKind::IEEE ||
          kind == FloatKind::FN);
}

uint64_t Format::maxFiniteCode() const {
  switch (fam) {
  case Family::Int:
    if (intEnc == IntEncoding::Signed)
      return (1ull << (width - 1)) - 1;
    return codeMask();
  case Family::Ternary: return 1;
  case Family::Posit: return (1ull << (width - 1)) - 1;
  case Family::Float: {
    uint64_t all = (1ull << (e + m)) - 1;
    switch (kind) {
    case FloatKind::Finite:
    case FloatKind::FNUZ: return all;
    case FloatKind::IEEE: return (((1ull << e) - 2) << m) | ((1ull << m) - 1);
    case FloatKind::FN:
    case FloatKind::Unsigned: return all - 1;
    }
  }
  }
  return 0;
}

uint64_t Format::lowestFiniteCode() const {
  switch (fam) {
  case Family::Int:
    if (intEnc == IntEncoding::Signed)
      return 1ull << (width - 1);
    return 0;
  case Family::Ternary: return 3;
  case Family::Posit: return (1ull << (width - 1)) + 1;
  case Family::Float:
    if (kind == FloatKind::Unsigned)
      return 0;
    return maxFiniteCode() | (1ull << (e + m));
  }
  return 0;
}

double Format::maxFinite() const { return decode(*this, maxFiniteCode()); }
double Format::lowestFinite() const { return decode(*this, lowestFiniteCode()); }

double Format::smallestPositive() const {
  switch (fam) {
  // Code 1 is the smallest subnormal; without subnormals code 0 is 2^-bias.
  case Family::Float: return decode(*this, subnormals ? 1 : 0);
  case Family::Posit: return decode(*this, 1);
  default: return 1.0;
  }
}

double Format::smallestNormal() const {
  if (isPosit())
    return decode(*this, 1);
  if (!isFloat())
    return 1.0;
  if (e == 0)
    return std::nan(""); // a fixed-point format has no normal values
  return subnormals ? std::ldexp(1.0, 1 - biasValue) : std::ldexp(1.0, -biasValue);
}

std::optional<BuiltinFloat> Format::builtinEquivalent() const {
  if (!isFloat())
    return std::nullopt;
  for (const BuiltinInfo &b : kBuiltins)
    if (builtin(b.id) == *this)
      return b.id;
  return std::nullopt;
}

std::string Format::str() const {
  switch (fam) {
  case Family::Int: {
    std::string s = "int<" + std::to_string(width);
    if (intEnc == IntEncoding::Unsigned)
      s += ", unsigned";
    else if (intEnc == IntEncoding::Bipolar)
      s += ", bipolar";
    return s + ">";
  }
  case Family::Ternary: return "ternary";
  case Family::Posit:
    return "posit<" + std::to_string(width) + ", " + std::to_string(es) + ">";
  case Family::Float: {
    std::string s = "float<e" + std::to_string(e) + "m" + std::to_string(m);
    if (kind != FloatKind::Finite)
      s += std::string(", ") + floatKindName(kind);
    if (biasValue != defaultBias(e, kind))
      s += ", bias = " + std::to_string(biasValue);
    if (!subnormals && canHaveSubnormals(e, m))
      s += ", nosubnormal";
    return s + ">";
  }
  }
  return "?";
}
