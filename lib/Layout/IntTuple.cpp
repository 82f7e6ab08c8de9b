//===- IntTuple.cpp - Hierarchical integer tuples -------------------------===//

#include "lowbit/Layout/IntTuple.h"

#include <algorithm>

using namespace lowbit::layout;

int IntTuple::depth() const {
  if (leaf)
    return 0;
  int d = 0;
  for (const IntTuple &c : children)
    d = std::max(d, c.depth());
  return d + 1;
}

int64_t IntTuple::product() const {
  if (leaf)
    return leafValue;
  int64_t p = 1;
  for (const IntTuple &c : children)
    p *= c.product();
  return p;
}

static void collectLeaves(const IntTuple &t, std::vector<int64_t> &out) {
  if (t.isLeaf()) {
    out.push_back(t.value());
    return;
  }
  for (const IntTuple &c : t.elems())
    collectLeaves(c, out);
}

std::vector<int64_t> IntTuple::leaves() const {
  std::vector<int64_t> out;
  collectLeaves(*this, out);
  return out;
}

bool IntTuple::congruent(const IntTuple &o) const {
  if (leaf || o.leaf)
    return leaf == o.leaf;
  if (children.size() != o.children.size())
    return false;
  for (size_t i = 0; i < children.size(); ++i)
    if (!children[i].congruent(o.children[i]))
      return false;
  return true;
}

bool IntTuple::refinedBy(const IntTuple &o) const {
  if (leaf)
    return true;
  if (o.leaf || children.size() != o.children.size())
    return false;
  for (size_t i = 0; i < children.size(); ++i)
    if (!children[i].refinedBy(o.children[i]))
      return false;
  return true;
}

std::string IntTuple::str() const {
  if (leaf)
    return std::to_string(leafValue);
  std::string s = "(";
  for (size_t i = 0; i < children.size(); ++i)
    s += (i ? "," : "") + children[i].str();
  return s + ")";
}

bool IntTuple::operator==(const IntTuple &o) const {
  if (leaf != o.leaf)
    return false;
  return leaf ? leafValue == o.leafValue : children == o.children;
}

static IntTuple unflattenFrom(const std::vector<int64_t> &leaves, size_t &pos,
                              const IntTuple &profile) {
  if (profile.isLeaf())
    return IntTuple(leaves[pos++]);
  std::vector<IntTuple> elems;
  for (const IntTuple &c : profile.elems())
    elems.push_back(unflattenFrom(leaves, pos, c));
  return IntTuple(std::move(elems));
}

IntTuple lowbit::layout::unflatten(const std::vector<int64_t> &leaves,
                                   const IntTuple &profile) {
  size_t pos = 0;
  return unflattenFrom(leaves, pos, profile);
}
