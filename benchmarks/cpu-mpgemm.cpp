//===- cpu-mpgemm.cpp - The x86 mpGEMM kernels against the roofline -------===//
//
//   lowbit-bench-cpu-mpgemm [--repeat N] [--quick] [--format NAME] [--out docs/benchmarks/cpu-mpgemm.md]
//
// For N x K weights (4096x4096, 11008x4096) and M = 1 and 8 activation
// rows, per weight format: the x86 kernel (target host, convert-lowbit-to-
// x86, constant weights repacked at compile time), the reference path
// (target generic), a read-bandwidth loop over as many bytes as the
// kernel's weights and scale tables (the memory roofline), and OpenBLAS
// sgemv/sgemm in f32, with 1 and 2 threads (the reference path: 1). Weights are cold: before every timed
// call a 96 MiB buffer (3x the L3) is read, so the weights come from DRAM.
// Runs are interleaved; each cell is the median and min..max of the repeats.
// Then llama.cpp's kernels for the nearest ggml types, loaded from the
// folder in LOWBIT_LLAMA_CPP_DIR (scripts/fetch-llama-cpp.sh installs it),
// timed the same way; without it those rows are left out with a note.
//
//===----------------------------------------------------------------------===//

#include "BenchmarkUtil.h"
#include "LlamaCppBaseline.h"

#include "lowbit/Runtime/DenseText.h"
#include "lowbit/Runtime/JIT.h"

#include <cblas.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <atomic>
#include <set>
#include <thread>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

struct Format {
  const char *name;
  const char *codes;  ///< element type of B
  const char *scheme; ///< scheme attribute text, or nullptr (codes cast from f32)
  const char *quantizeResults; ///< types after the codes that quantize returns
  unsigned slotBits;  ///< bits per weight in the kernel layout
  int tables;         ///< f32 tables per (row, group) the kernel reads: sw, zb
  int64_t group;      ///< k per scale group (for the table bytes)
  double range;       ///< f32 weights uniform in [-range, range) before casting
  /// Weights, scales and zero points passed at run time (function
  /// arguments: packed lsb_first rows, f16 scales, one zero code per byte)
  /// instead of constants folded into the kernel's layout.
  bool runtime = false;
  /// The entries of the product's lowbit.x86_tuning (the kernel family
  /// asked for), or nullptr: the cost model's choice.
  const char *tuning = nullptr;
  /// The CPU target of the kernel (nullptr: host): AVX2 rows show the
  /// kernels of machines without AVX-512 on this one.
  const char *target = nullptr;
};

std::string groupScheme(unsigned bits) {
  return "rule = gptq, group = 128, scale = f16, zero = !lowbit.int<" + std::to_string(bits) +
         ", unsigned>";
}

const std::string kW2 = groupScheme(2), kW3 = groupScheme(3),
                  kW4 = groupScheme(4);

const Format kFormats[] = {
    // Group quantization makes codes of 2..8 bits: W1 is +-1 codes cast from f32.
    // W1: the cost model takes the lookup-table kernel; the byte-dot
    // kernel beside it, and the tables for wider codes.
    {"W1 (+-1, no scale)", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1},
    {"W1, byte-dot kernel", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1, false,
     "kernel = \"byte-dot\""},
    // Exact int16 tables (the byte-dot kernel's numbers, bit for bit).
    {"W1, exact tables", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1, false,
     "kernel = \"lut\", tables = \"exact\""},
    {"W1, x86-64-v3 (AVX2 vpshufb tables)", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1,
     false, nullptr, "x86-64-v3"},
    {"W1, x86-64-v3 byte-dot", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1, false,
     "kernel = \"byte-dot\"", "x86-64-v3"},
    // x86-64-v4 (AVX-512BW without VBMI): vpshufb tables on zmm.
    {"W1, x86-64-v4 (zmm vpshufb tables)", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1,
     false, nullptr, "x86-64-v4"},
    {"W1, x86-64-v4 byte-dot", "!lowbit.int<1, bipolar>", nullptr, "", 1, 0, 0, 1, false,
     "kernel = \"byte-dot\"", "x86-64-v4"},
    {"W2 g128, x86-64-v4 byte-dot", "!lowbit.int<2, unsigned>", kW2.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<2, unsigned>>", 2, 2, 128, 1, false,
     "kernel = \"byte-dot\"", "x86-64-v4"},
    {"W2 g128, x86-64-v4 zmm vpshufb tables", "!lowbit.int<2, unsigned>", kW2.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<2, unsigned>>", 2, 2, 128, 1, false,
     "kernel = \"lut\"", "x86-64-v4"},
    {"W2 g128", "!lowbit.int<2, unsigned>", kW2.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<2, unsigned>>", 2, 2, 128, 1},
    {"W2 g128, lookup tables", "!lowbit.int<2, unsigned>", kW2.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<2, unsigned>>", 2, 2, 128, 1, false, "kernel = \"lut\""},
    {"W2 g128, exact tables", "!lowbit.int<2, unsigned>", kW2.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<2, unsigned>>", 2, 2, 128, 1, false,
     "kernel = \"lut\", tables = \"exact\""},
    {"W3 g128 (2+1 planes)", "!lowbit.int<3, unsigned>", kW3.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<3, unsigned>>", 3, 2, 128, 1},
    {"W4 g128", "!lowbit.int<4, unsigned>", kW4.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<4, unsigned>>", 4, 2, 128, 1},
    {"W4 g128, lookup tables", "!lowbit.int<4, unsigned>", kW4.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<4, unsigned>>", 4, 2, 128, 1, false, "kernel = \"lut\""},
    // llama.cpp's Q4_1 form (value q d + m, rule min_offset): the kernels
    // take it as the zero point -m / d, computed at compile time.
    {"W4 g32 min_offset (Q4_1's form)", "!lowbit.int<4, unsigned>",
     "rule = min_offset, group = 32, scale = f16, offset = f16",
     "tensor<NxGxf16>, tensor<NxGxf16>", 4, 2, 32, 1},
    {"ternary", "!lowbit.ternary", nullptr, "", 2, 0, 0, 1.5},
    // Uniform random weights give every 32-block the same E8M0 exponent, so
    // the kernel folds the scale into one constant: no table is read.
    {"mxfp4", "f4E2M1FN", "mxfp4", "tensor<NxGxf8E8M0FNU>", 4, 0, 32, 1},
    {"e2m1", "f4E2M1FN", nullptr, "", 4, 0, 0, 6},
    // 6-bit codes in 4 + 2 planes, a 64-entry vpermb codebook (VBMI).
    {"mxfp6 (e2m3)", "f6E2M3FN", "mxfp6_e2m3", "tensor<NxGxf8E8M0FNU>", 6, 0, 32, 1},
    {"int8 per channel", "i8", "int8_per_channel", "tensor<NxGxf32>", 8, 1, 0, 1},
    // No byte operand holds e4m3: the bf16 kernel (AVX-512 BF16 + VBMI).
    {"mxfp8 (e4m3, bf16 kernel)", "f8E4M3FN", "mxfp8_e4m3", "tensor<NxGxf8E8M0FNU>", 8, 0, 32, 1},
    // Without AVX-512 BF16: the f32 kernel (arithmetic decode, f32 FMA).
    {"mxfp8 (e4m3), x86-64-v3 f32 kernel", "f8E4M3FN", "mxfp8_e4m3", "tensor<NxGxf8E8M0FNU>", 8,
     0, 32, 1, false, nullptr, "x86-64-v3"},
    {"mxfp8 (e4m3), x86-64-v4 f32 kernel", "f8E4M3FN", "mxfp8_e4m3", "tensor<NxGxf8E8M0FNU>", 8,
     0, 32, 1, false, nullptr, "x86-64-v4"},
    // f32 weights as they are (an imported model's unquantized layers):
    // the dense f32 kernel, weights repacked into 16-column tiles.
    {"f32 (dense f32 kernel)", "f32", nullptr, "", 32, 0, 0, 1},
    // The weights as arguments, as a framework passes them: read from the
    // caller's packed rows and scale tensors, with no repacking.
    {"W4 g128, run-time weights", "!lowbit.int<4, unsigned>", kW4.c_str(),
     "tensor<NxGxf16>, tensor<NxGx!lowbit.int<4, unsigned>>", 4, 0, 128, 1, true},
};


std::string replaceAll(std::string s, const std::string &from, const std::string &to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

/// y = a W^T with W, its scales and zero points arguments (f.runtime): W as
/// packed lsb_first rows of bytes.
std::string runtimeProgram(const Format &f, int64_t m, int64_t n, int64_t k) {
  std::string a = "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "xf32>";
  std::string c = "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xf32>";
  std::string bt = "tensor<" + std::to_string(n) + "x" + std::to_string(k) + "x" + f.codes + ">";
  std::string pt = "tensor<" + std::to_string(n) + "x" + std::to_string(k * f.slotBits / 8) +
                   "xi8>";
  std::string g = std::to_string(n) + "x" + std::to_string(k / f.group);
  std::string st = replaceAll("tensor<NxGxf16>", "NxG", g);
  std::string zt = replaceAll(f.quantizeResults, "NxG", g).substr(st.size() + 2);
  return "func.func @mm(%a: " + a + ", %wp: " + pt + ", %s: " + st + ", %z: " + zt + ") -> " +
         c + " {\n  %b = lowbit.unpack %wp order lsb_first : " + pt + " -> " + bt +
         "\n  %c = lowbit.mpgemm %a, %b [%s, %z] {b_scheme = #lowbit.scheme<" + f.scheme +
         ">, acc_type = f32, transpose_b} : " + a + ", " + bt + " [" + st + ", " + zt + "] -> " +
         c + "\n  return %c : " + c + "\n}\n";
}

/// y = a W^T, W constant (quantized or cast from `w` at compile time).
std::string program(const Format &f, int64_t m, int64_t n, int64_t k, const std::vector<float> &w) {
  std::string dims = std::to_string(n) + "x" + std::to_string(k);
  std::string a = "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "xf32>";
  std::string wt = "tensor<" + dims + "xf32>", bt = "tensor<" + dims + "x" + f.codes + ">";
  std::string c = "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xf32>";
  std::string s = "func.func @mm(%a: " + a + ") -> " + c + " {\n  %wf = arith.constant dense<" +
                  lowbit::rt::denseHexF32(w) + "> : " + wt + "\n";
  std::string tuning =
      f.tuning ? std::string(", lowbit.x86_tuning = {") + f.tuning + "}" : "";
  if (!f.scheme && bt == wt) {
    s += "  %c = lowbit.mpgemm %a, %wf {acc_type = f32, transpose_b" + tuning + "} : " + a +
         ", " + wt + " -> " + c + "\n";
  } else if (!f.scheme) {
    s += "  %b = lowbit.cast %wf : " + wt + " to " + bt + "\n";
    s += "  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b" + tuning + "} : " + a +
         ", " + bt + " -> " + c + "\n";
  } else {
    int64_t g = f.group ? k / f.group : 1;
    std::string extra =
        replaceAll(f.quantizeResults, "NxG", std::to_string(n) + "x" + std::to_string(g));
    bool zero = std::string(f.quantizeResults).find(", ") != std::string::npos;
    std::string names = zero ? "%s, %z" : "%s";
    s += "  %b, " + names + " = lowbit.quantize %wf {scheme = #lowbit.scheme<" + f.scheme +
         ">} : " + wt + " -> " + bt + ", " + extra + "\n";
    s += "  %c = lowbit.mpgemm %a, %b [" + names + "] {b_scheme = #lowbit.scheme<" + f.scheme +
         ">, acc_type = f32, transpose_b" + tuning + "} : " + a + ", " + bt + " [" + extra +
         "] -> " + c + "\n";
  }
  return s + "  return %c : " + c + "\n}\n";
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Sums `words` 64-bit words from `from` (the sum keeps the loop alive).
/// Built twice: with AVX2 (32-byte loads, as the kernels' streams) where
/// the host has it, else for the baseline x86-64.
__attribute__((always_inline)) inline uint64_t sumWords(const uint64_t *from, size_t words) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= words; i += 4) {
    s0 += from[i];
    s1 += from[i + 1];
    s2 += from[i + 2];
    s3 += from[i + 3];
  }
  return s0 + s1 + s2 + s3;
}
uint64_t sumWordsBaseline(const uint64_t *from, size_t words) { return sumWords(from, words); }
__attribute__((target("avx2"))) uint64_t sumWordsAVX2(const uint64_t *from, size_t words) {
  return sumWords(from, words); // inlined: compiled for AVX2
}
uint64_t sumRange(const uint64_t *from, size_t words) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 ? sumWordsAVX2(from, words) : sumWordsBaseline(from, words);
}
uint64_t readAll(const std::vector<uint64_t> &v, size_t words) { return sumRange(v.data(), words); }

volatile uint64_t sink;

/// Seconds for `threads` threads to read `words` words of `v`, split in
/// contiguous parts: timed from a common start to the last finish, so that
/// starting the threads is not counted.
double readAllParallel(const std::vector<uint64_t> &v, size_t words, unsigned threads) {
  if (threads <= 1) {
    auto t = std::chrono::steady_clock::now();
    sink = readAll(v, words);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  std::atomic<bool> go{false};
  std::atomic<unsigned> ready{0};
  std::vector<std::chrono::steady_clock::time_point> ends(threads);
  std::vector<std::thread> pool;
  size_t part = words / threads / 4 * 4;
  for (unsigned i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      ready.fetch_add(1, std::memory_order_acq_rel);
      while (!go.load(std::memory_order_acquire)) {
      }
      sink = sumRange(v.data() + i * part, part);
      ends[i] = std::chrono::steady_clock::now();
    });
  while (ready.load(std::memory_order_acquire) < threads) {
  }
  auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread &t : pool)
    t.join();
  return std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) - start)
      .count();
}
std::vector<uint64_t> evictBuffer(96u << 17); // 96 MiB
void evictCaches() { sink = readAll(evictBuffer, evictBuffer.size()); }

/// Waits until idle thread pools have stopped spinning (libomp spins 200 ms
/// after a parallel region by default), so that they do not share the
/// cores with the next library's calls.
void quiesce() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

std::string cell(const lowbit::bench::Stats &s) {
  if (std::isnan(s.median))
    return "-";
  char b[96];
  std::snprintf(b, sizeof b, "%.0f (%.0f..%.0f)", s.median, s.min, s.max);
  return b;
}
} // namespace

int main(int argc, char **argv) {
  int repeats = 7;
  bool quick = false;
  std::string out, only; // only: run the formats whose name contains it
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc)
      repeats = std::max(1, std::atoi(argv[++i]));
    else if (a == "--quick")
      quick = true;
    else if (a == "--out" && i + 1 < argc)
      out = argv[++i];
    else if (a == "--format" && i + 1 < argc)
      only = argv[++i];
    else {
      std::fprintf(stderr, "usage: lowbit-bench-cpu-mpgemm [--repeat N] [--quick] [--format NAME] [--out FILE.md]\n");
      return 2;
    }
  }
  openblas_set_num_threads(1);
  for (size_t i = 0; i < evictBuffer.size(); ++i)
    evictBuffer[i] = i;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);

  // llama.cpp's kernels, when the package is installed.
  std::unique_ptr<lowbit::bench::LlamaCpp> llama;
  std::set<std::string> llamaNotes;
  std::string llamaDir;
  if (const char *d = std::getenv("LOWBIT_LLAMA_CPP_DIR"))
    llamaDir = d;
  else if (const char *home = std::getenv("HOME"))
    llamaDir = std::string(home) +
               "/.cache/lowbit/llama-cpp-3.22.1/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
  std::string llamaWhy;
  llama = lowbit::bench::LlamaCpp::load(llamaDir, llamaWhy);
  if (!llama)
    std::fprintf(stderr, "llama.cpp columns left out: %s (run scripts/fetch-llama-cpp.sh)\n",
                 llamaWhy.c_str());

  std::ostringstream table;
  table << "| N x K | M | threads | weights | bytes read | compile s cold / cached | x86 kernel us | GB/s | "
           "x roofline | roofline us | reference us (1 thread) | OpenBLAS f32 us | kernel vs "
           "f32 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<std::pair<int64_t, int64_t>> shapes{{4096, 4096}};
  if (!quick)
    shapes.push_back({11008, 4096});
  for (auto [n, k] : shapes) {
    std::vector<float> wf(n * k);
    for (float &x : wf)
      x = u(rng);
    for (int64_t m : {int64_t(1), int64_t(8)})
    for (unsigned threads : {1u, 2u}) {
      std::vector<float> a(m * k), c(m * n), cr(m * n), cb(m * n);
      for (float &x : a)
        x = u(rng);
      for (const Format &f : kFormats) {
        if (!only.empty() && std::string(f.name).find(only) == std::string::npos)
          continue;
        std::vector<float> w(wf);
        for (float &x : w)
          x *= static_cast<float>(f.range);
        std::string source = f.runtime ? runtimeProgram(f, m, n, k) : program(f, m, n, k, w);
        // Run-time operands: random codes (any byte is two valid codes),
        // f16 scales of 2^-7, zero codes 8.
        std::vector<uint8_t> wp, zp;
        std::vector<uint16_t> sp;
        if (f.runtime) {
          wp.resize(n * k * f.slotBits / 8);
          for (uint8_t &x : wp)
            x = static_cast<uint8_t>(rng());
          sp.assign(n * (k / f.group), 0x2000);
          zp.assign(n * (k / f.group), 8);
        }
        auto args = [&](float *a0, float *c0) {
          if (!f.runtime)
            return std::vector<void *>{a0, c0};
          return std::vector<void *>{a0, wp.data(), sp.data(), zp.data(), c0};
        };
        std::string diagnostics;
        lowbit::rt::CompileOptions fast, ref;
        fast.target = f.target ? f.target : "host";
        // Compile times of the in-process JIT: with the disk cache a rerun
        // would load the modules of the previous run.
        fast.diskCache = false;
        fast.reportFallbacks = true;
        fast.numThreads = threads;
        ref.target = "generic";
        ref.diskCache = false;
        auto t0 = std::chrono::steady_clock::now();
        auto kernel = lowbit::rt::compile(source, fast, diagnostics);
        double compileSeconds = seconds(t0);
        // 64-entry codebooks need vpermb: on a host without AVX-512 VBMI
        // that row is left out (with its remark), not measured on the
        // reference path.
        if (kernel && diagnostics.find("vpermb, which the target lacks") != std::string::npos) {
          std::fprintf(stderr, "%s left out: %s\n", f.name, diagnostics.c_str());
          continue;
        }
        if (!kernel || diagnostics.find("reference path") != std::string::npos) {
          std::fprintf(stderr, "%s: %s\n", f.name, diagnostics.c_str());
          return 1;
        }
        ref.numThreads = 1;
        // The same compile again while the module is alive: a cache hit
        // (hashing the source text is its cost).
        t0 = std::chrono::steady_clock::now();
        auto cached = lowbit::rt::compile(source, fast, diagnostics);
        double cachedMs = seconds(t0) * 1e3;
        if (cached != kernel) {
          std::fprintf(stderr, "%s: the second compile missed the cache\n", f.name);
          return 1;
        }
        cached.reset();
        auto reference = lowbit::rt::compile(source, ref, diagnostics);
        if (!reference) {
          std::fprintf(stderr, "%s", diagnostics.c_str());
          return 1;
        }
        int64_t groups = f.group ? k / f.group : 1;
        size_t bytes = static_cast<size_t>(n * k) * f.slotBits / 8 +
                       static_cast<size_t>(n * groups) * (f.runtime ? 3 : 4 * f.tables);
        std::vector<uint64_t> copy(bytes / 8 + 4, 1);
        std::vector<double> tk, tr, troof, tb;
        kernel->invoke("mm", args(a.data(), c.data()));
        // Each library's calls in a phase of their own, interleaved only
        // with the read loop: with two threads, a pool that spins after its
        // call (libomp's, OpenBLAS's, ggml's) would otherwise steal the
        // second core from the next library's call.
        for (int r = 0; r < repeats; ++r) {
          evictCaches();
          auto t = std::chrono::steady_clock::now();
          kernel->invoke("mm", args(a.data(), c.data()));
          tk.push_back(seconds(t) * 1e6);
          evictCaches();
          troof.push_back(readAllParallel(copy, bytes / 8, threads) * 1e6);
        }
        quiesce();
        for (int r = 0; threads == 1 && r < (quick ? 3 : repeats); ++r) {
          evictCaches();
          auto t = std::chrono::steady_clock::now();
          reference->invoke("mm", args(a.data(), cr.data()));
          tr.push_back(seconds(t) * 1e6);
        }
        openblas_set_num_threads(static_cast<int>(threads));
        for (int r = 0; r < repeats; ++r) {
          evictCaches();
          auto t = std::chrono::steady_clock::now();
          if (m == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w.data(), k, a.data(), 1, 0.0f,
                        cb.data(), 1);
          else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data(), k,
                        w.data(), k, 0.0f, cb.data(), n);
          tb.push_back(seconds(t) * 1e6);
        }
        quiesce();
        if (tr.empty())
          tr.push_back(NAN);
        auto sk = lowbit::bench::stats(tk), sr = lowbit::bench::stats(tr),
             sf = lowbit::bench::stats(troof), sb = lowbit::bench::stats(tb);
        char line[512];
        std::snprintf(line, sizeof line,
                      "| %lldx%lld | %lld | %u | %s | %.2f MB | %.2f / %.1f ms | %s | %.1f | %.2f | %s | "
                      "%s | %s | %.1fx faster |\n",
                      static_cast<long long>(n), static_cast<long long>(k),
                      static_cast<long long>(m), threads, f.name, bytes / 1e6, compileSeconds,
                      cachedMs,
                      cell(sk).c_str(), bytes / sk.median / 1e3, sk.median / sf.median,
                      cell(sf).c_str(), cell(sr).c_str(), cell(sb).c_str(),
                      sb.median / sk.median);
        std::printf("%s", line);
        std::fflush(stdout);
        table << line;
      }
      if (!llama)
        continue;
      // llama.cpp, nearest types; repacked where llama.cpp repacks on x86.
      for (auto [type, repack] : {std::pair{"q2_K", true}, {"tq2_0", false}, {"q4_0", true},
                                  {"q4_K", true}, {"mxfp4", false}, {"q8_0", false}}) {
        std::string why;
        auto mm = llama->matmul(type, repack, m, n, k, wf.data(), static_cast<int>(threads), why);
        if (!mm) {
          llamaNotes.insert(why);
          continue;
        }
        std::vector<uint64_t> copy(mm->weightBytes / 8 + 4, 1);
        std::vector<double> tl, troof;
        mm->run(a.data());
        quiesce();
        for (int r = 0; r < repeats; ++r) {
          evictCaches();
          auto t = std::chrono::steady_clock::now();
          mm->run(a.data());
          tl.push_back(seconds(t) * 1e6);
          evictCaches();
          troof.push_back(readAllParallel(copy, mm->weightBytes / 8, threads) * 1e6);
        }
        auto sl = lowbit::bench::stats(tl), sf = lowbit::bench::stats(troof);
        char line[512];
        std::snprintf(line, sizeof line,
                      "| %lldx%lld | %lld | %u | llama.cpp %s | %.2f MB | - | %s | %.1f | %.2f | %s "
                      "| - | - | - |\n",
                      static_cast<long long>(n), static_cast<long long>(k),
                      static_cast<long long>(m), threads, mm->typeName.c_str(),
                      mm->weightBytes / 1e6, cell(sl).c_str(), mm->weightBytes / sl.median / 1e3,
                      sl.median / sf.median, cell(sf).c_str());
        std::printf("%s", line);
        std::fflush(stdout);
        table << line;
      }
    }
  }
  if (!out.empty()) {
    std::ofstream md(out);
    md << "# x86 mpGEMM kernels\n\n"
       << "`build/bin/lowbit-bench-cpu-mpgemm" << (quick ? " --quick" : "")
       << (only.empty() ? std::string() : " --format \"" + only + "\"") << " --out " << out
       << "` on " << lowbit::bench::cpuName()
       << ", 1 and 2 threads (OpenMP; OpenBLAS with as many), " << repeats
       << " repeats (each library's calls in a phase of their own, alternating with the read "
          "loop, 300 ms apart so that idle thread pools stop spinning: with 2 threads a "
          "spinning pool of one library steals the second core from the next); every timed "
          "call starts with cold caches (a 96 MiB buffer "
          "is read first). x86 kernel: `lowbit.mpgemm` with constant weights through "
          "`--lowbit-cpu-pipeline=target=host` (convert-lowbit-to-x86: weights repacked at "
          "compile time, activations quantized to int8 per 32 k at run time, vpdpbusd). "
          "Bytes read: the kernel's weight bytes plus its f32 scale/zero tables. Roofline: "
          "a read loop over the same number of bytes, cold, with as many threads. Reference: the same program "
          "with target generic. OpenBLAS: sgemv/sgemm on the f32 weights. Times in "
          "microseconds, median (min..max); compile: cold JIT compile of the kernel "
          "module, including parsing the f32 weights as text, their quantization and "
          "repacking, then the same compile answered by the cache (a 128-bit hash of the "
          "text). llama.cpp rows: "
       << (llama ? "ggml from @node-llama-cpp/linux-x64 3.22.1 (libggml-cpu-" + llama->cpuVariant +
                       ".so), the same f32 weights quantized by ggml_quantize_chunk, repacked "
                       "through its CPU_REPACK buffer where marked, activations quantized by ggml "
                       "itself; timed like ours (cold, interleaved with the read loop)"
                 : "left out (" + llamaWhy + ")")
       << ".\n\n" << table.str();
  for (const std::string &note : llamaNotes)
    md << "\nllama.cpp: " << note << "\n";
  }
  return 0;
}
