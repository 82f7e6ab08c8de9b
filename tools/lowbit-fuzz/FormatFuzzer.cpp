//===- FormatFuzzer.cpp - libFuzzer target: format text and the codec -----===//
//
// The input is a format in the dialect's syntax ("float<e4m3, fn>",
// "posit<8, 1>", "int<3, unsigned>", builtin names), as lowbit-num and the
// type parser read it. Formats that parse are encoded and decoded at a few
// values and codes: every call must return, and decode(encode(x)) of an
// exactly representable x must give x back.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Format.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace lowbit::num;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size), error;
  std::optional<Format> f = Format::parse(text, error);
  if (!f)
    return 0;
  (void)f->str();
  uint64_t codes = f->bits() >= 64 ? ~uint64_t(0) : (uint64_t(1) << f->bits()) - 1;
  for (uint64_t c : {uint64_t(0), uint64_t(1), codes / 2, codes / 2 + 1, codes}) {
    double v = decode(*f, c & codes);
    if (std::isfinite(v) && decode(*f, encode(*f, v)) != v)
      std::abort(); // an exact value must survive a round trip
  }
  for (double x : {0.0, -0.0, 1.0, -3.5, 1e-30, 1e30, double(INFINITY), double(NAN)})
    (void)encode(*f, x);
  return 0;
}
