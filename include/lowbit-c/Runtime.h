/*===- lowbit-c/Runtime.h - The C API of the lowbit JIT ------------*- C -*-===*\
|*                                                                            *|
|* Compile tensor-level lowbit IR in-process and call its functions on       *|
|* DLPack tensors (dlpack/dlpack.h, Debian's libdlpack-dev). C99; the header *|
|* compiles as C and as C++ and includes no MLIR or LLVM header.             *|
|*                                                                            *|
|* Conventions:                                                               *|
|* - Every function returning lowbitStatus returns LOWBIT_OK on success; on  *|
|*   failure lowbitGetLastError() gives the message (with the MLIR          *|
|*   diagnostics and their locations for compile errors) until the next     *|
|*   failing call on the same thread.                                        *|
|* - Every call is thread-safe. A module is immutable once compiled: any     *|
|*   number of threads may call its functions at once.                       *|
|* - Strings returned by the API live as long as the module they describe.  *|
|* - Two libraries implement it: liblowbit_c.so (everything) and            *|
|*   liblowbit_runtime.so (no compiler, no MLIR or LLVM: every function but *|
|*   lowbitModuleCompile and lowbitModuleCompileFile), for programs that     *|
|*   only load and call lowbit-compile objects.                              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef LOWBIT_C_RUNTIME_H
#define LOWBIT_C_RUNTIME_H

#include <dlpack/dlpack.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this API; it changes when a declaration here does. */
#define LOWBIT_C_API_VERSION 1

typedef enum lowbitStatus {
  LOWBIT_OK = 0,
  /** A null pointer, an unknown option value, a bad index. */
  LOWBIT_ERROR_INVALID_ARGUMENT = 1,
  /** Parse, verification or lowering failed: the diagnostics say where. */
  LOWBIT_ERROR_COMPILE = 2,
  /** No function of that name. */
  LOWBIT_ERROR_NOT_FOUND = 3,
  /** A tensor does not match the signature: count, device, dtype, rank,
   *  shape, dynamic sizes that disagree, or non-compact strides. */
  LOWBIT_ERROR_TENSOR_MISMATCH = 4,
  /** A file could not be read, or memory could not be allocated. */
  LOWBIT_ERROR_IO = 5
} lowbitStatus;

/** The compiler version, e.g. "0.1.0". */
const char *lowbitVersion(void);
/** LOWBIT_C_API_VERSION of the library (compare with the header's). */
int lowbitApiVersion(void);
/** The message of the last failing call on this thread ("" if none). */
const char *lowbitGetLastError(void);

typedef struct lowbitCompileOptions {
  /** CPU target: "host" (default), "generic" (the reference path),
   *  "x86-64-v3", "x86-64-v4", "znver4" ("aarch64", "aarch64+i8mm" on
   *  an AArch64 host). A target this host cannot execute is a compile
   *  error. */
  const char *target;
  /** Kernel threads; 0: $LOWBIT_NUM_THREADS, else every core. */
  unsigned numThreads;
  /** LLVM optimization level 0..3 (default 3). */
  unsigned optLevel;
  /** Non-zero: remarks for products left to the reference path, returned
   *  by lowbitModuleGetDiagnostics. */
  int reportFallbacks;
  /** The file name diagnostics show (default "<input>"). */
  const char *sourceName;
} lowbitCompileOptions;

/** Fills `options` with the defaults. */
void lowbitCompileOptionsInit(lowbitCompileOptions *options);

/** A compiled module (reference counted). */
typedef struct lowbitModule_s *lowbitModule;

/** Compiles `length` bytes of MLIR text (or MLIR bytecode) at `source`.
 *  `options` may be null (the defaults). Compiled modules are cached:
 *  the same text and options give the same module while it is held. */
lowbitStatus lowbitModuleCompile(const char *source, size_t length,
                                 const lowbitCompileOptions *options,
                                 lowbitModule *module);
/** Compiles the file at `path` (text or bytecode). */
lowbitStatus lowbitModuleCompileFile(const char *path, const lowbitCompileOptions *options,
                                     lowbitModule *module);
/** Loads a shared object written by lowbit-compile (no compilation; its
 *  functions are called like a compiled module's). */
lowbitStatus lowbitModuleLoad(const char *path, lowbitModule *module);
/** Takes one more reference / drops one (the last frees the module). */
void lowbitModuleRetain(lowbitModule module);
void lowbitModuleRelease(lowbitModule module);
/** Remarks of the compile (report-fallbacks), "" if none. */
const char *lowbitModuleGetDiagnostics(lowbitModule module);

/** Functions: index 0 .. count - 1, in the order of the module. */
size_t lowbitModuleNumFunctions(lowbitModule module);
const char *lowbitModuleFunctionName(lowbitModule module, size_t function);
/** The index of the function `name`, or LOWBIT_ERROR_NOT_FOUND. */
lowbitStatus lowbitModuleFindFunction(lowbitModule module, const char *name,
                                      size_t *function);

/** One argument or result of a function, in storage form: the tensors a
 *  call passes (lowbit/Dialect/Lowbit/IR/StorageTypes.h). Codes of a
 *  number format are stored one per 8, 16 or 32-bit integer (the code in
 *  its low bits; uint or int dtype), or, for a tensor type with a
 *  #lowbit.layout encoding, as the layout's bytes (a 1-D uint8 tensor). */
typedef struct lowbitTensorInfo {
  int32_t ndim;
  /** The storage shape; -1 where the size is dynamic (see `symbols`). */
  const int64_t *shape;
  /** Per dimension: -1 where static, else the symbol of its size (the
   *  same symbol means the same size in every tensor of the call). */
  const int32_t *symbols;
  /** The storage dtype (for integer storage, kDLInt; kDLUInt is accepted
   *  as well). */
  DLDataType dtype;
  const char *type;        /**< the MLIR type, e.g. "tensor<?x64x!lowbit.int<4>>" */
  const char *elementType; /**< e.g. "!lowbit.int<4>", "f32" */
  const char *layout;      /**< the layout encoding, "" if none */
} lowbitTensorInfo;

size_t lowbitFunctionNumInputs(lowbitModule module, size_t function);
size_t lowbitFunctionNumOutputs(lowbitModule module, size_t function);
/** The number of dynamic-size symbols of the function's signature. */
size_t lowbitFunctionNumSymbols(lowbitModule module, size_t function);
lowbitStatus lowbitFunctionGetInput(lowbitModule module, size_t function, size_t index,
                                    lowbitTensorInfo *info);
lowbitStatus lowbitFunctionGetOutput(lowbitModule module, size_t function, size_t index,
                                     lowbitTensorInfo *info);

/** Calls `function` on CPU tensors: inputs, then caller-allocated outputs.
 *  Each tensor must be on kDLCPU with the signature's dtype and rank,
 *  static sizes equal, dynamic sizes consistent (the inputs give them;
 *  outputs must have the sizes they imply), and compact row-major strides
 *  (null, or the dense strides; anything else is an error, never a silent
 *  reinterpretation). byte_offset is honoured. The inputs are not
 *  modified. */
lowbitStatus lowbitModuleInvoke(lowbitModule module, size_t function,
                                const DLTensor *const *inputs, size_t numInputs,
                                const DLTensor *const *outputs, size_t numOutputs);

/** As lowbitModuleInvoke, with the outputs allocated by the runtime: each
 *  of the `numOutputs` (the function's output count) results is a new
 *  DLManagedTensor whose deleter frees it. */
lowbitStatus lowbitModuleInvokeAlloc(lowbitModule module, size_t function,
                                     const DLTensor *const *inputs, size_t numInputs,
                                     DLManagedTensor **outputs, size_t numOutputs);

#ifdef __cplusplus
}
#endif

#endif /* LOWBIT_C_RUNTIME_H */
