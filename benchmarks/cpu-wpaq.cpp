//===- cpu-wpaq.cpp - Bit-serial WpAq products against int8 x int8 ---------===//
//
//   lowbit-bench-cpu-wpaq [--repeat N] [--out docs/benchmarks/cpu-wpaq.md]
//
// For 4096 x 4096 weights of p bits and M = 1 and 8 activation rows of q
// bits (W1A1 bipolar, W2A2, W4A4, W2A8, W4A8), with 1 and 2 threads: the
// bit-serial kernel (lowbit.mpgemm of lowbit integer activation codes,
// i32 accumulation: popcounts of bit planes), our int8 x int8 path on the
// same weights (the same product with the activations as i8: vpdpbusd on
// VNNI targets), and, where its package is installed, llama.cpp's Q8_0
// weights x its own Q8 activations. The bit-serial and int8 results are
// compared bit for bit before timing. Weights are cold (a 96 MiB buffer is
// read before every timed call); each library's calls run in a phase of
// their own, repeats interleaved with the others'; median (min..max).
//
//===----------------------------------------------------------------------===//

#include "BenchmarkUtil.h"
#include "LlamaCppBaseline.h"

#include "lowbit/Runtime/DenseText.h"
#include "lowbit/Runtime/JIT.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
struct Config {
  const char *name;
  const char *weight, *activation; ///< lowbit element types
  double range;                    ///< f32 weights in [-range, range), cast
  unsigned q;                      ///< activation bits
  bool bipolar;
};
const Config kConfigs[] = {
    {"W1A1 (bipolar)", "!lowbit.int<1, bipolar>", "!lowbit.int<1, bipolar>", 1.0, 1, true},
    {"W2A2", "!lowbit.int<2>", "!lowbit.int<2>", 2.0, 2, false},
    {"W4A4", "!lowbit.int<4>", "!lowbit.int<4>", 8.0, 4, false},
    {"W2A8", "!lowbit.int<2>", "!lowbit.int<8>", 2.0, 8, false},
    {"W4A8", "!lowbit.int<4>", "!lowbit.int<8>", 8.0, 8, false},
};

/// `tuning`: the product's lowbit.x86_tuning entries, or empty.
std::string program(const char *act, const char *weight, int64_t m, int64_t n, int64_t k,
                    const std::vector<float> &w, const std::string &tuning = "") {
  std::string at = "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "x" + act + ">";
  std::string ft = "tensor<" + std::to_string(n) + "x" + std::to_string(k) + "xf32>";
  std::string wt = "tensor<" + std::to_string(n) + "x" + std::to_string(k) + "x" + weight + ">";
  std::string ct = "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xi32>";
  return "func.func @mm(%a: " + at + ") -> " + ct + " {\n  %wf = arith.constant dense<" +
         lowbit::rt::denseHexF32(w) + "> : " + ft + "\n  %w = lowbit.cast %wf : " + ft + " to " +
         wt + "\n  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b" +
         (tuning.empty() ? "" : ", lowbit.x86_tuning = {" + tuning + "}") + "} : " + at + ", " + wt +
         " -> " + ct + "\n  return %c : " + ct + "\n}\n";
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<uint64_t> evictBuffer(96u << 17); // 96 MiB
volatile uint64_t sink;
void evictCaches() {
  uint64_t s = 0;
  for (uint64_t x : evictBuffer)
    s += x;
  sink = s;
}
void quiesce() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

std::string cell(const lowbit::bench::Stats &s) {
  char b[96];
  std::snprintf(b, sizeof b, "%.0f (%.0f..%.0f)", s.median, s.min, s.max);
  return b;
}

/// Times `call` `repeats` times, cold.
std::vector<double> timeCold(int repeats, const std::function<void()> &call) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    evictCaches();
    auto t0 = std::chrono::steady_clock::now();
    call();
    t.push_back(seconds(t0) * 1e6);
  }
  return t;
}
} // namespace

int main(int argc, char **argv) {
  int repeats = 7;
  std::string out;
  if (!lowbit::bench::parseRepeatAndOut(argc, argv, "lowbit-bench-cpu-wpaq", repeats, out))
    return 2;
  for (size_t i = 0; i < evictBuffer.size(); ++i)
    evictBuffer[i] = i;
  const int64_t n = 4096, k = 4096;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> wf(n * k);
  for (float &x : wf)
    x = u(rng);

  std::unique_ptr<lowbit::bench::LlamaCpp> llama;
  std::string llamaDir, llamaWhy;
  if (const char *d = std::getenv("LOWBIT_LLAMA_CPP_DIR"))
    llamaDir = d;
  else if (const char *home = std::getenv("HOME"))
    llamaDir = std::string(home) +
               "/.cache/lowbit/llama-cpp-3.22.1/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
  llama = lowbit::bench::LlamaCpp::load(llamaDir, llamaWhy);

  std::ostringstream table;
  table << "| M | threads | product | bit-serial us | int8 x int8 us | bit-serial vs int8 | "
           "cost model's choice us | llama.cpp Q8_0 x Q8 us |\n|---|---|---|---|---|---|---|---|\n";
  for (int64_t m : {int64_t(1), int64_t(8)})
    for (unsigned threads : {1u, 2u}) {
      std::string llamaCell = "-";
      if (llama) {
        std::vector<float> af(m * k);
        for (float &x : af)
          x = u(rng);
        std::string why;
        if (auto mm = llama->matmul("q8_0", false, m, n, k, wf.data(), int(threads), why)) {
          mm->run(af.data());
          quiesce();
          llamaCell = cell(lowbit::bench::stats(timeCold(repeats, [&] { mm->run(af.data()); })));
          quiesce();
        } else {
          llamaCell = "- (" + why + ")";
        }
      }
      for (const Config &cfg : kConfigs) {
        std::vector<float> w(wf);
        for (float &x : w)
          x *= static_cast<float>(cfg.range);
        lowbit::rt::CompileOptions options;
        options.diskCache = false;
        options.reportFallbacks = true;
        options.numThreads = threads;
        std::string diagnostics;
        auto bitSerial = lowbit::rt::compile(
            program(cfg.activation, cfg.weight, m, n, k, w, "kernel = \"bit-serial\""), options,
            diagnostics);
        auto chosen =
            lowbit::rt::compile(program(cfg.activation, cfg.weight, m, n, k, w), options, diagnostics);
        auto int8 = lowbit::rt::compile(program("i8", cfg.weight, m, n, k, w), options, diagnostics);
        if (!bitSerial || !int8 || !chosen ||
            diagnostics.find("reference path") != std::string::npos) {
          std::fprintf(stderr, "%s: %s\n", cfg.name, diagnostics.c_str());
          return 1;
        }
        // Codes and their i8 values: two's complement codes are the
        // values' low q bits; bipolar code c is 2c - 1.
        std::vector<int8_t> codes(m * k), values(m * k);
        for (size_t i = 0; i < codes.size(); ++i) {
          unsigned c = rng() & ((1u << cfg.q) - 1);
          codes[i] = static_cast<int8_t>(c);
          int v = cfg.bipolar ? 2 * int(c) - 1
                              : (c >= (1u << (cfg.q - 1)) ? int(c) - (1 << cfg.q) : int(c));
          values[i] = static_cast<int8_t>(v);
        }
        std::vector<int32_t> cb(m * n), ci(m * n), cc(m * n);
        bitSerial->invoke("mm", {codes.data(), cb.data()});
        int8->invoke("mm", {values.data(), ci.data()});
        chosen->invoke("mm", {codes.data(), cc.data()});
        if (cb != ci || cc != ci) {
          std::fprintf(stderr, "%s: bit-serial and int8 results differ\n", cfg.name);
          return 1;
        }
        std::vector<double> tb, ti, tc;
        for (int r = 0; r < repeats; ++r) { // interleaved
          tb.push_back(timeCold(1, [&] { bitSerial->invoke("mm", {codes.data(), cb.data()}); })[0]);
          ti.push_back(timeCold(1, [&] { int8->invoke("mm", {values.data(), ci.data()}); })[0]);
          tc.push_back(timeCold(1, [&] { chosen->invoke("mm", {codes.data(), cc.data()}); })[0]);
        }
        auto sb = lowbit::bench::stats(tb), si = lowbit::bench::stats(ti),
             sc = lowbit::bench::stats(tc);
        char line[512];
        std::snprintf(line, sizeof line, "| %lld | %u | %s | %s | %s | %.2fx | %s | %s |\n",
                      static_cast<long long>(m), threads, cfg.name, cell(sb).c_str(),
                      cell(si).c_str(), si.median / sb.median, cell(sc).c_str(),
                      llamaCell.c_str());
        std::printf("%s", line);
        std::fflush(stdout);
        table << line;
        quiesce();
      }
    }
  if (!out.empty()) {
    std::ofstream md(out);
    md << "# Bit-serial WpAq products (x86)\n\n"
       << "`build/bin/lowbit-bench-cpu-wpaq --out docs/benchmarks/cpu-wpaq.md` on "
       << lowbit::bench::cpuName() << ", target host, " << repeats
       << " repeats, bit-serial and int8 calls interleaved, every call with cold caches (a 96 "
          "MiB buffer is read first). 4096 x 4096 constant weights. Bit-serial: "
          "`lowbit.mpgemm` of `!lowbit.int<q>` activation codes x `!lowbit.int<p>` weights, i32 "
          "(convert-lowbit-to-x86's bit-serial kernel: weight bit planes packed at compile time, "
          "activation planes at run time, popcounts of their ANDs; asked for with "
          "`lowbit.x86_tuning = {kernel = \"bit-serial\"}`). int8 x int8: the same weights with "
          "the activations as i8 values (the byte-dot kernel, vpdpbusd). Cost model's choice: "
          "the low-bit program without tuning (the bit-serial kernel where it pays, else the "
          "byte-dot kernel on the codes mapped to i8 in the same module). All three give the "
          "same bits (checked before timing). llama.cpp: "
       << (llama ? "Q8_0 weights (the same f32 weights before scaling) x its Q8 activations "
                   "(f32 activations quantized by ggml), libggml-cpu-" +
                       llama->cpuVariant + ".so"
                 : "left out (" + llamaWhy + ")")
       << ". Times in microseconds, median (min..max).\n\n"
       << table.str();
  }
  return 0;
}
