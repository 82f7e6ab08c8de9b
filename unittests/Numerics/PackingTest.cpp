//===- PackingTest.cpp - Bit orders and bit planes ------------------------===//

#include "lowbit/Numerics/Packing.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace lowbit::num;

namespace {
std::vector<uint8_t> packed(std::vector<uint32_t> codes, unsigned bits,
                            BitOrder order) {
  std::vector<uint8_t> out(packedBytes(codes.size(), bits));
  pack(codes.data(), codes.size(), bits, order, out.data());
  return out;
}

TEST(PackingTest, KnownLayouts) {
  using Bytes = std::vector<uint8_t>;
  EXPECT_EQ(packed({1, 2, 3}, 4, BitOrder::LsbFirst), (Bytes{0x21, 0x03}));
  EXPECT_EQ(packed({1, 2, 3}, 4, BitOrder::MsbFirst), (Bytes{0x12, 0x30}));
  // 3-bit codes straddle bytes: 0b101, 0b011, 0b110 -> stream (LSB first)
  // 1,0,1, 1,1,0, 0,1,1 -> byte0 bits 0..7 = 1,0,1,1,1,0,0,1 = 0b10011101,
  // byte1 = 0b1. MSB first: 1,0,1, 0,1,1, 1,1,0 from the top of byte 0.
  EXPECT_EQ(packed({0b101, 0b011, 0b110}, 3, BitOrder::LsbFirst),
            (Bytes{0b10011101, 0b1}));
  EXPECT_EQ(packed({0b101, 0b011, 0b110}, 3, BitOrder::MsbFirst),
            (Bytes{0b10101111, 0b0}));
}

TEST(PackingTest, RoundTripsEveryWidthAndOrder) {
  std::mt19937 rng(1);
  for (unsigned bits = 1; bits <= 32; ++bits)
    for (BitOrder order : {BitOrder::LsbFirst, BitOrder::MsbFirst})
      for (size_t n : {size_t(1), size_t(7), size_t(8), size_t(33), size_t(1000)}) {
        std::vector<uint32_t> codes(n), back(n);
        for (auto &c : codes)
          c = bits == 32 ? rng() : rng() & ((1u << bits) - 1);
        std::vector<uint8_t> bytes(packedBytes(n, bits));
        pack(codes.data(), n, bits, order, bytes.data());
        unpack(bytes.data(), n, bits, order, back.data());
        ASSERT_EQ(codes, back) << bits << " bits, n = " << n;
        // Pad bits are zero.
        if ((n * bits) % 8) {
          uint8_t last = bytes.back();
          unsigned used = (n * bits) % 8;
          uint8_t pad = order == BitOrder::LsbFirst ? last >> used
                                                    : last & ((1u << (8 - used)) - 1);
          ASSERT_EQ(pad, 0);
        }
      }
}

TEST(PackingTest, BitPlanes) {
  uint32_t codes[] = {0b01, 0b10, 0b11, 0b00, 0b01, 0b01, 0b01, 0b01, 0b10};
  uint8_t planes[4];
  splitBitPlanes(codes, 9, 2, planes);
  EXPECT_EQ(planes[0], 0b11110101); // bit 0 of elements 0..7
  EXPECT_EQ(planes[1], 0b0);        // bit 0 of element 8
  EXPECT_EQ(planes[2], 0b00000110); // bit 1 of elements 0..7
  EXPECT_EQ(planes[3], 0b1);        // bit 1 of element 8
  std::mt19937 rng(2);
  for (unsigned bits = 1; bits <= 8; ++bits) {
    std::vector<uint32_t> c(77), back(77);
    for (auto &x : c)
      x = rng() & ((1u << bits) - 1);
    std::vector<uint8_t> p(bits * 10);
    splitBitPlanes(c.data(), c.size(), bits, p.data());
    mergeBitPlanes(p.data(), c.size(), bits, back.data());
    ASSERT_EQ(c, back);
  }
}
} // namespace
