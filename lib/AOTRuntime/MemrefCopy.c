/*===- MemrefCopy.c - The runtime piece ahead-of-time objects call ---------===*\
|*                                                                            *|
|* memref.copy between non-contiguous memrefs lowers to a call of           *|
|* memrefCopy (MLIR's C runner utilities define it). AOT shared objects      *|
|* link this C definition instead, so that they need nothing of MLIR at run  *|
|* time. The same contract: both unranked descriptors of the same rank and   *|
|* shape, elements of `elemSize` bytes, any strides.                         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

typedef struct {
  int64_t rank;
  void *descriptor; /* {char *allocated, *aligned; int64_t offset, sizes[rank], strides[rank]} */
} lowbitUnrankedMemRef;

typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} lowbitMemRefDescriptor;

/* Hidden: the object's calls bind to this definition, never to MLIR's
 * runner utilities (or anything else) loaded in the same process. */
__attribute__((visibility("hidden"))) void memrefCopy(int64_t elemSize, lowbitUnrankedMemRef *src,
                                                      lowbitUnrankedMemRef *dst);
void memrefCopy(int64_t elemSize, lowbitUnrankedMemRef *src, lowbitUnrankedMemRef *dst) {
  const lowbitMemRefDescriptor *s = (const lowbitMemRefDescriptor *)src->descriptor;
  const lowbitMemRefDescriptor *d = (const lowbitMemRefDescriptor *)dst->descriptor;
  int64_t rank = src->rank, i, total = 1, index[16];
  const int64_t *sizes = s->sizesAndStrides, *sstr = s->sizesAndStrides + rank,
                *dstr = d->sizesAndStrides + rank;
  if (rank == 0) {
    memcpy(d->aligned + d->offset * elemSize, s->aligned + s->offset * elemSize, elemSize);
    return;
  }
  for (i = 0; i < rank; ++i) {
    total *= sizes[i];
    index[i] = 0;
  }
  if (total == 0 || rank > 16)
    return;
  for (;;) {
    int64_t so = s->offset, doff = d->offset;
    for (i = 0; i < rank; ++i) {
      so += index[i] * sstr[i];
      doff += index[i] * dstr[i];
    }
    memcpy(d->aligned + doff * elemSize, s->aligned + so * elemSize, elemSize);
    for (i = rank - 1; i >= 0; --i) {
      if (++index[i] < sizes[i])
        break;
      index[i] = 0;
    }
    if (i < 0)
      return;
  }
}
