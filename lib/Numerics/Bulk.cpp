//===- Bulk.cpp - Array conversions between f32 and lowbit codes ----------===//

#include "lowbit/Numerics/Bulk.h"
#include "lowbit/Numerics/CodeSteps.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Packing.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

using namespace lowbit::num;

// The packed paths move groups of codes with memcpy into an integer.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the bulk packed paths assume a little-endian host"
#endif

namespace {
// Group of 8 codes of W bits = exactly W bytes, little-endian. A 128-bit
// word holds a group for every W <= 16.
using Word = unsigned __int128;

template <unsigned W>
void decodePackedW(const float *table, const uint8_t *in, size_t n, float *out) {
  constexpr uint32_t mask = (1u << W) - 1;
  size_t groups = n / 8;
  for (size_t g = 0; g < groups; ++g, in += W, out += 8) {
    Word v = 0;
    std::memcpy(&v, in, W);
    for (unsigned j = 0; j < 8; ++j)
      out[j] = table[static_cast<uint32_t>(v >> (j * W)) & mask];
  }
  if (size_t rest = n % 8) {
    Word v = 0;
    std::memcpy(&v, in, packedBytes(rest, W));
    for (unsigned j = 0; j < rest; ++j)
      out[j] = table[static_cast<uint32_t>(v >> (j * W)) & mask];
  }
}

template <unsigned W, class CodeFn>
void encodePackedW(const CodeFn &code, const float *x, size_t n, uint8_t *out) {
  size_t groups = n / 8;
  for (size_t g = 0; g < groups; ++g, x += 8, out += W) {
    Word v = 0;
    for (unsigned j = 0; j < 8; ++j)
      v |= static_cast<Word>(code(x[j])) << (j * W);
    std::memcpy(out, &v, W);
  }
  if (size_t rest = n % 8) {
    Word v = 0;
    for (unsigned j = 0; j < rest; ++j)
      v |= static_cast<Word>(code(x[j])) << (j * W);
    std::memcpy(out, &v, packedBytes(rest, W));
  }
}

using DecodeFn = void (*)(const float *, const uint8_t *, size_t, float *);

template <unsigned... Ws>
DecodeFn pickDecode(unsigned w, std::integer_sequence<unsigned, Ws...>) {
  DecodeFn fns[] = {decodePackedW<Ws + 1>...};
  return fns[w - 1];
}
template <class CodeFn, unsigned... Ws>
void encodePackedAnyWidth(unsigned w, const CodeFn &code, const float *x, size_t n,
                          uint8_t *out, std::integer_sequence<unsigned, Ws...>) {
  using EncodeFn = void (*)(const CodeFn &, const float *, size_t, uint8_t *);
  EncodeFn fns[] = {encodePackedW<Ws + 1, CodeFn>...};
  fns[w - 1](code, x, n, out);
}
using TableWidths = std::make_integer_sequence<unsigned, kMaxBulkTableBits>;
} // namespace

//===----------------------------------------------------------------------===//
// BulkDecoder
//===----------------------------------------------------------------------===//

BulkDecoder::BulkDecoder(const Format &f) : fmt(f) {
  if (f.bits() > kMaxBulkTableBits)
    return;
  table.resize(size_t(1) << f.bits());
  for (uint32_t c = 0; c < table.size(); ++c)
    table[c] = decodeToF32(f, c);
}

float BulkDecoder::value(uint32_t code) const {
  return table.empty() ? decodeToF32(fmt, code) : table[code & fmt.codeMask()];
}

void BulkDecoder::decodePacked(const uint8_t *packed, size_t n, float *out) const {
  if (!table.empty())
    return pickDecode(fmt.bits(), TableWidths{})(table.data(), packed, n, out);
  // Wide formats: unpack a chunk at a time, then the scalar decoder.
  constexpr size_t kChunk = 256; // a multiple of 8: chunks start on a byte
  uint32_t codes[kChunk];
  for (size_t i = 0; i < n; i += kChunk) {
    size_t m = std::min(kChunk, n - i);
    unpack(packed + i / 8 * fmt.bits(), m, fmt.bits(), BitOrder::LsbFirst, codes);
    decodeCodes(codes, m, out + i);
  }
}

void BulkDecoder::decodeCodes(const uint32_t *codes, size_t n, float *out) const {
  for (size_t i = 0; i < n; ++i)
    out[i] = value(codes[i]);
}

//===----------------------------------------------------------------------===//
// BulkEncoder
//===----------------------------------------------------------------------===//

BulkEncoder::BulkEncoder(const Format &f, const EncodePolicy &p)
    : fmt(f), policy(p), codeMask(static_cast<uint32_t>(f.codeMask())) {
  assert(p.rounding != Rounding::Stochastic &&
         "stochastic rounding needs random bits per element");
  if (f.bits() > kMaxBulkTableBits)
    return;
  buildSteps();
  buildBucketIndex();
  buildBinadeRules();
}

void BulkEncoder::buildSteps() {
  findCodeSteps<uint32_t>(
      0x80000000u, 0x7f800000u,
      [&](uint32_t u) {
        return static_cast<uint32_t>(
            encode(fmt, static_cast<double>(f32FromBits(u)), policy));
      },
      steps, stepCode);
}

F64EncodeSteps lowbit::num::f64EncodeSteps(const Format &f, const EncodePolicy &policy) {
  F64EncodeSteps s;
  findCodeSteps<uint64_t>(
      0x8000000000000000ull, 0x7ff0000000000000ull,
      [&](uint64_t u) {
        double x;
        std::memcpy(&x, &u, sizeof x);
        return static_cast<uint32_t>(encode(f, x, policy));
      },
      s.steps, s.codes);
  return s;
}

void BulkEncoder::buildBucketIndex() {
  const size_t numSteps = steps.size();
  bucketFirst.resize(size_t(1) << 16);
  size_t j = 0, mostInBucket = 0;
  for (size_t b = 0; b < bucketFirst.size(); ++b) {
    uint64_t start = static_cast<uint64_t>(b) << 16, end = start + 0x10000;
    while (j + 1 < numSteps && steps[j + 1] <= start)
      ++j;
    bucketFirst[b] = static_cast<uint32_t>(j);
    size_t k = j;
    while (k + 1 < numSteps && steps[k + 1] < end)
      ++k;
    mostInBucket = std::max(mostInBucket, k - j);
  }
  while (2 * searchTop <= mostInBucket)
    searchTop = searchTop ? 2 * searchTop : 1;
  if (mostInBucket == 0)
    searchTop = 0;
  // A pattern of 0xffffffff (a NaN) may step onto the padding, which
  // therefore repeats the last code.
  uint32_t lastCode = stepCode.back();
  steps.resize(numSteps + 2 * searchTop, 0xffffffffu);
  stepCode.resize(numSteps + 2 * searchTop, lastCode);
}

void BulkEncoder::buildBinadeRules() {
  constexpr uint32_t kBinade = 1u << 23;
  const size_t numReal = numSteps();
  rules.assign(512, BinadeRule{});
  size_t j = 0; // the step in effect at the binade's first pattern
  for (uint32_t b = 0; b < 512; ++b) {
    uint64_t start = static_cast<uint64_t>(b) << 23, end = start + kBinade;
    while (j + 1 < numReal && steps[j + 1] <= start)
      ++j;
    size_t first = j + 1, last = first; // steps strictly inside: [first, last)
    while (last < numReal && steps[last] < end)
      ++last;
    const uint32_t c0 = stepCode[j];
    const size_t count = last - first;
    BinadeRule &rule = rules[b];
    if (count == 0) { // one code over the whole binade
      rule.base = c0;
      rule.searchSteps = 0;
      continue;
    }
    auto offset = [&](size_t k) { return static_cast<uint32_t>(steps[k] - start); };
    // The rule must give every step's code at its first pattern and the
    // previous code just before it, the first and last codes of the binade,
    // and exactly `count` changes of q: then it is the same step function.
    auto fits = [&](const BinadeRule &r) {
      if (ruleQ(r, 0) != 0 || ruleQ(r, kBinade - 1) != count ||
          ruleCode(r, kBinade - 1) != stepCode[last - 1])
        return false;
      for (size_t k = first; k < last; ++k)
        if (ruleCode(r, offset(k)) != stepCode[k] ||
            ruleCode(r, offset(k) - 1) != stepCode[k - 1])
          return false;
      return true;
    };
    // The spacing of the steps gives the shift (ties to even make it
    // alternate by one pattern around the power of two).
    unsigned shift = 23;
    if (count > 1) {
      double spacing = double(offset(last - 1) - offset(first)) / double(count - 1);
      shift = static_cast<unsigned>(std::clamp(std::lround(std::log2(spacing)), 0l, 23l));
    }
    const uint32_t unit = 1u << shift, o1 = offset(first);
    BinadeRule cand;
    cand.base = c0;
    cand.codeStep = static_cast<int32_t>(stepCode[first] - c0);
    cand.shift = static_cast<uint8_t>(shift);
    cand.searchSteps = 0;
    bool found = false;
    for (uint8_t ties : {0, 1}) {
      for (int64_t delta : {0, -1, 1}) {
        int64_t add = (int64_t(unit) - int64_t(o1 % unit)) % unit + delta;
        if (add < 0 || add >= int64_t(unit))
          continue;
        cand.tiesToEven = ties;
        cand.add = static_cast<uint32_t>(add);
        if ((found = fits(cand)))
          break;
      }
      if (found)
        break;
    }
    if (found)
      rule = cand;
  }
}

uint32_t BulkEncoder::scalarCode(float x) const {
  return static_cast<uint32_t>(encode(fmt, static_cast<double>(x), policy));
}

// The common cases get loops of their own: no steps inside any bucket, or
// at most one (every format of at most 8 bits); wider ones take code().
template <class Body>
void BulkEncoder::withCodeFunction(const Body &body) const {
  if (searchTop == 0)
    return body([this](float x) { return stepCode[bucketFirst[f32Bits(x) >> 16]]; });
  if (searchTop == 1)
    return body([this](float x) {
      uint32_t u = f32Bits(x);
      uint32_t j = bucketFirst[u >> 16];
      return stepCode[j + (steps[j + 1] <= u)];
    });
  return body([this](float x) { return binadeCode(f32Bits(x)); });
}

void BulkEncoder::encodePacked(const float *x, size_t n, uint8_t *packed) const {
  if (!steps.empty())
    return withCodeFunction([&](const auto &code) {
      encodePackedAnyWidth(fmt.bits(), code, x, n, packed, TableWidths{});
    });
  constexpr size_t kChunk = 256;
  uint32_t codes[kChunk];
  for (size_t i = 0; i < n; i += kChunk) {
    size_t m = std::min(kChunk, n - i);
    encodeCodes(x + i, m, codes);
    pack(codes, m, fmt.bits(), BitOrder::LsbFirst, packed + i / 8 * fmt.bits());
  }
}

void BulkEncoder::encodeCodes(const float *x, size_t n, uint32_t *codes) const {
  if (steps.empty()) {
    for (size_t i = 0; i < n; ++i)
      codes[i] = scalarCode(x[i]);
    return;
  }
  withCodeFunction([&](const auto &code) {
    for (size_t i = 0; i < n; ++i)
      codes[i] = code(x[i]);
  });
}

void BulkEncoder::encodeCodes(const float *x, size_t n, uint8_t *codes) const {
  assert(fmt.bits() <= 8 && "codes wider than a byte");
  withCodeFunction([&](const auto &code) {
    for (size_t i = 0; i < n; ++i)
      codes[i] = static_cast<uint8_t>(code(x[i]));
  });
}

void lowbit::num::encodeStochastic(const Format &f, const EncodePolicy &policy,
                                   const float *x, const uint32_t *randomBits,
                                   size_t n, uint32_t *codes) {
  EncodePolicy p = policy;
  for (size_t i = 0; i < n; ++i) {
    p.randomBits = randomBits[i];
    codes[i] = static_cast<uint32_t>(encode(f, static_cast<double>(x[i]), p));
  }
}

//===----------------------------------------------------------------------===//
// Shared codecs
//===----------------------------------------------------------------------===//

namespace {
std::mutex cacheMutex;

bool samePolicy(const EncodePolicy &a, const EncodePolicy &b) {
  return a.rounding == b.rounding && a.overflow == b.overflow && a.nan == b.nan;
}
} // namespace

const BulkDecoder &lowbit::num::bulkDecoderFor(const Format &f) {
  static std::vector<std::unique_ptr<BulkDecoder>> cache;
  std::lock_guard<std::mutex> lock(cacheMutex);
  for (auto &d : cache)
    if (d->format() == f)
      return *d;
  cache.push_back(std::make_unique<BulkDecoder>(f));
  return *cache.back();
}

const BulkEncoder &lowbit::num::bulkEncoderFor(const Format &f,
                                               const EncodePolicy &policy) {
  struct Entry {
    EncodePolicy policy;
    std::unique_ptr<BulkEncoder> encoder;
  };
  static std::vector<Entry> cache;
  std::lock_guard<std::mutex> lock(cacheMutex);
  for (auto &e : cache)
    if (e.encoder->format() == f && samePolicy(e.policy, policy))
      return *e.encoder;
  cache.push_back({policy, std::make_unique<BulkEncoder>(f, policy)});
  return *cache.back().encoder;
}

const F64EncodeSteps &lowbit::num::f64EncodeStepsFor(const Format &f,
                                                     const EncodePolicy &policy) {
  struct Entry {
    Format format;
    EncodePolicy policy;
    std::unique_ptr<F64EncodeSteps> steps;
  };
  static std::vector<Entry> cache;
  std::lock_guard<std::mutex> lock(cacheMutex);
  for (auto &e : cache)
    if (e.format == f && samePolicy(e.policy, policy))
      return *e.steps;
  cache.push_back({f, policy, std::make_unique<F64EncodeSteps>(f64EncodeSteps(f, policy))});
  return *cache.back().steps;
}
