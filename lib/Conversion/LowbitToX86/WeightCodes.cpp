//===- WeightCodes.cpp - Weight codes as bytes of an integer dot product ===//

#include "lowbit/Conversion/LowbitToX86/WeightCodes.h"
#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

#include "lowbit/Numerics/Codec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

using namespace lowbit::x86;
namespace num = lowbit::num;

namespace {
/// The largest power of two that divides every value (all finite, not all
/// zero), as its exponent.
std::optional<int> commonPowerOfTwo(const std::set<double> &values) {
  std::optional<int> p;
  for (double v : values) {
    if (v == 0)
      continue;
    // v = m * 2^e with m odd: the exponent of v's lowest set bit.
    int e;
    double m = std::frexp(std::fabs(v), &e); // |v| = m * 2^e, m in [0.5, 1)
    int lowest = e - 53;
    double scaled = std::ldexp(m, 53);
    uint64_t bitsInt = static_cast<uint64_t>(scaled);
    while (bitsInt && !(bitsInt & 1)) {
      bitsInt >>= 1;
      ++lowest;
    }
    p = p ? std::min(*p, lowest) : lowest;
  }
  return p;
}
} // namespace

std::optional<WeightCodes> lowbit::x86::planWeightCodes(const num::Format &f,
                                                         std::string &whyNot,
                                                         unsigned maxCodebookBits) {
  unsigned bits = f.bits();
  if (bits > 8) {
    whyNot = "codes wider than 8 bits have no byte-dot kernel";
    return std::nullopt;
  }
  uint64_t n = uint64_t(1) << bits;
  WeightCodes w;
  // Affine operands take exactly the format's bits, in planes.
  w.planes = planesFor(bits);
  w.finite.resize(n);
  std::vector<double> value(n, 0.0);
  std::set<double> values;
  for (uint64_t c = 0; c < n; ++c) {
    double v = num::decode(f, c);
    w.finite[c] = std::isfinite(v);
    if (w.finite[c]) {
      value[c] = v == 0 ? 0.0 : v; // -0 and +0 are one value
      values.insert(value[c]);
    }
  }
  if (values.empty()) {
    whyNot = "the format has no finite values";
    return std::nullopt;
  }
  double lo = *values.begin(), hi = *values.rbegin();

  // Affine: evenly spaced values (the smallest gap divides every other).
  if (values.size() == 1) {
    w.alpha = 1;
    w.beta = lo;
  } else {
    double gap = INFINITY;
    for (auto it = std::next(values.begin()); it != values.end(); ++it)
      gap = std::min(gap, *it - *std::prev(it));
    w.alpha = gap;
    w.beta = lo;
  }
  bool affine = true;
  for (double v : values) {
    double k = (v - lo) / w.alpha;
    if (k != std::round(k) || k >= double(uint64_t(1) << bits))
      affine = false;
  }
  if (affine) {
    w.slot.resize(n, 0);
    for (uint64_t c = 0; c < n; ++c)
      if (w.finite[c])
        w.slot[c] = static_cast<uint8_t>((value[c] - lo) / w.alpha);
    w.maxOperand = static_cast<unsigned>((hi - lo) / w.alpha);
    return w;
  }

  // Codebook: integers times 2^p, looked up by one byte shuffle.
  if (bits > std::min(maxCodebookBits, 6u)) {
    whyNot = "values of this " + std::to_string(bits) +
             "-bit format are not evenly spaced, and a byte-shuffle codebook holds " +
             (bits <= 6 ? std::string("16 entries (64 with AVX-512 VBMI's vpermb, which the "
                                      "target lacks)")
                        : std::string("at most 64 entries"));
    return std::nullopt;
  }
  std::optional<int> p = commonPowerOfTwo(values);
  if (!p)
    p = 0;
  double scale = std::ldexp(1.0, *p);
  double ilo = lo / scale, ihi = hi / scale;
  if (ihi - ilo > 255) {
    whyNot = "values of this format span more than 255 steps of their finest power of two";
    return std::nullopt;
  }
  w.codebook = true;
  // The raw code in the operand byte: one 4-bit slot (vpshufb's 16
  // entries), or the planes of a 5- or 6-bit code (vpermb's 64).
  w.planes = bits <= 4 ? std::vector<unsigned>{4} : planesFor(bits);
  w.table.assign(bits <= 4 ? 16 : std::size_t(1) << bits, 0);
  w.alpha = scale;
  w.beta = lo;
  w.slot.resize(n);
  for (uint64_t c = 0; c < n; ++c) {
    w.slot[c] = static_cast<uint8_t>(c);
    w.table[c] = w.finite[c] ? static_cast<uint8_t>(value[c] / scale - ilo) : 0;
  }
  w.maxOperand = static_cast<unsigned>(ihi - ilo);
  return w;
}

std::optional<BF16WeightCodes> lowbit::x86::planBF16WeightCodes(const num::Format &f,
                                                               std::string &whyNot) {
  unsigned bits = f.bits();
  if (bits > 8) {
    whyNot = "codes wider than 8 bits have no in-register decode (256-entry tables at most)";
    return std::nullopt;
  }
  uint64_t n = uint64_t(1) << bits;
  auto text = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  BF16WeightCodes w;
  w.bits = bits;
  w.planes = planesFor(bits);
  w.bf16.assign(n, 0);
  w.finite.assign(n, false);
  for (uint64_t c = 0; c < n; ++c) {
    double v = num::decode(f, c);
    if (!std::isfinite(v)) {
      // Run-time weights may hold these codes: they decode to the bf16
      // infinity or NaN, which vdpbf16ps propagates as the reference does.
      w.bf16[c] = std::isnan(v) ? 0x7fc0 : std::signbit(v) ? 0xff80 : 0x7f80;
      continue;
    }
    w.finite[c] = true;
    float fv = static_cast<float>(v);
    uint32_t u;
    std::memcpy(&u, &fv, sizeof(u));
    // Exact in bf16: a float whose low 16 bits are zero, equal to v.
    if (static_cast<double>(fv) != v || (u & 0xffff) != 0) {
      whyNot = "the value " + text(v) + " (code " + std::to_string(c) + ") is not a bf16";
      return std::nullopt;
    }
    if (v != 0 && (std::fabs(v) < std::ldexp(1.0, -64) || std::fabs(v) > std::ldexp(1.0, 64))) {
      whyNot = "the value " + text(v) + " (code " + std::to_string(c) +
               ") lies outside [2^-64, 2^64], where the bf16 kernel's flushes stay in bound";
      return std::nullopt;
    }
    w.bf16[c] = static_cast<uint16_t>(u >> 16);
  }
  if (std::none_of(w.finite.begin(), w.finite.end(), [](bool b) { return b; })) {
    whyNot = "the format has no finite values";
    return std::nullopt;
  }
  // Sign-magnitude: code c ^ top has the value -value(c) (the same bf16
  // with the sign flipped), for every code.
  uint64_t top = n / 2;
  w.signMagnitude = bits == 8;
  auto isNaN = [&](uint64_t c) { return !w.finite[c] && (w.bf16[c] & 0x7fff) == 0x7fc0; };
  for (uint64_t c = 0; c < top && w.signMagnitude; ++c)
    w.signMagnitude = (isNaN(c) && isNaN(c | top)) || (w.bf16[c] ^ 0x8000) == w.bf16[c | top];
  return w;
}

float lowbit::x86::decodeF32(const F32WeightDecode &d, uint32_t code) {
  for (const auto &[c, v] : d.specials)
    if (c == code)
      return v;
  uint32_t mag = code & ((1u << d.magBits) - 1);
  uint32_t bits = (mag << d.shift) + (d.exponentBias << 23);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  float v = mag < d.subnormalBelow ? (f - d.subnormalBase) * 2.0f : f;
  return d.sign && (code >> d.magBits & 1) ? -v : v;
}

std::optional<F32WeightDecode> lowbit::x86::planF32WeightDecode(const num::Format &f,
                                                               std::string &whyNot) {
  unsigned bits = f.bits();
  if (bits > 8) {
    whyNot = "codes wider than 8 bits have no in-register decode";
    return std::nullopt;
  }
  uint32_t n = 1u << bits;
  F32WeightDecode d;
  d.bits = bits;
  d.planes = planesFor(bits);
  d.finite.assign(n, false);
  std::vector<double> value(n);
  for (uint32_t c = 0; c < n; ++c) {
    value[c] = num::decode(f, c);
    d.finite[c] = std::isfinite(value[c]);
    if (!d.finite[c])
      d.specials.push_back({c, static_cast<float>(value[c])});
  }
  // Sign-magnitude (value(c ^ top) = -value(c) wherever both are finite;
  // non-finite codes are selected anyway, e.g. FNUZ's NaN in place of -0)
  // or unsigned.
  uint32_t top = n / 2;
  d.sign = true;
  for (uint32_t c = 0; c < top && d.sign; ++c)
    d.sign = !d.finite[c] || !d.finite[c | top] ||
             (value[c | top] == -value[c] &&
              std::signbit(value[c | top]) != std::signbit(value[c]));
  d.magBits = d.sign ? bits - 1 : bits;
  // The mantissa width M (shift 23 - M) and the exponent offset: the first
  // that reproduces every finite code exactly (sign of zero included).
  // Formats without subnormals (e2m0: code 0 is 0.5) have none below.
  for (unsigned m = 0; m <= d.magBits; ++m)
    for (unsigned bias = 1; bias < 255 * 2; ++bias) {
      d.shift = 23 - m;
      d.exponentBias = bias % 255;
      d.subnormalBelow = bias < 255 ? 1u << m : 0;
      uint32_t baseBits = d.exponentBias << 23;
      std::memcpy(&d.subnormalBase, &baseBits, sizeof d.subnormalBase);
      bool exact = d.exponentBias > 0 && (((1u << d.magBits) - 1) >> m) + d.exponentBias < 255;
      for (uint32_t c = 0; c < n && exact; ++c) {
        if (!d.finite[c])
          continue;
        float got = decodeF32(d, c);
        exact = static_cast<double>(got) == value[c] &&
                std::signbit(got) == std::signbit(value[c]);
      }
      if (exact)
        return d;
    }
  whyNot = "its values are not a sign, exponent and mantissa that f32 holds (no exact "
           "shift-and-bias decode; posits need a table of all codes)";
  return std::nullopt;
}
