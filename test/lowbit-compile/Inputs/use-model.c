/* Calls an AOT-compiled model through its generated header, and the same
 * module through the JIT's C API: the results must be bit-identical (one
 * pipeline), and match a double-precision product within the int8-block
 * policy of the x86 kernels. C99; built with plain cc. */
#include "model.h"

#include "lowbit-c/Runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M 5
#define K 256
#define N 32

static char *readFile(const char *path, size_t *length) {
  FILE *f = fopen(path, "rb");
  char *data;
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  *length = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  data = malloc(*length);
  if (fread(data, 1, *length, f) != *length)
    return NULL;
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  static float x[M * K], y[M * N], yj[M * N], p[2 * 16], pj[2 * 16], px[2 * 64];
  static int8_t wp[N * K / 2], z[N * 2];
  static uint16_t s[N * 2];
  double maxError = 0, maxValue = 0;
  size_t i, n, k, length;
  char *source;
  lowbitModule module;
  lowbitCompileOptions options;
  size_t f;
  int64_t xs[2] = {M, K}, ws[2] = {N, K / 2}, ss[2] = {N, 2}, ys[2] = {M, N};
  DLTensor t[5];
  const DLTensor *ins[4], *outs[1];

  if (argc < 3)
    return 2;
  for (i = 0; i < M * K; ++i)
    x[i] = (float)((int)(i * 7 % 19) - 9) / 16.0f;
  for (i = 0; i < N * K / 2; ++i)
    wp[i] = (int8_t)(i * 37 + 11);
  for (i = 0; i < N * 2; ++i) {
    s[i] = 0x2c00 + (uint16_t)(i % 5) * 0x40; /* f16 scales near 0.0625 */
    z[i] = (int8_t)(i % 16);
  }
  model_linear(x, wp, s, z, y, M);
  /* The exact product of the dequantized weights (f16 scale bits decoded). */
  for (i = 0; i < M; ++i)
    for (n = 0; n < N; ++n) {
      double sum = 0;
      for (k = 0; k < K; ++k) {
        int code = ((uint8_t)wp[n * K / 2 + k / 2] >> (4 * (k % 2))) & 15;
        uint16_t h = s[n * 2 + k / 128];
        double scale = ldexp(1.0 + (h & 0x3ff) / 1024.0, ((h >> 10) & 31) - 15);
        sum += x[i * K + k] * (code - z[n * 2 + k / 128]) * scale;
      }
      maxError = fmax(maxError, fabs(y[i * N + n] - sum));
      maxValue = fmax(maxValue, fabs(sum));
    }
  printf("linear: max error %s\n", maxError < 0.01 * maxValue ? "small" : "LARGE");

  for (i = 0; i < 2 * 64; ++i)
    px[i] = 1.0f;
  if (model_call("project", (void *[]){px, p}, NULL) != 0 || model_call("nope", NULL, NULL) != -1)
    return 1;
  printf("project: %g (64 x 0.375 = 24)\n", p[0]);

  /* The JIT on the same source, target and threads: the same bits. */
  source = readFile(argv[1], &length);
  if (!source)
    return 1;
  lowbitCompileOptionsInit(&options);
  options.target = argv[2];
  options.numThreads = 1;
  if (lowbitModuleCompile(source, length, &options, &module) != LOWBIT_OK) {
    printf("%s\n", lowbitGetLastError());
    return 1;
  }
  memset(t, 0, sizeof t);
  for (i = 0; i < 5; ++i) {
    t[i].device.device_type = kDLCPU;
    t[i].dtype.lanes = 1;
    t[i].ndim = 2;
  }
  t[0].data = x; t[0].shape = xs; t[0].dtype.code = kDLFloat; t[0].dtype.bits = 32;
  t[1].data = wp; t[1].shape = ws; t[1].dtype.code = kDLInt; t[1].dtype.bits = 8;
  t[2].data = s; t[2].shape = ss; t[2].dtype.code = kDLFloat; t[2].dtype.bits = 16;
  t[3].data = z; t[3].shape = ss; t[3].dtype.code = kDLInt; t[3].dtype.bits = 8;
  t[4].data = yj; t[4].shape = ys; t[4].dtype.code = kDLFloat; t[4].dtype.bits = 32;
  for (i = 0; i < 4; ++i)
    ins[i] = &t[i];
  outs[0] = &t[4];
  if (lowbitModuleFindFunction(module, "linear", &f) != LOWBIT_OK ||
      lowbitModuleInvoke(module, f, ins, 4, outs, 1) != LOWBIT_OK) {
    printf("%s\n", lowbitGetLastError());
    return 1;
  }
  printf("linear: AOT and JIT bits %s\n", memcmp(y, yj, sizeof y) ? "DIFFER" : "equal");
  lowbitModuleRelease(module);

  /* The shared object through the C API (lowbitModuleLoad). */
  if (argc > 3) {
    int64_t pxs[2] = {2, 64}, ps[2] = {2, 16};
    if (lowbitModuleLoad(argv[3], &module) != LOWBIT_OK ||
        lowbitModuleFindFunction(module, "project", &f) != LOWBIT_OK) {
      printf("%s\n", lowbitGetLastError());
      return 1;
    }
    t[0].data = px; t[0].shape = pxs;
    t[4].data = pj; t[4].shape = ps;
    ins[0] = &t[0];
    if (lowbitModuleInvoke(module, f, ins, 1, outs, 1) != LOWBIT_OK) {
      printf("%s\n", lowbitGetLastError());
      return 1;
    }
    printf("loaded: project %g, same bits %d\n", pj[0], memcmp(p, pj, sizeof p) == 0);
    lowbitModuleRelease(module);
  }
  free(source);
  return 0;
}
