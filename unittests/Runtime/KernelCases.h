//===- KernelCases.h - The format matrix of the CPU kernel tests -*- C++ -*-===//
//
// The weight formats, shapes and activation types every CPU kernel test
// runs (X86KernelTest.cpp on the host, AArch64KernelTest.cpp under an
// emulator), and the program of one case: y = x W^T with constant weights,
// so that the compile-time repacking runs.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_UNITTESTS_RUNTIME_KERNELCASES_H
#define LOWBIT_UNITTESTS_RUNTIME_KERNELCASES_H

#include "lowbit/Runtime/DenseText.h"

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace lowbit::test {

struct Weight {
  const char *name;
  const char *type;   ///< the codes' element type
  const char *scheme; ///< preset, or nullptr: plain codes cast from f32
  double range;       ///< f32 weights are uniform in [-range, range)
  /// Operands up to 255 (int8): only vpdpbusd sums them exactly; without
  /// VNNI the product falls back to the reference path, with a remark.
  bool needsVnni = false;
  /// A 64-entry codebook: vpermb (AVX-512 VBMI); without it the f32
  /// kernel takes the product.
  bool needsVbmi = false;
  /// No byte operand holds the format: the bf16 kernel (AVX-512 BF16 and
  /// VBMI); without them the f32 kernel, and posits (no arithmetic
  /// decode) fall back to the reference path, with a remark.
  bool needsBf16 = false;
};

inline const Weight kWeights[] = {
    {"int1", "!lowbit.int<1>", nullptr, 1.0},
    {"int2", "!lowbit.int<2>", nullptr, 2.0},
    {"int3", "!lowbit.int<3>", nullptr, 4.0},
    {"int4", "!lowbit.int<4>", nullptr, 8.0},
    {"uint4", "!lowbit.int<4, unsigned>", nullptr, 16.0},
    {"int6", "!lowbit.int<6>", nullptr, 32.0},
    {"int8", "i8", nullptr, 128.0, true},
    {"int2_bipolar", "!lowbit.int<2, bipolar>", nullptr, 3.0},
    {"ternary", "!lowbit.ternary", nullptr, 1.5},
    {"e2m1", "f4E2M1FN", nullptr, 6.0},
    {"gptq_u4_g128", "!lowbit.int<4, unsigned>", "gptq_u4_g128", 1.0},
    {"awq_u4_g128", "!lowbit.int<4, unsigned>", "awq_u4_g128", 1.0},
    {"int8_per_channel", "i8", "int8_per_channel", 1.0, true},
    {"mxfp4", "f4E2M1FN", "mxfp4", 1.0},
    {"nvfp4", "f4E2M1FN", "nvfp4", 1.0},
    {"e2m3", "f6E2M3FN", nullptr, 7.5, false, true},
    {"mxfp6_e2m3", "f6E2M3FN", "mxfp6_e2m3", 1.0, false, true},
    {"e4m3", "f8E4M3FN", nullptr, 400.0, false, false, true},
    {"e5m2", "f8E5M2", nullptr, 3000.0, false, false, true},
    {"e3m2", "f6E3M2FN", nullptr, 24.0, false, false, true},
    {"posit8", "!lowbit.posit<8, 0>", nullptr, 48.0, false, false, true},
    {"posit8_es2", "!lowbit.posit<8, 2>", nullptr, 1000.0, false, false, true},
    {"mxfp8_e4m3", "f8E4M3FN", "mxfp8_e4m3", 1.0, false, false, true},
    {"mxfp8_e5m2", "f8E5M2", "mxfp8_e5m2", 1.0, false, false, true},
    // llama.cpp's Q4_1 block: value q d + m (a float offset, no preset).
    {"min_offset_u4_g32", "!lowbit.int<4, unsigned>",
     "rule = min_offset, group = 32, scale = f16, offset = f16", 1.0},
};

/// Whether the weight's scheme has groups along K that K must fill whole
/// (and that an i32 sum cannot span).
inline bool groupedScheme(const Weight &w) {
  std::string s = w.scheme ? w.scheme : "";
  return s.find("g128") != std::string::npos || s.find("group =") != std::string::npos;
}

struct Shape {
  int64_t m, n, k;
};
// M = 1, 3 and 17 (a pass of 8 rows plus a tail); N not a multiple of the
// 16-row tile; K not a multiple of the activation block.
inline const Shape kShapes[] = {{1, 64, 256}, {3, 37, 200}, {17, 20, 96}};
inline const Shape kGroupShapes[] = {{1, 64, 256}, {3, 37, 384}, {17, 20, 128}};

inline const char *const kActivations[] = {"f32", "f16", "bf16"};


inline std::string tensor(int64_t a, int64_t b, const std::string &e) {
  return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" + e + ">";
}

/// @name: y = x W^T with W (n x k) constant: cast or quantized from f32 at
/// compile time. `acc` i32 gives an i32 result unless a scheme scales it; `aScheme`
/// gives x per-row absmax scales (an f32 argument); `tuning` the entries of
/// the product's lowbit.x86_tuning (the kernel it asks for).
inline std::string program(const Weight &w, const char *act, const Shape &s, const char *acc = "f32",
                           bool aScheme = false, const char *tuning = nullptr,
                           const std::string &name = "f") {
  std::mt19937 rng(static_cast<unsigned>(s.n * 131 + s.k));
  std::uniform_real_distribution<float> dist(-static_cast<float>(w.range),
                                             static_cast<float>(w.range));
  std::vector<float> wf(s.n * s.k);
  for (float &x : wf)
    x = dist(rng);
  std::string at = tensor(s.m, s.k, act), ft = tensor(s.n, s.k, "f32"), qt = tensor(s.n, s.k, w.type);
  bool intOut = std::string(acc) == "i32" && !w.scheme && !aScheme;
  std::string ct = tensor(s.m, s.n, intOut ? "i32" : "f32");
  std::string sa = tensor(s.m, 1, "f32");
  std::string aArgs = aScheme ? "%a [%sa]" : "%a";
  std::string aTypes = aScheme ? at + " [" + sa + "]" : at;
  std::string aAttr = aScheme ? "a_scheme = #lowbit.scheme<rule = absmax, channel, axis = 1, "
                                "scale = f32>, "
                              : "";
  std::string tb = tuning ? std::string("transpose_b, lowbit.x86_tuning = {") + tuning + "}"
                          : std::string("transpose_b");
  std::ostringstream os;
  os << "func.func @" << name << "(%a: " << at << (aScheme ? ", %sa: " + sa : std::string()) << ") -> " << ct
     << " {\n";
  os << "  %wf = arith.constant dense<" << lowbit::rt::denseHexF32(wf) << "> : " << ft << "\n";
  if (!w.scheme) {
    os << "  %w = lowbit.cast %wf : " << ft << " to " << qt << "\n";
    os << "  %c = lowbit.mpgemm " << aArgs << ", %w {" << aAttr << "acc_type = " << acc
       << ", " << tb << "} : " << aTypes << ", " << qt << " -> " << ct << "\n";
  } else {
    std::string preset = w.scheme;
    bool mx = preset.rfind("mxfp", 0) == 0;
    bool minOffset = preset.find("rule = min_offset, group = 32, scale = f16, offset = f16") == 0;
    int64_t g = preset == "int8_per_channel" ? s.k : preset == "nvfp4" ? 16
                : mx || minOffset            ? 32 : 128;
    std::string scaleElem = mx                  ? "f8E8M0FNU"
                            : preset == "nvfp4" ? "f8E4M3FN"
                            : preset == "int8_per_channel" ? "f32" : "f16";
    std::string st = tensor(s.n, (s.k + g - 1) / g, scaleElem);
    std::string extraT = preset == "nvfp4" ? std::string("tensor<f32>")
                         : (preset == "gptq_u4_g128" || preset == "awq_u4_g128")
                             ? tensor(s.n, (s.k + g - 1) / g, w.type)
                         : minOffset ? tensor(s.n, (s.k + g - 1) / g, "f16")
                                     : "";
    std::string ex = extraT.empty() ? "" : ", %x";
    std::string types = st + (extraT.empty() ? "" : ", " + extraT);
    os << "  %w, %s" << ex << " = lowbit.quantize %wf {scheme = #lowbit.scheme<" << preset
       << ">} : " << ft << " -> " << qt << ", " << types << "\n";
    os << "  %c = lowbit.mpgemm " << aArgs << ", %w [%s" << ex << "] {" << aAttr
       << "b_scheme = #lowbit.scheme<" << preset << ">, acc_type = " << acc
       << ", " << tb << "} : " << aTypes << ", " << qt << " [" << types << "] -> " << ct
       << "\n";
  }
  os << "  return %c : " << ct << "\n}\n";
  return os.str();
}

inline const char *const kLutTuning = "kernel = \"lut\"";
inline const char *const kExactLutTuning = "kernel = \"lut\", tables = \"exact\"";
inline const char *const kByteDotTuning = "kernel = \"byte-dot\"";

/// The integer formats (the lookup-table kernels take them).
inline const Weight kIntegerWeights[] = {kWeights[0], kWeights[1],  kWeights[2],  kWeights[3],
                                         kWeights[4], kWeights[5],  kWeights[6],  kWeights[7],
                                         kWeights[8], kWeights[10], kWeights[11], kWeights[12]};

inline const Weight kInt7{"int7", "!lowbit.int<7>", nullptr, 64.0};

/// The integer formats of int8-activation products (i32 accumulation).
inline const Weight kIntWeights[] = {kWeights[0], kWeights[1], kWeights[2], kWeights[3],
                                     kWeights[4], kWeights[5], kWeights[6], kWeights[7],
                                     kWeights[8], kWeights[12]};

} // namespace lowbit::test

#endif
