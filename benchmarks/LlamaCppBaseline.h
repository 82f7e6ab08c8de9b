//===- LlamaCppBaseline.h - llama.cpp's CPU matmul kernels, loaded at run time ===//
//
// The baseline column of the CPU benchmark: ggml (llama.cpp's tensor
// library) from the npm package @node-llama-cpp/linux-x64, which ships
// libggml-base.so and one libggml-cpu-*.so per x86 level. Nothing of it is
// compiled into lowbit: scripts/fetch-llama-cpp.sh installs the package into
// a cache folder, and this loads it with dlopen and calls the few ggml
// functions it declares itself. Weights are quantized by ggml
// (ggml_quantize_chunk) and, for the types llama.cpp repacks at load time
// (Q4_0, Q4_K, Q2_K on x86), stored through its CPU_REPACK buffer type, as
// llama.cpp does; ggml quantizes the activations itself (Q8_0 / Q8_K).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_BENCHMARKS_LLAMACPPBASELINE_H
#define LOWBIT_BENCHMARKS_LLAMACPPBASELINE_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lowbit::bench {

class LlamaCppMatMul;

class LlamaCpp {
public:
  /// Loads ggml from `dir` (the package's bins/linux-x64 folder), or
  /// returns null with the reason in `why`.
  static std::unique_ptr<LlamaCpp> load(const std::string &dir, std::string &why);
  ~LlamaCpp();

  /// y (m x n) = x (m x k) W^T for W (n x k, f32) quantized to ggml type
  /// `type` ("q4_0", "q2_K", ...), repacked when `repack`. Null with `why`
  /// when ggml lacks the type.
  std::unique_ptr<LlamaCppMatMul> matmul(const std::string &type, bool repack, int64_t m,
                                         int64_t n, int64_t k, const float *w, int threads,
                                         std::string &why);
  std::string cpuVariant; ///< which libggml-cpu-*.so was loaded

  struct Api;
  std::unique_ptr<Api> api;
};

class LlamaCppMatMul {
public:
  ~LlamaCppMatMul();
  /// Runs once on activations x (m x k); the result stays in ggml's buffer.
  void run(const float *x);
  size_t weightBytes = 0;
  std::string typeName; ///< with " (repacked)" when repacked

  struct State;
  std::unique_ptr<State> state;
};

} // namespace lowbit::bench

#endif
