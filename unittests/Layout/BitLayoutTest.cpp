//===- BitLayoutTest.cpp - Bit-granular layouts and repacking -------------===//

#include "lowbit/Layout/BitLayout.h"
#include "lowbit/Numerics/Packing.h"

#include <gtest/gtest.h>

#include <random>

using namespace lowbit::layout;
namespace num = lowbit::num;

namespace {
std::vector<uint32_t> randomCodes(std::mt19937 &rng, size_t n, unsigned bits) {
  std::vector<uint32_t> v(n);
  for (auto &c : v)
    c = rng() & ((1u << bits) - 1);
  return v;
}

// The dense layouts agree with lowbit::num::pack for every width 1..8 and
// both bit orders, and unpack inverts pack.
TEST(BitLayout, DenseOrdersMatchNumericsPacking) {
  std::mt19937 rng(1);
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (int64_t n : {1, 5, 8, 13, 64}) {
      std::vector<uint32_t> codes = randomCodes(rng, n, bits), back(n);
      for (auto order : {num::BitOrder::LsbFirst, num::BitOrder::MsbFirst}) {
        auto l = order == num::BitOrder::LsbFirst
                     ? Expected<BitLayout>(BitLayout::lsbFirst(bits, n))
                     : BitLayout::msbFirst(bits, n);
        ASSERT_TRUE(l) << l.error();
        std::vector<uint8_t> want(num::packedBytes(n, bits)), got(l->storageBytes());
        num::pack(codes.data(), n, bits, order, want.data());
        l->pack(codes.data(), got.data());
        ASSERT_EQ(got, want) << "bits " << bits << " n " << n << " " << l->str();
        l->unpack(got.data(), back.data());
        ASSERT_EQ(back, codes);
      }
    }
}

TEST(BitLayout, NibbleInterleave) {
  auto l = BitLayout::interleaved(4, {0, 2, 4, 6, 1, 3, 5, 7}, 16);
  ASSERT_TRUE(l) << l.error();
  EXPECT_EQ(l->layout().str(), "(4,((2,4),2)):(1,((16,4),32))");
  std::vector<uint32_t> codes(16);
  for (uint32_t i = 0; i < 16; ++i)
    codes[i] = i;
  std::vector<uint8_t> out(8);
  l->pack(codes.data(), out.data());
  // Word 0 holds elements 0,2,4,6,1,3,5,7 in nibbles 0..7.
  uint32_t w0 = out[0] | out[1] << 8 | out[2] << 16 | uint32_t(out[3]) << 24;
  EXPECT_EQ(w0, 0x75316420u);
  EXPECT_FALSE(BitLayout::interleaved(4, {0, 1, 1, 3}, 8));
  EXPECT_FALSE(BitLayout::interleaved(4, {0, 2, 1, 3}, 6));
  EXPECT_FALSE(BitLayout::interleaved(4, {3, 0, 2, 1}, 8)); // not affine
}

TEST(BitLayout, PlanesAreSplitBitPlanes) {
  std::mt19937 rng(2);
  const int64_t rows = 3, k = 40;
  for (unsigned bits = 1; bits <= 8; ++bits) {
    std::vector<uint32_t> codes = randomCodes(rng, rows * k, bits);
    BitLayout l = BitLayout::planes(bits, rows, k);
    std::vector<uint8_t> got(l.storageBytes()), want(bits * num::packedBytes(rows * k, 1));
    l.pack(codes.data(), got.data());
    num::splitBitPlanes(codes.data(), rows * k, bits, want.data());
    ASSERT_EQ(got, want) << bits;
  }
}

TEST(BitLayout, MakeRejectsOverlapsAndOverruns) {
  auto overlap = BitLayout::make(*parseLayout("(4,8):(1,2)"));
  ASSERT_FALSE(overlap);
  EXPECT_NE(overlap.error().find("already used"), std::string::npos) << overlap.error();
  auto outside = BitLayout::make(*parseLayout("(4,8):(1,8)"));
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().find("outside"), std::string::npos) << outside.error();
  EXPECT_FALSE(BitLayout::make(*parseLayout("32:1")));
}

// Every pair of layouts repacks correctly (generic path and fast path give
// the codes back through the destination's unpack).
TEST(BitLayout, RepackRoundTrips) {
  std::mt19937 rng(3);
  const int64_t rows = 4, k = 64;
  for (unsigned bits = 1; bits <= 8; ++bits) {
    std::vector<BitLayout> layouts = {BitLayout::lsbFirst(bits, rows * k),
                                      *BitLayout::msbFirst(bits, rows * k),
                                      BitLayout::planes(bits, rows, k),
                                      *BitLayout::planesTiled(bits, rows, k, 32),
                                      *BitLayout::planesTiled(bits, rows, k, 8)};
    std::vector<uint32_t> codes = randomCodes(rng, rows * k, bits), back(rows * k);
    for (const BitLayout &src : layouts)
      for (const BitLayout &dst : layouts) {
        std::vector<uint8_t> in(src.storageBytes()), out(dst.storageBytes());
        src.pack(codes.data(), in.data());
        auto r = repack(src, in.data(), dst, out.data());
        ASSERT_TRUE(r) << r.error();
        dst.unpack(out.data(), back.data());
        ASSERT_EQ(back, codes) << src.str() << " -> " << dst.str();
      }
  }
  auto mismatch = repack(BitLayout::lsbFirst(4, 8), nullptr, BitLayout::lsbFirst(2, 8), nullptr);
  EXPECT_FALSE(mismatch);
}
} // namespace
