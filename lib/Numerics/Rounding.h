//===- Rounding.h - The one rounding step shared by all encoders -*- C++ -*-===//
//
// Private to lib/Numerics. Every encoder (minifloat, integer, posit) reduces
// its job to "round this non-negative fixed-point magnitude to an integer"
// under the caller's policy, so the rounding rules live in one place.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_NUMERICS_ROUNDING_H
#define LOWBIT_LIB_NUMERICS_ROUNDING_H

#include "lowbit/Numerics/Policy.h"

#include <cstdint>

namespace lowbit::num::detail {

using u128 = unsigned __int128;

struct Rounded {
  u128 n;       ///< the rounded magnitude
  bool inexact; ///< whether anything was discarded
};

/// Rounds the magnitude (sig + sticky) / 2^shift of a number with the given
/// sign to an integer. `sticky` means the magnitude lies strictly between
/// sig and sig + 1 (in units of 2^-shift).
Rounded roundMagnitude(u128 sig, bool sticky, unsigned shift, bool negative,
                       const EncodePolicy &p);

/// Whether rounding the magnitude moves away from zero is the direction of
/// this policy for this sign (used for the IEEE overflow rule: a rounding
/// toward zero never overflows to Inf).
bool roundsAwayFromZero(Rounding r, bool negative);

inline unsigned bitLength(u128 v) {
  uint64_t hi = static_cast<uint64_t>(v >> 64), lo = static_cast<uint64_t>(v);
  if (hi)
    return 128 - __builtin_clzll(hi);
  return lo ? 64 - __builtin_clzll(lo) : 0;
}

} // namespace lowbit::num::detail

#endif
