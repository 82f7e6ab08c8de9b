//===- BitLayout.cpp - Bit-granular storage layouts -----------------------===//

#include "lowbit/Layout/BitLayout.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace lowbit::layout;

namespace {
// Visits a layout's offsets in index order without divisions: an odometer
// over the flattened modes.
class OffsetWalker {
public:
  explicit OffsetWalker(const Layout &l) : shape(l.shape().leaves()), stride(l.stride().leaves()),
                                           coord(shape.size(), 0) {}
  int64_t offset() const { return current; }
  void next() {
    for (size_t i = 0; i < shape.size(); ++i) {
      current += stride[i];
      if (++coord[i] < shape[i])
        return;
      current -= stride[i] * shape[i];
      coord[i] = 0;
    }
  }

private:
  std::vector<int64_t> shape, stride, coord;
  int64_t current = 0;
};

// Offsets of each bit of an element, relative to the element's offset.
std::vector<int64_t> bitOffsets(const Layout &map) {
  std::vector<int64_t> v;
  Layout bitsMode = map.mode(0);
  for (int64_t b = 0; b < bitsMode.size(); ++b)
    v.push_back(bitsMode(b));
  return v;
}
} // namespace

Expected<Layout> lowbit::layout::layoutFromTable(const std::vector<int64_t> &values) {
  const int64_t n = static_cast<int64_t>(values.size());
  if (n == 0 || values[0] != 0)
    return Expected<Layout>::failure("a layout maps index 0 to offset 0");
  std::vector<Layout> modes;
  int64_t period = 1;
  while (period < n) {
    int64_t d = values[period];
    int64_t s = 1;
    while (period * (s + 1) <= n && values[period * s] == s * d)
      ++s;
    while (n % (period * s) != 0) // the shapes must tile the table
      --s;
    if (s == 1)
      return Expected<Layout>::failure("the table is not a shape:stride layout (index " +
                                       std::to_string(period) + ")");
    modes.push_back(Layout(s, d));
    period *= s;
  }
  Layout l = modes.empty() ? Layout(1, 0)
             : modes.size() == 1 ? modes[0]
                                 : Layout::concat(modes);
  for (int64_t i = 0; i < n; ++i)
    if (l(i) != values[i])
      return Expected<Layout>::failure("the table is not a shape:stride layout (index " +
                                       std::to_string(i) + " maps to " +
                                       std::to_string(values[i]) + ")");
  return l;
}

Expected<BitLayout> BitLayout::make(Layout map, int64_t offset, uint64_t flip) {
  if (map.shape().isLeaf() || map.rank() != 2)
    return Expected<BitLayout>::failure("a bit layout has two modes, (bit, element): " +
                                        map.str());
  BitLayout bl(std::move(map), offset, flip);
  const int64_t total = bl.storageBits(), limit = bl.storageBytes() * 8;
  if (total > (int64_t(1) << 30))
    return Expected<BitLayout>::failure("bit layouts are checked up to 2^30 bits");
  std::vector<uint8_t> seen(static_cast<size_t>(limit + 7) / 8);
  const int64_t n = bl.elements();
  const unsigned w = bl.elementBits();
  for (int64_t e = 0; e < n; ++e)
    for (unsigned b = 0; b < w; ++b) {
      int64_t p = bl.bitOffset(e, b);
      if (p < 0 || p >= limit)
        return Expected<BitLayout>::failure(
            "bit " + std::to_string(b) + " of element " + std::to_string(e) +
            " is stored at bit " + std::to_string(p) + ", outside the " +
            std::to_string(limit) + " bits of storage");
      if (seen[p / 8] & (1u << (p % 8)))
        return Expected<BitLayout>::failure("bit " + std::to_string(b) + " of element " +
                                            std::to_string(e) + " lands on bit " +
                                            std::to_string(p) + ", which is already used");
      seen[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
    }
  return bl;
}

BitLayout BitLayout::lsbFirst(unsigned bits, const IntTuple &elements) {
  Layout e = Layout::columnMajor(elements);
  return BitLayout(Layout::concat({Layout(int64_t(bits), 1),
                                   Layout(e.shape(), [&] {
                                     std::vector<int64_t> d = e.stride().leaves();
                                     for (int64_t &x : d)
                                       x *= bits;
                                     return unflatten(d, e.stride());
                                   }())}),
                   0, 0);
}

Expected<BitLayout> BitLayout::msbFirst(unsigned bits, const IntTuple &elements) {
  BitLayout l = lsbFirst(bits, elements);
  Layout m = Layout::concat({Layout(int64_t(bits), -1), l.map.mode(1)});
  return make(m, bits - 1, 7);
}

Expected<BitLayout> BitLayout::interleaved(unsigned bits, const std::vector<int64_t> &order,
                                           int64_t n) {
  const int64_t g = static_cast<int64_t>(order.size());
  if (g == 0 || n % g != 0)
    return Expected<BitLayout>::failure("the element count " + std::to_string(n) +
                                        " is not a multiple of the group size " +
                                        std::to_string(g));
  // slot of each element of a group, in bits.
  std::vector<int64_t> slot(g, -1);
  for (int64_t j = 0; j < g; ++j) {
    if (order[j] < 0 || order[j] >= g || slot[order[j]] != -1)
      return Expected<BitLayout>::failure("the interleave order is not a permutation of 0.." +
                                          std::to_string(g - 1));
    slot[order[j]] = j * bits;
  }
  auto inGroup = layoutFromTable(slot);
  if (!inGroup)
    return Expected<BitLayout>::failure("interleave order: " + inGroup.error());
  Layout elems = Layout::concat({*inGroup, Layout(n / g, g * int64_t(bits))});
  return make(Layout::concat({Layout(int64_t(bits), 1), elems}));
}

Expected<BitLayout> BitLayout::planesTiled(unsigned bits, int64_t rows, int64_t k,
                                           int64_t wordBits) {
  if (wordBits <= 0 || k % wordBits != 0)
    return Expected<BitLayout>::failure("k = " + std::to_string(k) +
                                        " is not a multiple of the word size " +
                                        std::to_string(wordBits));
  int64_t w = bits;
  Layout elems(IntTuple(std::vector<IntTuple>{wordBits, k / wordBits, rows}),
               IntTuple(std::vector<IntTuple>{1, w * wordBits, w * k}));
  return BitLayout(Layout::concat({Layout(w, wordBits), elems}), 0, 0);
}

BitLayout BitLayout::planes(unsigned bits, int64_t rows, int64_t k) {
  Layout elems(IntTuple(std::vector<IntTuple>{k, rows}), IntTuple(std::vector<IntTuple>{1, k}));
  return BitLayout(Layout::concat({Layout(int64_t(bits), rows * k), elems}), 0, 0);
}

void BitLayout::pack(const uint32_t *codes, uint8_t *out) const {
  std::memset(out, 0, static_cast<size_t>(storageBytes()));
  std::vector<int64_t> bitOff = bitOffsets(map);
  OffsetWalker walk(map.mode(1));
  const int64_t n = elements();
  for (int64_t e = 0; e < n; ++e, walk.next())
    for (unsigned b = 0; b < bitOff.size(); ++b)
      if ((codes[e] >> b) & 1) {
        int64_t p = (walk.offset() + bitOff[b] + off) ^ static_cast<int64_t>(flip);
        out[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
      }
}

void BitLayout::unpack(const uint8_t *in, uint32_t *codes) const {
  std::vector<int64_t> bitOff = bitOffsets(map);
  OffsetWalker walk(map.mode(1));
  const int64_t n = elements();
  for (int64_t e = 0; e < n; ++e, walk.next()) {
    uint32_t c = 0;
    for (unsigned b = 0; b < bitOff.size(); ++b) {
      int64_t p = (walk.offset() + bitOff[b] + off) ^ static_cast<int64_t>(flip);
      c |= static_cast<uint32_t>((in[p / 8] >> (p % 8)) & 1) << b;
    }
    codes[e] = c;
  }
}

std::string BitLayout::str() const {
  std::string s = map.str();
  if (off)
    s += " + " + std::to_string(off);
  if (flip)
    s += " ^ " + std::to_string(flip);
  return s;
}

//===----------------------------------------------------------------------===//
// Repacking
//===----------------------------------------------------------------------===//

namespace {
bool isDenseLsbFirst(const BitLayout &l) {
  Layout c = l.layout().coalesce();
  return l.str() == l.layout().str() && c.shape().isLeaf() && c.stride().value() == 1;
}

// Recognises planesTiled(bits, rows, k, 32): returns rows and k.
bool isPlanesTiled32(const BitLayout &l, int64_t &rows, int64_t &k) {
  const Layout &e = l.layout().mode(1);
  if (e.shape().isLeaf() || e.rank() != 3 || !e.shape().mode(0).isLeaf() ||
      e.shape().mode(0).value() != 32 || !e.shape().mode(1).isLeaf() ||
      !e.shape().mode(2).isLeaf())
    return false;
  rows = e.shape().mode(2).value();
  k = 32 * e.shape().mode(1).value();
  auto want = BitLayout::planesTiled(l.elementBits(), rows, k, 32);
  return want && want->str() == l.str();
}

#if defined(__x86_64__)
// 32 codes of w bits (w in {1, 2, 4, 8}) -> w words of 32 bits, word b
// holding bit b of every code: pext gathers one bit of each w-bit field.
template <unsigned W>
__attribute__((target("bmi2"))) void densePlanesBmi2(const uint8_t *in, uint32_t *out,
                                                     int64_t groups) {
  constexpr unsigned kChunks = W == 1 ? 1 : W / 2; // 64-bit chunks per group
  constexpr unsigned kPerChunk = W == 1 ? 32 : 64 / W;
  uint64_t field = 0;
  for (unsigned i = 0; i < 64; i += W)
    field |= 1ull << i;
  for (int64_t g = 0; g < groups; ++g, in += 4 * W, out += W) {
    uint64_t chunk[kChunks];
    if (W == 1) {
      uint32_t v;
      std::memcpy(&v, in, 4);
      chunk[0] = v;
    } else {
      std::memcpy(chunk, in, 8 * kChunks);
    }
    for (unsigned b = 0; b < W; ++b) {
      uint64_t word = 0;
      for (unsigned c = 0; c < kChunks; ++c)
        word |= _pext_u64(chunk[c], field << b) << (c * kPerChunk);
      out[b] = static_cast<uint32_t>(word);
    }
  }
}
#endif

bool repackDenseToPlanes(unsigned w, const uint8_t *in, int64_t groups, uint8_t *out) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("bmi2"))
    return false;
  uint32_t *words = reinterpret_cast<uint32_t *>(out);
  switch (w) {
  case 1: densePlanesBmi2<1>(in, words, groups); return true;
  case 2: densePlanesBmi2<2>(in, words, groups); return true;
  case 4: densePlanesBmi2<4>(in, words, groups); return true;
  case 8: densePlanesBmi2<8>(in, words, groups); return true;
  default: return false;
  }
#else
  (void)w, (void)in, (void)groups, (void)out;
  return false;
#endif
}
} // namespace

void lowbit::layout::repackGeneric(const BitLayout &src, const uint8_t *in,
                                   const BitLayout &dst, uint8_t *out) {
  // Element by element through the codes; each side walks its layout.
  std::vector<uint32_t> codes(static_cast<size_t>(src.elements()));
  src.unpack(in, codes.data());
  dst.pack(codes.data(), out);
}

Expected<bool> lowbit::layout::repack(const BitLayout &src, const uint8_t *in,
                                      const BitLayout &dst, uint8_t *out) {
  if (src.elementBits() != dst.elementBits() || src.elements() != dst.elements())
    return Expected<bool>::failure(
        "repack: the layouts hold " + std::to_string(src.elements()) + " x " +
        std::to_string(src.elementBits()) + " and " + std::to_string(dst.elements()) + " x " +
        std::to_string(dst.elementBits()) + " bits");
  int64_t rows, k;
  if (isDenseLsbFirst(src) && isPlanesTiled32(dst, rows, k) &&
      repackDenseToPlanes(src.elementBits(), in, rows * k / 32, out))
    return true;
  repackGeneric(src, in, dst, out);
  return false;
}
