//===- FormatDescriptor.cpp - A format and a policy in 64 bits ------------===//

#include "lowbit/Numerics/FormatDescriptor.h"

using namespace lowbit::num;

namespace {
// Field layout: family 0..3, int encoding 4..7, float kind 8..11,
// subnormals 12, bits 16..23, e 24..27, m 28..32, es 36..39, bias + 512 at
// 40..49.
constexpr int64_t field(int64_t v, int shift) { return v << shift; }
constexpr int64_t get(int64_t d, int shift, int width) {
  return (d >> shift) & ((int64_t(1) << width) - 1);
}
} // namespace

int64_t lowbit::num::packFormat(const Format &f) {
  return field(static_cast<int64_t>(f.family()), 0) |
         field(static_cast<int64_t>(f.intEncoding()), 4) |
         field(static_cast<int64_t>(f.floatKind()), 8) |
         field(f.hasSubnormals() ? 1 : 0, 12) | field(f.bits(), 16) |
         field(f.exponentBits(), 24) | field(f.mantissaBits(), 28) |
         field(f.positES(), 36) | field(f.bias() + 512, 40);
}

Format lowbit::num::unpackFormat(int64_t d) {
  auto family = static_cast<Family>(get(d, 0, 4));
  switch (family) {
  case Family::Int:
    return Format::integer(static_cast<unsigned>(get(d, 16, 8)),
                           static_cast<IntEncoding>(get(d, 4, 4)));
  case Family::Ternary:
    return Format::ternary();
  case Family::Posit:
    return Format::posit(static_cast<unsigned>(get(d, 16, 8)),
                         static_cast<unsigned>(get(d, 36, 4)));
  case Family::Float:
    break;
  }
  return Format::minifloat(static_cast<unsigned>(get(d, 24, 4)),
                           static_cast<unsigned>(get(d, 28, 5)),
                           static_cast<FloatKind>(get(d, 8, 4)),
                           static_cast<int>(get(d, 40, 10)) - 512, get(d, 12, 1) != 0);
}

int64_t lowbit::num::packPolicy(const EncodePolicy &p) {
  return field(static_cast<int64_t>(p.rounding), 0) |
         field(static_cast<int64_t>(p.overflow), 4) | field(static_cast<int64_t>(p.nan), 8);
}

EncodePolicy lowbit::num::unpackPolicy(int64_t d) {
  EncodePolicy p;
  p.rounding = static_cast<Rounding>(get(d, 0, 4));
  p.overflow = static_cast<Overflow>(get(d, 4, 4));
  p.nan = static_cast<NaNInput>(get(d, 8, 4));
  return p;
}
