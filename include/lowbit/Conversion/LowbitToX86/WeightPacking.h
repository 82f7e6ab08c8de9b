//===- WeightPacking.h - Weights and scales in the x86 kernel layout -*- C++ -*-===//
//
// The byte-dot kernels read weights in tiles of 16 output rows (n) by 4
// consecutive k: one 64-byte vector holds 16 lanes of 4 bytes, lane i for
// row n0 + i, byte j for k0 + j, which is what vpdpbusd multiplies with 4
// broadcast activation bytes. Sub-byte slots stack 8/slotBits such tiles
// of consecutive k in one vector (bits [s*w, (s+1)*w) of each byte hold
// tile s), so a kernel loads 64 bytes and shifts and masks them apart.
// Tiles follow k within a row block, row blocks follow each other: the
// inner loop streams the weights linearly.
//
// This is a bit layout (lowbit/Layout/BitLayout.h) of the padded matrix
// of slot values, and the weights are packed through it.
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
/// the k one vector covers (4 * 8 / slotBits) and of the activation block.
struct KernelShape {
  int64_t n = 0, k = 0;         ///< the real sizes
  int64_t rows = 0, cols = 0;   ///< padded
  unsigned slotBits = 0;
  int64_t slotsPerByte() const { return 8 / slotBits; }
  int64_t kPerVector() const { return kLaneK * slotsPerByte(); }
  int64_t rowTiles() const { return rows / kTileRows; }
  int64_t vectorsPerRowTile() const { return cols / kPerVector(); }
  int64_t bytes() const { return rows * cols * slotBits / 8; }
};

/// The bit layout of a rows x cols row-major matrix of slot values.
Expected<layout::BitLayout> kernelWeightLayout(const KernelShape &shape);

/// Packs slot values (rows x cols, row-major, each < 2^slotBits) into the
/// kernel layout: the same bytes as kernelWeightLayout(shape).pack(), by
/// direct byte arithmetic (tested against the layout), since packing bit by
/// bit through the layout costs a second per 4096 x 4096 matrix.
std::vector<uint8_t> packKernelWeights(const KernelShape &shape,
                                       const std::vector<uint8_t> &slots);

} // namespace lowbit::x86

#endif
