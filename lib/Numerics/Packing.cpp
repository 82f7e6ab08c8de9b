//===- Packing.cpp - Sub-byte codes in bytes, and bit planes --------------===//

#include "lowbit/Numerics/Packing.h"

#include <cstring>

using namespace lowbit::num;

namespace {
// Bit of its byte that stream bit p occupies.
unsigned byteBit(size_t p, BitOrder order) {
  return order == BitOrder::LsbFirst ? p % 8 : 7 - p % 8;
}
// Bit of the code written at the j-th stream position of that code.
unsigned codeBit(unsigned j, unsigned bits, BitOrder order) {
  return order == BitOrder::LsbFirst ? j : bits - 1 - j;
}
} // namespace

void lowbit::num::pack(const uint32_t *codes, size_t n, unsigned bits,
                       BitOrder order, uint8_t *out) {
  if (n == 0)
    return; // `out` may be null (an empty vector's data): memset would be UB
  std::memset(out, 0, packedBytes(n, bits));
  size_t p = 0; // stream bit position
  for (size_t i = 0; i < n; ++i) {
    for (unsigned j = 0; j < bits; ++j, ++p)
      if ((codes[i] >> codeBit(j, bits, order)) & 1)
        out[p / 8] |= static_cast<uint8_t>(1u << byteBit(p, order));
  }
}

void lowbit::num::unpack(const uint8_t *in, size_t n, unsigned bits,
                         BitOrder order, uint32_t *codes) {
  size_t p = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = 0;
    for (unsigned j = 0; j < bits; ++j, ++p)
      c |= static_cast<uint32_t>((in[p / 8] >> byteBit(p, order)) & 1)
           << codeBit(j, bits, order);
    codes[i] = c;
  }
}

void lowbit::num::splitBitPlanes(const uint32_t *codes, size_t n, unsigned bits,
                                 uint8_t *planes) {
  size_t stride = packedBytes(n, 1);
  if (stride * bits == 0)
    return;
  std::memset(planes, 0, stride * bits);
  for (unsigned k = 0; k < bits; ++k)
    for (size_t i = 0; i < n; ++i)
      planes[k * stride + i / 8] |= static_cast<uint8_t>(((codes[i] >> k) & 1) << (i % 8));
}

void lowbit::num::mergeBitPlanes(const uint8_t *planes, size_t n, unsigned bits,
                                 uint32_t *codes) {
  size_t stride = packedBytes(n, 1);
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = 0;
    for (unsigned k = 0; k < bits; ++k)
      c |= static_cast<uint32_t>((planes[k * stride + i / 8] >> (i % 8)) & 1) << k;
    codes[i] = c;
  }
}
