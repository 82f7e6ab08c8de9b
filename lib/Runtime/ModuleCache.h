//===- ModuleCache.h - Compiled modules cached on disk ----------*- C++ -*-===//
//
// The JIT's disk cache: a module compiled once is kept as a shared object
// (the ahead-of-time path, lowbit/Runtime/AOT.h) under
// $LOWBIT_CACHE_DIR/modules (else ~/.cache/lowbit/modules), keyed by a hash
// of the compiler version, the machine (CPU and features), the target, the
// options and the source; a later process loads it (lowbit::rt::load)
// instead of compiling. LOWBIT_CACHE=0 turns it off.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_RUNTIME_MODULECACHE_H
#define LOWBIT_LIB_RUNTIME_MODULECACHE_H

#include "lowbit/Runtime/JIT.h"

#include <string>

namespace lowbit::rt::detail {

/// $LOWBIT_CACHE_DIR (else ~/.cache/lowbit), or "" when LOWBIT_CACHE=0 or
/// there is no home directory.
std::string cacheRoot();

/// The cache file of a module, or "" when the cache is off.
std::string moduleCachePath(const CompileOptions &options, unsigned threads,
                            const std::string &sourceHash);

/// The cached module at `path` (and the diagnostics of its compile), or
/// null when there is none or it cannot be loaded.
std::shared_ptr<const CompiledModule> loadCachedModule(const std::string &path,
                                                       std::string &diagnostics);

/// Compiles ahead of time into `path` (a temporary file renamed into place,
/// so that concurrent processes never see half a file). Returns false with
/// the diagnostics on an error in the module; sets `unsupported` (and
/// returns false) where the object cannot be linked or written (no linker,
/// a read-only cache), so that the caller compiles with the in-process JIT
/// instead.
bool compileIntoCache(const std::string &source, const CompileOptions &options, unsigned threads,
                      const std::string &path, std::string &diagnostics, bool &unsupported);

} // namespace lowbit::rt::detail

#endif
