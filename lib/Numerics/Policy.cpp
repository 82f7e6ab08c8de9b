//===- Policy.cpp - Names of rounding and overflow policies ---------------===//

#include "lowbit/Numerics/Policy.h"

using namespace lowbit::num;

const char *lowbit::num::roundingName(Rounding r) {
  switch (r) {
  case Rounding::NearestEven: return "rne";
  case Rounding::TowardZero: return "rtz";
  case Rounding::Up: return "ru";
  case Rounding::Down: return "rd";
  case Rounding::NearestAway: return "rna";
  case Rounding::Stochastic: return "stochastic";
  }
  return "?";
}

const char *lowbit::num::overflowName(Overflow o) {
  switch (o) {
  case Overflow::Saturate: return "saturate";
  case Overflow::Inf: return "inf";
  case Overflow::NaN: return "nan";
  }
  return "?";
}

std::optional<Rounding> lowbit::num::roundingFromName(const std::string &s) {
  for (Rounding r : {Rounding::NearestEven, Rounding::TowardZero, Rounding::Up,
                     Rounding::Down, Rounding::NearestAway, Rounding::Stochastic})
    if (s == roundingName(r))
      return r;
  return std::nullopt;
}

std::optional<Overflow> lowbit::num::overflowFromName(const std::string &s) {
  for (Overflow o : {Overflow::Saturate, Overflow::Inf, Overflow::NaN})
    if (s == overflowName(o))
      return o;
  return std::nullopt;
}
