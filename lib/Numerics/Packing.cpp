//===- Packing.cpp - Sub-byte codes in bytes, and bit planes --------------===//

#include "lowbit/Numerics/Packing.h"

#include <cstring>

using namespace lowbit::num;

void lowbit::num::pack(const uint32_t *codes, size_t n, unsigned bits,
                       BitOrder order, uint8_t *out) {
  std::memset(out, 0, packedBytes(n, bits));
  size_t p = 0; // stream bit position
  for (size_t i = 0; i < n; ++i) {
    for (unsigned j = 0; j < bits; ++j, ++p) {
      // LsbFirst writes bit j of the code at stream bit p; MsbFirst writes
      // the code's bits from the top.
      unsigned src = order == BitOrder::LsbFirst ? j : bits - 1 - j;
      if ((codes[i] >> src) & 1)
        out[p / 8] |= static_cast<uint8_t>(
            1u << (order == BitOrder::LsbFirst ? p % 8 : 7 - p % 8));
    }
  }
}

void lowbit::num::unpack(const uint8_t *in, size_t n, unsigned bits,
                         BitOrder order, uint32_t *codes) {
  size_t p = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = 0;
    for (unsigned j = 0; j < bits; ++j, ++p) {
      unsigned bit = (in[p / 8] >> (order == BitOrder::LsbFirst ? p % 8 : 7 - p % 8)) & 1;
      c |= bit << (order == BitOrder::LsbFirst ? j : bits - 1 - j);
    }
    codes[i] = c;
  }
}

void lowbit::num::splitBitPlanes(const uint32_t *codes, size_t n, unsigned bits,
                                 uint8_t *planes) {
  size_t stride = (n + 7) / 8;
  std::memset(planes, 0, stride * bits);
  for (unsigned k = 0; k < bits; ++k)
    for (size_t i = 0; i < n; ++i)
      planes[k * stride + i / 8] |= static_cast<uint8_t>(((codes[i] >> k) & 1) << (i % 8));
}

void lowbit::num::mergeBitPlanes(const uint8_t *planes, size_t n, unsigned bits,
                                 uint32_t *codes) {
  size_t stride = (n + 7) / 8;
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = 0;
    for (unsigned k = 0; k < bits; ++k)
      c |= static_cast<uint32_t>((planes[k * stride + i / 8] >> (i % 8)) & 1) << k;
    codes[i] = c;
  }
}
