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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lowbit::rt {

/// A dimension whose size each call chooses (`?` in the tensor type).
constexpr int64_t kDynamic = -1;

/// One tensor argument or result.
struct TensorSpec {
  /// The storage shape: the tensor's shape (kDynamic where dynamic), or
  /// {bytes} for codes stored in a bit layout (a #lowbit.layout encoding,
  /// see `layout`; always static).
  std::vector<int64_t> shape;
  /// Per dimension: -1 where static, else the symbol giving its size.
  std::vector<int> symbols;
  std::string type;         ///< the MLIR tensor type, e.g. "tensor<4x8x!lowbit.int<4>>"
  std::string elementType;  ///< the MLIR element type, e.g. "!lowbit.int<4>"
  std::string storageType;  ///< "f32", "f16", "bf16", "f64", "i8", "i16", "i32", "i64"
  unsigned storageBytes = 0;
  std::string layout;       ///< the layout encoding, e.g. "#lowbit.layout<bits<planes, 4>>"

  bool isStatic() const;
  /// The shape for the symbols' sizes `dims` (the shape itself if static).
  std::vector<int64_t> shapeFor(const std::vector<int64_t> &dims) const;
  int64_t numElements(const std::vector<int64_t> &dims = {}) const;
  size_t bytes(const std::vector<int64_t> &dims = {}) const {
    return static_cast<size_t>(numElements(dims)) * storageBytes;
  }
};

struct FunctionSignature {
  std::string name;
  std::vector<TensorSpec> inputs, outputs;
  /// Symbols of the dynamic dimensions (0: every shape is static).
  unsigned numSymbols = 0;

  /// The symbols' sizes from the inputs' shapes, or an error text: the
  /// ranks and static sizes must match and dimensions of one symbol must
  /// have the same size, at least 1.
  std::string bindSymbols(const std::vector<std::vector<int64_t>> &inputShapes,
                          std::vector<int64_t> &dims) const;
  /// Checks sizes given for the symbols: one each, at least 1, and every
  /// buffer within 2^62 bytes. Returns an error text.
  std::string checkSymbols(const std::vector<int64_t> &dims) const;
};

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

class CompiledModule {
public:
  ~CompiledModule();
  const std::vector<FunctionSignature> &functions() const { return signatures; }
  /// Whether the code is a shared object (from load(), or the disk cache)
  /// rather than compiled in this process.
  bool isSharedObject() const;
  /// The signature of a function, or null.
  const FunctionSignature *find(const std::string &name) const;
  /// Calls `name` with buffers for its inputs then its outputs, their
  /// dynamic dimensions of the sizes `dims` (one per symbol; none for a
  /// function of static shapes). Returns an error text (empty on success):
  /// unknown function, wrong buffer count, sizes missing or out of range.
  std::string invoke(const std::string &name, const std::vector<void *> &buffers,
                     const std::vector<int64_t> &dims = {}) const;

private:
  friend std::shared_ptr<const CompiledModule> compile(const std::string &,
                                                       const CompileOptions &,
                                                       std::string &);
  friend std::shared_ptr<const CompiledModule> load(const std::string &, std::string &);
  struct Impl;
  CompiledModule();
  std::unique_ptr<Impl> impl;
  std::vector<FunctionSignature> signatures;
};

/// Compiles `source` (MLIR text of tensor-level lowbit IR), or returns null
/// with the diagnostics in `diagnostics`. Cached; thread-safe.
std::shared_ptr<const CompiledModule> compile(const std::string &source,
                                              const CompileOptions &options,
                                              std::string &diagnostics);

/// Loads a shared object written by lowbit-compile (lowbit/Runtime/AOT.h):
/// its functions and signatures, called like a compiled module's. Null with
/// the reason in `error` (not a lowbit object, another compiler version).
std::shared_ptr<const CompiledModule> load(const std::string &path, std::string &error);

} // namespace lowbit::rt

#endif
