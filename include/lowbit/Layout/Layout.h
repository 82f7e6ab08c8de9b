//===- Layout.h - CuTe-style shape:stride layouts and their algebra -*- C++ -*-===//
//
// A layout maps coordinates in a hierarchical shape to integer offsets by an
// inner product with a congruent stride: (4,(2,2)):(2,(1,8)). Semantics
// follow NVIDIA CuTe's layout algebra (coordinates are colexicographic:
// mode 0 varies fastest). Every operation whose precondition can fail (the
// divisibility conditions of composition, the injectivity of complement)
// returns an Expected with a message saying which modes violate it.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LAYOUT_LAYOUT_H
#define LOWBIT_LAYOUT_LAYOUT_H

#include "lowbit/Layout/IntTuple.h"

namespace lowbit::layout {

/// Deepest nesting of a layout's tuples that the parsers accept: the
/// algebra recurses over modes, and no real layout is nearly this deep.
constexpr int kMaxLayoutDepth = 256;

/// Largest size, and largest absolute offset, of a layout: checked where
/// layouts are made from text or numbers and by the algebra, so that no
/// product or sum in it can wrap around int64 (it reports "overflow").
constexpr int64_t kMaxLayoutExtent = int64_t(1) << 62;

class Layout;
/// Empty when `l` is within kMaxLayoutExtent, else an "overflow: ..." message.
std::string checkBounded(const Layout &l);

class Layout {
public:
  /// shape and stride must be congruent (see make()).
  Layout(IntTuple shape, IntTuple stride)
      : shapeTuple(std::move(shape)), strideTuple(std::move(stride)) {}
  Layout() : Layout(1, 0) {}
  /// Checked constructor: congruent trees, positive shapes.
  static Expected<Layout> make(IntTuple shape, IntTuple stride);
  /// The compact column-major layout of a shape (CuTe's make_layout(shape)).
  static Layout columnMajor(const IntTuple &shape);
  /// The same, checked: positive modes, size within kMaxLayoutExtent.
  static Expected<Layout> makeColumnMajor(const IntTuple &shape);
  /// Concatenation of layouts as the modes of a new one.
  static Layout concat(const std::vector<Layout> &modes);
  /// A flat layout from (shape, stride) modes: 1:0 for none, s:d for one.
  static Layout fromModes(const std::vector<std::pair<int64_t, int64_t>> &modes);

  const IntTuple &shape() const { return shapeTuple; }
  const IntTuple &stride() const { return strideTuple; }

  int64_t size() const { return shapeTuple.product(); }
  /// One past the largest offset (the codomain size for nonnegative strides).
  int64_t cosize() const;
  size_t rank() const { return shapeTuple.rank(); }
  int depth() const { return shapeTuple.depth(); }
  Layout mode(size_t i) const { return {shapeTuple.mode(i), strideTuple.mode(i)}; }

  /// Offset of the i-th coordinate in colexicographic order (i may exceed
  /// size(): the last mode then extends, as in CuTe).
  int64_t operator()(int64_t index) const;
  /// Offset of a coordinate that is congruent to the shape or coarser (an
  /// integer standing for a whole sub-tuple is split colexicographically).
  Expected<int64_t> eval(const IntTuple &coord) const;
  /// The natural coordinate (congruent to the shape) of a linear index.
  IntTuple coordinate(int64_t index) const;

  /// Leaves as one flat tuple of modes.
  Layout flatten() const;
  /// The same function with as few modes as possible (shape-1 modes
  /// dropped, mode i and i+1 merged when stride_{i+1} == shape_i*stride_i).
  Layout coalesce() const;
  /// Coalesces each top-level mode separately (rank is kept).
  Layout coalesceByMode() const;

  std::string str() const;
  bool operator==(const Layout &o) const {
    return shapeTuple == o.shapeTuple && strideTuple == o.strideTuple;
  }
  bool operator!=(const Layout &o) const { return !(*this == o); }

private:
  IntTuple shapeTuple, strideTuple;
};

/// A tiler: one layout per mode of the layout it is applied to (CuTe's
/// Tile); modes beyond its rank are left alone.
using Tiler = std::vector<Layout>;

//===----------------------------------------------------------------------===//
// Algebra
//===----------------------------------------------------------------------===//

/// A o B: (A o B)(c) == A(B(c)) for every coordinate c of B, A extended
/// along its last mode past size(A) (CuTe: 1:3 o 4:1 is 4:3). The result
/// has B's tree. Refused where CuTe refuses (its divisibility conditions)
/// and where CuTe's result would not be A(B(c)).
Expected<Layout> composition(const Layout &a, const Layout &b);
/// By-mode composition with a tiler: (A0 o T0, A1 o T1, ...); as in CuTe,
/// A's modes past the tiler are dropped.
Expected<Layout> composition(const Layout &a, const Tiler &tiler);

/// The layout of the offsets A does not reach, up to cotarget: sorted by
/// stride it fills the gaps between A's modes and then repeats up to
/// cotarget. Stride-0 and shape-1 modes of A are ignored (CuTe's filter);
/// the rest must be injective with strides dividing each other.
Expected<Layout> complement(const Layout &a, int64_t cotarget);
/// The same up to a shape (CuTe's complement(A, shape)): the repeats are
/// the shape divided leaf by leaf, rounding up (logical_divide uses it with
/// the coalesced shape of the divided layout).
Expected<Layout> complement(const Layout &a, const IntTuple &cotarget);
Expected<Layout> complement(const Layout &a);

/// R with A(R(i)) == i for i < size(R), R as large as possible.
Layout rightInverse(const Layout &a);
/// CuTe's left_inverse: R with A(R(A(i))) == A(i) for every i < size(A),
/// so R(A(i)) == i when A is injective (with or without holes). Refused
/// when a stride is not a multiple of the smaller ones' span (CuTe's
/// condition) or is negative.
Expected<Layout> leftInverse(const Layout &a);

/// A o (B, complement(B, shape(coalesce(A)))): mode 0 is the tile B of A,
/// mode 1 enumerates the tiles.
Expected<Layout> logicalDivide(const Layout &a, const Layout &b);
/// By-mode: ((Tile0, Rest0), (Tile1, Rest1), ..., untouched modes...),
/// always a tuple (a leaf A gives a rank-1 one, as in CuTe).
Expected<Layout> logicalDivide(const Layout &a, const Tiler &tiler);
/// By a layout: the logical divide itself, (Tile, Rest).
Expected<Layout> zippedDivide(const Layout &a, const Layout &b);
/// ((Tile0, Tile1, ...), (Rest0, Rest1, ..., untouched modes...)).
Expected<Layout> zippedDivide(const Layout &a, const Tiler &tiler);
/// The zipped divide with its second mode unpacked: (Tiles, Rest modes...).
Expected<Layout> tiledDivide(const Layout &a, const Layout &b);
/// ((Tile0, Tile1, ...), Rest0, Rest1, ..., untouched modes...).
Expected<Layout> tiledDivide(const Layout &a, const Tiler &tiler);
/// The zipped divide with both modes unpacked.
Expected<Layout> flatDivide(const Layout &a, const Layout &b);
/// (Tile0, Tile1, ..., Rest0, Rest1, ..., untouched modes...).
Expected<Layout> flatDivide(const Layout &a, const Tiler &tiler);

/// (A, complement(A, size(A) * cosize(B)) o B): B copies of A.
Expected<Layout> logicalProduct(const Layout &a, const Layout &b);
/// By-mode logical product with a tiler (always a tuple, as the divide).
Expected<Layout> logicalProduct(const Layout &a, const Tiler &tiler);
/// Rank-R product ((A0, B0), (A1, B1), ...): A repeated as blocks laid out
/// by B. The ranks are padded with 1:0 modes to the larger one; at rank 1
/// the result is the rank-1 tuple ((A, B')).
Expected<Layout> blockedProduct(const Layout &a, const Layout &b);
/// ((B0, A0), (B1, A1), ...): A's elements raked across B's copies.
Expected<Layout> rakedProduct(const Layout &a, const Layout &b);

//===----------------------------------------------------------------------===//
// Notation
//===----------------------------------------------------------------------===//

/// Parses CuTe notation: an IntTuple, e.g. "(4,(2,2))" or "8". CuTe's
/// static marker "_" before an integer is accepted and ignored.
Expected<IntTuple> parseIntTuple(const std::string &text, size_t *errorColumn = nullptr);
/// Parses "SHAPE:STRIDE"; a SHAPE alone is the compact column-major layout.
Expected<Layout> parseLayout(const std::string &text, size_t *errorColumn = nullptr);
/// Parses a tiler "<L0, L1, ...>" or "[L0, L1, ...]"; a bare shape
/// "(s0, s1)" is the tiler <s0:1, s1:1>. A single layout is a one-mode
/// tiler only when written in brackets.
Expected<Tiler> parseTiler(const std::string &text, size_t *errorColumn = nullptr);
std::string tilerStr(const Tiler &t);

} // namespace lowbit::layout

#endif // LOWBIT_LAYOUT_LAYOUT_H
