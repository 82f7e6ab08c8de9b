//===- DenseText.h - f32 data as MLIR dense attribute text ------*- C++ -*-===//
//
// Programs that embed weights as constants (the demo, the benchmarks, the
// tests) write them as `dense<"0x...">`: the hex form of the raw
// little-endian bytes, which MLIR parses without a per-element float
// conversion. Header-only, no MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_DENSETEXT_H
#define LOWBIT_RUNTIME_DENSETEXT_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lowbit::rt {

/// `"0x..."`, the value of a dense<> attribute holding `v` as f32.
inline std::string denseHexF32(const std::vector<float> &v) {
  static const char *digits = "0123456789ABCDEF";
  std::string s = "\"0x";
  s.reserve(v.size() * 8 + 4);
  for (float f : v) {
    uint8_t b[4];
    std::memcpy(b, &f, 4);
    for (uint8_t x : b) {
      s += digits[x >> 4];
      s += digits[x & 15];
    }
  }
  return s + "\"";
}

} // namespace lowbit::rt

#endif
