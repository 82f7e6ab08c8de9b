//===- mpgemm-reference.cpp - The reference mpGEMM path next to OpenBLAS ---===//
//
//   lowbit-bench-mpgemm [--repeat N] [--out docs/benchmarks/mpgemm-reference.md]
//
// Times lowbit.mpgemm through the reference pipeline and the JIT (one
// thread) for a 4096x4096 GEMV (M = 1) and an M = 8 GEMM, for several
// weight formats, next to OpenBLAS sgemv/sgemm on the same shapes in f32
// (one thread), interleaved in one run. Reports the median and the spread
// of the repeats and the ratio of medians.
//
//===----------------------------------------------------------------------===//

#include "BenchmarkUtil.h"

#include "lowbit/Runtime/JIT.h"

#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {
constexpr int64_t kN = 4096, kK = 4096;

struct Format {
  const char *name;
  const char *codes;               ///< element type of B
  const char *scheme;              ///< preset or nullptr
  std::vector<const char *> params; ///< B's scale tensor types
};

const Format kFormats[] = {
    {"f32 weights", "f32", nullptr, {}},
    {"int4", "!lowbit.int<4>", nullptr, {}},
    {"posit<8,0>", "!lowbit.posit<8, 0>", nullptr, {}},
    {"mxfp4", "f4E2M1FN", "mxfp4", {"tensor<4096x128xf8E8M0FNU>"}},
    {"gptq_u4_g128", "!lowbit.int<4, unsigned>", "gptq_u4_g128",
     {"tensor<4096x32xf16>", "tensor<4096x32x!lowbit.int<4, unsigned>>"}},
};

std::string program(const Format &f, int64_t m) {
  std::string a = "tensor<" + std::to_string(m) + "x4096xf32>";
  std::string b = std::string("tensor<4096x4096x") + f.codes + ">";
  std::string c = "tensor<" + std::to_string(m) + "x4096xf32>";
  std::string args, names, types;
  for (size_t i = 0; i < f.params.size(); ++i) {
    std::string sep = i ? ", " : "";
    args += ", %p" + std::to_string(i) + ": " + f.params[i];
    names += sep + "%p" + std::to_string(i);
    types += sep + f.params[i];
  }
  std::string bracket = f.params.empty() ? "" : " [" + names + "]";
  std::string bracketTypes = f.params.empty() ? "" : " [" + types + "]";
  std::string scheme =
      f.scheme ? std::string(", b_scheme = #lowbit.scheme<") + f.scheme + ">" : "";
  return "func.func @mm(%a: " + a + ", %b: " + b + args + ") -> " + c + " {\n" +
         "  %c = lowbit.mpgemm %a, %b" + bracket + " {acc_type = f32, transpose_b" + scheme +
         "} : " + a + ", " + b + bracketTypes + " -> " + c + "\n  return %c : " + c + "\n}\n";
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
} // namespace

int main(int argc, char **argv) {
  int repeats = 7;
  std::string out;
  if (!lowbit::bench::parseRepeatAndOut(argc, argv, "lowbit-bench-mpgemm", repeats, out))
    return 2;
  openblas_set_num_threads(1);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> wf(kN * kK);
  for (float &x : wf)
    x = u(rng);

  std::ostringstream table;
  table << "| shape | weights | lowbit reference ms, median (min..max) | OpenBLAS f32 ms, "
           "median (min..max) | ratio |\n|---|---|---|---|---|\n";
  for (int64_t m : {int64_t(1), int64_t(8)}) {
    std::vector<float> a(m * kK), c(m * kN), cb(m * kN);
    for (float &x : a)
      x = u(rng);
    for (const Format &f : kFormats) {
      std::string diagnostics;
      lowbit::rt::CompileOptions options;
      options.target = "generic"; // the reference path, by name
      auto module = lowbit::rt::compile(program(f, m), options, diagnostics);
      if (!module) {
        std::fprintf(stderr, "%s", diagnostics.c_str());
        return 1;
      }
      const lowbit::rt::FunctionSignature *sig = module->find("mm");
      // Storage buffers: random bytes for codes, sane scales (E8M0 code
      // 120, f16 0.01, zero 8) so that no time goes to NaN or subnormals.
      std::vector<std::vector<uint8_t>> store;
      std::vector<void *> buffers{a.data()};
      for (size_t i = 1; i < sig->inputs.size(); ++i) {
        const auto &ts = sig->inputs[i];
        store.emplace_back(ts.bytes());
        auto &s = store.back();
        if (ts.storageType == "f32")
          std::memcpy(s.data(), wf.data(), s.size());
        else if (i == 1)
          for (auto &x : s)
            x = static_cast<uint8_t>(rng() & 0x77); // no NaN codes in any format here
        else if (ts.storageType == "f16")
          for (size_t j = 0; j < s.size(); j += 2) {
            s[j] = 0x1f;
            s[j + 1] = 0x21; // 0x211f = 0.01
          }
        else if (ts.elementType == "f8E8M0FNU")
          std::fill(s.begin(), s.end(), 120);
        else
          std::fill(s.begin(), s.end(), 8);
        buffers.push_back(s.data());
      }
      buffers.push_back(c.data());
      std::vector<double> ours, blas;
      module->invoke("mm", buffers); // warm-up
      for (int r = 0; r < repeats; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        module->invoke("mm", buffers);
        ours.push_back(seconds(t0) * 1e3);
        t0 = std::chrono::steady_clock::now();
        if (m == 1)
          cblas_sgemv(CblasRowMajor, CblasNoTrans, kN, kK, 1.0f, wf.data(), kK, a.data(), 1,
                      0.0f, cb.data(), 1);
        else
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kN, kK, 1.0f, a.data(), kK,
                      wf.data(), kK, 0.0f, cb.data(), kN);
        blas.push_back(seconds(t0) * 1e3);
      }
      auto so = lowbit::bench::stats(ours), sb = lowbit::bench::stats(blas);
      char line[256];
      std::snprintf(line, sizeof line,
                    "| M=%lld, N=K=4096 | %s | %.2f (%.2f..%.2f) | %.2f (%.2f..%.2f) | %.2f |\n",
                    static_cast<long long>(m), f.name, so.median, so.min, so.max, sb.median,
                    sb.min, sb.max, so.median / sb.median);
      std::printf("%s", line);
      std::fflush(stdout);
      table << line;
    }
  }
  if (!out.empty()) {
    std::ofstream md(out);
    md << "# Reference mpGEMM path vs OpenBLAS\n\n"
       << "`build/bin/lowbit-bench-mpgemm --out docs/benchmarks/mpgemm-reference.md` on "
       << lowbit::bench::cpuName() << ", one thread each (OpenBLAS "
       << "`openblas_set_num_threads(1)`), " << repeats
       << " interleaved repeats after a warm-up; ratio = lowbit median / OpenBLAS median. "
          "The reference path is lowbit.mpgemm through `--lowbit-reference-pipeline` "
          "(loops, LLVM -O3, decode tables in the loop body); the fast CPU paths come in a "
          "later issue. Target for the reference path: at most 5x OpenBLAS f32.\n\n"
       << table.str();
  }
  return 0;
}
