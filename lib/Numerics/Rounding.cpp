//===- Rounding.cpp - The one rounding step shared by all encoders --------===//

#include "Rounding.h"

using namespace lowbit::num;
using namespace lowbit::num::detail;

bool detail::roundsAwayFromZero(Rounding r, bool negative) {
  switch (r) {
  case Rounding::TowardZero: return false;
  case Rounding::Up: return !negative;
  case Rounding::Down: return negative;
  default: return true;
  }
}

Rounded detail::roundMagnitude(u128 sig, bool sticky, unsigned shift,
                               bool negative, const EncodePolicy &p) {
  u128 n;
  bool guard, rest;
  // The discarded fraction scaled by 2^32 (for stochastic rounding): its
  // integer part and whether anything lies below it.
  uint64_t frac32;
  bool below32;
  if (shift == 0) {
    n = sig;
    guard = false;
    rest = sticky;
    frac32 = 0;
    below32 = sticky;
  } else if (shift >= 128) {
    n = 0;
    guard = shift == 128 ? (sig >> 127) & 1 : false;
    rest = (shift == 128 ? (sig << 1) != 0 : sig != 0) || sticky;
    frac32 = shift - 32 < 128 ? static_cast<uint64_t>(sig >> (shift - 32)) : 0;
    below32 = (shift - 32 < 128 ? (sig << (160 - shift)) != 0 : sig != 0) || sticky;
  } else {
    n = sig >> shift;
    u128 fracBits = sig & ((u128(1) << shift) - 1);
    guard = (fracBits >> (shift - 1)) & 1;
    rest = (fracBits & ((u128(1) << (shift - 1)) - 1)) != 0 || sticky;
    if (shift >= 32) {
      frac32 = static_cast<uint64_t>(fracBits >> (shift - 32));
      below32 = (fracBits & ((u128(1) << (shift - 32)) - 1)) != 0 || sticky;
    } else {
      frac32 = static_cast<uint64_t>(fracBits << (32 - shift));
      below32 = sticky;
    }
  }
  bool inexact = guard || rest;
  bool inc = false;
  switch (p.rounding) {
  case Rounding::NearestEven: inc = guard && (rest || (n & 1)); break;
  case Rounding::NearestAway: inc = guard; break;
  case Rounding::TowardZero: inc = false; break;
  case Rounding::Up: inc = inexact && !negative; break;
  case Rounding::Down: inc = inexact && negative; break;
  case Rounding::Stochastic:
    inc = frac32 > p.randomBits || (frac32 == p.randomBits && below32);
    break;
  }
  return {n + (inc ? 1 : 0), inexact};
}
