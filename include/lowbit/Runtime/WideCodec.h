//===- WideCodec.h - The codec generated code calls for wide formats -*- C++ -*-===//
//
// Formats of more than 16 bits (other than integers and f32) have too many
// codes for the lowering's tables, so generated code calls these, which
// are the Numerics library's decode and encode (bit-exact by construction).
// The JIT resolves them in-process; ahead-of-time objects link the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_WIDECODEC_H
#define LOWBIT_RUNTIME_WIDECODEC_H

#include <cstdint>

extern "C" {
/// The exact value of `code` (FormatDescriptor.h's packFormat).
double lowbit_rt_decode(int64_t format, int64_t code);
/// The code of x, rounded once under the policy (packPolicy).
int64_t lowbit_rt_encode(int64_t format, int64_t policy, double x);
}

#endif
