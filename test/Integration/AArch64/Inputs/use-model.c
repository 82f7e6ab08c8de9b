/* A C program for aarch64 against lowbit-compile's shared object and
 * header (test/lowbit-compile/Inputs/model.mlir), built with
 * aarch64-linux-gnu-gcc and run under qemu-aarch64: @project of ones with
 * the constant MXFP4 weights 0.375 is 64 x 0.375 = 24 exactly, and
 * @linear with all-zero codes and zero points is 0. */
#include "model.h"

#include <stdio.h>

int main(void) {
  float x[2][64], y[2][16];
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 64; ++k)
      x[i][k] = 1.0f;
  model_project(&x[0][0], &y[0][0]);
  printf("project: %g %g\n", y[0][0], y[1][15]);
  static float a[3][256], c[3][32];
  static int8_t w[32][128], z[32][2];
  static uint16_t s[32][2];
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 256; ++k)
      a[i][k] = 0.5f;
  for (int n = 0; n < 32; ++n)
    s[n][0] = s[n][1] = 0x3c00; /* f16 1.0 */
  model_linear(&a[0][0], &w[0][0], &s[0][0], &z[0][0], &c[0][0], 3);
  printf("linear: %g\n", c[2][31]);
  return model_call("nope", NULL, NULL) == -1 ? 0 : 1;
}
