//===- F2Layout.cpp - Linear layouts over GF(2) ---------------------------===//

#include "lowbit/Layout/F2Layout.h"

#include <cstdio>

using namespace lowbit::layout;

namespace {
bool isPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }
unsigned log2Exact(int64_t v) {
  unsigned k = 0;
  while ((int64_t(1) << k) < v)
    ++k;
  return k;
}
uint64_t maskOf(unsigned bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }
} // namespace

Expected<F2Layout> F2Layout::make(unsigned outBits, std::vector<uint64_t> basis) {
  if (outBits > 64 || basis.size() > 64)
    return Expected<F2Layout>::failure("F2 layouts have at most 64 input and output bits");
  for (size_t i = 0; i < basis.size(); ++i)
    if (basis[i] & ~maskOf(outBits))
      return Expected<F2Layout>::failure("basis vector " + std::to_string(i) +
                                         " has bits above the " + std::to_string(outBits) +
                                         " output bits");
  return F2Layout(outBits, std::move(basis));
}

F2Layout F2Layout::identity(unsigned bits) {
  std::vector<uint64_t> b(bits);
  for (unsigned i = 0; i < bits; ++i)
    b[i] = 1ull << i;
  return F2Layout(bits, b);
}

Expected<F2Layout> F2Layout::swizzle(unsigned b, unsigned m, int s, unsigned bits) {
  unsigned yLow = m + static_cast<unsigned>(s > 0 ? s : 0);
  unsigned zLow = m + static_cast<unsigned>(s < 0 ? -s : 0);
  if (yLow + b > bits || zLow + b > bits || bits > 64)
    return Expected<F2Layout>::failure(
        "Swizzle<" + std::to_string(b) + "," + std::to_string(m) + "," + std::to_string(s) +
        "> needs " + std::to_string(std::max(yLow, zLow) + b) + " address bits, have " +
        std::to_string(bits));
  if (s == 0 && b > 0)
    return Expected<F2Layout>::failure("Swizzle with shift 0 XORs bits with themselves");
  F2Layout l = identity(bits);
  for (unsigned i = 0; i < b; ++i)
    l.basis[yLow + i] |= 1ull << (zLow + i);
  return l;
}

Expected<F2Layout> F2Layout::fromLayout(const Layout &lay) {
  std::vector<int64_t> s = lay.shape().leaves(), d = lay.stride().leaves();
  std::vector<uint64_t> basis;
  uint64_t seen = 0;
  unsigned out = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!isPowerOfTwo(s[i]))
      return Expected<F2Layout>::failure("shape " + std::to_string(s[i]) + " of " +
                                         lay.str() + " is not a power of two");
    if (d[i] != 0 && !isPowerOfTwo(d[i]))
      return Expected<F2Layout>::failure("stride " + std::to_string(d[i]) + " of " +
                                         lay.str() + " is neither 0 nor a power of two");
    for (unsigned k = 0; (int64_t(1) << k) < s[i]; ++k) {
      uint64_t img = d[i] == 0 ? 0 : static_cast<uint64_t>(d[i]) << k;
      if (img & seen)
        return Expected<F2Layout>::failure(
            lay.str() + " maps two index bits to offset " + std::to_string(img) +
            ": as a sum that carries, which XOR cannot express");
      seen |= img;
      if (img)
        out = std::max(out, log2Exact(static_cast<int64_t>(img)) + 1);
      basis.push_back(img);
    }
  }
  return make(out, basis);
}

uint64_t F2Layout::apply(uint64_t x) const {
  uint64_t r = 0;
  for (size_t i = 0; i < basis.size() && x; ++i, x >>= 1)
    if (x & 1)
      r ^= basis[i];
  return r;
}

Expected<F2Layout> F2Layout::compose(const F2Layout &inner) const {
  if (inner.outBits() > inBits())
    return Expected<F2Layout>::failure("composition: the inner layout has " +
                                       std::to_string(inner.outBits()) +
                                       " output bits but the outer takes " +
                                       std::to_string(inBits()));
  std::vector<uint64_t> b;
  for (uint64_t v : inner.basis)
    b.push_back(apply(v));
  return F2Layout(out, b);
}

unsigned F2Layout::rank() const {
  std::vector<uint64_t> rows = basis;
  unsigned r = 0;
  for (unsigned bit = 0; bit < 64; ++bit) {
    size_t pivot = r;
    while (pivot < rows.size() && !((rows[pivot] >> bit) & 1))
      ++pivot;
    if (pivot == rows.size())
      continue;
    std::swap(rows[r], rows[pivot]);
    for (size_t j = 0; j < rows.size(); ++j)
      if (j != r && ((rows[j] >> bit) & 1))
        rows[j] ^= rows[r];
    ++r;
  }
  return r;
}

Expected<F2Layout> F2Layout::inverse() const {
  unsigned n = inBits();
  if (out != n || rank() != n)
    return Expected<F2Layout>::failure("F2 layout " + str() + " (" + std::to_string(n) +
                                       " -> " + std::to_string(out) +
                                       " bits) is not invertible");
  // Gauss-Jordan on [M | I] where column i of M is basis[i]: rows are
  // output bits; track which input combination gives each unit vector.
  std::vector<uint64_t> value = basis, combo(n);
  for (unsigned i = 0; i < n; ++i)
    combo[i] = 1ull << i;
  for (unsigned bit = 0; bit < n; ++bit) {
    unsigned pivot = bit;
    while (!((value[pivot] >> bit) & 1))
      ++pivot;
    std::swap(value[bit], value[pivot]);
    std::swap(combo[bit], combo[pivot]);
    for (unsigned j = 0; j < n; ++j)
      if (j != bit && ((value[j] >> bit) & 1)) {
        value[j] ^= value[bit];
        combo[j] ^= combo[bit];
      }
  }
  // Now value[i] == 1 << i, produced by the inputs in combo[i].
  return F2Layout(n, combo);
}

F2Layout F2Layout::directProduct(const F2Layout &high) const {
  std::vector<uint64_t> b = basis;
  for (uint64_t v : high.basis)
    b.push_back(v << out);
  return F2Layout(out + high.out, b);
}

std::string F2Layout::str() const {
  std::string s = "[";
  for (size_t i = 0; i < basis.size(); ++i) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%s0x%llx", i ? "," : "",
                  static_cast<unsigned long long>(basis[i]));
    s += buf;
  }
  return s + "]";
}
