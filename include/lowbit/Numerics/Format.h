//===- Format.h - Descriptors of lowbit number formats ----------*- C++ -*-===//
//
// A Format describes one element format of the lowbit dialect: arbitrary
// width integers (two's complement, unsigned, bipolar), ternary, minifloats
// of any eEmM split with an explicit special-value kind and bias, and posits.
// It corresponds one-to-one to the dialect's element types and carries the
// exact facts every later layer needs (range, special values, code count).
//
// This header has no MLIR dependency on purpose: the runtime and the
// command-line tools use it without linking the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_FORMAT_H
#define LOWBIT_NUMERICS_FORMAT_H

#include <cstdint>
#include <optional>
#include <string>

namespace lowbit::num {

enum class Family : uint8_t { Int, Ternary, Float, Posit };

/// How the bits of an integer code map to its value.
enum class IntEncoding : uint8_t {
  Signed,   ///< two's complement
  Unsigned, ///< plain binary
  Bipolar,  ///< every bit is +1 or -1: value = 2*code - (2^N - 1)
};

/// The special-value convention of a minifloat.
enum class FloatKind : uint8_t {
  Finite,   ///< no Inf, no NaN; the all-ones exponent is an ordinary binade
  IEEE,     ///< all-ones exponent: mantissa 0 is Inf, otherwise NaN
  FN,       ///< no Inf; only S.1..1.1..1 is NaN (OCP E4M3)
  FNUZ,     ///< no Inf, no -0; the -0 code is the only NaN
  Unsigned, ///< no sign bit, no Inf; the all-ones code is NaN (as E8M0)
};

/// MLIR builtin float types that some lowbit formats are identical to.
enum class BuiltinFloat : uint8_t {
  F8E4M3FN, F8E5M2, F8E4M3, F8E5M2FNUZ, F8E4M3FNUZ, F8E4M3B11FNUZ, F8E3M4,
  F6E3M2FN, F6E2M3FN, F4E2M1FN, F8E8M0FNU, F16, BF16, TF32, F32,
};
constexpr unsigned kNumBuiltinFloats = 15;

/// The MLIR spelling of a builtin float type ("f8E4M3FN", "bf16", ...).
const char *builtinFloatName(BuiltinFloat b);
std::optional<BuiltinFloat> builtinFloatFromName(const std::string &name);

/// Limits of the format parameters. They are chosen so that every value of
/// every format, and every product or quotient of two values, is a normal
/// IEEE double: this is what lets the codecs and the arithmetic be exact with
/// a 64-bit significand and no big-number library on the hot paths.
struct FormatLimits {
  static constexpr unsigned kMaxIntBits = 32;
  static constexpr unsigned kMaxExponentBits = 8;
  static constexpr unsigned kMaxMantissaBits = 23;
  static constexpr unsigned kMaxFloatBits = 32;
  static constexpr int kMinBias = -255;
  static constexpr int kMaxBias = 255;
  static constexpr unsigned kMinPositBits = 2;
  static constexpr unsigned kMaxPositBits = 32;
  static constexpr unsigned kMaxPositES = 4;
};

class Format {
public:
  //===--------------------------------------------------------------------===//
  // Construction. The checked builders return an error message naming the
  // offending parameter and its allowed range instead of a Format.
  //===--------------------------------------------------------------------===//

  /// Error text for invalid integer parameters, or empty if valid.
  static std::string checkInt(int64_t bits, IntEncoding enc);
  /// Error text for invalid float parameters, or empty if valid. `bias` is
  /// the explicit bias, if any.
  static std::string checkFloat(int64_t e, int64_t m, FloatKind kind,
                                std::optional<int64_t> bias, bool subnormals);
  static std::string checkPosit(int64_t n, int64_t es);

  /// Builders; the parameters must be valid (see the check functions).
  static Format integer(unsigned bits, IntEncoding enc = IntEncoding::Signed);
  static Format ternary();
  static Format minifloat(unsigned e, unsigned m, FloatKind kind = FloatKind::Finite,
                          std::optional<int> bias = std::nullopt,
                          bool subnormals = true);
  static Format posit(unsigned n, unsigned es);
  static Format builtin(BuiltinFloat b);

  /// Default bias of a minifloat: 2^(E-1)-1, or 2^(E-1) for fnuz, and 1 for
  /// E = 0 (a fixed-point fraction 0.m with |value| < 1).
  static int defaultBias(unsigned e, FloatKind kind);
  /// Whether a minifloat with this mantissa width can have subnormals: with
  /// M = 0 there are no mantissa bits, so the exponent-0 binade is normal
  /// (as in E8M0), and the format has no zero.
  static bool canHaveSubnormals(unsigned, unsigned m) { return m > 0; }

  //===--------------------------------------------------------------------===//
  // Parameters
  //===--------------------------------------------------------------------===//
  Family family() const { return fam; }
  bool isInt() const { return fam == Family::Int; }
  bool isTernary() const { return fam == Family::Ternary; }
  bool isFloat() const { return fam == Family::Float; }
  bool isPosit() const { return fam == Family::Posit; }

  IntEncoding intEncoding() const { return intEnc; }
  unsigned exponentBits() const { return e; }
  unsigned mantissaBits() const { return m; }
  FloatKind floatKind() const { return kind; }
  int bias() const { return biasValue; }
  bool hasSubnormals() const { return subnormals; }
  unsigned positES() const { return es; }

  //===--------------------------------------------------------------------===//
  // Facts
  //===--------------------------------------------------------------------===//
  /// Bits of one code in storage.
  unsigned bits() const { return width; }
  /// Mask of the valid code bits.
  uint64_t codeMask() const { return (1ull << width) - 1; } // width <= 32
  /// Whether negative values exist.
  bool isSigned() const;
  /// Number of distinct valid codes (2^bits, except 3 for ternary).
  uint64_t numCodes() const;
  bool hasInf() const;
  bool hasNaN() const; ///< NaN, or NaR for posits
  bool hasNegativeZero() const;
  bool hasZero() const;
  /// Exact extreme finite values (every value of every format is a double).
  double maxFinite() const;
  double lowestFinite() const;
  /// Smallest positive value (minpos for posits, 1 for integers).
  double smallestPositive() const;
  /// Smallest positive normal value (== smallestPositive without subnormals).
  double smallestNormal() const;
  /// The code of the largest finite value, and of the lowest finite value.
  uint64_t maxFiniteCode() const;
  uint64_t lowestFiniteCode() const;

  /// The identical MLIR builtin type, if there is one.
  std::optional<BuiltinFloat> builtinEquivalent() const;

  /// The dialect type syntax without "!lowbit.", e.g. "float<e4m3, fn>".
  std::string str() const;
  /// Parses a format: the dialect's type syntax without "!lowbit." or an MLIR
  /// builtin float name. On failure returns nullopt and sets `error` (with
  /// the column of the offending character, 0-based, in `errorColumn`).
  static std::optional<Format> parse(const std::string &text, std::string &error,
                                     size_t *errorColumn = nullptr);

  bool operator==(const Format &o) const;
  bool operator!=(const Format &o) const { return !(*this == o); }

private:
  Format() = default;
  Family fam = Family::Int;
  IntEncoding intEnc = IntEncoding::Signed;
  FloatKind kind = FloatKind::Finite;
  bool subnormals = false;
  uint8_t e = 0, m = 0, es = 0;
  uint8_t width = 0;
  int biasValue = 0;
};

const char *floatKindName(FloatKind k);
std::optional<FloatKind> floatKindFromName(const std::string &s);

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_FORMAT_H
