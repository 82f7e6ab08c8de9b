//===- LayoutPropertyTest.cpp - The algebra's laws on random layouts ------===//
//
// Seeded property tests: thousands of random layouts per law, each law
// checked pointwise (as functions on every index). Each test also counts
// how many cases met the operation's preconditions, so that a generator that
// stopped producing valid cases would fail rather than pass vacuously.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Layout/Layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

using namespace lowbit::layout;

namespace {
using Rng = std::mt19937;

int64_t pick(Rng &rng, std::initializer_list<int64_t> v) {
  return *(v.begin() + rng() % v.size());
}

// Groups flat modes into a random hierarchy of depth <= 2.
Layout randomNesting(Rng &rng, const std::vector<int64_t> &s, const std::vector<int64_t> &d) {
  if (s.size() == 1)
    return Layout(s[0], d[0]);
  std::vector<IntTuple> shape, stride;
  for (size_t i = 0; i < s.size();) {
    size_t len = std::min<size_t>(1 + rng() % 3, s.size() - i);
    if (len == 1) {
      shape.push_back(s[i]);
      stride.push_back(d[i]);
    } else {
      std::vector<IntTuple> ss(s.begin() + i, s.begin() + i + len),
          dd(d.begin() + i, d.begin() + i + len);
      shape.push_back(IntTuple(ss));
      stride.push_back(IntTuple(dd));
    }
    i += len;
  }
  if (shape.size() == 1)
    return Layout(shape[0], stride[0]);
  return Layout(IntTuple(shape), IntTuple(stride));
}

// Any layout: shapes 1..8, strides 0..40.
Layout randomLayout(Rng &rng) {
  size_t n = 1 + rng() % 4;
  std::vector<int64_t> s, d;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(1 + rng() % 8);
    d.push_back(rng() % 41);
  }
  return randomNesting(rng, s, d);
}

// Power-of-two shapes and strides: composition's divisibility conditions
// usually hold.
Layout randomPow2Layout(Rng &rng, size_t maxModes = 3) {
  size_t n = 1 + rng() % maxModes;
  std::vector<int64_t> s, d;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(int64_t(1) << (rng() % 4));
    d.push_back(rng() % 8 == 0 ? 0 : int64_t(1) << (rng() % 6));
  }
  return randomNesting(rng, s, d);
}

// Injective with strides that divide each other: modes laid out compactly
// in a random order, with random gaps.
Layout randomInjective(Rng &rng) {
  size_t n = 1 + rng() % 4;
  std::vector<int64_t> s(n), d(n);
  for (auto &x : s)
    x = pick(rng, {2, 3, 4});
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  int64_t next = pick(rng, {1, 1, 2, 3});
  for (size_t i : order) {
    d[i] = next;
    next *= s[i] * pick(rng, {1, 1, 2});
  }
  return randomNesting(rng, s, d);
}

std::set<int64_t> image(const Layout &l) {
  std::set<int64_t> v;
  for (int64_t i = 0; i < l.size(); ++i)
    v.insert(l(i));
  return v;
}

TEST(LayoutLaws, CoalescePreservesTheFunction) {
  Rng rng(1);
  for (int t = 0; t < 5000; ++t) {
    Layout a = randomLayout(rng), c = a.coalesce();
    ASSERT_EQ(c.size(), a.size()) << a.str();
    ASSERT_LE(c.depth(), 1) << a.str();
    for (int64_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(c(i), a(i)) << a.str() << " -> " << c.str() << " at " << i;
    Layout m = a.coalesceByMode();
    ASSERT_EQ(m.rank(), a.rank());
    for (int64_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(m(i), a(i)) << a.str() << " by mode -> " << m.str();
  }
}

TEST(LayoutLaws, CompositionIsFunctionComposition) {
  Rng rng(2);
  int valid = 0, points = 0;
  for (int t = 0; t < 20000; ++t) {
    Layout a = t % 2 ? randomPow2Layout(rng) : randomLayout(rng);
    Layout b = randomPow2Layout(rng);
    // Composition distributes over B's modes, which is A(B(c)) when B is
    // injective; for overlapping B it is the distributed definition (CuTe's).
    if (image(b).size() != static_cast<size_t>(b.size()))
      continue;
    auto r = composition(a, b);
    if (!r)
      continue;
    ++valid;
    ASSERT_EQ(r->size(), b.size()) << a.str() << " o " << b.str() << " = " << r->str();
    ASSERT_TRUE(b.shape().refinedBy(r->shape()) || b.shape().isLeaf())
        << a.str() << " o " << b.str() << " = " << r->str();
    // The law is about A's domain: beyond size(A) CuTe only extends the
    // last mode by convention (which coalescing does not preserve).
    for (int64_t i = 0; i < b.size(); ++i)
      if (b(i) < a.size()) {
        ++points;
        ASSERT_EQ((*r)(i), a(b(i))) << a.str() << " o " << b.str() << " = " << r->str()
                                    << " at " << i;
      }
  }
  EXPECT_GT(valid, 6000);
  EXPECT_GT(points, 25000);
}

TEST(LayoutLaws, ComplementIsDisjointOrderedAndFills) {
  Rng rng(3);
  for (int t = 0; t < 5000; ++t) {
    Layout a = randomInjective(rng);
    int64_t m = a.cosize() * pick(rng, {1, 2, 3});
    auto c = complement(a, m);
    ASSERT_TRUE(c) << a.str() << ": " << c.error();
    std::set<int64_t> ia = image(a);
    for (int64_t i = 1; i < c->size(); ++i) {
      ASSERT_LT((*c)(i - 1), (*c)(i)) << "complement of " << a.str() << " = " << c->str();
      ASSERT_EQ(ia.count((*c)(i)), 0u) << "complement of " << a.str() << " = " << c->str();
    }
    // (A, C) is injective and reaches at least the cotarget.
    Layout both = Layout::concat({a, *c});
    ASSERT_EQ(image(both).size(), static_cast<size_t>(both.size())) << both.str();
    ASSERT_GE(both.cosize(), m) << both.str();
    ASSERT_GE(a.size() * c->size(), m / (a.cosize() / a.size() + 1)) << both.str();
  }
}

TEST(LayoutLaws, DivideModeZeroIsTheComposition) {
  Rng rng(4);
  int valid = 0;
  for (int t = 0; t < 4000; ++t) {
    Layout a = randomPow2Layout(rng, 4);
    Layout b = randomInjective(rng);
    auto d = logicalDivide(a, b);
    auto r = composition(a, b);
    if (!d)
      continue;
    ++valid;
    ASSERT_TRUE(r);
    Layout tile = d->mode(0);
    ASSERT_EQ(tile.size(), b.size());
    for (int64_t i = 0; i < b.size(); ++i)
      ASSERT_EQ(tile(i), (*r)(i)) << a.str() << " / " << b.str() << " = " << d->str();
  }
  EXPECT_GT(valid, 500);
}

TEST(LayoutLaws, InversesInvert) {
  Rng rng(5);
  int valid = 0;
  for (int t = 0; t < 5000; ++t) {
    Layout a = t % 2 ? randomInjective(rng) : randomLayout(rng);
    Layout r = rightInverse(a);
    for (int64_t i = 0; i < r.size(); ++i)
      ASSERT_EQ(a(r(i)), i) << "right inverse of " << a.str() << " = " << r.str();
    // CuTe's left inverse is a quasi-inverse: A(L(A(i))) == A(i) always,
    // and L(A(i)) == i when A is injective (holes allowed).
    auto l = leftInverse(a);
    if (!l) {
      ASSERT_TRUE(t % 2 == 0) << "left inverse of the injective " << a.str() << ": "
                              << l.error();
      continue; // strides that do not divide, or overlapping modes without one
    }
    ++valid;
    bool injective = image(a).size() == static_cast<size_t>(a.size());
    for (int64_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a((*l)(a(i))), a(i)) << "left inverse of " << a.str() << " = " << l->str();
      if (injective)
        ASSERT_EQ((*l)(a(i)), i) << "left inverse of " << a.str() << " = " << l->str();
    }
  }
  EXPECT_GT(valid, 3000);
}

TEST(LayoutLaws, ProductRepeatsTheBlock) {
  Rng rng(6);
  int valid = 0;
  for (int t = 0; t < 3000; ++t) {
    Layout a = randomInjective(rng), b = randomInjective(rng);
    auto p = logicalProduct(a, b);
    if (!p) // B's strides must divide A's complement (as in CuTe)
      continue;
    ++valid;
    ASSERT_EQ(p->size(), a.size() * b.size());
    for (int64_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(p->mode(0)(i), a(i));
    // Copies of A never overlap.
    ASSERT_EQ(image(*p).size(), static_cast<size_t>(p->size()))
        << a.str() << " x " << b.str() << " = " << p->str();
    auto bl = blockedProduct(a, b), rk = rakedProduct(a, b);
    ASSERT_TRUE(bl && rk);
    ASSERT_EQ(image(*bl), image(*p));
    ASSERT_EQ(image(*rk), image(*p));
  }
  EXPECT_GT(valid, 1000);
}

TEST(LayoutLaws, NotationRoundTrips) {
  Rng rng(7);
  for (int t = 0; t < 2000; ++t) {
    Layout a = randomLayout(rng);
    auto back = parseLayout(a.str());
    ASSERT_TRUE(back) << a.str();
    ASSERT_EQ(*back, a);
  }
}
} // namespace
