//===- CApiFuzzer.cpp - libFuzzer target: calls through the C API ----------===//
//
// The input describes one call of a compiled module through
// lowbitModuleInvoke / lowbitModuleInvokeAlloc: which function, how many
// tensors, and for each its device, dtype, rank, shape, strides, byte
// offset (mostly the signature's, sometimes not), as a framework could pass
// them by mistake. The C API must accept the call or refuse it with a
// status: no crash, no read outside a tensor's buffer, no sanitizer report.
// Buffers are allocated for what each tensor claims when that is at most
// 1 MiB; a larger claim gets a null data pointer, which the API must
// refuse before reading.
//
//===----------------------------------------------------------------------===//

#include "lowbit-c/Runtime.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {
// A product with a dynamic M, and one over packed run-time weights.
const char kSource[] = R"mlir(
func.func @mm(%a: tensor<?x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<?x16xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %c : tensor<?x16xf32>
}
func.func @packed(%a: tensor<2x64xf16>, %wp: tensor<8x32xi8>) -> (tensor<2x8xf32>, tensor<8x64x!lowbit.int<4, unsigned>>) {
  %w = lowbit.unpack %wp order lsb_first : tensor<8x32xi8> -> tensor<8x64x!lowbit.int<4, unsigned>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf16>, tensor<8x64x!lowbit.int<4, unsigned>> -> tensor<2x8xf32>
  return %c, %w : tensor<2x8xf32>, tensor<8x64x!lowbit.int<4, unsigned>>
}
)mlir";

lowbitModule module() {
  static lowbitModule m = [] {
    setenv("LOWBIT_CACHE", "0", 1); // no disk cache from a fuzzer
    lowbitCompileOptions o;
    lowbitCompileOptionsInit(&o);
    o.target = "generic";
    o.numThreads = 1;
    lowbitModule r = nullptr;
    if (lowbitModuleCompile(kSource, sizeof(kSource) - 1, &o, &r) != LOWBIT_OK)
      abort();
    return r;
  }();
  return m;
}

/// One tensor as the input describes it, with the memory it points to.
struct FuzzTensor {
  DLTensor t{};
  std::vector<int64_t> shape, strides;
  std::vector<char> buffer;
};

void describe(FuzzedDataProvider &in, const lowbitTensorInfo &info, FuzzTensor &out) {
  DLTensor &t = out.t;
  t.device = {in.ConsumeProbability<float>() < 0.95f ? kDLCPU : kDLCUDA, 0};
  t.dtype = info.dtype;
  if (in.ConsumeProbability<float>() < 0.1f)
    t.dtype = {in.ConsumeIntegral<uint8_t>(), in.ConsumeIntegral<uint8_t>(),
               in.ConsumeIntegral<uint16_t>()};
  t.ndim = in.ConsumeProbability<float>() < 0.9f ? info.ndim : in.ConsumeIntegralInRange(0, 4);
  for (int32_t d = 0; d < t.ndim; ++d) {
    int64_t size = d < info.ndim && info.shape[d] >= 0 ? info.shape[d] : in.ConsumeIntegralInRange(1, 9);
    float p = in.ConsumeProbability<float>();
    if (p < 0.08f)
      size = in.ConsumeIntegralInRange<int64_t>(-3, 100);
    else if (p < 0.1f)
      size = in.PickValueInArray<int64_t>({INT64_MAX, INT64_MIN, int64_t(1) << 40,
                                           int64_t(1) << 62, -1, 0});
    out.shape.push_back(size);
  }
  t.shape = out.shape.empty() ? nullptr : out.shape.data();
  if (in.ConsumeProbability<float>() < 0.02f)
    t.shape = nullptr;
  int choice = in.ConsumeIntegralInRange(0, 3);
  if (choice > 0 && t.ndim > 0) {
    int64_t stride = 1;
    out.strides.resize(t.ndim);
    for (int32_t d = t.ndim - 1; d >= 0; --d) {
      out.strides[d] = choice == 3 ? in.ConsumeIntegralInRange<int64_t>(-2, 64) : stride;
      stride *= out.shape[d] > 0 && out.shape[d] < (1 << 20) ? out.shape[d] : 1;
    }
    t.strides = out.strides.data();
  }
  t.byte_offset = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<uint64_t>(0, 64);
  // Memory for what the tensor claims, when it is small.
  int64_t bytes = (t.dtype.bits * int64_t(t.dtype.lanes) + 7) / 8;
  for (int64_t s : out.shape)
    bytes = s < 0 || s > (1 << 20) || bytes > (1 << 20) ? INT64_MAX : bytes * s;
  if (bytes <= (1 << 20) && in.ConsumeProbability<float>() >= 0.02f) {
    out.buffer.assign(bytes + t.byte_offset + 1, 0);
    in.ConsumeData(out.buffer.data(), out.buffer.size());
    t.data = out.buffer.data();
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  lowbitModule m = module();
  size_t numFunctions = lowbitModuleNumFunctions(m);
  size_t f = in.ConsumeIntegralInRange<size_t>(0, numFunctions); // == count: not found
  size_t numIn = lowbitFunctionNumInputs(m, f), numOut = lowbitFunctionNumOutputs(m, f);
  size_t claimedIn = in.ConsumeProbability<float>() < 0.95f ? numIn : in.ConsumeIntegralInRange(0, 4);
  size_t claimedOut = in.ConsumeProbability<float>() < 0.95f ? numOut : in.ConsumeIntegralInRange(0, 4);
  std::vector<FuzzTensor> tensors(claimedIn + claimedOut);
  std::vector<const DLTensor *> inputs, outputs;
  for (size_t i = 0; i < tensors.size(); ++i) {
    bool isInput = i < claimedIn;
    size_t k = isInput ? i : i - claimedIn;
    lowbitTensorInfo info{};
    lowbitStatus s = isInput ? lowbitFunctionGetInput(m, f, k, &info)
                             : lowbitFunctionGetOutput(m, f, k, &info);
    if (s != LOWBIT_OK) { // beyond the signature: a made-up tensor
      static const int64_t shape[] = {2, 2};
      info.ndim = 2;
      info.shape = shape;
      info.dtype = {kDLFloat, 32, 1};
    }
    describe(in, info, tensors[i]);
    const DLTensor *t = in.ConsumeProbability<float>() < 0.01f ? nullptr : &tensors[i].t;
    (isInput ? inputs : outputs).push_back(t);
  }
  if (in.ConsumeBool()) {
    (void)lowbitModuleInvoke(m, f, inputs.data(), inputs.size(), outputs.data(), outputs.size());
  } else {
    std::vector<DLManagedTensor *> results(numOut + 1, nullptr);
    size_t asked = in.ConsumeProbability<float>() < 0.9f ? numOut : in.ConsumeIntegralInRange(0, 3);
    if (asked > results.size())
      asked = results.size();
    if (lowbitModuleInvokeAlloc(m, f, inputs.data(), inputs.size(), results.data(), asked) ==
        LOWBIT_OK)
      for (DLManagedTensor *r : results)
        if (r)
          r->deleter(r);
  }
  return 0;
}
