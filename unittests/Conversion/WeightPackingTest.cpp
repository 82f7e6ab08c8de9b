//===- WeightPackingTest.cpp - The x86 kernel layout: fast packer = layout ===//
//
// packKernelWeights writes bytes by direct arithmetic; kernelWeightLayout is
// the layout (lowbit/Layout) of each bit plane it must equal. Every operand
// width 1..8 (planes 1, 2, 4, 8 and their splits), several shapes, random
// operands.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

#include <gtest/gtest.h>

#include <random>

using namespace lowbit::x86;

namespace {

TEST(WeightPacking, DirectPackerEqualsTheBitLayouts) {
  std::mt19937 rng(11);
  // Widths 1..8, in the byte-dot order, in the bf16 kernel's paired lanes
  // and in the lookup-table kernels' 1-bit planes of nibbles (vpermb and
  // vpshufb orders).
  for (unsigned variant = 0; variant < 32; ++variant)
    for (auto [tiles, blocks] : {std::pair{1, 1}, {2, 3}, {5, 2}}) {
      bool paired = variant >= 8 && variant < 16, lut = variant >= 16, lanes = variant >= 24;
      unsigned bits = variant % 8 + 1;
      KernelShape s;
      s.pairedLanes = paired;
      s.lutNibbles = lut;
      s.lutLanes = lanes;
      s.planes = lut ? std::vector<unsigned>(bits, 1) : planesFor(bits);
      s.block = 64;
      s.rows = tiles * kTileRows;
      s.cols = blocks * s.block;
      s.n = s.rows;
      s.k = s.cols;
      ASSERT_EQ(s.bits(), bits);
      ASSERT_EQ(s.block % s.blockQuantum(), 0);
      std::vector<uint8_t> operands(s.rows * s.cols);
      std::vector<uint32_t> plane(operands.size());
      for (uint8_t &o : operands)
        o = static_cast<uint8_t>(rng() & ((1u << bits) - 1));
      // Each plane's stream packed through its layout, then the streams
      // interleaved by block.
      std::vector<uint8_t> expected;
      std::vector<std::vector<uint8_t>> streams;
      for (size_t p = 0; p < s.planes.size(); ++p) {
        auto layout = kernelWeightLayout(s, p);
        ASSERT_TRUE(layout) << layout.error();
        for (size_t i = 0; i < operands.size(); ++i)
          plane[i] = (operands[i] >> s.shift(p)) & ((1u << s.planes[p]) - 1);
        streams.emplace_back(layout->storageBytes());
        layout->pack(plane.data(), streams.back().data());
      }
      for (int64_t t = 0; t < s.rowTiles(); ++t)
        for (int64_t blk = 0; blk < s.blocks(); ++blk)
          for (size_t p = 0; p < s.planes.size(); ++p) {
            int64_t bytes = s.vectorsPerBlock(p) * kVectorBytes;
            auto from = streams[p].begin() + (t * s.blocks() + blk) * bytes;
            expected.insert(expected.end(), from, from + bytes);
          }
      ASSERT_EQ(static_cast<int64_t>(expected.size()), s.bytes());
      EXPECT_EQ(packKernelWeights(s, operands), expected)
          << "bits=" << bits << " tiles=" << tiles << " blocks=" << blocks
          << " paired=" << paired << " lut=" << lut << " lanes=" << lanes;
      if (!lut)
        continue;
      // All planes at once: the nibble-plane bit layout (the tensor
      // encoding bits<nibble_planes, W, B>, or bits<nibble_lanes, W, B> in
      // the vpshufb order), a bijection.
      auto whole = lanes ? lowbit::layout::BitLayout::nibbleLanes(bits, s.rows, s.cols, s.block)
                         : lowbit::layout::BitLayout::nibblePlanes(bits, s.rows, s.cols, s.block);
      ASSERT_TRUE(whole) << whole.error();
      ASSERT_TRUE(lowbit::layout::BitLayout::make(whole->layout()));
      std::vector<uint32_t> codes(operands.begin(), operands.end());
      std::vector<uint8_t> bytes(whole->storageBytes());
      whole->pack(codes.data(), bytes.data());
      EXPECT_EQ(bytes, expected) << "nibble planes, bits=" << bits << " lanes=" << lanes;
    }
}

TEST(WeightPacking, PlanesTakeExactlyTheFormatsBits) {
  EXPECT_EQ(planesFor(3), (std::vector<unsigned>{2, 1}));
  EXPECT_EQ(planesFor(5), (std::vector<unsigned>{4, 1}));
  EXPECT_EQ(planesFor(6), (std::vector<unsigned>{4, 2}));
  EXPECT_EQ(planesFor(7), (std::vector<unsigned>{4, 2, 1}));
  EXPECT_EQ(planesFor(4), (std::vector<unsigned>{4}));
}

TEST(WeightPacking, LayoutMatchesTheKernelsReadOrder) {
  // Element (n, k) = (17, 9) of 4-bit slots: row tile 1, lane 1; vector
  // 9 / 8 = 1 of the tile, byte 9 % 4 = 1 of the lane, slot (9 / 4) % 2 = 0.
  KernelShape s;
  s.planes = {4};
  s.block = 8;
  s.rows = 32;
  s.cols = 16;
  auto layout = kernelWeightLayout(s, 0);
  ASSERT_TRUE(layout) << layout.error();
  int64_t vectorsPerTile = 2;
  int64_t byte = (1 * vectorsPerTile + 1) * kVectorBytes + 1 * kLaneK + 1;
  EXPECT_EQ(layout->bitOffset(17 * 16 + 9, 0), byte * 8 + 0);
  EXPECT_EQ(layout->bitOffset(17 * 16 + 13, 3), byte * 8 + 4 + 3); // slot 1
}

TEST(WeightPacking, LutNibblesHoldGroupsOfFourK) {
  // The lookup-table kernel's vector of a 1-bit plane: bit t of the low
  // nibble of byte j of lane i is (row i, k = 4 j + t), of the high nibble
  // (row i, k = 16 + 4 j + t): each nibble indexes the table of its group.
  KernelShape s;
  s.lutNibbles = true;
  s.planes = {1, 1};
  s.block = 32;
  s.rows = 16;
  s.cols = 64;
  auto layout = kernelWeightLayout(s, 0);
  ASSERT_TRUE(layout) << layout.error();
  for (int64_t i = 0; i < kTileRows; ++i)
    for (int64_t k = 0; k < 64; ++k) {
      int64_t vector = k / 32, kk = k % 32, j = (kk / 4) % 4, bit = 4 * (kk / 16) + kk % 4;
      EXPECT_EQ(layout->bitOffset(i * 64 + k, 0),
                (vector * kVectorBytes + i * kLaneK + j) * 8 + bit)
          << "row " << i << " k " << k;
    }
}

TEST(WeightPacking, LutLanesHoldOneGroupPerLaneAndNibble) {
  // The vpshufb order: in half h of a vector (k 16 h .. 16 h + 15), byte i
  // of 128-bit lane l holds row i's group 2 l in its low nibble and group
  // 2 l + 1 in its high nibble.
  KernelShape s;
  s.lutNibbles = s.lutLanes = true;
  s.planes = {1};
  s.block = 32;
  s.rows = 16;
  s.cols = 32;
  auto layout = kernelWeightLayout(s, 0);
  ASSERT_TRUE(layout) << layout.error();
  for (int64_t i = 0; i < kTileRows; ++i)
    for (int64_t k = 0; k < 32; ++k) {
      int64_t half = k / 16, group = (k % 16) / 4, l = group / 2, nibble = group % 2;
      EXPECT_EQ(layout->bitOffset(i * 32 + k, 0),
                (32 * half + 16 * l + i) * 8 + 4 * nibble + k % 4)
          << "row " << i << " k " << k;
    }
}

TEST(WeightPacking, PairedLanesInterleaveToBf16Pairs) {
  // The bf16 kernel's vector: interleaving bytes 0-7 of each 128-bit lane
  // (vpunpcklbw) must give 32-bit lane i = (row i, k0), (row i, k1), and
  // bytes 8-15 (vpunpckhbw) (row i, k2), (row i, k3).
  KernelShape s;
  s.pairedLanes = true;
  for (int64_t lane = 0; lane < kTileRows; ++lane)
    for (int64_t j = 0; j < kLaneK; ++j) {
      int64_t byte = s.laneByte(lane, j), l128 = byte / 16, inLane = byte % 16;
      int64_t half = inLane / 8;          // 0: unpacklo, 1: unpackhi
      int64_t word = l128 * 8 + inLane % 8; // the word of the interleaved vector
      EXPECT_EQ(half, j / 2);
      EXPECT_EQ(word / 2, lane) << "lane " << lane << " k " << j;
      EXPECT_EQ(word % 2, j % 2);
    }
}

} // namespace
