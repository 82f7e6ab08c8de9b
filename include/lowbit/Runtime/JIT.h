//===- JIT.h - Compile and run lowbit modules in-process --------*- C++ -*-===//
//
// The C++ API frameworks embed: compile tensor-level lowbit IR once (the
// reference pipeline, then LLVM's ORC JIT through MLIR's ExecutionEngine),
// look functions up by name, and call them on caller-allocated buffers.
//
// * Buffers follow the function's tensor signature in storage form (see
//   lowbit/Dialect/Lowbit/IR/StorageTypes.h): dense row-major, one code per storage
//   element; results come after the inputs, as buffers the caller owns.
// * Dynamic dimensions (`tensor<?x4096xf32>`) are named by symbols, one per
//   set of dimensions that must be equal (lowbit/Dialect/Lowbit/Analysis/
//   SymbolicShapes.h). A call gives each symbol's size; the signature turns
//   them into every buffer's shape, or derives them from the input shapes
//   (bindSymbols), checking that equal symbols get equal sizes.
// * Compiled modules are cached by (source text, options); compile() with
//   the same pair returns the same module while anyone holds it.
// * A compiled module is immutable: invoke() may run on several threads at
//   once (the generated code has no global state but read-only tables).
// * Errors (parse, verification, lowering) come back as text with locations,
//   never as a crash.
//
// This header includes no MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_JIT_H
#define LOWBIT_RUNTIME_JIT_H

#include "lowbit/Runtime/Module.h"

#include <memory>
#include <string>

namespace lowbit::rt {

struct CompileOptions {
  unsigned optLevel = 3; ///< LLVM optimization level 0..3
  std::string sourceName = "<input>"; ///< the file name diagnostics show
  /// The CPU target (lowbit/Target/CPUTarget.h): host, generic (the
  /// reference path only), x86-64-v3, x86-64-v4 or znver4. A target this
  /// host cannot execute is refused with an error.
  std::string target = "host";
  /// Report, as remarks in the diagnostics, every product that a fast path
  /// does not cover (like LLVM's -Rpass-missed).
  bool reportFallbacks = false;
  /// Threads of the kernels (output tiles split between them; results are
  /// bit-identical for every count). 0: the LOWBIT_NUM_THREADS environment
  /// variable, else every core. More than 1 runs on LLVM's OpenMP runtime.
  unsigned numThreads = 0;
  /// Choose each x86 kernel's tuning (activation block, rows per pass,
  /// prefetch distance) by timing candidates on this machine, cached on
  /// disk ($LOWBIT_CACHE_DIR or ~/.cache/lowbit, autotune/; LOWBIT_CACHE=0:
  /// no cache). A remark per product says what was chosen. The defaults
  /// are used without it.
  bool autotune = false;
  /// Keep the compiled module on disk and load it in later processes
  /// instead of compiling ($LOWBIT_CACHE_DIR or ~/.cache/lowbit, modules/;
  /// LOWBIT_CACHE=0 turns it off). Modules the ahead-of-time path does not
  /// cover (formats wider than 16 bits) and autotuned compiles are not
  /// cached; neither are compiles where no C compiler can link.
  bool diskCache = true;
};

/// Compiles `source` (MLIR text of tensor-level lowbit IR), or returns null
/// with the diagnostics in `diagnostics`. Cached; thread-safe.
std::shared_ptr<const CompiledModule> compile(const std::string &source,
                                              const CompileOptions &options,
                                              std::string &diagnostics);

} // namespace lowbit::rt

#endif
