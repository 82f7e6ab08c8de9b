//===- F2LayoutTest.cpp - Linear layouts over GF(2) -----------------------===//

#include "lowbit/Layout/F2Layout.h"

#include <gtest/gtest.h>

#include <random>

using namespace lowbit::layout;

namespace {
F2Layout randomInvertible(std::mt19937 &rng, unsigned n) {
  for (;;) {
    std::vector<uint64_t> b(n);
    for (auto &v : b)
      v = rng() & ((1ull << n) - 1);
    auto l = F2Layout::make(n, b);
    if (l && l->rank() == n)
      return *l;
  }
}

TEST(F2Layout, SwizzleMatchesCuteFormula) {
  // Swizzle<3,4,3> on 10 address bits: x ^ ((x >> 3) & 0x70).
  auto s = F2Layout::swizzle(3, 4, 3, 10);
  ASSERT_TRUE(s) << s.error();
  for (uint64_t x = 0; x < 1024; ++x)
    ASSERT_EQ(s->apply(x), x ^ ((x >> 3) & 0x70)) << x;
  auto inv = s->inverse();
  ASSERT_TRUE(inv);
  EXPECT_EQ(*inv, *s); // a swizzle is an involution
  EXPECT_FALSE(F2Layout::swizzle(3, 4, 3, 8)); // needs 10 bits
}

TEST(F2Layout, FromPowerOfTwoLayout) {
  auto l = F2Layout::fromLayout(*parseLayout("(4,(2,2)):(2,(1,8))"));
  ASSERT_TRUE(l) << l.error();
  Layout ref = *parseLayout("(4,(2,2)):(2,(1,8))");
  for (uint64_t i = 0; i < 16; ++i)
    EXPECT_EQ(l->apply(i), static_cast<uint64_t>(ref(static_cast<int64_t>(i))));
  EXPECT_FALSE(F2Layout::fromLayout(*parseLayout("(2,2):(1,1)"))); // carries
  EXPECT_FALSE(F2Layout::fromLayout(*parseLayout("3:1")));
}

TEST(F2Layout, ComposeAndInvertOnRandomLayouts) {
  std::mt19937 rng(9);
  for (int t = 0; t < 2000; ++t) {
    unsigned n = 1 + rng() % 12;
    F2Layout a = randomInvertible(rng, n), b = randomInvertible(rng, n);
    auto ab = a.compose(b);
    ASSERT_TRUE(ab);
    for (int k = 0; k < 64; ++k) {
      uint64_t x = rng() & ((1ull << n) - 1);
      ASSERT_EQ(ab->apply(x), a.apply(b.apply(x)));
    }
    auto inv = a.inverse();
    ASSERT_TRUE(inv);
    auto id = inv->compose(a);
    ASSERT_TRUE(id);
    ASSERT_EQ(*id, F2Layout::identity(n)) << a.str();
  }
  auto singular = F2Layout::make(2, {1, 1});
  ASSERT_TRUE(singular);
  EXPECT_FALSE(singular->inverse());
}

TEST(F2Layout, DirectProduct) {
  auto s = *F2Layout::swizzle(1, 0, 1, 2);
  F2Layout p = s.directProduct(F2Layout::identity(3));
  EXPECT_EQ(p.inBits(), 5u);
  for (uint64_t x = 0; x < 32; ++x)
    EXPECT_EQ(p.apply(x), s.apply(x & 3) | ((x >> 2) << 2));
}
} // namespace
