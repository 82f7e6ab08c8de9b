/*===- BufferPool.c - The allocator of compiled functions' buffers ---------===*\
|*                                                                            *|
|* Generated code allocates its intermediate buffers through                  *|
|* _mlir_memref_to_llvm_alloc and frees them through                          *|
|* _mlir_memref_to_llvm_free (finalize-memref-to-llvm with                    *|
|* use-generic-functions). Why not malloc: a model's intermediate tensors are *|
|* hundreds of KiB to MiB each, above glibc's mmap threshold, so every call   *|
|* of a function mapped fresh pages and the kernel zeroed them on first       *|
|* touch; on PP-OCRv4 (docs/benchmarks/ocr-pp-ocrv4.md) those page faults     *|
|* took more time than the arithmetic. Freed buffers of 16 KiB and more are   *|
|* kept here by size class (quarter steps between powers of two: at most 25%  *|
|* slack) and handed to the next allocation of their class, so a function     *|
|* called again reuses the pages it touched before. What is kept is bounded   *|
|* (LOWBIT_BUFFER_POOL_MB, default 1024, 0 under AddressSanitizer; 0 keeps    *|
|* nothing); above the bound a freed buffer goes back to libc. Smaller        *|
|* buffers are plain malloc. Blocks are 64-byte aligned (a cache line, a zmm  *|
|* vector). Thread-safe: one spin                                             *|
|* lock (taken for a list push or pop only; allocations happen outside the    *|
|* kernels' parallel loops).                                                  *|
|*                                                                            *|
|* C only, no MLIR: AOT shared objects link it (hidden), the JIT binds the    *|
|* same definitions (lib/Runtime/JIT.cpp).                                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define LOWBIT_POOL_HEADER 64           /* bytes before the user's pointer */
#define LOWBIT_POOL_MIN ((size_t)16384) /* smaller: plain malloc */
#define LOWBIT_POOL_CLASSES 256
#define LOWBIT_POOL_PLAIN ((uint32_t)0xffffffffu)

typedef struct lowbitPoolBlock {
  struct lowbitPoolBlock *next; /* in its class's free list */
  size_t bytes;                 /* the block's user bytes (its class's size) */
  uint32_t sizeClass;           /* LOWBIT_POOL_PLAIN: not pooled */
} lowbitPoolBlock;

_Static_assert(sizeof(lowbitPoolBlock) <= LOWBIT_POOL_HEADER, "header too large");

static lowbitPoolBlock *lowbitPoolFree[LOWBIT_POOL_CLASSES];
static size_t lowbitPoolKept;            /* bytes in the free lists */
static atomic_flag lowbitPoolLock = ATOMIC_FLAG_INIT;
static _Atomic long long lowbitPoolLimit = -1; /* bytes; -1: not read yet */

static void lowbitPoolAcquire(void) {
  while (atomic_flag_test_and_set_explicit(&lowbitPoolLock, memory_order_acquire))
    ;
}
static void lowbitPoolRelease(void) {
  atomic_flag_clear_explicit(&lowbitPoolLock, memory_order_release);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOWBIT_POOL_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LOWBIT_POOL_SANITIZED 1
#endif

static long long lowbitPoolBound(void) {
  long long limit = atomic_load_explicit(&lowbitPoolLimit, memory_order_relaxed);
  if (limit >= 0)
    return limit;
#ifdef LOWBIT_POOL_SANITIZED
  limit = 0; /* every buffer back to libc, where AddressSanitizer sees its use after free */
#else
  limit = 1024;
#endif
  const char *env = getenv("LOWBIT_BUFFER_POOL_MB");
  if (env && *env) {
    char *end;
    long long mb = strtoll(env, &end, 10);
    if (*end == 0 && mb >= 0 && mb <= (1LL << 30))
      limit = mb;
  }
  limit *= 1024 * 1024;
  atomic_store_explicit(&lowbitPoolLimit, limit, memory_order_relaxed);
  return limit;
}

/* The class of `bytes` (at least LOWBIT_POOL_MIN) and its size: 2^e times
 * 1, 1.25, 1.5 or 1.75, the smallest not below `bytes`. */
static uint32_t lowbitPoolClass(size_t bytes, size_t *classBytes) {
  uint32_t e = 0;
  while (((size_t)1 << (e + 1)) <= bytes)
    ++e; /* 2^e <= bytes < 2^(e+1) */
  size_t base = (size_t)1 << e, quarter = base / 4;
  uint32_t q = 0;
  while (base + q * quarter < bytes)
    ++q; /* q in 0..4 */
  if (q == 4) {
    ++e;
    q = 0;
    base <<= 1;
    quarter = base / 4;
  }
  *classBytes = base + q * quarter;
  return 4 * e + q;
}

__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_alloc(size_t bytes);
__attribute__((visibility("hidden"))) void _mlir_memref_to_llvm_free(void *ptr);

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  size_t classBytes = bytes;
  uint32_t sizeClass = LOWBIT_POOL_PLAIN;
  if (bytes >= LOWBIT_POOL_MIN && bytes <= ((size_t)1 << 60)) {
    sizeClass = lowbitPoolClass(bytes, &classBytes);
    lowbitPoolAcquire();
    lowbitPoolBlock *b = lowbitPoolFree[sizeClass];
    if (b) {
      lowbitPoolFree[sizeClass] = b->next;
      lowbitPoolKept -= b->bytes;
    }
    lowbitPoolRelease();
    if (b)
      return (char *)b + LOWBIT_POOL_HEADER;
  }
  size_t total = classBytes + LOWBIT_POOL_HEADER;
  if (total < classBytes)
    return NULL;
  total = (total + 63) / 64 * 64; /* aligned_alloc: a multiple of the alignment */
  lowbitPoolBlock *b = (lowbitPoolBlock *)aligned_alloc(64, total);
  if (!b)
    return NULL;
  b->next = NULL;
  b->bytes = classBytes;
  b->sizeClass = sizeClass;
  return (char *)b + LOWBIT_POOL_HEADER;
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  lowbitPoolBlock *b = (lowbitPoolBlock *)((char *)ptr - LOWBIT_POOL_HEADER);
  if (b->sizeClass != LOWBIT_POOL_PLAIN) {
    long long bound = lowbitPoolBound();
    int kept = 0;
    lowbitPoolAcquire();
    if ((long long)(lowbitPoolKept + b->bytes) <= bound) {
      b->next = lowbitPoolFree[b->sizeClass];
      lowbitPoolFree[b->sizeClass] = b;
      lowbitPoolKept += b->bytes;
      kept = 1;
    }
    lowbitPoolRelease();
    if (kept)
      return;
  }
  free(b);
}
