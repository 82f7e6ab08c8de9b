//===- WeightPacking.h - Weights and scales in the x86 kernel layout -*- C++ -*-===//
//
// The byte-dot kernels read weights in tiles of 16 output rows (n) by 4
// consecutive k: one 64-byte vector holds 16 lanes of 4 bytes, lane i for
// row n0 + i, byte j for k0 + j, which is what vpdpbusd multiplies with 4
// broadcast activation bytes. Sub-byte slots stack 8/w such tiles of
// consecutive k in one vector (bits [s*w, (s+1)*w) of each byte hold tile
// s), so a kernel loads 64 bytes and shifts and masks them apart. Operands
// of 3, 5, 6 or 7 bits are split into bit planes of 1, 2 and 4 bits, each
// with its own vectors, so that weights take exactly their bits (W3 reads
// 3 bits per weight, not 4). Blocks of k follow each other within a row
// tile (in a block, plane 0's vectors, then plane 1's), row tiles follow
// each other: the inner loop streams the weights linearly.
//
// Each plane's stream is a bit layout (lowbit/Layout/BitLayout.h) of the
// padded matrix of its slot values; the packer is tested against them.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITTOX86_WEIGHTPACKING_H
#define LOWBIT_CONVERSION_LOWBITTOX86_WEIGHTPACKING_H

#include "lowbit/Layout/BitLayout.h"

#include <cstdint>
#include <vector>

namespace lowbit::x86 {
using layout::Expected;

/// Output rows per tile: the 16 i32 lanes of a 512-bit vector.
constexpr int64_t kTileRows = 16;
/// Consecutive k per lane: the 4 bytes one i32 lane of vpdpbusd sums.
constexpr int64_t kLaneK = 4;
/// Bytes of one weight vector.
constexpr int64_t kVectorBytes = kTileRows * kLaneK;

/// The padded weight matrix: rows (n) a multiple of 16, k a multiple of
/// the block. An operand of w bits is stored as bit planes of 1, 2, 4 or 8
/// bits, low bits first (3 = 2 + 1, 5 = 4 + 1, 6 = 4 + 2, 7 = 4 + 2 + 1),
/// so that every weight takes exactly its w bits. Per row tile the blocks
/// of `block` k follow each other, and in a block the vectors of plane 0,
/// then those of plane 1, ...: one linear stream whatever the planes.
struct KernelShape {
  int64_t n = 0, k = 0;         ///< the real sizes
  int64_t rows = 0, cols = 0;   ///< padded
  std::vector<unsigned> planes; ///< slot bits per plane, low bits first
  int64_t block = 0;            ///< k per block (a multiple of every plane's kPerVector)
  /// The bf16 kernel's order within a vector: (lane i, byte j) at byte
  /// 16 * (i / 4) + 8 * (j / 2) + 2 * (i % 4) + j % 2 instead of 4 * i + j,
  /// so that interleaving the decoded low and high bytes per 128-bit lane
  /// (vpunpcklbw / vpunpckhbw) gives lane i the bf16 pairs (k0, k1) and
  /// (k2, k3) of row i, which vdpbf16ps multiplies with an activation pair.
  bool pairedLanes = false;
  /// The lookup-table kernel's order (every plane 1 bit): bit 4 h + t of
  /// byte j of a lane holds k = 16 h + 4 j + t of the vector's 32 k, so
  /// that each nibble is the table index of 4 consecutive k (a group) and
  /// the low (high) nibbles of a lane's 4 bytes are its row's 4 groups of
  /// the vector's first (second) 16 k.
  bool lutNibbles = false;
  /// With lutNibbles, the order of vpshufb (one 16-entry table per 128-bit
  /// lane): the vector's two 32-byte halves hold k 0..15 and 16..31, and in
  /// a half byte i of 128-bit lane l holds row i's groups 2 l (low nibble)
  /// and 2 l + 1 (high nibble), so that a vpshufb of a lane's low (high)
  /// nibbles looks up 16 rows in the table of one group.
  bool lutLanes = false;

  unsigned bits() const;
  /// The bit where plane p starts in the operand.
  unsigned shift(size_t p) const;
  int64_t slotsPerByte(size_t p) const { return 8 / planes[p]; }
  int64_t kPerVector(size_t p) const { return kLaneK * slotsPerByte(p); }
  /// The largest kPerVector: the block must be a multiple of it.
  int64_t blockQuantum() const;
  int64_t rowTiles() const { return rows / kTileRows; }
  int64_t blocks() const { return cols / block; }
  int64_t vectorsPerBlock(size_t p) const { return block / kPerVector(p); }
  int64_t vectorsPerBlockAllPlanes() const;
  /// The first vector of plane p within a block.
  int64_t planeVector(size_t p) const;
  int64_t bytes() const { return rows * cols * bits() / 8; }
  /// The byte of (lane, j) within a vector.
  int64_t laneByte(int64_t lane, int64_t j) const {
    return pairedLanes ? 16 * (lane / 4) + 8 * (j / 2) + 2 * (lane % 4) + j % 2
                       : lane * kLaneK + j;
  }
};

/// The bit of (lane, k) within a vector of plane p (0 <= k < kPerVector):
/// byte laneByte(lane, k % 4), bit w * (k / 4); or (lutNibbles) byte
/// laneByte(lane, (k / 4) % 4), bit 4 * (k / 16) + k % 4; or (lutLanes)
/// byte 32 * (k / 16) + 16 * l + lane, bit 4 * h + k % 4 for the group
/// (k % 16) / 4 = 2 l + h.
int64_t vectorBit(const KernelShape &shape, size_t plane, int64_t lane, int64_t k);

/// The bit layout of plane p's own stream: (bit of the plane's slot,
/// element of the rows x cols row-major matrix) -> bit offset, as if the
/// plane were packed alone. The packed weights interleave the planes'
/// streams by block: per (row tile, block), vectorsPerBlock(p) vectors of
/// each plane in turn. (A bit layout is a bijection onto its storage, so
/// one plane with gaps for the others is not one; a single plane is the
/// whole packing.)
Expected<layout::BitLayout> kernelWeightLayout(const KernelShape &shape, size_t plane);

/// Packs operands (rows x cols, row-major, each < 2^bits) into the kernel
/// layout: plane p of each operand ((op >> shift(p)) mod 2^planes[p])
/// where kernelWeightLayout(shape, p) puts it, by direct byte arithmetic
/// (tested against the layouts), since packing bit by bit through the
/// layouts costs a second per 4096 x 4096 matrix.
std::vector<uint8_t> packKernelWeights(const KernelShape &shape,
                                       const std::vector<uint8_t> &operands);

/// The planes of a `bits`-wide operand (1..8).
std::vector<unsigned> planesFor(unsigned bits);

} // namespace lowbit::x86

#endif
