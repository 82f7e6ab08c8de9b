//===- CodeSteps.h - An encoder as a step function of bit patterns -*- C++ -*-===//
//
// For a fixed format and a deterministic policy, encoding is a monotone step
// function of the input value on [+0, +Inf] and on [-0, -Inf], and the input
// bit patterns of an IEEE binary format, read as unsigned integers, list the
// positive values and then the negative ones, each by increasing magnitude.
// So the whole encoder is the sorted list of patterns where the code
// changes, found by bisection with the scalar encoder itself: equal to it by
// construction. BulkEncoder keeps these steps for f32 inputs; the compiler
// emits the f64 steps as a table that generated code searches.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_CODESTEPS_H
#define LOWBIT_NUMERICS_CODESTEPS_H

#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/Policy.h"

#include <cstdint>
#include <vector>

namespace lowbit::num {

/// Appends the steps of `enc` (a function of UInt bit patterns of a binary
/// format whose sign bit is `signBit` and whose +Inf pattern is `infBits`):
/// steps[j] is the first pattern whose code is codes[j]; steps[0] is +0.
/// NaN patterns (above Inf in each half) must share one code per sign.
template <class UInt, class Encode>
void findCodeSteps(UInt signBit, UInt infBits, const Encode &enc,
                   std::vector<UInt> &steps, std::vector<uint32_t> &codes) {
  for (UInt sign : {UInt(0), signBit}) {
    UInt cur = sign, inf = sign | infBits;
    uint32_t c = enc(cur);
    steps.push_back(cur);
    codes.push_back(c);
    while (cur < inf && enc(inf) != c) {
      UInt lo = cur, hi = inf; // enc(lo) == c, enc(hi) != c
      while (hi - lo > 1) {
        UInt mid = lo + (hi - lo) / 2;
        (enc(mid) == c ? lo : hi) = mid;
      }
      cur = hi;
      c = enc(cur);
      steps.push_back(cur);
      codes.push_back(c);
    }
    uint32_t nanCodeHere = enc(inf + 1);
    if (nanCodeHere != c) {
      steps.push_back(inf + 1);
      codes.push_back(nanCodeHere);
    }
  }
}

/// The encoder of `f` under `policy` (not stochastic) over f64 inputs.
struct F64EncodeSteps {
  std::vector<uint64_t> steps;
  std::vector<uint32_t> codes;
};
F64EncodeSteps f64EncodeSteps(const Format &f, const EncodePolicy &policy);
/// f64EncodeSteps, built once per (format, policy) and shared (thread-safe;
/// a 16-bit format takes a few million scalar encodes to build).
const F64EncodeSteps &f64EncodeStepsFor(const Format &f, const EncodePolicy &policy);

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_CODESTEPS_H
