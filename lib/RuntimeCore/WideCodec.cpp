//===- WideCodec.cpp - The codec generated code calls for wide formats ----===//

#include "lowbit/Runtime/WideCodec.h"

#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/FormatDescriptor.h"

namespace num = ::lowbit::num;

extern "C" double lowbit_rt_decode(int64_t format, int64_t code) {
  return num::decode(num::unpackFormat(format), static_cast<uint64_t>(code));
}

extern "C" int64_t lowbit_rt_encode(int64_t format, int64_t policy, double x) {
  return static_cast<int64_t>(
      num::encode(num::unpackFormat(format), x, num::unpackPolicy(policy)));
}
