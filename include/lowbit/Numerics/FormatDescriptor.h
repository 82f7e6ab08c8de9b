//===- FormatDescriptor.h - A format and a policy in 64 bits ----*- C++ -*-===//
//
// Generated code handles formats wider than 16 bits (where a table of every
// code is too large) by calling the runtime's codec (lowbit_rt_decode /
// lowbit_rt_encode, lowbit/Runtime/WideCodec.h), passing the format and the
// policy as these integers: the lowering packs them, the runtime unpacks
// them, and both sides share this header.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_NUMERICS_FORMATDESCRIPTOR_H
#define LOWBIT_NUMERICS_FORMATDESCRIPTOR_H

#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/Policy.h"

#include <cstdint>

namespace lowbit::num {

/// Every parameter of a format in one integer (fields of a few bits each).
int64_t packFormat(const Format &f);
/// The format of a descriptor made by packFormat.
Format unpackFormat(int64_t descriptor);

/// Rounding, overflow and NaN handling (not the random bits).
int64_t packPolicy(const EncodePolicy &p);
EncodePolicy unpackPolicy(int64_t descriptor);

} // namespace lowbit::num

#endif
