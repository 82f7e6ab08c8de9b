/*===- runtime.c - The lowbit C API from a C99 program -------------------===*\
|*                                                                            *|
|* Built as C (no C++) against lowbit-c/Runtime.h and liblowbit_c.so only.    *|
|* Compiles a module, queries its signatures, calls a function on DLPack      *|
|* tensors (caller-allocated and runtime-allocated outputs, a dynamic M),     *|
|* and checks the errors a framework meets: bad dtype, shape, strides,        *|
|* device, unknown function, compile errors with locations.                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

// RUN: lowbit-capi-runtime-test 2>&1 | FileCheck %s
// RUN: lowbit-opt %S/Inputs/linear.mlir --emit-bytecode -o %t.mlirbc
// RUN: lowbit-capi-runtime-test %t.mlirbc 2>&1 | FileCheck %s --check-prefix=FILE

#include "lowbit-c/Runtime.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* y = x W^T with run-time int4 weights (one code per byte), M dynamic. */
static const char *kSource =
    "func.func @linear(%x: tensor<?x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> "
    "tensor<?x16xf32> {\n"
    "  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b} : tensor<?x64xf32>, "
    "tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>\n"
    "  return %y : tensor<?x16xf32>\n"
    "}\n"
    "func.func @scale(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
    "  return %x : tensor<4xf32>\n"
    "}\n";

#define M 3
#define K 64
#define N 16

static DLTensor tensor(void *data, int32_t ndim, int64_t *shape, uint8_t code, uint8_t bits) {
  DLTensor t;
  memset(&t, 0, sizeof t);
  t.data = data;
  t.device.device_type = kDLCPU;
  t.ndim = ndim;
  t.shape = shape;
  t.dtype.code = code;
  t.dtype.bits = bits;
  t.dtype.lanes = 1;
  return t;
}

static void printInfo(const char *role, size_t i, const lowbitTensorInfo *info) {
  int32_t d;
  printf("%s %zu: %s storage=%d/%d shape=(", role, i, info->type, info->dtype.code,
         info->dtype.bits);
  for (d = 0; d < info->ndim; ++d)
    printf("%s%lld", d ? ", " : "", (long long)info->shape[d]);
  printf(")\n");
}

static void expectError(lowbitStatus s, lowbitStatus want, const char *what) {
  if (s != want) {
    printf("%s: status %d, expected %d\n", what, (int)s, (int)want);
    exit(1);
  }
  printf("%s: %s\n", what, lowbitGetLastError());
}

int main(int argc, char **argv) {
  lowbitCompileOptions options;
  lowbitModule module;
  lowbitStatus s;
  size_t f, i, k, n;
  lowbitTensorInfo info;
  float x[M * K], y[M * N], expected[M * N];
  int8_t w[N * K];
  int64_t xs[2] = {M, K}, ws[2] = {N, K}, ys[2] = {M, N};
  DLTensor xt, wt, yt;
  const DLTensor *ins[2], *outs[1];
  DLManagedTensor *allocated[1];
  double maxError = 0, maxValue = 0;

  printf("api %d, version %s\n", lowbitApiVersion(), lowbitVersion());
  // CHECK: api 1, version 0.1.0

  lowbitCompileOptionsInit(&options);
  options.numThreads = 1;
  if (argc > 1) {
    s = lowbitModuleCompileFile(argv[1], &options, &module);
    if (s != LOWBIT_OK) {
      printf("compile: %s\n", lowbitGetLastError());
      return 1;
    }
    printf("file: %zu functions, first @%s\n", lowbitModuleNumFunctions(module),
           lowbitModuleFunctionName(module, 0));
    // FILE: file: 1 functions, first @linear
    lowbitModuleRelease(module);
    return 0;
  }
  s = lowbitModuleCompile(kSource, strlen(kSource), &options, &module);
  if (s != LOWBIT_OK) {
    printf("compile: %s\n", lowbitGetLastError());
    return 1;
  }
  printf("%zu functions\n", lowbitModuleNumFunctions(module));
  // CHECK: 2 functions
  if (lowbitModuleFindFunction(module, "linear", &f) != LOWBIT_OK)
    return 1;
  printf("@%s: %zu inputs, %zu outputs, %zu symbols\n", lowbitModuleFunctionName(module, f),
         lowbitFunctionNumInputs(module, f), lowbitFunctionNumOutputs(module, f),
         lowbitFunctionNumSymbols(module, f));
  // CHECK: @linear: 2 inputs, 1 outputs, 1 symbols
  for (i = 0; i < lowbitFunctionNumInputs(module, f); ++i) {
    lowbitFunctionGetInput(module, f, i, &info);
    printInfo("input", i, &info);
  }
  lowbitFunctionGetOutput(module, f, 0, &info);
  printInfo("output", 0, &info);
  // CHECK: input 0: tensor<?x64xf32> storage=2/32 shape=(-1, 64)
  // CHECK: input 1: tensor<16x64x!lowbit.int<4>> storage=0/8 shape=(16, 64)
  // CHECK: output 0: tensor<?x16xf32> storage=2/32 shape=(-1, 16)

  /* Inputs, and the exact result in double. int4 codes: the value in the
   * low 4 bits (two's complement), one per byte. */
  for (i = 0; i < M * K; ++i)
    x[i] = (float)((int)(i * 7 % 13) - 6) / 8.0f;
  for (i = 0; i < N * K; ++i)
    w[i] = (int8_t)((i * 5 + 3) % 16);
  for (i = 0; i < M; ++i)
    for (n = 0; n < N; ++n) {
      double sum = 0;
      for (k = 0; k < K; ++k) {
        int code = w[n * K + k] & 15;
        sum += (double)x[i * K + k] * (code >= 8 ? code - 16 : code);
      }
      expected[i * N + n] = (float)sum;
    }
  xt = tensor(x, 2, xs, kDLFloat, 32);
  wt = tensor(w, 2, ws, kDLUInt, 8); /* codes as uint8: accepted for i8 storage */
  yt = tensor(y, 2, ys, kDLFloat, 32);
  ins[0] = &xt;
  ins[1] = &wt;
  outs[0] = &yt;
  s = lowbitModuleInvoke(module, f, ins, 2, outs, 1);
  if (s != LOWBIT_OK) {
    printf("invoke: %s\n", lowbitGetLastError());
    return 1;
  }
  for (i = 0; i < M * N; ++i) {
    maxError = fmax(maxError, fabs(y[i] - expected[i]));
    maxValue = fmax(maxValue, fabs(expected[i]));
  }
  /* The x86 kernels round activations to int8 blocks: within 1% of the
   * largest output here (a wrong k or scale is far off). */
  printf("caller-allocated: max error %s (%g of %g)\n",
         maxError < 0.01 * maxValue ? "small" : "LARGE", maxError, maxValue);
  // CHECK: caller-allocated: max error small

  s = lowbitModuleInvokeAlloc(module, f, ins, 2, allocated, 1);
  if (s != LOWBIT_OK) {
    printf("invoke alloc: %s\n", lowbitGetLastError());
    return 1;
  }
  printf("allocated: ndim %d shape (%lld, %lld) same values %d\n", allocated[0]->dl_tensor.ndim,
         (long long)allocated[0]->dl_tensor.shape[0], (long long)allocated[0]->dl_tensor.shape[1],
         memcmp(allocated[0]->dl_tensor.data, y, sizeof y) == 0);
  // CHECK: allocated: ndim 2 shape (3, 16) same values 1
  allocated[0]->deleter(allocated[0]);

  /* What a framework gets wrong. */
  xt.dtype.bits = 16;
  expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
              "dtype");
  // CHECK: dtype: input 0 (tensor<?x64xf32>): dtype float16, expected float32
  xt.dtype.bits = 32;
  ws[1] = 32;
  expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
              "shape");
  // CHECK: shape: input 1 (tensor<16x64x!lowbit.int<4>>): shape (16, 32), expected (16, 64)
  ws[1] = K;
  ys[0] = 2;
  expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
              "dynamic");
  // CHECK: dynamic: output 0 (tensor<?x16xf32>): dimension 0 has size 2, but the call's inputs give 3 for it
  ys[0] = M;
  {
    int64_t strides[2] = {1, M}; /* column-major */
    xt.strides = strides;
    expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
                "strides");
    // CHECK: strides: input 0 (tensor<?x64xf32>): strides (1, 3) are not compact row-major
    strides[0] = K;
    strides[1] = 1; /* the dense strides are accepted */
    s = lowbitModuleInvoke(module, f, ins, 2, outs, 1);
    printf("dense strides: %d\n", (int)s);
    // CHECK: dense strides: 0
    /* A dynamic size whose element count passes int64 (found by the
       capi fuzzer: the stride check multiplied it out unchecked). */
    xs[0] = INT64_MAX;
    strides[0] = K;
    expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
                "huge");
    // CHECK: huge: input 0 (tensor<?x64xf32>): shape (9223372036854775807, 64) has more elements than int64 holds
    xs[0] = M;
    xt.strides = NULL;
  }
  xt.device.device_type = kDLCUDA;
  expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
              "device");
  // CHECK: device: input 0 (tensor<?x64xf32>): on device type 2, but this module runs on the CPU (kDLCPU)
  xt.device.device_type = kDLCPU;
  {
    int64_t *shape = xt.shape;
    void *data = xt.data;
    xt.shape = NULL;
    expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_INVALID_ARGUMENT,
                "null shape");
    // CHECK: null shape: input 0 (tensor<?x64xf32>): null shape
    xt.shape = shape;
    xt.data = NULL;
    expectError(lowbitModuleInvoke(module, f, ins, 2, outs, 1), LOWBIT_ERROR_INVALID_ARGUMENT,
                "null data");
    // CHECK: null data: input 0 (tensor<?x64xf32>): null data
    xt.data = data;
  }
  expectError(lowbitModuleInvoke(module, f, ins, 1, outs, 1), LOWBIT_ERROR_TENSOR_MISMATCH,
              "count");
  // CHECK: count: @linear takes 2 inputs and 1 outputs, got 1 and 1
  expectError(lowbitModuleFindFunction(module, "nope", &f), LOWBIT_ERROR_NOT_FOUND, "find");
  // CHECK: find: no function @nope (the module has @linear, @scale)
  lowbitModuleRelease(module);

  {
    const char *bad = "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                      "  %y = lowbit.cast %x : tensor<4xf32> to tensor<5x!lowbit.int<4>>\n"
                      "  return %x : tensor<4xf32>\n}\n";
    options.sourceName = "bad.mlir";
    expectError(lowbitModuleCompile(bad, strlen(bad), &options, &module), LOWBIT_ERROR_COMPILE,
                "compile");
    // CHECK: compile: bad.mlir:2:8: error:
    options.target = "pentium";
    expectError(lowbitModuleCompile(kSource, strlen(kSource), &options, &module),
                LOWBIT_ERROR_COMPILE, "target");
    // CHECK: target: unknown target 'pentium'
  }
  expectError(lowbitModuleCompileFile("/nonexistent.mlir", NULL, &module), LOWBIT_ERROR_IO,
              "file");
  // CHECK: file: cannot open '/nonexistent.mlir': No such file or directory
  return 0;
}
