//===- ModuleImpl.h - What a compiled module holds ---------------*- C++ -*-===//
//
// Shared by the runtime core (loaded objects) and the JIT (its engine, kept
// alive through `owner`), so that one CompiledModule class serves both.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_RUNTIMECORE_MODULEIMPL_H
#define LOWBIT_LIB_RUNTIMECORE_MODULEIMPL_H

#include "lowbit/Runtime/Module.h"

#include <dlfcn.h>
#include <map>
#include <memory>
#include <string>

namespace lowbit::rt {
struct CompiledModule::Impl {
  /// The packed entry of each function.
  std::map<std::string, void (*)(void **)> entries;
  /// A shared object from lowbit-compile (load()): closed last.
  void *library = nullptr;
  /// What the entries' code lives in, for JIT-compiled modules (the JIT's
  /// engine and context); type-erased so that this library needs no MLIR.
  std::shared_ptr<void> owner;
  ~Impl() {
    entries.clear();
    owner.reset();
    if (library)
      dlclose(library);
  }
};
} // namespace lowbit::rt

#endif
