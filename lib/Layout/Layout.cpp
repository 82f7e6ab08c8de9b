//===- Layout.cpp - Shape:stride layouts: evaluation and coalescing -------===//

#include "lowbit/Layout/Layout.h"

using namespace lowbit::layout;

namespace {
bool allPositive(const IntTuple &t) {
  for (int64_t v : t.leaves())
    if (v <= 0)
      return false;
  return true;
}

// Offset of linear index idx in (shape, stride); the last mode extends.
int64_t offsetOf(int64_t idx, const IntTuple &shape, const IntTuple &stride) {
  if (shape.isLeaf())
    return idx * stride.value();
  int64_t off = 0;
  size_t n = shape.rank();
  for (size_t i = 0; i + 1 < n; ++i) {
    int64_t sub = shape.mode(i).product();
    off += offsetOf(idx % sub, shape.mode(i), stride.mode(i));
    idx /= sub;
  }
  if (n > 0)
    off += offsetOf(idx, shape.mode(n - 1), stride.mode(n - 1));
  return off;
}

Expected<int64_t> evalCoord(const IntTuple &coord, const IntTuple &shape,
                            const IntTuple &stride) {
  if (coord.isLeaf()) {
    int64_t c = coord.value(), size = shape.product();
    if (c < 0 || c >= size)
      return Expected<int64_t>::failure("coordinate " + std::to_string(c) +
                                        " is outside the mode " + shape.str() +
                                        " of size " + std::to_string(size));
    return offsetOf(c, shape, stride);
  }
  if (shape.isLeaf() || coord.rank() != shape.rank())
    return Expected<int64_t>::failure("coordinate " + coord.str() +
                                      " does not match the shape " + shape.str());
  int64_t off = 0;
  for (size_t i = 0; i < coord.rank(); ++i) {
    auto o = evalCoord(coord.mode(i), shape.mode(i), stride.mode(i));
    if (!o)
      return o;
    off += *o;
  }
  return off;
}

IntTuple coordinateOf(int64_t &idx, const IntTuple &shape, bool last) {
  if (shape.isLeaf()) {
    int64_t c = last ? idx : idx % shape.value();
    idx = last ? 0 : idx / shape.value();
    return c;
  }
  std::vector<IntTuple> elems;
  for (size_t i = 0; i < shape.rank(); ++i)
    elems.push_back(coordinateOf(idx, shape.mode(i), last && i + 1 == shape.rank()));
  return IntTuple(std::move(elems));
}

IntTuple columnMajorStride(const IntTuple &shape, int64_t &next) {
  if (shape.isLeaf()) {
    int64_t d = next;
    next *= shape.value();
    return d;
  }
  std::vector<IntTuple> elems;
  for (const IntTuple &m : shape.elems())
    elems.push_back(columnMajorStride(m, next));
  return IntTuple(std::move(elems));
}

} // namespace

Expected<Layout> Layout::make(IntTuple shape, IntTuple stride) {
  if (!shape.congruent(stride))
    return Expected<Layout>::failure("shape " + shape.str() + " and stride " +
                                     stride.str() + " are not congruent");
  if (!allPositive(shape))
    return Expected<Layout>::failure("shape " + shape.str() +
                                     " has a mode that is not positive");
  Layout l(std::move(shape), std::move(stride));
  if (std::string e = checkBounded(l); !e.empty())
    return Expected<Layout>::failure(e);
  return l;
}

std::string lowbit::layout::checkBounded(const Layout &l) {
  // Every offset and every index of a layout must fit int64 with room to
  // spare, so that the algebra's products and sums cannot wrap around.
  std::vector<int64_t> s = l.shape().leaves(), d = l.stride().leaves();
  int64_t size = 1, lo = 0, hi = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int64_t span;
    if (__builtin_mul_overflow(size, s[i], &size) || size > kMaxLayoutExtent ||
        __builtin_mul_overflow(s[i] - 1, d[i], &span) ||
        __builtin_add_overflow(d[i] > 0 ? hi : lo, span, d[i] > 0 ? &hi : &lo) ||
        hi > kMaxLayoutExtent || lo < -kMaxLayoutExtent)
      return "overflow: the size or the offsets of " + l.str() + " exceed 2^62";
  }
  return {};
}

Expected<Layout> Layout::makeColumnMajor(const IntTuple &shape) {
  if (!allPositive(shape))
    return Expected<Layout>::failure("shape " + shape.str() +
                                     " has a mode that is not positive");
  int64_t size = 1;
  for (int64_t v : shape.leaves())
    if (__builtin_mul_overflow(size, v, &size) || size > kMaxLayoutExtent)
      return Expected<Layout>::failure("overflow: the size of " + shape.str() + " exceeds 2^62");
  return columnMajor(shape);
}

Layout Layout::columnMajor(const IntTuple &shape) {
  int64_t next = 1;
  return Layout(shape, columnMajorStride(shape, next));
}

Layout Layout::fromModes(const std::vector<std::pair<int64_t, int64_t>> &modes) {
  if (modes.empty())
    return Layout(1, 0);
  if (modes.size() == 1)
    return Layout(modes[0].first, modes[0].second);
  std::vector<IntTuple> s, d;
  for (auto &[sh, st] : modes) {
    s.push_back(sh);
    d.push_back(st);
  }
  return Layout(IntTuple(s), IntTuple(d));
}

Layout Layout::concat(const std::vector<Layout> &modes) {
  std::vector<IntTuple> s, d;
  for (const Layout &l : modes) {
    s.push_back(l.shape());
    d.push_back(l.stride());
  }
  return Layout(IntTuple(s), IntTuple(d));
}

int64_t Layout::cosize() const {
  std::vector<int64_t> s = shapeTuple.leaves(), d = strideTuple.leaves();
  int64_t hi = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (d[i] > 0)
      hi += (s[i] - 1) * d[i];
  return hi + 1;
}

int64_t Layout::operator()(int64_t index) const {
  return offsetOf(index, shapeTuple, strideTuple);
}

Expected<int64_t> Layout::eval(const IntTuple &coord) const {
  return evalCoord(coord, shapeTuple, strideTuple);
}

IntTuple Layout::coordinate(int64_t index) const {
  return coordinateOf(index, shapeTuple, true);
}

Layout Layout::flatten() const {
  std::vector<int64_t> s = shapeTuple.leaves(), d = strideTuple.leaves();
  if (s.size() == 1)
    return Layout(s[0], d[0]);
  std::vector<IntTuple> ss(s.begin(), s.end()), dd(d.begin(), d.end());
  return Layout(IntTuple(ss), IntTuple(dd));
}

Layout Layout::coalesce() const {
  std::vector<int64_t> s = shapeTuple.leaves(), d = strideTuple.leaves();
  std::vector<std::pair<int64_t, int64_t>> modes;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 1)
      continue;
    // The extent s*d of the previous mode can pass int64 where only its
    // offsets (s-1)*d are bounded; then it equals no stride.
    int64_t extent;
    if (!modes.empty() &&
        !__builtin_mul_overflow(modes.back().first, modes.back().second, &extent) &&
        d[i] == extent)
      modes.back().first *= s[i];
    else
      modes.push_back({s[i], d[i]});
  }
  return fromModes(modes);
}

Layout Layout::coalesceByMode() const {
  if (shapeTuple.isLeaf())
    return coalesce();
  std::vector<Layout> modes;
  for (size_t i = 0; i < rank(); ++i)
    modes.push_back(mode(i).coalesce());
  return concat(modes);
}

std::string Layout::str() const { return shapeTuple.str() + ":" + strideTuple.str(); }
