//===- WeightPackingTest.cpp - The x86 kernel layout: fast packer = layout ===//
//
// packKernelWeights writes bytes by direct arithmetic; kernelWeightLayout is
// the layout (lowbit/Layout) it must equal. Every slot width, several
// shapes, random slot values.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

#include <gtest/gtest.h>

#include <random>

using namespace lowbit::x86;

namespace {

TEST(WeightPacking, DirectPackerEqualsTheBitLayout) {
  std::mt19937 rng(11);
  for (unsigned w : {1u, 2u, 4u, 8u})
    for (auto [tiles, vectors] : {std::pair{1, 1}, {2, 3}, {5, 2}}) {
      KernelShape s;
      s.slotBits = w;
      s.rows = tiles * kTileRows;
      s.cols = vectors * kLaneK * (8 / w);
      s.n = s.rows;
      s.k = s.cols;
      std::vector<uint8_t> slots(s.rows * s.cols);
      std::vector<uint32_t> wide(slots.size());
      for (size_t i = 0; i < slots.size(); ++i)
        wide[i] = slots[i] = static_cast<uint8_t>(rng() & ((1u << w) - 1));
      auto layout = kernelWeightLayout(s);
      ASSERT_TRUE(layout) << layout.error();
      std::vector<uint8_t> expected(layout->storageBytes());
      layout->pack(wide.data(), expected.data());
      EXPECT_EQ(packKernelWeights(s, slots), expected) << "w=" << w << " tiles=" << tiles
                                                       << " vectors=" << vectors;
    }
}

TEST(WeightPacking, LayoutMatchesTheKernelsReadOrder) {
  // Element (n, k) = (17, 9) of 4-bit slots: row tile 1, lane 1; vector
  // 9 / 8 = 1 of the tile, byte 9 % 4 = 1 of the lane, slot (9 / 4) % 2 = 0.
  KernelShape s;
  s.slotBits = 4;
  s.rows = 32;
  s.cols = 16;
  auto layout = kernelWeightLayout(s);
  ASSERT_TRUE(layout) << layout.error();
  int64_t vectorsPerTile = 2;
  int64_t byte = (1 * vectorsPerTile + 1) * kVectorBytes + 1 * kLaneK + 1;
  EXPECT_EQ(layout->bitOffset(17 * 16 + 9, 0), byte * 8 + 0);
  EXPECT_EQ(layout->bitOffset(17 * 16 + 13, 3), byte * 8 + 4 + 3); // slot 1
}

} // namespace
