//===- AOT.h - Ahead-of-time compilation to objects and C headers -*- C++ -*-===//
//
// The compiler half of `lowbit-compile`: the same pipeline as the JIT
// (lowbit/Runtime/JIT.h), then LLVM IR, an object file for the target, and
// a C header with one typed function per public function and a generic
// entry. The object defines, for each public function @f:
//
//   _lowbit_packed_<prefix>_f  void(void **args): the function in MLIR's
//                          calling convention (each memref its descriptor's
//                          fields), each field through a pointer (the
//                          convention of MLIR's ExecutionEngine); `f`
//                          itself is hidden, so that no other library's
//                          symbol of that name takes its place
//
// and `lowbit_module_info`, a text naming the compiler version, the target
// and each function's signature. Linking it into a shared object (the
// tool's job) needs the AOT runtime archive (memrefCopy) and, with more
// than one thread, LLVM's libomp.
//
// This header includes no MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_AOT_H
#define LOWBIT_RUNTIME_AOT_H

#include "lowbit/Runtime/Module.h"

#include <string>
#include <vector>

namespace lowbit::rt {

struct AOTOptions {
  std::string target = "host"; ///< as CompileOptions::target
  unsigned numThreads = 1;     ///< kernel threads; > 1 needs libomp at run time
  unsigned optLevel = 3;
  bool reportFallbacks = false;
  std::string sourceName = "<input>";
  /// The C identifier prefix of the header's functions: <prefix>_<function>
  /// and <prefix>_call.
  std::string prefix = "lowbit";
  /// Also produce the text stages (mlir, llvmIR, asmText): printing a
  /// module with large constant weights costs more than compiling it.
  bool textStages = true;
};

/// What compileAhead produces.
struct AOTOutput {
  std::string mlir;   ///< the LLVM-dialect module after the pipeline
  std::string llvmIR; ///< the optimized LLVM IR
  std::string asmText;
  std::string object; ///< an ELF relocatable object
  std::string header; ///< the C header
  /// Runtime pieces the object calls: "omp" (LLVM's OpenMP runtime).
  bool needsOpenMP = false;
  /// The object calls the wide-format codec (formats wider than 16 bits,
  /// lowbit/Runtime/WideCodec.h): it links liblowbit_runtime.so, which
  /// exports it (LOWBIT_RUNTIME_LIBRARY overrides its path).
  bool needsRuntimeCodec = false;
  /// The object is for another architecture than this process's (target
  /// aarch64 on x86): linking uses that architecture's C compiler, and
  /// the object runs there or under an emulator.
  bool cross = false;
  std::string triple; ///< the object's LLVM target triple
  std::vector<FunctionSignature> signatures; ///< of the public functions
};

/// Compiles `source`; returns false with the diagnostics (locations
/// included) in `diagnostics`, which also receives remarks.
bool compileAhead(const std::string &source, const AOTOptions &options, AOTOutput &out,
                  std::string &diagnostics);


/// Links `out.object` into the shared object `path` with the C compiler
/// lowbit was built with, the AOT runtime archive ($LOWBIT_AOT_RUNTIME
/// overrides its path) and libm (libomp where needed). A cross object
/// (aarch64) is linked by crossCompiler() with the runtime archive built
/// for it. Returns an error text, empty on success.
std::string linkSharedObject(const AOTOutput &out, const std::string &path);

/// The C compiler that builds and links code for `triple`'s architecture
/// on this host: the one lowbit was built with for the host's own, else
/// $LOWBIT_AARCH64_CC or the aarch64-linux-gnu-gcc found when lowbit was
/// configured (Debian's gcc-aarch64-linux-gnu). Empty with `why` set where
/// there is none.
std::string crossCompiler(const std::string &triple, std::string &why);

/// The AOT runtime archive for `triple` (the host's, or the cross-built
/// one); empty with `why` set where it was not built.
std::string aotRuntimeArchive(const std::string &triple, std::string &why);

} // namespace lowbit::rt

#endif
