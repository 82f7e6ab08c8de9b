//===- LlamaCppBaseline.cpp - llama.cpp's CPU matmul kernels, loaded at run time ===//

#include "LlamaCppBaseline.h"

#include <dlfcn.h>

#include <cstring>

using namespace lowbit::bench;

namespace {
// The parts of ggml's C API (ggml.h, ggml-backend.h, ggml-cpu.h of ggml
// 0.5) this benchmark calls, declared here: handles are opaque pointers,
// enum values are looked up by name at run time.
struct GgmlInitParams {
  size_t memSize;
  void *memBuffer;
  bool noAlloc;
};
using Handle = void *;
} // namespace

struct LlamaCpp::Api {
  void *base = nullptr, *cpu = nullptr;
  Handle (*init)(GgmlInitParams) = nullptr;
  void (*free)(Handle) = nullptr;
  Handle (*newTensor2d)(Handle, int, int64_t, int64_t) = nullptr;
  Handle (*mulMat)(Handle, Handle, Handle) = nullptr;
  Handle (*newGraph)(Handle) = nullptr;
  void (*buildForwardExpand)(Handle, Handle) = nullptr;
  size_t (*quantizeChunk)(int, const float *, void *, int64_t, int64_t, int64_t,
                          const float *) = nullptr;
  bool (*quantizeRequiresImatrix)(int) = nullptr;
  const char *(*typeName)(int) = nullptr;
  size_t (*rowSize)(int, int64_t) = nullptr;
  size_t (*tensorOverhead)() = nullptr;
  size_t (*graphOverhead)() = nullptr;
  Handle (*allocCtxTensorsFromBuft)(Handle, Handle) = nullptr;
  Handle (*allocCtxTensors)(Handle, Handle) = nullptr;
  void (*tensorSet)(Handle, const void *, size_t, size_t) = nullptr;
  int (*graphCompute)(Handle, Handle) = nullptr;
  const char *(*buftName)(Handle) = nullptr;
  void *(*regGetProcAddress)(Handle, const char *) = nullptr;
  Handle (*regDevGet)(Handle, size_t) = nullptr;
  void (*backendFree)(Handle) = nullptr;
  void (*bufferFree)(Handle) = nullptr;
  Handle (*cpuInit)() = nullptr;
  void (*cpuSetNThreads)(Handle, int) = nullptr;
  Handle (*cpuReg)() = nullptr;

  /// The ggml type called `name`, or -1. GGML_TYPE_COUNT is 40 in ggml 0.5.
  int type(const std::string &name) const {
    for (int i = 0; i < 40; ++i)
      if (const char *n = typeName(i); n && name == n)
        return i;
    return -1;
  }
};

struct LlamaCppMatMul::State {
  LlamaCpp::Api *api = nullptr;
  Handle backend = nullptr, ctxW = nullptr, ctxIO = nullptr, bufW = nullptr, bufIO = nullptr;
  Handle x = nullptr, graph = nullptr;
  size_t xBytes = 0;
  ~State() {
    if (bufIO)
      api->bufferFree(bufIO);
    if (bufW)
      api->bufferFree(bufW);
    if (ctxIO)
      api->free(ctxIO);
    if (ctxW)
      api->free(ctxW);
    if (backend)
      api->backendFree(backend);
  }
};

template <class F> static bool bind(void *lib, const char *name, F &fn, std::string &why) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn)
    why = std::string("ggml has no ") + name;
  return fn != nullptr;
}

std::unique_ptr<LlamaCpp> LlamaCpp::load(const std::string &dir, std::string &why) {
  auto l = std::make_unique<LlamaCpp>();
  l->api = std::make_unique<Api>();
  Api &a = *l->api;
  a.base = dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!a.base) {
    why = std::string("cannot load libggml-base.so: ") + dlerror();
    return nullptr;
  }
  // The most capable CPU variant this host runs (AVX-512 VNNI first).
  for (const char *variant : {"zen4", "icelake", "skylakex", "haswell", "x64"}) {
    if (variant == std::string("zen4") && !__builtin_cpu_supports("avx512vnni"))
      continue;
    if (variant == std::string("icelake") && !__builtin_cpu_supports("avx512vbmi"))
      continue;
    if (variant == std::string("skylakex") && !__builtin_cpu_supports("avx512bw"))
      continue;
    if (variant == std::string("haswell") && !__builtin_cpu_supports("avx2"))
      continue;
    std::string path = dir + "/libggml-cpu-" + variant + ".so";
    if ((a.cpu = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL))) {
      l->cpuVariant = variant;
      break;
    }
  }
  if (!a.cpu) {
    why = "no libggml-cpu-*.so loads on this host";
    return nullptr;
  }
  bool ok = bind(a.base, "ggml_init", a.init, why) && bind(a.base, "ggml_free", a.free, why) &&
            bind(a.base, "ggml_new_tensor_2d", a.newTensor2d, why) &&
            bind(a.base, "ggml_mul_mat", a.mulMat, why) &&
            bind(a.base, "ggml_new_graph", a.newGraph, why) &&
            bind(a.base, "ggml_build_forward_expand", a.buildForwardExpand, why) &&
            bind(a.base, "ggml_quantize_chunk", a.quantizeChunk, why) &&
            bind(a.base, "ggml_quantize_requires_imatrix", a.quantizeRequiresImatrix, why) &&
            bind(a.base, "ggml_type_name", a.typeName, why) &&
            bind(a.base, "ggml_row_size", a.rowSize, why) &&
            bind(a.base, "ggml_tensor_overhead", a.tensorOverhead, why) &&
            bind(a.base, "ggml_graph_overhead", a.graphOverhead, why) &&
            bind(a.base, "ggml_backend_alloc_ctx_tensors_from_buft", a.allocCtxTensorsFromBuft,
                 why) &&
            bind(a.base, "ggml_backend_alloc_ctx_tensors", a.allocCtxTensors, why) &&
            bind(a.base, "ggml_backend_tensor_set", a.tensorSet, why) &&
            bind(a.base, "ggml_backend_graph_compute", a.graphCompute, why) &&
            bind(a.base, "ggml_backend_buft_name", a.buftName, why) &&
            bind(a.base, "ggml_backend_reg_get_proc_address", a.regGetProcAddress, why) &&
            bind(a.base, "ggml_backend_reg_dev_get", a.regDevGet, why) &&
            bind(a.base, "ggml_backend_free", a.backendFree, why) &&
            bind(a.base, "ggml_backend_buffer_free", a.bufferFree, why) &&
            bind(a.cpu, "ggml_backend_cpu_init", a.cpuInit, why) &&
            bind(a.cpu, "ggml_backend_cpu_set_n_threads", a.cpuSetNThreads, why) &&
            bind(a.cpu, "ggml_backend_cpu_reg", a.cpuReg, why);
  if (!ok)
    return nullptr;
  return l;
}

LlamaCpp::~LlamaCpp() = default;
LlamaCppMatMul::~LlamaCppMatMul() = default;

std::unique_ptr<LlamaCppMatMul> LlamaCpp::matmul(const std::string &typeName, bool repack,
                                                 int64_t m, int64_t n, int64_t k, const float *w,
                                                 int threads, std::string &why) {
  Api &a = *api;
  int type = a.type(typeName), f32 = a.type("f32");
  if (type < 0 || f32 < 0) {
    why = "ggml has no type " + typeName;
    return nullptr;
  }
  if (a.quantizeRequiresImatrix(type)) {
    why = typeName + " needs an importance matrix";
    return nullptr;
  }
  auto mm = std::make_unique<LlamaCppMatMul>();
  mm->state = std::make_unique<LlamaCppMatMul::State>();
  LlamaCppMatMul::State &s = *mm->state;
  s.api = &a;
  s.backend = a.cpuInit();
  a.cpuSetNThreads(s.backend, threads);

  Handle buft = nullptr;
  if (repack) {
    Handle reg = a.cpuReg();
    using ExtraBufts = Handle *(*)(Handle);
    auto extra = reinterpret_cast<ExtraBufts>(
        a.regGetProcAddress(reg, "ggml_backend_dev_get_extra_bufts"));
    for (Handle *b = extra ? extra(a.regDevGet(reg, 0)) : nullptr; b && *b; ++b)
      if (std::string(a.buftName(*b)) == "CPU_REPACK")
        buft = *b;
    if (!buft) {
      why = "ggml's CPU backend has no CPU_REPACK buffer type";
      return nullptr;
    }
  }
  s.ctxW = a.init({a.tensorOverhead() * 2, nullptr, true});
  Handle weight = a.newTensor2d(s.ctxW, type, k, n);
  s.bufW = buft ? a.allocCtxTensorsFromBuft(s.ctxW, buft) : a.allocCtxTensors(s.ctxW, s.backend);
  std::vector<uint8_t> q(a.rowSize(type, k) * n);
  a.quantizeChunk(type, w, q.data(), 0, n, k, nullptr);
  a.tensorSet(weight, q.data(), 0, q.size()); // repacks into CPU_REPACK buffers
  mm->weightBytes = q.size();
  mm->typeName = typeName + (repack ? " (repacked)" : "");

  s.ctxIO = a.init({a.tensorOverhead() * 4 + a.graphOverhead(), nullptr, true});
  s.x = a.newTensor2d(s.ctxIO, f32, k, m);
  Handle y = a.mulMat(s.ctxIO, weight, s.x);
  s.graph = a.newGraph(s.ctxIO);
  a.buildForwardExpand(s.graph, y);
  s.bufIO = a.allocCtxTensors(s.ctxIO, s.backend);
  s.xBytes = static_cast<size_t>(m * k) * 4;
  return mm;
}

void LlamaCppMatMul::run(const float *x) {
  state->api->tensorSet(state->x, x, 0, state->xBytes);
  state->api->graphCompute(state->backend, state->graph);
}
