/* Loads an AOT object through the runtime half of the C API alone
 * (liblowbit_runtime.so: no compiler, no MLIR, no LLVM) and calls it on
 * DLPack tensors. C99; built with plain cc. */
#include "lowbit-c/Runtime.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  static float x[2 * 64], y[2 * 16];
  int64_t xs[2] = {2, 64}, ys[2] = {2, 16};
  DLTensor t[2];
  const DLTensor *ins[1] = {&t[0]}, *outs[1] = {&t[1]};
  lowbitModule module;
  size_t f, i;
  if (argc < 2)
    return 2;
  if (lowbitModuleLoad(argv[1], &module) != LOWBIT_OK) {
    printf("%s\n", lowbitGetLastError());
    return 1;
  }
  for (i = 0; i < 2 * 64; ++i)
    x[i] = 1.0f;
  memset(t, 0, sizeof t);
  for (i = 0; i < 2; ++i) {
    t[i].device.device_type = kDLCPU;
    t[i].ndim = 2;
    t[i].dtype.code = kDLFloat;
    t[i].dtype.bits = 32;
    t[i].dtype.lanes = 1;
  }
  t[0].data = x;
  t[0].shape = xs;
  t[1].data = y;
  t[1].shape = ys;
  if (lowbitModuleFindFunction(module, "project", &f) != LOWBIT_OK ||
      lowbitModuleInvoke(module, f, ins, 1, outs, 1) != LOWBIT_OK) {
    printf("%s\n", lowbitGetLastError());
    return 1;
  }
  printf("runtime only: %zu functions, project %g\n", lowbitModuleNumFunctions(module), y[0]);
  lowbitModuleRelease(module);
  return 0;
}
