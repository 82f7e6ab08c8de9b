//===- BlockScaling.cpp - MX, NVFP4 and integer group quantization --------===//

#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Arithmetic.h"
#include "lowbit/Numerics/Bulk.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/F32Bits.h"

#include <algorithm>
#include <limits>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <optional>

using namespace lowbit::num;

namespace {
bool isMxInt8(const Format &f) {
  return f.isInt() && f.bits() == 8 && f.intEncoding() == IntEncoding::Signed;
}

int floorLog2(double x) { // x > 0, finite
  int e;
  std::frexp(x, &e);
  return e - 1;
}

const Format &e2m1() {
  static const Format f = Format::builtin(BuiltinFloat::F4E2M1FN);
  return f;
}
const Format &e4m3() {
  static const Format f = Format::builtin(BuiltinFloat::F8E4M3FN);
  return f;
}
} // namespace

//===----------------------------------------------------------------------===//
// MX
//===----------------------------------------------------------------------===//

std::string lowbit::num::checkMxElementFormat(const Format &elem) {
  if (isMxInt8(elem))
    return {};
  if (!elem.isFloat() || !elem.isSigned() || elem.bits() > 8)
    return "MX elements are signed float formats of at most 8 bits or int<8> "
           "(MXINT8), not " + elem.str();
  return {};
}

int lowbit::num::mxElementEmax(const Format &elem) {
  if (isMxInt8(elem))
    return 0;
  return floorLog2(elem.maxFinite());
}

int lowbit::num::mxSharedExponent(const Format &elem, float amax) {
  // amax == 0: microxcaling's FP32_MIN_NORMAL.
  double a = amax > 0 ? amax : std::ldexp(1.0, -126);
  int e = floorLog2(a) - mxElementEmax(elem);
  return std::clamp(e, -127, 127);
}

namespace {
// Named choice (MX non-finite block): OCP MX v1.0 leaves blocks containing
// Inf or NaN to the implementation; their scale is the E8M0 NaN code, which
// makes every element of the block NaN when dequantized, and the element
// codes are 0.
constexpr uint8_t kMxNaNScale = 0xFF;

// The shared exponent of a block, or nullopt (with the codes zeroed) for a
// non-finite block. max |x| is taken over f32 bit patterns: the integer max
// vectorizes, and any pattern >= 0x7f800000 is an Inf or NaN.
std::optional<int> mxBlockExponent(const Format &elem, const float *x, size_t n,
                                   uint8_t *codes) {
  uint32_t amaxBits = 0;
  for (size_t i = 0; i < n; ++i)
    amaxBits = std::max(amaxBits, f32Bits(x[i]) & 0x7fffffffu);
  if (amaxBits >= 0x7f800000u) {
    std::memset(codes, 0, n);
    return std::nullopt;
  }
  return mxSharedExponent(elem, f32FromBits(amaxBits));
}
} // namespace

uint8_t lowbit::num::mxQuantizeBlock(const Format &elem, const float *x, size_t n,
                                     uint8_t *codes) {
  std::optional<int> exponent = mxBlockExponent(elem, x, n, codes);
  if (!exponent)
    return kMxNaNScale;
  int se = *exponent;
  EncodePolicy p; // rne, saturating
  if (isMxInt8(elem)) {
    for (size_t i = 0; i < n; ++i) {
      // 64 x / 2^se is exact in double; k saturates to +-127 (not -128).
      uint64_t c = encode(elem, std::ldexp(static_cast<double>(x[i]), 6 - se), p);
      int k = static_cast<int8_t>(c);
      codes[i] = static_cast<uint8_t>(std::max(k, -127));
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      // Named choice (MX zero sign): the MX rule works on values, and the
      // value 0 has no sign, so an input of -0 gives +0; a negative value
      // that rounds to zero keeps its sign (-0), as the IEEE-style element
      // conversion gives.
      uint64_t c = x[i] == 0
                       ? 0
                       : encode(elem, std::ldexp(static_cast<double>(x[i]), -se), p);
      codes[i] = static_cast<uint8_t>(c);
    }
  }
  return static_cast<uint8_t>(se + 127);
}

double lowbit::num::mxDequantizeValue(const Format &elem, uint8_t scale,
                                      uint8_t code) {
  if (scale == kMxNaNScale)
    return std::nan(""); // the E8M0 NaN scale makes the whole block NaN
  int se = static_cast<int>(scale) - 127;
  if (isMxInt8(elem))
    return std::ldexp(static_cast<double>(static_cast<int8_t>(code)), se - 6);
  return std::ldexp(decode(elem, code), se);
}

namespace {
// The table path of mxQuantize gives the codes of mxQuantizeBlock: x * 2^k
// is exact in double; as an f32 it is exact unless it falls below f32's
// normal range, and there (formats whose smallest value is far above) any
// value rounds to a zero of its sign, so 2^-126 with the sign stands in.
constexpr size_t kMaxMxBlock = 1024;

bool mxTablePathApplies(const Format &elem) {
  return elem.bits() <= 8 && (isMxInt8(elem) || elem.smallestPositive() >= 0x1p-100);
}

uint8_t mxQuantizeBlockTable(const Format &elem, const BulkEncoder &enc,
                             const float *x, size_t n, uint8_t *codes) {
  std::optional<int> exponent = mxBlockExponent(elem, x, n, codes);
  if (!exponent)
    return kMxNaNScale;
  bool int8 = isMxInt8(elem);
  double s = std::ldexp(1.0, (int8 ? 6 : 0) - *exponent);
  float y[kMaxMxBlock];
  for (size_t i = 0; i < n; ++i) {
    uint32_t u = f32Bits(static_cast<float>(static_cast<double>(x[i]) * s));
    if ((u & 0x7fffffffu) < 0x00800000u) // zero or below f32 normals
      u = x[i] == 0 ? 0 : (u & 0x80000000u) | 0x00800000u;
    y[i] = f32FromBits(u);
  }
  enc.encodeCodes(y, n, codes);
  if (int8)
    for (size_t i = 0; i < n; ++i)
      codes[i] = codes[i] == 0x80 ? 0x81 : codes[i];
  return static_cast<uint8_t>(*exponent + 127);
}
} // namespace

void lowbit::num::mxQuantize(const Format &elem, const float *x, size_t n,
                             size_t block, uint8_t *scales, uint8_t *codes) {
  // Blocks beyond the stack buffer of the table path go the scalar way.
  if (!mxTablePathApplies(elem) || block > kMaxMxBlock) {
    for (size_t b = 0, i = 0; i < n; ++b, i += block)
      scales[b] = mxQuantizeBlock(elem, x + i, std::min(block, n - i), codes + i);
    return;
  }
  const BulkEncoder &enc = bulkEncoderFor(elem);
  for (size_t b = 0, i = 0; i < n; ++b, i += block)
    scales[b] = mxQuantizeBlockTable(elem, enc, x + i, std::min(block, n - i),
                                     codes + i);
}

void lowbit::num::mxDequantize(const Format &elem, const uint8_t *scales,
                               const uint8_t *codes, size_t n, size_t block,
                               float *out) {
  // Exact element values (a custom bias can put them outside f32's range).
  double value[256];
  bool int8 = isMxInt8(elem);
  for (unsigned c = 0; c < 256; ++c)
    value[c] = int8 ? static_cast<double>(static_cast<int8_t>(c)) : decode(elem, c);
  for (size_t b = 0, i = 0; i < n; ++b, i += block) {
    size_t m = std::min(block, n - i);
    if (scales[b] == kMxNaNScale) {
      std::fill(out + i, out + i + m, std::nanf(""));
      continue;
    }
    // value * 2^k is exact in double and rounded once to f32, as
    // mxDequantizeValue then a cast gives.
    int k = static_cast<int>(scales[b]) - 127 - (int8 ? 6 : 0);
    double s = std::ldexp(1.0, k);
    for (size_t j = 0; j < m; ++j)
      out[i + j] = static_cast<float>(value[codes[i + j]] * s);
  }
}

//===----------------------------------------------------------------------===//
// NVFP4
//===----------------------------------------------------------------------===//

namespace {
// F32Order's encode scale S_enc = fminf(2688 / amax_t, FLT_MAX) (1 for 0).
float nvfp4EncodeScale(float amax) {
  return amax == 0 ? 1.0f : std::fmin(2688.0f / amax, FLT_MAX);
}
} // namespace

float lowbit::num::nvfp4TensorScale(float amax, NvFp4Rule rule) {
  if (amax == 0)
    return 1.0f;
  if (rule == NvFp4Rule::Exact)
    return encodeAsF32(exactBinary(BinaryOp::Div, amax, 2688.0));
  return 1.0f / nvfp4EncodeScale(amax);
}

uint8_t lowbit::num::nvfp4QuantizeBlock(const float *x, size_t n, float tensorAmax,
                                        NvFp4Rule rule, uint8_t *codes) {
  float amax = 0;
  for (size_t i = 0; i < n; ++i)
    amax = std::max(amax, std::fabs(x[i]));
  float st = nvfp4TensorScale(tensorAmax, rule);
  EncodePolicy p; // rne, saturating
  if (rule == NvFp4Rule::Exact) {
    uint8_t sc = amax == 0 ? 0
                           : static_cast<uint8_t>(encode(
                                 e4m3(), exactBinary(BinaryOp::Div, amax, 6.0 * st), p));
    double sb = decode(e4m3(), sc);
    // A zero divisor (a zero block, or a per-tensor scale that underflowed
    // to 0, where every value dequantizes to 0) gives signed zero codes: the
    // generated code's rule too.
    double divisor = sb * static_cast<double>(st);
    for (size_t i = 0; i < n; ++i) {
      if (divisor > 0)
        codes[i] = static_cast<uint8_t>(
            encode(e2m1(), exactBinary(BinaryOp::Div, x[i], divisor), p));
      else
        codes[i] = std::signbit(x[i]) ? 0x8 : 0x0;
    }
    return sc;
  }
  // F32Order: TransformerEngine's f32 operations, each one IEEE f32 RNE
  // operation (this file is compiled without fast-math).
  float sEnc = nvfp4EncodeScale(tensorAmax);
  float c1 = sEnc * (1.0f / 6.0f);
  float ds = std::fmin(amax * c1, FLT_MAX);
  uint8_t sc = static_cast<uint8_t>(encode(e4m3(), static_cast<double>(ds), p));
  float sb = static_cast<float>(decode(e4m3(), sc));
  float coef = std::fmin(1.0f / (sb * st), FLT_MAX);
  for (size_t i = 0; i < n; ++i) {
    float y = x[i] * coef;
    codes[i] = static_cast<uint8_t>(encode(e2m1(), static_cast<double>(y), p));
  }
  return sc;
}

double lowbit::num::nvfp4DequantizeValue(uint8_t scale, uint8_t code, float st) {
  return decode(e2m1(), code) * decode(e4m3(), scale) * static_cast<double>(st);
}

float lowbit::num::nvfp4Quantize(const float *x, size_t n, NvFp4Rule rule,
                                 uint8_t *scales, uint8_t *codes) {
  float amax = 0;
  for (size_t i = 0; i < n; ++i)
    amax = std::max(amax, std::fabs(x[i]));
  for (size_t b = 0, i = 0; i < n; ++b, i += kNvFp4Block)
    scales[b] = nvfp4QuantizeBlock(x + i, std::min(kNvFp4Block, n - i), amax, rule,
                                   codes + i);
  return nvfp4TensorScale(amax, rule);
}

//===----------------------------------------------------------------------===//
// Integer groups
//===----------------------------------------------------------------------===//

std::string lowbit::num::checkGroupFormat(const Format &f, IntScaleRule rule) {
  if (!f.isInt() || f.bits() < 2 || f.bits() > 8 ||
      f.intEncoding() == IntEncoding::Bipolar)
    return "group quantization needs int<N> or int<N, unsigned> with N in 2..8, "
           "not " + f.str();
  bool wantUnsigned = rule != IntScaleRule::AbsMax;
  if (wantUnsigned != (f.intEncoding() == IntEncoding::Unsigned))
    return std::string(wantUnsigned ? "asymmetric (min/max) rules need an unsigned "
                                      "format"
                                    : "the symmetric absmax rule needs a signed "
                                      "format") +
           ", not " + f.str();
  return {};
}

namespace {
// round-half-to-even to an integer (torch.round / np.rint); the default FP
// environment rounds to nearest-even.
float roundEven(float x) { return std::nearbyint(x); }
const float kMinRange = 1e-5f; // 0x3727c5ac
} // namespace

GroupScale lowbit::num::quantizeGroup(const Format &f, IntScaleRule rule,
                                      const float *x, size_t n, uint8_t *codes) {
  GroupScale s{1.0f, 0};
  // Named policy: a group holding NaN or an infinity gets a NaN scale, zero
  // point 0 and zero codes, so that all of it dequantizes to NaN (as MX's
  // non-finite blocks); no NaN reaches a float-to-integer conversion.
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) {
      s.scale = std::numeric_limits<float>::quiet_NaN();
      std::fill(codes, codes + n, uint8_t(0));
      return s;
    }
  if (rule == IntScaleRule::AbsMax) {
    float amax = 0;
    for (size_t i = 0; i < n; ++i)
      amax = std::max(amax, std::fabs(x[i]));
    int qmax = (1 << (f.bits() - 1)) - 1;
    s.scale = std::fmax(amax, kMinRange) / static_cast<float>(qmax);
    for (size_t i = 0; i < n; ++i)
      codes[i] = quantizeGroupValue(f, rule, s, x[i]);
    return s;
  }
  float mn = x[0], mx = x[0];
  for (size_t i = 1; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  float qmax = static_cast<float>((1 << f.bits()) - 1);
  float range;
  if (rule == IntScaleRule::GptqMinMax) {
    mn = std::min(mn, 0.0f);
    mx = std::max(mx, 0.0f);
    if (mn == 0 && mx == 0) {
      mn = -1;
      mx = 1;
    }
    range = mx - mn;
  } else {
    range = std::fmax(mx - mn, kMinRange);
  }
  s.scale = range / qmax;
  if (rule == IntScaleRule::MinOffset) {
    s.offset = mn;
    for (size_t i = 0; i < n; ++i)
      codes[i] = quantizeGroupValue(f, rule, s, x[i]);
    return s;
  }
  float zero = std::clamp(roundEven(-mn / s.scale), 0.0f, qmax);
  s.zero = static_cast<int32_t>(zero);
  for (size_t i = 0; i < n; ++i)
    codes[i] = quantizeGroupValue(f, rule, s, x[i]);
  return s;
}

uint8_t lowbit::num::quantizeGroupValue(const Format &f, IntScaleRule rule, GroupScale s,
                                        float x) {
  if (!std::isfinite(x) || !std::isfinite(s.scale))
    return 0; // the NaN-group policy above: no NaN reaches a conversion
  if (rule == IntScaleRule::AbsMax) {
    int qmax = (1 << (f.bits() - 1)) - 1;
    float q = std::clamp(roundEven(x / s.scale), static_cast<float>(-qmax - 1),
                         static_cast<float>(qmax));
    return static_cast<uint8_t>(static_cast<int>(q)) & f.codeMask();
  }
  float qmax = static_cast<float>((1 << f.bits()) - 1);
  if (rule == IntScaleRule::MinOffset)
    return static_cast<uint8_t>(std::clamp(roundEven((x - s.offset) / s.scale), 0.0f, qmax));
  float q = std::clamp(roundEven(x / s.scale) + static_cast<float>(s.zero), 0.0f, qmax);
  return static_cast<uint8_t>(q);
}

float lowbit::num::dequantizeGroupValue(const Format &f, GroupScale s, uint8_t code) {
  float q = static_cast<float>(decode(f, code));
  return (q - static_cast<float>(s.zero)) * s.scale;
}

float lowbit::num::dequantizeOffsetGroupValue(const Format &f, GroupScale s, uint8_t code) {
#pragma clang fp contract(off) // two roundings, never one FMA
  float product = static_cast<float>(decode(f, code)) * s.scale;
  return product + s.offset;
}

float lowbit::num::dequantizeGroupValue(const Format &f, IntScaleRule rule, GroupScale s,
                                        uint8_t code) {
  return rule == IntScaleRule::MinOffset ? dequantizeOffsetGroupValue(f, s, code)
                                         : dequantizeGroupValue(f, s, code);
}

void lowbit::num::quantizeGroups(const Format &f, IntScaleRule rule, const float *x,
                                 size_t rows, size_t k, size_t group,
                                 GroupScale *scales, uint8_t *codes) {
  size_t groups = k / group;
  for (size_t r = 0; r < rows; ++r)
    for (size_t g = 0; g < groups; ++g) {
      size_t off = r * k + g * group;
      scales[r * groups + g] = quantizeGroup(f, rule, x + off, group, codes + off);
    }
}
