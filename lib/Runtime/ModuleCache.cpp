//===- ModuleCache.cpp - Compiled modules cached on disk ------------------===//

#include "ModuleCache.h"

#include "lowbit/Runtime/AOT.h"
#include "lowbit/Target/CPUTarget.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CachePruning.h"
#include "llvm/Support/Chrono.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cstdlib>
#include <dlfcn.h>

using namespace lowbit::rt;

std::string detail::cacheRoot() {
  if (const char *off = std::getenv("LOWBIT_CACHE"); off && std::string(off) == "0")
    return {};
  llvm::SmallString<256> dir;
  if (const char *d = std::getenv("LOWBIT_CACHE_DIR"); d && *d)
    dir = d;
  else if (const char *home = std::getenv("HOME"); home && *home)
    llvm::sys::path::append(dir, home, ".cache", "lowbit");
  else
    return {};
  return std::string(dir);
}

namespace {
/// The compiler binary this code is in (the executable or the shared
/// object), by size and modification time: the version number does not
/// change between builds, and a rebuilt compiler must not load modules an
/// older build compiled.
std::string buildIdentity() {
  static const std::string id = [] {
    Dl_info info;
    if (!dladdr(reinterpret_cast<void *>(&detail::moduleCachePath), &info) || !info.dli_fname)
      return std::string("unknown");
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(info.dli_fname, st))
      return std::string("unknown");
    return std::string(info.dli_fname) + " " + std::to_string(st.getSize()) + " " +
           std::to_string(
               st.getLastModificationTime().time_since_epoch().count());
  }();
  return id;
}
} // namespace

std::string detail::moduleCachePath(const CompileOptions &o, unsigned threads,
                                    const std::string &sourceHash) {
  std::string root = cacheRoot();
  if (root.empty())
    return {};
  // The machine matters for "host" and for the optimizer's tuning.
  std::string key = "lowbit " LOWBIT_VERSION "\nbuild " + buildIdentity() + "\ncpu " + lowbit::target::hostCPUTarget().cpu +
                    " " + lowbit::target::hostFeatureString() + "\ntarget " + o.target +
                    "\nthreads " + std::to_string(threads) + "\nO" +
                    std::to_string(o.optLevel) + "\nremarks " +
                    std::to_string(o.reportFallbacks) + "\nname " + o.sourceName +
                    "\nsource " + sourceHash;
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::arrayRefFromStringRef(key));
  llvm::SmallString<256> p(root);
  // The llvmcache- prefix: LLVM's pruneCache only removes files named so.
  llvm::sys::path::append(p, "modules",
                          "llvmcache-" + llvm::utohexstr(h.high64, false, 16) +
                              llvm::utohexstr(h.low64, false, 16) + ".so");
  return std::string(p);
}

namespace {
/// Marks a cache file used now: pruning removes the least recently used
/// files first, by access time, which mounts with noatime never update.
void touch(const std::string &path) {
  int fd;
  if (llvm::sys::fs::openFileForWrite(path, fd, llvm::sys::fs::CD_OpenExisting,
                                      llvm::sys::fs::OF_Append))
    return;
  auto now = std::chrono::system_clock::now();
  (void)llvm::sys::fs::setLastAccessAndModificationTime(
      fd, llvm::sys::toTimePoint(std::chrono::system_clock::to_time_t(now)));
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
}

/// The pruning policy: $LOWBIT_CACHE_POLICY in LLVM's syntax (as lld's
/// --thinlto-cache-policy, e.g. "prune_after=24h:cache_size_bytes=1g"),
/// else LLVM's defaults (scanned at most every 20 minutes, files unused for
/// a week removed, at most 75% of the free space) with at most 4 GiB.
llvm::CachePruningPolicy cachePolicy(std::string &diagnostics) {
  llvm::CachePruningPolicy policy;
  policy.MaxSizeBytes = uint64_t(4) << 30;
  const char *text = std::getenv("LOWBIT_CACHE_POLICY");
  if (!text || !*text)
    return policy;
  llvm::Expected<llvm::CachePruningPolicy> parsed = llvm::parseCachePruningPolicy(text);
  if (!parsed) {
    diagnostics += "warning: LOWBIT_CACHE_POLICY: " + llvm::toString(parsed.takeError()) +
                   "; the default policy is used\n";
    return policy;
  }
  return *parsed;
}
} // namespace

std::shared_ptr<const CompiledModule> detail::loadCachedModule(const std::string &path,
                                                               std::string &diagnostics) {
  // An entry is the object and its diagnostics (remarks); one without the
  // other (pruned apart, or half removed) is compiled again.
  if (!llvm::sys::fs::exists(path) || !llvm::sys::fs::exists(path + ".diag"))
    return nullptr;
  std::string error;
  auto module = load(path, error);
  if (!module)
    return nullptr; // another version's file, or damaged: compiled again
  if (auto diag = llvm::MemoryBuffer::getFile(path + ".diag"))
    diagnostics += (*diag)->getBuffer().str();
  touch(path);
  touch(path + ".diag");
  return module;
}

bool detail::compileIntoCache(const std::string &source, const CompileOptions &options,
                              unsigned threads, const std::string &path,
                              std::string &diagnostics, bool &unsupported) {
  unsupported = false;
  AOTOptions o;
  o.target = options.target;
  o.numThreads = threads;
  o.optLevel = options.optLevel;
  o.reportFallbacks = options.reportFallbacks;
  o.sourceName = options.sourceName;
  o.textStages = false;
  AOTOutput out;
  std::string diag;
  if (!compileAhead(source, o, out, diag)) {
    diagnostics += diag;
    return false;
  }
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(path));
  if (llvm::sys::fs::create_directories(dir)) {
    unsupported = true;
    return false;
  }
  // Written under a unique name, then renamed into place: a concurrent
  // process sees the whole file or none. The temporary name has no
  // llvmcache- prefix, so that pruning never removes a file being written.
  llvm::SmallString<256> tempPath(dir);
  llvm::sys::path::append(tempPath, "tmp-" + std::to_string(llvm::sys::Process::getProcessId()) +
                                        "-" + std::to_string(reinterpret_cast<uintptr_t>(&out)) +
                                        "-" + llvm::sys::path::filename(path).str());
  std::string temp(tempPath);
  if (std::string e = linkSharedObject(out, temp); !e.empty()) {
    llvm::sys::fs::remove(temp);
    unsupported = true; // no linker here: the JIT compiles in-process
    return false;
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(temp + ".diag", ec, llvm::sys::fs::OF_None);
    if (!ec)
      os << diag;
  }
  // Before the new entry lands: the cache stays within its policy, and the
  // entry this compile returns is not among what it removes.
  llvm::pruneCache(dir, cachePolicy(diagnostics));
  llvm::sys::fs::rename(temp + ".diag", path + ".diag");
  if (llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    unsupported = true;
    return false;
  }
  diagnostics += diag;
  return true;
}
