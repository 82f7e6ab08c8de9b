//===- NumIO.h - Text input and output of lowbit-num ------------*- C++ -*-===//
#ifndef LOWBIT_TOOLS_LOWBIT_NUM_NUMIO_H
#define LOWBIT_TOOLS_LOWBIT_NUM_NUMIO_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lowbit::tool {

/// Splits a line into whitespace-separated words.
std::vector<std::string> words(const std::string &line);
/// Parses "0x3c" (the 0x is required, as in the tables) into a code.
std::optional<uint64_t> parseHex(const std::string &word);
/// A double as the tables write it: C99 hex float of the exact value,
/// "-0x0p+0" for negative zero, or nan / inf / -inf.
std::string formatValue(double v);
/// A double in short decimal (for the human-readable tables).
std::string formatDecimal(double v);
/// "0x3c" with at least `digits` hex digits.
std::string formatHex(uint64_t code, unsigned digits);

} // namespace lowbit::tool

#endif
