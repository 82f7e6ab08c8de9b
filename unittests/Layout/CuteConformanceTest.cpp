//===- CuteConformanceTest.cpp - The layout algebra against CuTe's results ===//
//
// cute-conformance.tsv holds 1899 cases computed by NVIDIA CuTe itself (see
// its header). Each row is held to one rule:
//
//  * CuTe gives a result that is mathematically valid (it satisfies the
//    operation's definition, checked here pointwise): ours must be exactly
//    that layout, shape tree and strides included.
//  * CuTe gives a result that is not valid (CuTe asserts only what it can
//    check statically, so a few compositions come back wrong), or refuses
//    the case: ours must be an error, or a result that is valid.
//
// "Valid" is checked for the operations that have a pointwise definition:
// composition, complement, both inverses, and the divides and products by
// a layout. The by-mode (tiler) and rank-sensitive forms are rearrangements
// of those; for them a CuTe result must be matched exactly, and a case CuTe
// refuses may have any result of ours (its parts are the checked
// operations, and the property tests hold their laws).
//
//===----------------------------------------------------------------------===//

#include "lowbit/Layout/Layout.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace lowbit::layout;

namespace {
struct Case {
  int line;
  std::string op, a, b, cute;
};

std::vector<Case> readCases() {
  std::ifstream in(LOWBIT_CUTE_CASES);
  std::vector<Case> cases;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.empty() || text[0] == '#')
      continue;
    std::vector<std::string> f;
    std::stringstream ss(text);
    for (std::string x; std::getline(ss, x, '\t');)
      f.push_back(x);
    if (f.size() == 3) // an empty B
      f.insert(f.begin() + 2, "");
    EXPECT_EQ(f.size(), 4u) << "line " << line << ": " << text;
    if (f.size() == 4)
      cases.push_back({line, f[0], f[1], f[2], f[3]});
  }
  return cases;
}

Layout parsed(const std::string &s) {
  auto l = parseLayout(s);
  EXPECT_TRUE(l) << s << ": " << l.error();
  return l ? *l : Layout();
}

Expected<Layout> ours(const Case &c) {
  Layout a = parsed(c.a);
  bool tiler = !c.b.empty() && c.b[0] == '<';
  Tiler t;
  Layout b;
  if (tiler) {
    auto p = parseTiler(c.b);
    EXPECT_TRUE(p) << c.b;
    if (p)
      t = *p;
  } else if (!c.b.empty() && c.op != "complement") {
    b = parsed(c.b);
  }
  if (c.op == "coalesce")
    return a.coalesce();
  if (c.op == "composition")
    return tiler ? composition(a, t) : composition(a, b);
  if (c.op == "complement")
    return c.b.empty() ? complement(a) : complement(a, std::stoll(c.b));
  if (c.op == "right_inverse")
    return rightInverse(a);
  if (c.op == "left_inverse")
    return leftInverse(a);
  if (c.op == "logical_divide")
    return tiler ? logicalDivide(a, t) : logicalDivide(a, b);
  if (c.op == "zipped_divide")
    return tiler ? zippedDivide(a, t) : zippedDivide(a, b);
  if (c.op == "tiled_divide")
    return tiler ? tiledDivide(a, t) : tiledDivide(a, b);
  if (c.op == "flat_divide")
    return tiler ? flatDivide(a, t) : flatDivide(a, b);
  if (c.op == "logical_product")
    return tiler ? logicalProduct(a, t) : logicalProduct(a, b);
  if (c.op == "blocked_product")
    return blockedProduct(a, b);
  if (c.op == "raked_product")
    return rakedProduct(a, b);
  ADD_FAILURE() << "line " << c.line << ": unknown operation " << c.op;
  return Expected<Layout>::failure("unknown");
}

// Whether `r` is R = A o J pointwise: same size, R(i) == A(J(i)).
bool isComposition(const Layout &a, const Layout &j, const Layout &r) {
  if (r.size() != j.size())
    return false;
  for (int64_t i = 0; i < j.size(); ++i)
    if (r(i) != a(j(i)))
      return false;
  return true;
}

// A's modes with stride 0 or shape 1 removed (what complement ignores).
Layout filtered(const Layout &a) {
  std::vector<std::pair<int64_t, int64_t>> m;
  std::vector<int64_t> s = a.shape().leaves(), d = a.stride().leaves();
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] != 1 && d[i] != 0)
      m.push_back({s[i], d[i]});
  return Layout::fromModes(m);
}

// Whether R satisfies the definition of c.op on c's operands. Answers only
// for the operations with a pointwise definition (`known` says which).
bool satisfiesDefinition(const Case &c, const Layout &r, bool &known) {
  known = true;
  Layout a = parsed(c.a);
  if (c.op == "coalesce")
    return r.size() == a.size() && isComposition(a, Layout::columnMajor(a.size()), r);
  if (!c.b.empty() && c.b[0] == '<') {
    known = false;
    return false;
  }
  if (c.op == "composition") {
    Layout b = parsed(c.b);
    return a.size() > 0 && isComposition(a, b, r);
  }
  if (c.op == "complement") {
    int64_t m = c.b.empty() ? a.cosize() : std::stoll(c.b);
    // Ordered, disjoint from A (the two together injective), large enough.
    for (int64_t i = 1; i < r.size(); ++i)
      if (r(i) <= r(i - 1))
        return false;
    Layout f = filtered(a);
    std::set<int64_t> seen;
    for (int64_t i = 0; i < r.size(); ++i)
      for (int64_t k = 0; k < f.size(); ++k)
        if (!seen.insert(f(k) + r(i)).second)
          return false;
    return r(0) == 0 && f.size() * r.size() >= m;
  }
  if (c.op == "right_inverse") {
    for (int64_t i = 0; i < r.size(); ++i)
      if (a(r(i)) != i)
        return false;
    return true;
  }
  if (c.op == "left_inverse") {
    for (int64_t i = 0; i < a.size(); ++i)
      if (a(r(a(i))) != a(i))
        return false;
    return true;
  }
  if (c.op == "logical_divide" || c.op == "zipped_divide" || c.op == "tiled_divide" ||
      c.op == "flat_divide") {
    // All four are A o (B, complement(B, shape(coalesce(A)))) with the same
    // order of leaves; the complement is ours (held to CuTe's above).
    Layout b = parsed(c.b);
    auto k = complement(b, a.coalesce().shape());
    return k && isComposition(a, Layout::concat({b, *k}), r);
  }
  if (c.op == "logical_product") {
    Layout b = parsed(c.b);
    auto k = complement(a, a.size() * b.cosize());
    if (!k || r.rank() != 2 || r.mode(0) != a)
      return false;
    return isComposition(*k, b, r.mode(1));
  }
  if (c.op == "blocked_product" || c.op == "raked_product") {
    // The logical product of A and B padded to one rank, zipped mode by
    // mode: the copies (every mode's second part, or first when raked) must
    // be complement(A) o B.
    Layout b = parsed(c.b);
    size_t rank = std::max(a.rank(), b.rank());
    auto pad = [&](const Layout &l) {
      std::vector<Layout> v;
      for (size_t i = 0; i < l.rank(); ++i)
        v.push_back(l.mode(i));
      while (v.size() < rank)
        v.push_back(Layout(1, 0));
      return v.size() == 1 ? v[0] : Layout::concat(v);
    };
    Layout pa = pad(a), pb = pad(b);
    auto k = complement(pa, pa.size() * pb.cosize());
    size_t copies = c.op == "blocked_product" ? 1 : 0;
    if (!k || r.rank() != rank)
      return false;
    if (rank == 1)
      return r.mode(0).rank() == 2 && isComposition(*k, pb, r.mode(0).mode(copies));
    std::vector<Layout> parts;
    for (size_t i = 0; i < rank; ++i) {
      if (r.mode(i).rank() != 2)
        return false;
      parts.push_back(r.mode(i).mode(copies));
    }
    return isComposition(*k, pb, Layout::concat(parts));
  }
  known = false;
  return false;
}

TEST(CuteConformance, EveryValidCuteResultIsOurs) {
  std::vector<Case> cases = readCases();
  ASSERT_GE(cases.size(), 1800u) << "cannot read " << LOWBIT_CUTE_CASES;
  int equal = 0, cuteInvalid = 0, cuteRefused = 0, oursRefused = 0;
  std::map<std::string, int> invalidByOp;
  for (const Case &c : cases) {
    SCOPED_TRACE("line " + std::to_string(c.line) + ": " + c.op + " " + c.a + " " + c.b +
                 " -> CuTe " + c.cute);
    Expected<Layout> r = ours(c);
    bool refused = c.cute.rfind("!rejected", 0) == 0;
    if (!refused) {
      Layout expected = parsed(c.cute);
      if (r && *r == expected) {
        ++equal;
        continue;
      }
      bool known = false;
      bool valid = satisfiesDefinition(c, expected, known);
      ASSERT_TRUE(known && !valid)
          << "ours: " << (r ? r->str() : "error: " + r.error())
          << (known ? " (CuTe's result is valid)" : " (a rearranged form: must match)");
      ++cuteInvalid;
      invalidByOp[c.op]++;
    } else {
      ++cuteRefused;
    }
    // CuTe refused, or its result is wrong: ours is an error or valid.
    if (!r) {
      ++oursRefused;
      continue;
    }
    bool known = false;
    bool valid = satisfiesDefinition(c, *r, known);
    EXPECT_TRUE(valid || !known) << "ours " << r->str() << " is not valid";
  }
  // What the table exercised (a table that stopped matching would show here).
  EXPECT_GE(equal, 1550);
  std::printf("[ conformance ] %d equal to CuTe, %d where CuTe's result is invalid, %d CuTe "
              "refuses; %d of those two refused by us\n",
              equal, cuteInvalid, cuteRefused, oursRefused);
  for (auto &[op, n] : invalidByOp)
    std::printf("[ conformance ] CuTe's result invalid: %d %s\n", n, op.c_str());
}
} // namespace
