//===- Module.h - Compiled lowbit modules and their signatures -*- C++ -*-===//
//
// What a caller of compiled code needs, apart from any compiler: function
// signatures (storage shapes, dynamic-size symbols), modules whose
// functions are called on caller-allocated buffers, and the loader of
// shared objects written by lowbit-compile. The JIT (JIT.h) produces
// modules too. This library (LowbitRuntimeCore) depends on neither MLIR nor
// LLVM.
//
// This header includes no MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_MODULE_H
#define LOWBIT_RUNTIME_MODULE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lowbit::rt {

struct CompileOptions;

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

/// The symbols' sizes from `given` input shapes: checks ranks and static
/// sizes, that sizes are at least 1 and that the dimensions of one symbol
/// have one size; returns an error text naming `function` and the input,
/// empty on success.
std::string bindSymbolSizes(const std::string &function,
                            const std::vector<std::vector<int64_t>> &declared,
                            const std::vector<std::vector<int>> &symbols, unsigned numSymbols,
                            const std::vector<std::vector<int64_t>> &given,
                            std::vector<int64_t> &sizes);

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

/// Loads a shared object written by lowbit-compile (lowbit/Runtime/AOT.h):
/// its functions and signatures, called like a compiled module's. Null with
/// the reason in `error` (not a lowbit object, another compiler version).
std::shared_ptr<const CompiledModule> load(const std::string &path, std::string &error);

/// The packed entry of `function` in an object of header prefix `prefix`
/// (lowbit/Runtime/AOT.h).
std::string packedName(const std::string &prefix, const std::string &function);

} // namespace lowbit::rt

#endif
