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

/// The largest non-injective layout whose quasi-inverse is checked index by
/// index (left inverse).
constexpr int64_t kMaxCheckedInverse = int64_t(1) << 20;

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

// A's modes as composition reads them (CuTe's coalesce_x): coalesced, but a
// trailing shape-1 mode keeps its stride, because A extends along its last
// mode past size(A) and B may reach there (1:3 o 4:1 is 4:3, not 4:0).
std::vector<Mode> extendingModes(const Layout &a) {
  std::vector<Mode> m = flatModes(a);
  Mode tail = m.back();
  std::vector<Mode> c = flatModes(a.coalesce());
  if (tail.first != 1)
    return c;
  if (c.size() == 1 && c[0].first == 1)
    return {{2, tail.second}}; // only the stride of the last mode is read
  int64_t extent;
  if (!__builtin_mul_overflow(c.back().first, c.back().second, &extent) &&
      extent == tail.second)
    return c; // the last mode extends as the size-1 mode would
  c.push_back({2, tail.second}); // a stand-in size: only its stride is read
  return c;
}

// A o (s:d) for one mode of the right operand, as CuTe computes it: the
// stride d is divided out of A's modes front to back (rounding up), then s
// elements are kept; the last mode of A takes what is left. CuTe asserts
// only what it can check on static values; the two further refusals here
// are where its result would not equal A(B(i)) (a stride that does not
// divide a mode B reaches past). A stride that does not divide a mode of A
// is taken only when B's offsets stay within that mode and either B is this
// one mode (`whole`) or the mode is A's first (`withinFirst`: all of B lies
// in A's first mode, where A is linear): otherwise the offsets of B's modes
// would add across a mode boundary of A, where A is not additive.
Expected<Layout> composeMode(const std::vector<Mode> &aModes, int64_t s, int64_t d,
                             bool whole, bool withinFirst) {
  if (d == 0)
    return Layout(s, 0);
  const size_t last = aModes.size() - 1;
  if (last == 0) {
    std::optional<int64_t> stride = mulBounded(d, aModes[0].second);
    if (!stride)
      return overflow("the stride " + std::to_string(d) + " * " +
                      std::to_string(aModes[0].second));
    return Layout(s, *stride);
  }
  auto aText = [&] { return Layout::fromModes(aModes).str(); };
  std::vector<Mode> out;
  int64_t restShape = s, restStride = d;
  for (size_t i = 0; i < last; ++i) {
    auto [si, di] = aModes[i];
    int64_t nextShape = ceilDiv(si, restStride), nextStride = ceilDiv(restStride, si);
    if (restShape == 1) { // nothing of B is left to place
      restStride = nextStride;
      continue;
    }
    if (restStride >= si && restStride % si != 0)
      return Expected<Layout>::failure(
          "stride divisibility: the right operand's stride " + std::to_string(d) +
          " leaves " + std::to_string(restStride) + ", which neither divides nor is divided " +
          "by the shape " + std::to_string(si) + " of mode " + std::to_string(i) + " of " +
          aText());
    if (nextShape == 1) {
      restStride = nextStride;
      continue;
    }
    int64_t newShape = std::min(nextShape, restShape);
    if (si % restStride != 0 && (newShape < restShape || !(whole || (withinFirst && i == 0))))
      return Expected<Layout>::failure(
          "stride divisibility: the right operand's stride " + std::to_string(d) +
          " leaves " + std::to_string(restStride) + ", which does not divide the shape " +
          std::to_string(si) + " of mode " + std::to_string(i) + " of " + aText() +
          (newShape < restShape ? ", and the right operand's " + std::to_string(restShape) +
                                      " remaining elements reach past that mode"
                                : std::string(", and the right operand has other modes")));
    if (restShape % newShape != 0)
      return Expected<Layout>::failure(
          "shape divisibility: the right operand's shape " + std::to_string(s) + " leaves " +
          std::to_string(restShape) + ", which is not a multiple of the " +
          std::to_string(newShape) + " elements mode " + std::to_string(i) + " of " +
          aText() + " holds (after dividing out the stride)");
    std::optional<int64_t> stride = mulBounded(restStride, di);
    if (!stride)
      return overflow("the stride " + std::to_string(restStride) + " * " + std::to_string(di));
    out.push_back({newShape, *stride});
    restShape /= newShape;
    restStride = nextStride;
  }
  if (out.empty() || restShape != 1) {
    std::optional<int64_t> stride = mulBounded(restStride, aModes[last].second);
    if (!stride)
      return overflow("the stride " + std::to_string(restStride) + " * " +
                      std::to_string(aModes[last].second));
    out.push_back({restShape, *stride});
  }
  return Layout::fromModes(out);
}

Expected<Layout> composeTree(const std::vector<Mode> &aModes, const IntTuple &s,
                             const IntTuple &d, bool whole, bool withinFirst) {
  if (s.isLeaf())
    return composeMode(aModes, s.value(), d.value(), whole, withinFirst);
  std::vector<Layout> modes;
  for (size_t i = 0; i < s.rank(); ++i) {
    auto r = composeTree(aModes, s.mode(i), d.mode(i), whole, withinFirst);
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

Expected<Layout> tilerTooLong(const Layout &a, const Tiler &t) {
  return Expected<Layout>::failure("the tiler has " + std::to_string(t.size()) +
                                   " modes but the layout " + a.str() + " has rank " +
                                   std::to_string(a.rank()));
}

// Applies op to mode i of a and tiler[i]. The result is always a tuple, as
// CuTe's transform_layout makes it (a leaf A gives a rank-1 tuple); A's
// modes past the tiler stay as they are, or are dropped (composition).
template <class Op>
Expected<Layout> byMode(const Layout &a, const Tiler &tiler, Op op, bool keepRest = true) {
  if (tiler.empty()) // the notation cannot write one; the API could pass one
    return Expected<Layout>::failure("the tiler has no modes");
  if (tiler.size() > a.rank())
    return tilerTooLong(a, tiler);
  std::vector<Layout> modes = topModes(a);
  if (!keepRest)
    modes.resize(tiler.size());
  for (size_t i = 0; i < tiler.size(); ++i) {
    auto r = op(modes[i], tiler[i]);
    if (!r)
      return r;
    modes[i] = *r;
  }
  return Layout::concat(modes);
}

// Pads to rank r with 1:0 modes (CuTe's append<R>).
Layout padded(const Layout &l, size_t r) {
  if (l.rank() >= r)
    return l;
  std::vector<Layout> v = topModes(l);
  while (v.size() < r)
    v.push_back(Layout(1, 0));
  return Layout::concat(v);
}

// The modes a slice with one `_` per sub-mode unpacks a mode into (CuTe's
// layout(_, repeat<R>(_))): its top-level modes, or itself when it has one.
void appendUnpacked(const Layout &m, std::vector<Layout> &out) {
  if (m.rank() == 1) {
    out.push_back(m);
    return;
  }
  for (size_t i = 0; i < m.rank(); ++i)
    out.push_back(m.mode(i));
}

// CuTe's ceil_div(shape, n) for a shape cotarget, multiplied out: each leaf
// is divided by what is left of n, rounding up (ceil_div((3,3), 2) is (2,3),
// so 6, not ceil(9 / 2)).
int64_t ceilDivShape(const IntTuple &shape, int64_t n) {
  int64_t product = 1;
  for (int64_t c : shape.leaves()) {
    product *= ceilDiv(c, n);
    n = ceilDiv(n, c);
  }
  return product;
}

Expected<Layout> complementTo(const Layout &a, const IntTuple &cotarget) {
  // CuTe's filter: stride-0 modes and shape-1 modes removed, then coalesced.
  std::vector<Mode> kept;
  for (Mode x : flatModes(a))
    if (x.first != 1 && x.second != 0)
      kept.push_back(x);
  std::vector<Mode> m = flatModes(Layout::fromModes(kept).coalesce());
  if (m.size() == 1 && m[0].first == 1)
    m.clear();
  for (const Mode &x : m)
    if (x.second < 0)
      return Expected<Layout>::failure("complement needs nonnegative strides, " +
                                       a.str() + " has stride " + std::to_string(x.second));
  // Equal strides cannot pass the divisibility check below, so the order
  // among them does not matter.
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
  out.push_back({ceilDivShape(cotarget, current), current});
  return bounded(Layout::fromModes(out).coalesce());
}
} // namespace

Expected<Layout> lowbit::layout::composition(const Layout &a, const Layout &b) {
  for (int64_t d : b.stride().leaves())
    if (d < 0)
      return Expected<Layout>::failure("composition needs nonnegative strides in the "
                                       "right operand, " + b.str() + " has " +
                                       std::to_string(d));
  std::vector<Mode> aModes = extendingModes(a);
  bool whole = b.shape().leaves().size() == 1;
  bool withinFirst = aModes.size() > 1 && b.cosize() <= aModes[0].first;
  auto r = composeTree(aModes, b.shape(), b.stride(), whole, withinFirst);
  if (!r)
    return r;
  return bounded(*r);
}

Expected<Layout> lowbit::layout::composition(const Layout &a, const Tiler &tiler) {
  return byMode(
      a, tiler, [](const Layout &x, const Layout &t) { return composition(x, t); },
      /*keepRest=*/false);
}

Expected<Layout> lowbit::layout::complement(const Layout &a, int64_t cotarget) {
  return complementTo(a, IntTuple(std::max<int64_t>(cotarget, 1)));
}

Expected<Layout> lowbit::layout::complement(const Layout &a, const IntTuple &cotarget) {
  for (int64_t c : cotarget.leaves())
    if (c <= 0)
      return Expected<Layout>::failure("complement: the cotarget " + cotarget.str() +
                                       " has a mode that is not positive");
  return complementTo(a, cotarget);
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

// CuTe's left_inverse (a quasi-inverse): A's modes by increasing stride,
// each stride divided by the size of the modes placed before it becomes a
// shape, the mode's position in A's index the stride; the largest-stride
// mode's shape closes it. A(R(A(i))) == A(i) for every i, and R(A(i)) == i
// when A is injective (holes in A's image are fine).
Expected<Layout> lowbit::layout::leftInverse(const Layout &a) {
  std::vector<Mode> m = flatModes(a.coalesce());
  for (const Mode &x : m)
    if (x.second < 0)
      return Expected<Layout>::failure("left inverse needs nonnegative strides, " + a.str() +
                                       " has stride " + std::to_string(x.second));
  std::vector<int64_t> weight(m.size());
  int64_t w = 1;
  for (size_t i = 0; i < m.size(); ++i) {
    weight[i] = w;
    w *= m[i].first;
  }
  std::vector<size_t> order(m.size());
  for (size_t i = 0; i < m.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return m[x].second < m[y].second || (m[x].second == m[y].second && x < y);
  });
  std::vector<int64_t> shape, stride = {0};
  int64_t placed = 1; // the size of the shape built so far
  for (size_t i : order) {
    int64_t d = m[i].second;
    if (d == 0)
      continue;
    if (d % placed != 0)
      return Expected<Layout>::failure(
          "left inverse: " + a.str() + " has stride " + std::to_string(d) +
          ", which is not a multiple of " + std::to_string(placed) +
          " (the size the smaller strides span; CuTe's left inverse divisibility condition)");
    shape.push_back(d / placed);
    stride.push_back(weight[i]);
    placed *= d / placed;
  }
  shape.push_back(m[order.back()].first);
  std::vector<Mode> out;
  for (size_t i = 0; i < shape.size(); ++i)
    out.push_back({shape[i], stride[i]});
  auto r = bounded(Layout::fromModes(out));
  if (!r)
    return r;
  r = r->coalesce();
  // R reads the coordinate of each mode off A(i) as a digit in the radix of
  // the sorted strides: exact when no mode reaches the next one's stride
  // (A injective). Where modes overlap, CuTe's R can be wrong (ties among
  // equal strides), so it is checked at every index, up to a limit.
  bool overlaps = false;
  const Mode *prev = nullptr;
  for (size_t i : order) {
    if (m[i].second == 0)
      continue;
    int64_t extent;
    if (prev && (__builtin_mul_overflow(prev->first, prev->second, &extent) ||
                 extent > m[i].second))
      overlaps = true;
    prev = &m[i];
  }
  if (!overlaps)
    return r;
  if (a.size() > kMaxCheckedInverse)
    return Expected<Layout>::failure(
        "left inverse: " + a.str() + " is not injective (its modes overlap) and has more than " +
        std::to_string(kMaxCheckedInverse) + " elements, too many to check a quasi-inverse on");
  for (int64_t i = 0; i < a.size(); ++i)
    if (a((*r)(a(i))) != a(i))
      return Expected<Layout>::failure("left inverse: " + a.str() +
                                       " is not injective and has no quasi-inverse of CuTe's "
                                       "form (A(R(A(i))) != A(i) at i = " +
                                       std::to_string(i) + ")");
  return r;
}

Expected<Layout> lowbit::layout::logicalDivide(const Layout &a, const Layout &b) {
  auto c = complement(b, a.coalesce().shape());
  if (!c)
    return c;
  return composition(a, Layout::concat({b, *c}));
}

Expected<Layout> lowbit::layout::logicalDivide(const Layout &a, const Tiler &tiler) {
  return byMode(a, tiler, [](const Layout &x, const Layout &t) { return logicalDivide(x, t); });
}

// By a layout, CuTe's zipped_divide is the logical divide itself (tile,
// rest); tiled and flat unpack its modes.
Expected<Layout> lowbit::layout::zippedDivide(const Layout &a, const Layout &b) {
  return logicalDivide(a, b);
}

Expected<Layout> lowbit::layout::zippedDivide(const Layout &a, const Tiler &tiler) {
  auto d = logicalDivide(a, tiler);
  if (!d)
    return d;
  // CuTe's zip2_by: ((Tile0, Tile1, ...), (Rest0, Rest1, ..., untouched...)).
  std::vector<Layout> tiles, rests;
  for (size_t i = 0; i < d->rank(); ++i) {
    if (i < tiler.size()) {
      tiles.push_back(d->mode(i).mode(0));
      rests.push_back(d->mode(i).mode(1));
    } else {
      rests.push_back(d->mode(i));
    }
  }
  return Layout::concat({Layout::concat(tiles), Layout::concat(rests)});
}

namespace {
Expected<Layout> tiled(Expected<Layout> zipped) {
  if (!zipped)
    return zipped;
  std::vector<Layout> out = {zipped->mode(0)};
  appendUnpacked(zipped->mode(1), out);
  return Layout::concat(out);
}

Expected<Layout> flat(Expected<Layout> zipped) {
  if (!zipped)
    return zipped;
  std::vector<Layout> out;
  appendUnpacked(zipped->mode(0), out);
  appendUnpacked(zipped->mode(1), out);
  return Layout::concat(out);
}
} // namespace

Expected<Layout> lowbit::layout::tiledDivide(const Layout &a, const Layout &b) {
  return tiled(zippedDivide(a, b));
}
Expected<Layout> lowbit::layout::tiledDivide(const Layout &a, const Tiler &tiler) {
  return tiled(zippedDivide(a, tiler));
}
Expected<Layout> lowbit::layout::flatDivide(const Layout &a, const Layout &b) {
  return flat(zippedDivide(a, b));
}
Expected<Layout> lowbit::layout::flatDivide(const Layout &a, const Tiler &tiler) {
  return flat(zippedDivide(a, tiler));
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
// CuTe's blocked/raked product: the logical product of A and B padded to
// the larger rank, its two modes zipped mode by mode. At rank 1 the pair is
// (A, B's copies) whole (CuTe does not compile that case when the copies
// have more than one mode).
Expected<Layout> zippedProduct(const Layout &a, const Layout &b, bool blockFirst) {
  size_t r = std::max(a.rank(), b.rank());
  auto p = logicalProduct(padded(a, r), padded(b, r));
  if (!p)
    return p;
  Layout first = p->mode(0), second = p->mode(1);
  auto pair = [&](const Layout &x, const Layout &y) {
    return blockFirst ? Layout::concat({x, y}) : Layout::concat({y, x});
  };
  if (r == 1)
    return Layout::concat({pair(first, second)});
  std::vector<Layout> modes;
  for (size_t i = 0; i < r; ++i)
    modes.push_back(pair(first.mode(i), second.mode(i)));
  return Layout::concat(modes);
}
} // namespace

Expected<Layout> lowbit::layout::blockedProduct(const Layout &a, const Layout &b) {
  return zippedProduct(a, b, true);
}

Expected<Layout> lowbit::layout::rakedProduct(const Layout &a, const Layout &b) {
  return zippedProduct(a, b, false);
}
