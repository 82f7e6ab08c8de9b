//===- Packing.h - Sub-byte codes in bytes, and bit planes ------*- C++ -*-===//
//
// Storage order of sub-byte codes is explicit, never assumed:
//  * LsbFirst (the DLPack convention): element i occupies bits
//    [i*b, (i+1)*b) of the little-endian bit stream, its bit 0 first; stream
//    bit p is bit p % 8 of byte p / 8. int4 [1, 2] packs to byte 0x21.
//  * MsbFirst: stream bit p is bit 7 - p % 8 of byte p / 8, and each
//    element is written most significant bit first. int4 [1, 2] -> 0x12.
// Bit planes split b-bit codes into b one-bit planes (plane k holds bit k of
// every element, LSB-first), each ceil(n / 8) bytes.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_PACKING_H
#define LOWBIT_NUMERICS_PACKING_H

#include <cstddef>
#include <cstdint>

namespace lowbit::num {

enum class BitOrder : uint8_t { LsbFirst, MsbFirst };

/// Bytes needed for n codes of `bits` bits (1..32).
inline size_t packedBytes(size_t n, unsigned bits) { return (n * bits + 7) / 8; }

/// Packs n codes of `bits` bits (1..32; higher bits of each code must be
/// zero) into packedBytes(n, bits) bytes; trailing pad bits are zero.
void pack(const uint32_t *codes, size_t n, unsigned bits, BitOrder order,
          uint8_t *out);
void unpack(const uint8_t *in, size_t n, unsigned bits, BitOrder order,
            uint32_t *codes);

/// planes gets bits * ceil(n / 8) bytes: plane k at planes + k * ceil(n/8).
void splitBitPlanes(const uint32_t *codes, size_t n, unsigned bits,
                    uint8_t *planes);
void mergeBitPlanes(const uint8_t *planes, size_t n, unsigned bits,
                    uint32_t *codes);

} // namespace lowbit::num

#endif
