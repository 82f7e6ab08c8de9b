//===- Policy.h - Rounding and overflow policies ----------------*- C++ -*-===//
//
// Every conversion into a lowbit format carries an explicit policy: how to
// round, what an out-of-range value becomes, and what NaN does in formats
// that have none. Defaults are named here once and documented in
// docs/numerics.md.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_POLICY_H
#define LOWBIT_NUMERICS_POLICY_H

#include <cstdint>
#include <optional>
#include <string>

namespace lowbit::num {

enum class Rounding : uint8_t {
  NearestEven, ///< rne: round to nearest, ties to even (default)
  TowardZero,  ///< rtz
  Up,          ///< ru: toward +infinity
  Down,        ///< rd: toward -infinity
  NearestAway, ///< rna: round to nearest, ties away from zero
  Stochastic,  ///< round away from zero with probability = the discarded
               ///< fraction, decided by caller-supplied random bits
};

/// What a finite value beyond the largest finite value becomes (under a
/// rounding direction that would leave the finite range; directed roundings
/// toward zero always give the largest finite value, as in IEEE 754).
/// Fallback rule: `Inf` in a format without Inf gives NaN where the format
/// has NaN, else saturates; `NaN` in a format without NaN saturates. Integer
/// formats always saturate. Posits always saturate to +-maxpos (posit rule).
enum class Overflow : uint8_t { Saturate, Inf, NaN };

/// What a NaN input becomes in a format without NaN (posits give NaR).
enum class NaNInput : uint8_t {
  Zero, ///< +0, or the smallest value of a format without zero (default)
};

struct EncodePolicy {
  Rounding rounding = Rounding::NearestEven;
  Overflow overflow = Overflow::Saturate;
  NaNInput nan = NaNInput::Zero;
  /// Random bits for Rounding::Stochastic: the magnitude is rounded away
  /// from zero iff frac * 2^32 > randomBits, where frac in [0,1) is the
  /// exact discarded fraction (ties of the integer part with randomBits
  /// round away only if bits remain below 2^-32). Reproducible by design.
  uint32_t randomBits = 0;
};

const char *roundingName(Rounding r);  ///< "rne", "rtz", ...
const char *overflowName(Overflow o);  ///< "saturate", "inf", "nan"
std::optional<Rounding> roundingFromName(const std::string &s);
std::optional<Overflow> overflowFromName(const std::string &s);

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_POLICY_H
