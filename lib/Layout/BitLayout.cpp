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

template <class Fn> void BitLayout::forEachBit(Fn fn) const {
  // Each bit's offset within an element, then the elements in index order.
  std::vector<int64_t> bitOff;
  Layout bitsMode = map.mode(0);
  for (int64_t b = 0; b < bitsMode.size(); ++b)
    bitOff.push_back(bitsMode(b));
  OffsetWalker walk(map.mode(1));
  const int64_t n = elements();
  for (int64_t e = 0; e < n; ++e, walk.next())
    for (unsigned b = 0; b < bitOff.size(); ++b)
      fn(e, b, (walk.offset() + bitOff[b] + off) ^ static_cast<int64_t>(flip));
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
  std::string error;
  bl.forEachBit([&](int64_t e, unsigned b, int64_t p) {
    if (!error.empty())
      return;
    if (p < 0 || p >= limit)
      error = "bit " + std::to_string(b) + " of element " + std::to_string(e) +
              " is stored at bit " + std::to_string(p) + ", outside the " +
              std::to_string(limit) + " bits of storage";
    else if (seen[p / 8] & (1u << (p % 8)))
      error = "bit " + std::to_string(b) + " of element " + std::to_string(e) +
              " lands on bit " + std::to_string(p) + ", which is already used";
    else
      seen[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
  });
  if (!error.empty())
    return Expected<BitLayout>::failure(error);
  return bl;
}

BitLayout BitLayout::lsbFirst(unsigned bits, const IntTuple &elements) {
  // Column-major over the elements, each element `bits` wide.
  Layout e = Layout::columnMajor(elements);
  std::vector<int64_t> d = e.stride().leaves();
  for (int64_t &x : d)
    x *= bits;
  Layout elems(e.shape(), unflatten(d, e.stride()));
  return BitLayout(Layout::concat({Layout(int64_t(bits), 1), elems}), 0, 0);
}

Expected<BitLayout> BitLayout::msbFirst(unsigned bits, const IntTuple &elements) {
  // Stream position e*w + (w-1-b), then bit 7 - p % 8 of byte p / 8, which
  // is p XOR 7: a bijection by construction.
  Layout m = Layout::concat({Layout(int64_t(bits), -1), lsbFirst(bits, elements).map.mode(1)});
  return BitLayout(m, bits - 1, 7);
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
  // A permutation of the slots in each group of g: a bijection.
  Layout elems = Layout::concat({*inGroup, Layout(n / g, g * int64_t(bits))});
  return BitLayout(Layout::concat({Layout(int64_t(bits), 1), elems}), 0, 0);
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

/// The nibble-plane layouts of the lookup-table kernels: 16-row tiles, per
/// tile and block of `block` k the `bits` planes one after the other, each
/// as vectors of 16 rows x 32 k (512 bits); within a vector, k = the modes
/// of `vectorK` at the bits of `vectorKStride`, and row `lane` at bit
/// `laneStride` * lane.
Expected<BitLayout> BitLayout::nibbleLayout(unsigned bits, int64_t rows, int64_t k,
                                            int64_t block, IntTuple vectorK,
                                            IntTuple vectorKStride, int64_t laneStride) {
  if (rows <= 0 || rows % 16 != 0)
    return Expected<BitLayout>::failure("rows = " + std::to_string(rows) +
                                        " is not a multiple of the 16-row tile");
  if (block <= 0 || block % 32 != 0 || k % block != 0)
    return Expected<BitLayout>::failure("k = " + std::to_string(k) +
                                        " is not a multiple of the block " +
                                        std::to_string(block) + ", a multiple of 32");
  int64_t w = bits;
  using V = std::vector<IntTuple>;
  IntTuple kShape(V{vectorK, block / 32, k / block});
  IntTuple kStride(V{vectorKStride, 512, 16 * w * block});
  IntTuple nShape(V{16, rows / 16}), nStride(V{laneStride, 16 * w * k});
  Layout elems(IntTuple(V{kShape, nShape}), IntTuple(V{kStride, nStride}));
  return BitLayout(Layout::concat({Layout(w, 16 * block), elems}), 0, 0);
}

Expected<BitLayout> BitLayout::nibbleLanes(unsigned bits, int64_t rows, int64_t k,
                                           int64_t block) {
  using V = std::vector<IntTuple>;
  // k = t + 4 g + 8 l + 16 h (+ 32 v + block * b) at bit t + 4 g + 8 (16 l
  // + 32 h) + 8 lane of vector v.
  return nibbleLayout(bits, rows, k, block, IntTuple(V{4, 2, 2, 2}), IntTuple(V{1, 4, 128, 256}),
                      8);
}

Expected<BitLayout> BitLayout::nibblePlanes(unsigned bits, int64_t rows, int64_t k,
                                            int64_t block) {
  using V = std::vector<IntTuple>;
  // k = t + 4 j + 16 h (+ 32 v + block * b) at bit t + 8 j + 4 h + 32 lane
  // of vector v.
  return nibbleLayout(bits, rows, k, block, IntTuple(V{4, 4, 2}), IntTuple(V{1, 8, 4}), 32);
}

BitLayout BitLayout::planes(unsigned bits, int64_t rows, int64_t k) {
  Layout elems(IntTuple(std::vector<IntTuple>{k, rows}), IntTuple(std::vector<IntTuple>{1, k}));
  return BitLayout(Layout::concat({Layout(int64_t(bits), rows * k), elems}), 0, 0);
}

void BitLayout::pack(const uint32_t *codes, uint8_t *out) const {
  std::memset(out, 0, static_cast<size_t>(storageBytes()));
  forEachBit([&](int64_t e, unsigned b, int64_t p) {
    if ((codes[e] >> b) & 1)
      out[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
  });
}

void BitLayout::unpack(const uint8_t *in, uint32_t *codes) const {
  std::memset(codes, 0, static_cast<size_t>(elements()) * sizeof(uint32_t));
  forEachBit([&](int64_t e, unsigned b, int64_t p) {
    codes[e] |= static_cast<uint32_t>((in[p / 8] >> (p % 8)) & 1) << b;
  });
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
  return l.isUnshifted() && c.shape().isLeaf() && c.stride().value() == 1;
}

// Recognises planesTiled(bits, rows, k, 32): returns rows and k.
bool isPlanesTiled32(const BitLayout &l, int64_t &rows, int64_t &k) {
  const IntTuple &e = l.layout().shape().mode(1);
  if (e.isLeaf() || e.rank() != 3 || !e.mode(0).isLeaf() || e.mode(0).value() != 32 ||
      !e.mode(1).isLeaf() || !e.mode(2).isLeaf())
    return false;
  rows = e.mode(2).value();
  k = 32 * e.mode(1).value();
  auto want = BitLayout::planesTiled(l.elementBits(), rows, k, 32);
  return want && l.isUnshifted() && want->layout() == l.layout();
}

#if defined(__x86_64__)
// 32 codes of w bits (w in {1, 2, 4, 8}) -> w words of 32 bits, word b
// holding bit b of every code: pext gathers one bit of each w-bit field.
template <unsigned W>
__attribute__((target("bmi2"))) void densePlanesBmi2(const uint8_t *in, uint8_t *out,
                                                     int64_t groups) {
  constexpr unsigned kChunks = W == 1 ? 1 : W / 2; // 64-bit chunks per group
  constexpr unsigned kPerChunk = W == 1 ? 32 : 64 / W;
  uint64_t field = 0;
  for (unsigned i = 0; i < 64; i += W)
    field |= 1ull << i;
  for (int64_t g = 0; g < groups; ++g, in += 4 * W, out += 4 * W) {
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
      uint32_t plane = static_cast<uint32_t>(word);
      std::memcpy(out + 4 * b, &plane, 4);
    }
  }
}
#endif

bool repackDenseToPlanes(unsigned w, const uint8_t *in, int64_t groups, uint8_t *out) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("bmi2"))
    return false;
  switch (w) {
  case 1: densePlanesBmi2<1>(in, out, groups); return true;
  case 2: densePlanesBmi2<2>(in, out, groups); return true;
  case 4: densePlanesBmi2<4>(in, out, groups); return true;
  case 8: densePlanesBmi2<8>(in, out, groups); return true;
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
