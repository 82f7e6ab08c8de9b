//===- F32Bits.h - f32 values as bit patterns -------------------*- C++ -*-===//
//
// The bulk paths work on f32 bit patterns (their order as unsigned integers
// is the order of magnitudes within each sign).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_F32BITS_H
#define LOWBIT_NUMERICS_F32BITS_H

#include <cstdint>
#include <cstring>

namespace lowbit::num {

inline uint32_t f32Bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

inline float f32FromBits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

} // namespace lowbit::num

#endif // LOWBIT_NUMERICS_F32BITS_H
