/*===- EmulatorMain.c - The program run under an emulator ------------------===*\
|*                                                                            *|
|* Code for another architecture's target (lowbit/Runtime/Emulator.h): the   *|
|* module compiled ahead of time, its object and header (prefix              *|
|* lowbit_emulated) linked with this main, statically, by the target's C     *|
|* compiler. Run under the emulator (qemu-aarch64), it reads each input      *|
|* buffer from a file in storage form, calls the function through the        *|
|* header's generic entry and writes each output buffer to a file, which the *|
|* host reads back.                                                          *|
|*                                                                            *|
|*   main FUNCTION NUM_DIMS DIM... NUM_INPUTS FILE... NUM_OUTPUTS (FILE BYTES)...
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "lowbit_emulated.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *allocate(size_t bytes) {
  /* 64-byte aligned and never empty, as the JIT's buffers. */
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (p)
    memset(p, 0, rounded ? rounded : 64);
  return p;
}

static void *readFile(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open '%s': %s\n", path, strerror(errno));
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *data = size >= 0 ? allocate((size_t)size) : NULL;
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read '%s'\n", path);
    fclose(f);
    return NULL;
  }
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  int at = 1;
  if (argc < 3)
    return 2;
  const char *function = argv[at++];
  long numDims = strtol(argv[at++], NULL, 10);
  if (numDims < 0 || at + numDims >= argc)
    return 2;
  int64_t *dims = allocate(sizeof(int64_t) * (size_t)(numDims + 1));
  for (long d = 0; d < numDims; ++d)
    dims[d] = strtoll(argv[at++], NULL, 10);
  long numInputs = strtol(argv[at++], NULL, 10);
  if (numInputs < 0 || at + numInputs >= argc)
    return 2;
  long firstOutput = at + numInputs + 1;
  long numOutputs = strtol(argv[at + numInputs], NULL, 10);
  if (numOutputs < 0 || firstOutput + 2 * numOutputs != argc)
    return 2;
  void **buffers = allocate(sizeof(void *) * (size_t)(numInputs + numOutputs + 1));
  for (long i = 0; i < numInputs; ++i)
    if (!(buffers[i] = readFile(argv[at + i])))
      return 1;
  for (long o = 0; o < numOutputs; ++o) {
    size_t bytes = (size_t)strtoull(argv[firstOutput + 2 * o + 1], NULL, 10);
    if (!(buffers[numInputs + o] = allocate(bytes)))
      return 1;
  }
  if (lowbit_emulated_call(function, buffers, dims) != 0) {
    fprintf(stderr, "no function '%s'\n", function);
    return 1;
  }
  for (long o = 0; o < numOutputs; ++o) {
    const char *path = argv[firstOutput + 2 * o];
    size_t bytes = (size_t)strtoull(argv[firstOutput + 2 * o + 1], NULL, 10);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buffers[numInputs + o], 1, bytes, f) != bytes) {
      fprintf(stderr, "cannot write '%s'\n", path);
      return 1;
    }
    fclose(f);
  }
  return 0;
}
