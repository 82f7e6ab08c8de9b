//===- lowbit-demo.cpp - Compile and run a quantized MLP ------------------===//
//
// The main job of scripts/demo.sh: a transformer-style feed-forward block
// y = W2 relu(W1 x) with seeded f32 weights (d = 256, hidden = 1024) and a
// batch of 4 seeded inputs, compiled once per weight scheme with the
// weights as constants, so that quantization happens at compile time (the
// quantize/cast folders, i.e. the Numerics library). Every variant runs
// through the JIT; the table compares it with the f32 model evaluated in
// double precision.
//
// posit<8,0> and int2 bipolar have no scheme of their own: the weights are
// divided by a per-output-channel scale (RMS for posits, whose precision
// peaks at 1; amax/3 for the bipolar +-1/+-3 grid), cast at compile time,
// and the products multiplied back by the scale.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Runtime/DenseText.h"
#include "lowbit/Runtime/JIT.h"
#include "lowbit/Target/CPUTarget.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

namespace cl = llvm::cl;
// lowbit-demo's options only in --help (not LLVM's backend options).
static cl::OptionCategory demoCategory("lowbit-demo options");
static cl::opt<unsigned> seed("seed", cl::desc("Seed of weights and inputs"), cl::init(2026),
                              cl::cat(demoCategory));
static cl::opt<unsigned> repeats("repeat", cl::desc("Timed runs per scheme"), cl::init(20),
                                 cl::cat(demoCategory));

namespace {
constexpr int64_t kBatch = 4, kDim = 256, kHidden = 1024;

struct Variant {
  const char *name;
  const char *scheme;   ///< preset name, or nullptr for a cast + outside scale
  const char *element;  ///< codes element type
  double bitsPerWeight; ///< code bits plus scale/zero-point overhead
  bool rmsScale = false;
};


std::string shape(int64_t a, int64_t b, const std::string &e) {
  return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" + e + ">";
}

/// One layer: y = x W^T (W is n x k) under the variant, as MLIR text.
std::string layer(std::ostringstream &os, const std::string &x, int64_t m, int64_t k,
                  int64_t n, const std::vector<float> &w, const Variant &v, int id) {
  std::string id_ = std::to_string(id);
  std::string wt = shape(n, k, "f32"), ct = shape(m, n, "f32"), at = shape(m, k, "f32");
  if (!v.scheme && !v.element) { // f32 baseline
    os << "  %w" << id_ << " = arith.constant dense<" << lowbit::rt::denseHexF32(w) << "> : " << wt << "\n";
    os << "  %y" << id_ << " = lowbit.mpgemm " << x << ", %w" << id_
       << " {acc_type = f32, transpose_b} : " << at << ", " << wt << " -> " << ct << "\n";
    return "%y" + id_;
  }
  std::string qt = shape(n, k, v.element);
  if (v.scheme) {
    std::string preset = v.scheme;
    int64_t g = preset == "gptq_u4_g128" ? 128 : preset == "nvfp4" ? 16 : 32;
    std::string scaleElem = preset == "gptq_u4_g128" ? "f16" : preset == "nvfp4" ? "f8E4M3FN"
                                                                                 : "f8E8M0FNU";
    std::string st = shape(n, k / g, scaleElem);
    std::string extraT = preset == "gptq_u4_g128" ? shape(n, k / g, v.element)
                         : preset == "nvfp4"      ? std::string("tensor<f32>") : "";
    std::string ex = extraT.empty() ? "" : ", %x" + id_;
    os << "  %w" << id_ << " = arith.constant dense<" << lowbit::rt::denseHexF32(w) << "> : " << wt << "\n";
    os << "  %q" << id_ << ", %s" << id_ << ex << " = lowbit.quantize %w" << id_
       << " {scheme = #lowbit.scheme<" << preset << ">} : " << wt << " -> " << qt << ", " << st
       << (extraT.empty() ? "" : ", " + extraT) << "\n";
    os << "  %y" << id_ << " = lowbit.mpgemm " << x << ", %q" << id_ << " [%s" << id_ << ex
       << "] {b_scheme = #lowbit.scheme<" << preset << ">, acc_type = f32, transpose_b} : "
       << at << ", " << qt << " [" << st << (extraT.empty() ? "" : ", " + extraT) << "] -> "
       << ct << "\n";
    return "%y" + id_;
  }
  // Cast with a per-channel scale outside.
  std::vector<float> scaled(w.size()), scale(n);
  for (int64_t r = 0; r < n; ++r) {
    double acc = 0;
    for (int64_t c = 0; c < k; ++c) {
      double x = w[r * k + c];
      acc = v.rmsScale ? acc + x * x : std::max(acc, std::fabs(x));
    }
    scale[r] = static_cast<float>(v.rmsScale ? std::sqrt(acc / k) : acc / 3.0);
    for (int64_t c = 0; c < k; ++c)
      scaled[r * k + c] = w[r * k + c] / scale[r];
  }
  os << "  %w" << id_ << " = arith.constant dense<" << lowbit::rt::denseHexF32(scaled) << "> : " << wt << "\n";
  os << "  %q" << id_ << " = lowbit.cast %w" << id_ << " : " << wt << " to " << qt << "\n";
  os << "  %p" << id_ << " = lowbit.mpgemm " << x << ", %q" << id_
     << " {acc_type = f32, transpose_b} : " << at << ", " << qt << " -> " << ct << "\n";
  os << "  %c" << id_ << " = arith.constant dense<" << lowbit::rt::denseHexF32(scale) << "> : tensor<" << n
     << "xf32>\n";
  os << "  %y" << id_ << " = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, "
        "affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = "
        "[\"parallel\", \"parallel\"]} ins(%p" << id_ << ", %c" << id_ << " : " << ct
     << ", tensor<" << n << "xf32>) outs(%z" << id_ << " : " << ct << ") {\n"
     << "  ^bb0(%a: f32, %s: f32, %o: f32):\n    %r = arith.mulf %a, %s : f32\n"
     << "    linalg.yield %r : f32\n  } -> " << ct << "\n";
  return "%y" + id_;
}

std::string program(const Variant &v, const std::vector<float> &w1,
                    const std::vector<float> &w2) {
  std::ostringstream os;
  std::string xt = shape(kBatch, kDim, "f32"), ht = shape(kBatch, kHidden, "f32");
  os << "func.func @ffn(%x: " << xt << ") -> " << xt << " {\n"
     << "  %zero = arith.constant 0.0 : f32\n"
     << "  %e1 = tensor.empty() : " << ht << "\n"
     << "  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : " << ht << ") -> " << ht << "\n"
     << "  %e2 = tensor.empty() : " << xt << "\n"
     << "  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : " << xt << ") -> " << xt << "\n";
  std::string h = layer(os, "%x", kBatch, kDim, kHidden, w1, v, 1);
  os << "  %relu = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, "
        "affine_map<(i, j) -> (i, j)>], iterator_types = [\"parallel\", \"parallel\"]} ins("
     << h << " : " << ht << ") outs(%e1 : " << ht << ") {\n"
     << "  ^bb0(%a: f32, %o: f32):\n    %r = arith.maximumf %a, %zero : f32\n"
     << "    linalg.yield %r : f32\n  } -> " << ht << "\n";
  std::string y = layer(os, "%relu", kBatch, kHidden, kDim, w2, v, 2);
  os << "  return " << y << " : " << xt << "\n}\n";
  return os.str();
}
} // namespace

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(demoCategory);
  cl::ParseCommandLineOptions(argc, argv, "lowbit-demo: a quantized feed-forward block\n");
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto weights = [&](int64_t n, int64_t k) {
    std::vector<float> w(n * k);
    float s = 1.0f / std::sqrt(static_cast<float>(k));
    for (float &x : w)
      x = normal(rng) * s;
    return w;
  };
  std::vector<float> w1 = weights(kHidden, kDim), w2 = weights(kDim, kHidden);
  std::vector<float> x(kBatch * kDim);
  for (float &v : x)
    v = normal(rng);

  // The f32 model in double precision.
  std::vector<double> h(kBatch * kHidden), ref(kBatch * kDim);
  for (int64_t b = 0; b < kBatch; ++b) {
    for (int64_t j = 0; j < kHidden; ++j) {
      double s = 0;
      for (int64_t i = 0; i < kDim; ++i)
        s += double(x[b * kDim + i]) * w1[j * kDim + i];
      h[b * kHidden + j] = std::max(s, 0.0);
    }
    for (int64_t j = 0; j < kDim; ++j) {
      double s = 0;
      for (int64_t i = 0; i < kHidden; ++i)
        s += h[b * kHidden + i] * w2[j * kHidden + i];
      ref[b * kDim + j] = s;
    }
  }

  const Variant variants[] = {
      {"f32", nullptr, nullptr, 32},
      {"gptq_u4_g128", "gptq_u4_g128", "!lowbit.int<4, unsigned>", 4 + (16 + 4) / 128.0},
      {"mxfp4", "mxfp4", "f4E2M1FN", 4 + 8 / 32.0},
      {"nvfp4", "nvfp4", "f4E2M1FN", 4 + 8 / 16.0},
      {"posit<8,0>", nullptr, "!lowbit.posit<8, 0>", 8, /*rmsScale=*/true},
      {"int2 bipolar", nullptr, "!lowbit.int<2, bipolar>", 2},
  };
  const int64_t numWeights = kHidden * kDim * 2;
  llvm::outs() << "lowbit demo: feed-forward block " << kDim << " -> " << kHidden << " -> "
               << kDim << " (relu), batch " << kBatch << ", seed " << seed << "\n"
               << "weights quantized at compile time; run by the JIT on the reference path "
                  "(target generic)\nand on the CPU fast path (target host, "
               << "x86 kernels, one thread); error relative to the f32 model in double "
                  "precision;\ntime: median of "
               << repeats << " runs\n\n";
  llvm::outs() << llvm::format("%-13s %7s %9s %11s %11s %9s %9s %8s %8s  %s\n", "scheme",
                               "bits/w", "w bytes", "ref error", "fast error", "ref ms",
                               "fast ms", "speedup", "compile", "fast path");
  // Runs one variant for a target: relative error, median ms, compile s and
  // the fallback remarks (empty when every product took the fast path).
  struct Run {
    double error = 0, ms = 0, compileS = 0;
    std::string remarks;
  };
  auto run = [&](const Variant &v, const std::string &source, const char *target,
                 Run &out) -> bool {
    auto t0 = std::chrono::steady_clock::now();
    std::string diagnostics;
    lowbit::rt::CompileOptions options;
    options.sourceName = std::string("ffn-") + v.name + ".mlir";
    options.target = target;
    options.numThreads = 1;
    options.reportFallbacks = true;
    auto module = lowbit::rt::compile(source, options, diagnostics);
    out.compileS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!module) {
      llvm::errs() << "lowbit-demo: " << v.name << ": " << diagnostics;
      return false;
    }
    out.remarks = diagnostics;
    std::vector<float> y(kBatch * kDim);
    std::vector<void *> buffers{x.data(), y.data()};
    std::vector<double> times;
    for (unsigned r = 0; r < std::max(1u, unsigned(repeats)); ++r) {
      auto s = std::chrono::steady_clock::now();
      if (std::string e = module->invoke("ffn", buffers); !e.empty()) {
        llvm::errs() << "lowbit-demo: " << e << "\n";
        return false;
      }
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
    }
    std::sort(times.begin(), times.end());
    double num = 0, den = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      double d = y[i] - ref[i];
      num += d * d;
      den += ref[i] * ref[i];
    }
    out.error = std::sqrt(num / den);
    out.ms = times[times.size() / 2] * 1e3;
    return true;
  };
  std::string host = lowbit::target::hostCPUTarget().name;
  bool hostHasKernels = lowbit::target::hostCPUTarget().has(lowbit::target::CPUFeature::AVX2);
  for (const Variant &v : variants) {
    double bits = v.bitsPerWeight;
    if (!v.scheme && v.element) // cast variants: plus an f32 scale per output channel
      bits += 32.0 * (kHidden + kDim) / numWeights;
    std::string source = program(v, w1, w2);
    Run reference, fast;
    if (!run(v, source, "generic", reference) || !run(v, source, "host", fast))
      return 1;
    // The first remark's reason, shortened to its clause after the target.
    std::string path = "x86 kernel";
    if (!hostHasKernels) {
      path = "reference (host without AVX2)";
    } else if (size_t at = fast.remarks.find("': "); at != std::string::npos) {
      std::string reason = fast.remarks.substr(at + 3);
      reason = reason.substr(0, reason.find('\n'));
      path = "reference: " + reason;
    }
    llvm::outs() << llvm::format("%-13s %7.3f %9.0f %11.3e %11.3e %9.3f %9.3f %7.1fx %7.2fs  %s\n",
                                 v.name, bits, std::ceil(bits * numWeights / 8), reference.error,
                                 fast.error, reference.ms, fast.ms, reference.ms / fast.ms,
                                 fast.compileS, path.c_str());
  }
  return 0;
}
