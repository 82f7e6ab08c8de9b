//===- IntTuple.h - Hierarchical integer tuples -----------------*- C++ -*-===//
//
// The shapes, strides and coordinates of CuTe-style layouts: an IntTuple is
// either an integer or a tuple of IntTuples, written 8 or (4,(2,2)).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LAYOUT_INTTUPLE_H
#define LOWBIT_LAYOUT_INTTUPLE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lowbit::layout {

/// A value or an error message (the layout library reports failed
/// preconditions to its caller instead of asserting).
template <class T> class Expected {
public:
  Expected(T v) : val(std::move(v)) {}
  static Expected failure(std::string message) {
    Expected e;
    e.message = std::move(message);
    return e;
  }
  explicit operator bool() const { return val.has_value(); }
  const T &operator*() const { return *val; }
  const T *operator->() const { return &*val; }
  const std::string &error() const { return message; }

private:
  Expected() = default;
  std::optional<T> val;
  std::string message;
};

class IntTuple {
public:
  IntTuple(int64_t v = 0) : leafValue(v) {}
  IntTuple(std::vector<IntTuple> elems) : leaf(false), children(std::move(elems)) {}

  bool isLeaf() const { return leaf; }
  int64_t value() const { return leafValue; } ///< leaves only
  const std::vector<IntTuple> &elems() const { return children; }
  /// Number of top-level modes (1 for a leaf).
  size_t rank() const { return leaf ? 1 : children.size(); }
  /// Mode i (a leaf is its own mode 0).
  const IntTuple &mode(size_t i) const { return leaf ? *this : children[i]; }
  /// 0 for a leaf, else 1 + the deepest element.
  int depth() const;
  /// Product of the leaves (1 for an empty tuple).
  int64_t product() const;
  /// The leaves, left to right.
  std::vector<int64_t> leaves() const;
  /// Same tree shape (leaves may differ).
  bool congruent(const IntTuple &o) const;
  /// Whether `o`'s tree refines this one: where this has a leaf, o may have
  /// any subtree ("weakly congruent").
  bool refinedBy(const IntTuple &o) const;

  std::string str() const;
  bool operator==(const IntTuple &o) const;
  bool operator!=(const IntTuple &o) const { return !(*this == o); }

private:
  bool leaf = true;
  int64_t leafValue = 0;
  std::vector<IntTuple> children;
};

/// Rebuilds a tuple with the tree of `profile` from leaves taken in order.
IntTuple unflatten(const std::vector<int64_t> &leaves, const IntTuple &profile);

} // namespace lowbit::layout

#endif // LOWBIT_LAYOUT_INTTUPLE_H
