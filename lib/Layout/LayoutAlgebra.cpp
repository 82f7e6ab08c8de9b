//===- LayoutAlgebra.cpp - Composition, complement, inverse, divide, product ===//
//
// Written from the definitions in CuTe's layout-algebra documentation and
// Cecka, "CuTe Layout Representation and Algebra" (2024): composition
// distributes over the modes of its right operand, and for one mode s:d it
// first divides the stride d out of the (coalesced) left operand, then keeps
// its first s elements. Both steps need each mode to divide the remainder or
// be divided by it; that is the precondition reported when it fails.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Layout/Layout.h"

#include <algorithm>

using namespace lowbit::layout;

namespace {
using Mode = std::pair<int64_t, int64_t>; // shape, stride

std::vector<Mode> flatModes(const Layout &l) {
  std::vector<int64_t> s = l.shape().leaves(), d = l.stride().leaves();
  std::vector<Mode> m;
  for (size_t i = 0; i < s.size(); ++i)
    m.push_back({s[i], d[i]});
  return m;
}

int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

/// a * b, or nullopt when it leaves the layout range (kMaxLayoutExtent).
std::optional<int64_t> mulBounded(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxLayoutExtent || r < -kMaxLayoutExtent)
    return std::nullopt;
  return r;
}

Expected<Layout> overflow(const std::string &what) {
  return Expected<Layout>::failure("overflow: " + what + " exceeds 2^62");
}

/// A result of the algebra, checked to stay within the layout range.
Expected<Layout> bounded(Layout l) {
  if (std::string e = checkBounded(l); !e.empty())
    return Expected<Layout>::failure(e);
  return l;
}

// A o (s:d) for one mode of the right operand; aModes are A's coalesced
// modes (computed once per composition).
Expected<Layout> composeMode(const std::vector<Mode> &aModes, int64_t s, int64_t d) {
  if (d == 0 || s == 1)
    return Layout(s, 0);
  std::vector<Mode> m = aModes;
  const size_t last = m.size() - 1;
  // Divide the stride d out of the modes before the last one.
  int64_t rest = d;
  size_t i = 0;
  for (; i < last && rest > 1; ++i) {
    auto [si, di] = m[i];
    if (rest % si == 0) {
      rest /= si;
      continue;
    }
    if (si % rest == 0) {
      std::optional<int64_t> stride = mulBounded(di, rest);
      if (!stride)
        return overflow("the stride " + std::to_string(di) + " * " + std::to_string(rest));
      m[i] = {si / rest, *stride};
      rest = 1;
      break;
    }
    return Expected<Layout>::failure(
        "stride divisibility: the right operand's stride " + std::to_string(d) +
        " leaves " + std::to_string(rest) + ", which neither divides nor is divided by " +
        "the shape " + std::to_string(si) + " of mode " + std::to_string(i) + " of " +
        Layout::fromModes(aModes).str());
  }
  if (i == last) { // the last mode extends without bound
    std::optional<int64_t> stride = mulBounded(m[last].second, rest);
    if (!stride)
      return overflow("the stride " + std::to_string(m[last].second) + " * " +
                      std::to_string(rest));
    m[last].second = *stride;
  }
  // Keep the first s elements.
  std::vector<Mode> out;
  int64_t want = s;
  for (; i < last && want > 1; ++i) {
    auto [si, di] = m[i];
    if (si == 1)
      continue;
    if (want % si == 0) {
      out.push_back({si, di});
      want /= si;
    } else if (si % want == 0) {
      out.push_back({want, di});
      want = 1;
    } else {
      return Expected<Layout>::failure(
          "shape divisibility: the right operand's shape " + std::to_string(s) +
          " leaves " + std::to_string(want) + ", which neither divides nor is divided " +
          "by the shape " + std::to_string(si) + " of mode " + std::to_string(i) +
          " of " + Layout::fromModes(aModes).str() + " (after dividing out the stride)");
    }
  }
  if (want > 1)
    out.push_back({want, m[last].second});
  return Layout::fromModes(out);
}

Expected<Layout> composeTree(const std::vector<Mode> &aModes, const IntTuple &s,
                             const IntTuple &d) {
  if (s.isLeaf())
    return composeMode(aModes, s.value(), d.value());
  std::vector<Layout> modes;
  for (size_t i = 0; i < s.rank(); ++i) {
    auto r = composeTree(aModes, s.mode(i), d.mode(i));
    if (!r)
      return r;
    modes.push_back(*r);
  }
  return Layout::concat(modes);
}

// The top-level modes (a leaf layout is its own single mode).
std::vector<Layout> topModes(const Layout &l) {
  std::vector<Layout> v;
  for (size_t i = 0; i < l.rank(); ++i)
    v.push_back(l.mode(i));
  return v;
}

// One mode stays itself; several become the modes of a new layout.
Layout group(const std::vector<Layout> &modes) {
  return modes.size() == 1 ? modes[0] : Layout::concat(modes);
}

Expected<Layout> tilerTooLong(const Layout &a, const Tiler &t) {
  return Expected<Layout>::failure("the tiler has " + std::to_string(t.size()) +
                                   " modes but the layout " + a.str() + " has rank " +
                                   std::to_string(a.rank()));
}

// Applies op to mode i of a and tiler[i]; later modes are left alone.
template <class Op>
Expected<Layout> byMode(const Layout &a, const Tiler &tiler, Op op) {
  if (tiler.size() > a.rank())
    return tilerTooLong(a, tiler);
  std::vector<Layout> modes = topModes(a);
  for (size_t i = 0; i < tiler.size(); ++i) {
    auto r = op(modes[i], tiler[i]);
    if (!r)
      return r;
    modes[i] = *r;
  }
  return group(modes);
}

// Pads to rank r with 1:0 modes.
std::vector<Layout> padded(const Layout &l, size_t r) {
  std::vector<Layout> v = topModes(l);
  while (v.size() < r)
    v.push_back(Layout(1, 0));
  return v;
}
} // namespace

Expected<Layout> lowbit::layout::composition(const Layout &a, const Layout &b) {
  for (int64_t d : b.stride().leaves())
    if (d < 0)
      return Expected<Layout>::failure("composition needs nonnegative strides in the "
                                       "right operand, " + b.str() + " has " +
                                       std::to_string(d));
  auto r = composeTree(flatModes(a.coalesce()), b.shape(), b.stride());
  if (!r)
    return r;
  return bounded(*r);
}

Expected<Layout> lowbit::layout::composition(const Layout &a, const Tiler &tiler) {
  return byMode(a, tiler, [](const Layout &x, const Layout &t) { return composition(x, t); });
}

Expected<Layout> lowbit::layout::complement(const Layout &a, int64_t cotarget) {
  std::vector<Mode> m;
  for (Mode x : flatModes(a.coalesce()))
    if (x.first != 1 && x.second != 0)
      m.push_back(x);
  for (const Mode &x : m)
    if (x.second < 0)
      return Expected<Layout>::failure("complement needs nonnegative strides, " +
                                       a.str() + " has stride " + std::to_string(x.second));
  std::sort(m.begin(), m.end(), [](const Mode &x, const Mode &y) {
    return x.second < y.second || (x.second == y.second && x.first < y.first);
  });
  std::vector<Mode> out;
  int64_t current = 1;
  for (auto [s, d] : m) {
    if (d % current != 0)
      return Expected<Layout>::failure(
          "complement: " + a.str() + " is not complementable: stride " + std::to_string(d) +
          " is not a multiple of " + std::to_string(current) +
          " (the extent of the smaller modes; the layout overlaps itself or its strides do "
          "not divide each other)");
    out.push_back({d / current, current});
    std::optional<int64_t> next = mulBounded(s, d);
    if (!next)
      return overflow("complement: the extent " + std::to_string(s) + " * " + std::to_string(d));
    current = *next;
  }
  out.push_back({ceilDiv(std::max<int64_t>(cotarget, 1), current), current});
  return bounded(Layout::fromModes(out).coalesce());
}

Expected<Layout> lowbit::layout::complement(const Layout &a) {
  return complement(a, a.cosize());
}

Layout lowbit::layout::rightInverse(const Layout &a) {
  std::vector<Mode> m = flatModes(a.coalesce());
  std::vector<int64_t> weight(m.size());
  int64_t w = 1;
  for (size_t i = 0; i < m.size(); ++i) {
    weight[i] = w;
    w *= m[i].first;
  }
  std::vector<Mode> out;
  int64_t next = 1;
  for (bool found = true; found;) {
    found = false;
    for (size_t i = 0; i < m.size(); ++i)
      if (m[i].first > 1 && m[i].second == next) {
        out.push_back({m[i].first, weight[i]});
        next = m[i].first * m[i].second;
        found = true;
        break;
      }
  }
  return Layout::fromModes(out).coalesce();
}

Expected<Layout> lowbit::layout::leftInverse(const Layout &a) {
  auto c = complement(a);
  if (!c)
    return Expected<Layout>::failure("left inverse: " + c.error());
  // A with its complement can be larger than A itself: keep it in range.
  auto joined = bounded(Layout::concat({a, *c}));
  if (!joined)
    return Expected<Layout>::failure("left inverse: " + joined.error());
  return rightInverse(*joined);
}

Expected<Layout> lowbit::layout::logicalDivide(const Layout &a, const Layout &b) {
  auto c = complement(b, a.size());
  if (!c)
    return c;
  return composition(a, Layout::concat({b, *c}));
}

Expected<Layout> lowbit::layout::logicalDivide(const Layout &a, const Tiler &tiler) {
  return byMode(a, tiler, [](const Layout &x, const Layout &t) { return logicalDivide(x, t); });
}

namespace {
// logical_divide(a, tiler) as its tiles, and its rests followed by the
// modes the tiler does not reach.
Expected<Layout> dividedParts(const Layout &a, const Tiler &tiler,
                              std::vector<Layout> &tiles, std::vector<Layout> &rests) {
  if (tiler.size() > a.rank())
    return tilerTooLong(a, tiler);
  std::vector<Layout> modes = topModes(a);
  for (size_t i = 0; i < modes.size(); ++i) {
    if (i >= tiler.size()) {
      rests.push_back(modes[i]);
      continue;
    }
    auto d = logicalDivide(modes[i], tiler[i]);
    if (!d)
      return d;
    tiles.push_back(d->mode(0));
    rests.push_back(d->mode(1));
  }
  return a;
}
} // namespace

Expected<Layout> lowbit::layout::zippedDivide(const Layout &a, const Tiler &tiler) {
  std::vector<Layout> tiles, rests;
  if (auto d = dividedParts(a, tiler, tiles, rests); !d)
    return d;
  return Layout::concat({group(tiles), group(rests)});
}

Expected<Layout> lowbit::layout::tiledDivide(const Layout &a, const Tiler &tiler) {
  std::vector<Layout> tiles, rests;
  if (auto d = dividedParts(a, tiler, tiles, rests); !d)
    return d;
  std::vector<Layout> out = {group(tiles)};
  out.insert(out.end(), rests.begin(), rests.end());
  return Layout::concat(out);
}

Expected<Layout> lowbit::layout::flatDivide(const Layout &a, const Tiler &tiler) {
  std::vector<Layout> tiles, rests;
  if (auto d = dividedParts(a, tiler, tiles, rests); !d)
    return d;
  tiles.insert(tiles.end(), rests.begin(), rests.end());
  return Layout::concat(tiles);
}

Expected<Layout> lowbit::layout::logicalProduct(const Layout &a, const Layout &b) {
  std::optional<int64_t> cotarget = mulBounded(a.size(), b.cosize());
  if (!cotarget)
    return overflow("product: size(A) * cosize(B) = " + std::to_string(a.size()) + " * " +
                    std::to_string(b.cosize()));
  auto c = complement(a, *cotarget);
  if (!c)
    return c;
  auto r = composition(*c, b);
  if (!r)
    return r;
  return bounded(Layout::concat({a, *r}));
}

Expected<Layout> lowbit::layout::logicalProduct(const Layout &a, const Tiler &tiler) {
  return byMode(a, tiler, [](const Layout &x, const Layout &t) { return logicalProduct(x, t); });
}

namespace {
Expected<Layout> zippedProduct(const Layout &a, const Layout &b, bool blockFirst) {
  size_t r = std::max(a.rank(), b.rank());
  Layout pa = Layout::concat(padded(a, r)), pb = Layout::concat(padded(b, r));
  auto p = logicalProduct(pa, pb);
  if (!p)
    return p;
  Layout first = p->mode(0), second = p->mode(1);
  std::vector<Layout> modes;
  for (size_t i = 0; i < r; ++i) {
    Layout x = first.mode(i), y = second.mode(i);
    modes.push_back(blockFirst ? Layout::concat({x, y}) : Layout::concat({y, x}));
  }
  return group(modes);
}
} // namespace

Expected<Layout> lowbit::layout::blockedProduct(const Layout &a, const Layout &b) {
  return zippedProduct(a, b, true);
}

Expected<Layout> lowbit::layout::rakedProduct(const Layout &a, const Layout &b) {
  return zippedProduct(a, b, false);
}
