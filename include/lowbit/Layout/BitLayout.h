//===- BitLayout.h - Bit-granular storage layouts ---------------*- C++ -*-===//
//
// A bit layout says where each bit of each element is stored: bit b of
// element e lives at bit offset (L(b, e) + offset) XOR flip of the storage,
// where L is a shape:stride layout over the domain (bit, element) and
// element indices are colexicographic in the element shape. Storage bit p
// is bit p % 8 of byte p / 8. Every sub-byte order is one of these:
//
//   LSB-first dense (DLPack)  (w, n):(1, w)
//   MSB-first dense           (w, n):(-1, w), offset w - 1, flip 7
//   nibble interleave 0,2,4,6,1,3,5,7 in 32-bit words
//                             (4, (2, 4, n/8)):(1, (16, 4, 32))
//   bit planes [bit][row][k]  (w, (K, R)):(R*K, (1, K))
//   nibble planes (16-row tiles, blocks of B k, vectors of 32 k)
//                             (w, (((4, 4, 2), B/32, K/B), (16, R/16))) :
//                             (16B, (((1, 8, 4), 512, 16wB), (32, 16wK)))
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LAYOUT_BITLAYOUT_H
#define LOWBIT_LAYOUT_BITLAYOUT_H

#include "lowbit/Layout/Layout.h"

namespace lowbit::layout {

class BitLayout {
public:
  /// map's mode 0 is the bit of the element (size = element bits), mode 1
  /// the element (any shape). Checked: the result must be a bijection from
  /// (bit, element) onto [0, storageBits()).
  static Expected<BitLayout> make(Layout map, int64_t offset = 0, uint64_t flip = 0);

  /// Dense, element i at bits [i*w, (i+1)*w), bit 0 first.
  static BitLayout lsbFirst(unsigned bits, const IntTuple &elements);
  /// Dense, stream bit p at bit 7 - p % 8 of byte p / 8, each element most
  /// significant bit first (lowbit::num::BitOrder::MsbFirst).
  static Expected<BitLayout> msbFirst(unsigned bits, const IntTuple &elements);
  /// Groups of `order.size()` elements per word: slot j of each group holds
  /// element order[j] of the group (e.g. 0,2,4,6,1,3,5,7). The permutation
  /// must be a mixed-radix digit shuffle (an affine layout); n must be a
  /// multiple of the group size.
  static Expected<BitLayout> interleaved(unsigned bits, const std::vector<int64_t> &order,
                                         int64_t n);
  /// Bit planes of a rows x k row-major matrix: plane b holds bit b of
  /// every element, each plane tiled in words of `wordBits` consecutive k
  /// (k % wordBits == 0); word (row, k / wordBits, b) follows
  /// (row, k / wordBits, b - 1). wordBits == k gives plain [row][bit][k];
  /// see planes() for [bit][row][k].
  static Expected<BitLayout> planesTiled(unsigned bits, int64_t rows, int64_t k,
                                         int64_t wordBits);
  /// [bit][row][k]: whole planes one after the other.
  static BitLayout planes(unsigned bits, int64_t rows, int64_t k);
  /// The lookup-table kernels' order (docs/cpu-kernels.md): bit planes of
  /// tiles of 16 rows, per tile and block of `block` k the planes one after
  /// the other, each as vectors of 16 rows x 32 k, 4 bytes per row; bit
  /// 4 h + t of byte j of a row's 4 bytes holds k = 16 h + 4 j + t of the
  /// vector, so that each nibble is the table index of 4 consecutive k.
  /// rows % 16 == 0, block % 32 == 0, k % block == 0.
  static Expected<BitLayout> nibblePlanes(unsigned bits, int64_t rows, int64_t k, int64_t block);
  /// nibblePlanes in the order of the vpshufb tables (one 16-entry table
  /// per 128-bit lane): in each vector's 32-byte half h, bit 4 g + t of
  /// byte 16 l + i holds row i's k = 16 h + 8 l + 4 g + t, so that the low
  /// (high) nibbles of lane l index the tables of group 2 l (2 l + 1).
  static Expected<BitLayout> nibbleLanes(unsigned bits, int64_t rows, int64_t k, int64_t block);

  unsigned elementBits() const { return static_cast<unsigned>(map.mode(0).size()); }
  int64_t elements() const { return map.mode(1).size(); }
  int64_t storageBits() const { return elementBits() * elements(); }
  int64_t storageBytes() const { return (storageBits() + 7) / 8; }
  const Layout &layout() const { return map; }
  /// No offset and no flip: storage bit == L(b, e).
  bool isUnshifted() const { return off == 0 && flip == 0; }
  /// The storage bit of (bit, element) is (layout()(bit + element * elementBits())
  /// + offset()) XOR flipMask().
  int64_t offset() const { return off; }
  uint64_t flipMask() const { return flip; }

  int64_t bitOffset(int64_t element, unsigned bit) const {
    return (map(static_cast<int64_t>(bit) + element * elementBits()) + off) ^
           static_cast<int64_t>(flip);
  }

  /// Stores n = elements() codes (bits above elementBits() ignored);
  /// padding bits of the last byte are zero.
  void pack(const uint32_t *codes, uint8_t *out) const;
  void unpack(const uint8_t *in, uint32_t *codes) const;

  std::string str() const;

private:
  /// nibblePlanes and nibbleLanes: the vector's k modes at the given bits,
  /// row `lane` at bit laneStride * lane (BitLayout.cpp).
  static Expected<BitLayout> nibbleLayout(unsigned bits, int64_t rows, int64_t k, int64_t block,
                                          IntTuple vectorK, IntTuple vectorKStride,
                                          int64_t laneStride);
  /// Calls fn(element, bit, storage bit) for every bit, elements in order.
  template <class Fn> void forEachBit(Fn fn) const;

  BitLayout(Layout map, int64_t offset, uint64_t flip)
      : map(std::move(map)), off(offset), flip(flip) {}
  Layout map;
  int64_t off;
  uint64_t flip;
};

/// Moves every element from `src` storage to `dst` storage (same element
/// bits and count); returns whether a fast path was used. Fast path: dense
/// LSB-first to bit planes tiled by 32-bit words, widths 1, 2, 4, 8 (x86
/// BMI2 pext); everything else goes through repackGeneric.
Expected<bool> repack(const BitLayout &src, const uint8_t *in, const BitLayout &dst,
                      uint8_t *out);
/// Any two layouts with the same element bits and count: unpack, then pack.
void repackGeneric(const BitLayout &src, const uint8_t *in, const BitLayout &dst,
                   uint8_t *out);

/// A layout equal to the table i -> values[i] (i < values.size()), found
/// greedily as modes of constant stride and checked, or an error if the
/// table is not a shape:stride function.
Expected<Layout> layoutFromTable(const std::vector<int64_t> &values);

} // namespace lowbit::layout

#endif // LOWBIT_LAYOUT_BITLAYOUT_H
