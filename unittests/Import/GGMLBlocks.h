//===- GGMLBlocks.h - Random ggml blocks and ggml's own decoders -*- C++ -*-===//
//
// Test helpers: random block bytes of every imported ggml type (random
// except where a field must be sane: finite f16 scales, MXFP4 scales below
// 0xFF, TQ2_0 codes 0..2), and ggml's dequantize_row_* from the npm package
// @node-llama-cpp/linux-x64 (scripts/fetch-llama-cpp.sh), loaded with
// dlopen, as an oracle that is not ours. Tests skip where it is absent.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_UNITTESTS_IMPORT_GGMLBLOCKS_H
#define LOWBIT_UNITTESTS_IMPORT_GGMLBLOCKS_H

#include "lowbit/Import/GGMLTypes.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace lowbit::import::test {

inline uint16_t finiteF16(std::mt19937 &rng) {
  // Exponent 7..13 (2^-8 .. 2^-2), any mantissa, any sign.
  uint16_t e = 7 + rng() % 7, m = rng() & 0x3FF, s = rng() & 1;
  return static_cast<uint16_t>(s << 15 | e << 10 | m);
}

/// Offsets of a block's f16 scales (and minima).
inline std::vector<unsigned> f16Fields(GGMLType t) {
  switch (t) {
  case GGMLType::Q4_0: case GGMLType::Q5_0: case GGMLType::Q8_0: return {0};
  case GGMLType::Q4_1: case GGMLType::Q5_1: return {0, 2};
  case GGMLType::Q3_K: return {108};
  case GGMLType::Q6_K: return {208};
  case GGMLType::TQ1_0: return {52};
  case GGMLType::TQ2_0: return {64};
  case GGMLType::Q2_K: return {80, 82};
  case GGMLType::Q4_K: case GGMLType::Q5_K: return {0, 2};
  default: return {};
  }
}

inline std::vector<uint8_t> randomBlocks(std::mt19937 &rng, const GGMLTypeInfo &info,
                                         size_t blocks) {
  std::vector<uint8_t> d(blocks * info.blockBytes);
  for (size_t b = 0; b < blocks; ++b) {
    uint8_t *blk = d.data() + b * info.blockBytes;
    for (unsigned i = 0; i < info.blockBytes; ++i)
      blk[i] = static_cast<uint8_t>(rng());
    switch (info.type) {
    case GGMLType::F32:
      for (unsigned i = 0; i < 4; i += 4) {
        float v = std::uniform_real_distribution<float>(-2, 2)(rng);
        std::memcpy(blk, &v, 4);
      }
      break;
    case GGMLType::F16: {
      uint16_t h = finiteF16(rng);
      std::memcpy(blk, &h, 2);
      break;
    }
    case GGMLType::BF16:
      blk[1] = static_cast<uint8_t>((blk[1] & 0x80) | (0x3C + rng() % 4)); // finite
      break;
    case GGMLType::MXFP4:
      blk[0] = static_cast<uint8_t>(rng() % 255); // every scale but NaN
      break;
    case GGMLType::TQ2_0:
      for (int i = 0; i < 64; ++i) {
        uint8_t v = 0;
        for (int j = 0; j < 4; ++j)
          v |= static_cast<uint8_t>((rng() % 3) << (2 * j));
        blk[i] = v;
      }
      break;
    default:
      break;
    }
    for (unsigned off : f16Fields(info.type)) {
      uint16_t h = finiteF16(rng);
      std::memcpy(blk + off, &h, 2);
    }
  }
  return d;
}

/// ggml's libggml-base.so, or null with the reason.
class GGML {
public:
  using Dequantize = void (*)(const void *, float *, int64_t);
  static GGML &get() {
    static GGML g;
    return g;
  }
  bool available() const { return handle; }
  const std::string &why() const { return reason; }
  Dequantize dequantize(const char *typeName) const {
    std::string sym = std::string("dequantize_row_") + typeName;
    return handle ? reinterpret_cast<Dequantize>(dlsym(handle, sym.c_str())) : nullptr;
  }
  template <class F> F symbol(const char *name) const {
    return handle ? reinterpret_cast<F>(dlsym(handle, name)) : nullptr;
  }

private:
  GGML() {
    std::string dir;
    if (const char *d = std::getenv("LOWBIT_LLAMA_CPP_DIR"))
      dir = d;
    else if (const char *h = std::getenv("HOME"))
      dir = std::string(h) +
            "/.cache/lowbit/llama-cpp-3.22.1/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
    handle = dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      reason = "ggml's libggml-base.so is not installed (scripts/fetch-llama-cpp.sh; "
               "LOWBIT_LLAMA_CPP_DIR): " + std::string(dlerror());
  }
  void *handle = nullptr;
  std::string reason;
};

} // namespace lowbit::import::test

#endif
