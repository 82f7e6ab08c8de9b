//===- Module.cpp - Compiled lowbit modules and their signatures ----------===//
//
// MLIR- and LLVM-free: signatures, calls through packed entries, and the
// loader of lowbit-compile objects (lowbit/Runtime/Module.h).
//
//===----------------------------------------------------------------------===//

#include "lowbit/Runtime/Module.h"

#include "ModuleImpl.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <sstream>

using namespace lowbit::rt;

std::string lowbit::rt::packedName(const std::string &prefix, const std::string &function) {
  return "_lowbit_packed_" + prefix + "_" + function;
}

std::string lowbit::rt::bindSymbolSizes(const std::string &function,
                                        const std::vector<std::vector<int64_t>> &declared,
                                        const std::vector<std::vector<int>> &symbols,
                                        unsigned numSymbols,
                                        const std::vector<std::vector<int64_t>> &given,
                                        std::vector<int64_t> &sizes) {
  if (given.size() != declared.size())
    return "function '" + function + "' takes " + std::to_string(declared.size()) +
           " inputs, got " + std::to_string(given.size()) + " shapes";
  sizes.assign(numSymbols, -1);
  auto str = [](const std::vector<int64_t> &s) {
    std::string r;
    for (int64_t d : s)
      r += (r.empty() ? "" : "x") + (d < 0 ? std::string("?") : std::to_string(d));
    return r;
  };
  for (size_t i = 0; i < declared.size(); ++i) {
    const std::vector<int64_t> &want = declared[i], &shape = given[i];
    bool ok = shape.size() == want.size();
    for (size_t d = 0; ok && d < shape.size(); ++d) {
      if (want[d] >= 0) {
        ok = shape[d] == want[d];
      } else if (shape[d] < 1) {
        ok = false;
      } else if (int64_t &bound = sizes[symbols[i][d]]; bound < 0) {
        bound = shape[d];
      } else if (bound != shape[d]) {
        return "function '" + function + "': input " + std::to_string(i) + " is " + str(shape) +
               ", but dimension " + std::to_string(d) + " must have the size " +
               std::to_string(bound) + " another input gives it";
      }
    }
    if (!ok)
      return "function '" + function + "': input " + std::to_string(i) + " must be " +
             str(want) + " (sizes at least 1), got " + str(shape);
  }
  return {};
}

bool TensorSpec::isStatic() const {
  return std::find(shape.begin(), shape.end(), kDynamic) == shape.end();
}

std::vector<int64_t> TensorSpec::shapeFor(const std::vector<int64_t> &dims) const {
  std::vector<int64_t> s = shape;
  for (size_t d = 0; d < s.size(); ++d)
    if (symbols.size() > d && symbols[d] >= 0 && static_cast<size_t>(symbols[d]) < dims.size())
      s[d] = dims[symbols[d]];
  return s;
}

int64_t TensorSpec::numElements(const std::vector<int64_t> &dims) const {
  int64_t n = 1;
  for (int64_t d : shapeFor(dims))
    n *= d;
  return n;
}

std::string FunctionSignature::checkSymbols(const std::vector<int64_t> &dims) const {
  if (dims.size() != numSymbols)
    return "function '" + name + "' has " + std::to_string(numSymbols) +
           " dynamic dimension sizes to give, got " + std::to_string(dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] < 1)
      return "function '" + name + "': dynamic size " + std::to_string(i) + " is " +
             std::to_string(dims[i]) + "; sizes must be at least 1";
  // Every buffer within 2^62 bytes, computed without overflow.
  for (const auto *list : {&inputs, &outputs})
    for (const TensorSpec &t : *list) {
      unsigned __int128 bytes = t.storageBytes;
      for (int64_t d : t.shapeFor(dims)) {
        bytes *= static_cast<uint64_t>(d);
        if (bytes > (static_cast<unsigned __int128>(1) << 62))
          return "function '" + name + "': a buffer of " + t.type +
                 " would exceed 2^62 bytes with these sizes";
      }
    }
  return {};
}

std::string FunctionSignature::bindSymbols(const std::vector<std::vector<int64_t>> &inputShapes,
                                           std::vector<int64_t> &dims) const {
  std::vector<std::vector<int64_t>> declared;
  std::vector<std::vector<int>> symbols;
  for (const TensorSpec &t : inputs) {
    declared.push_back(t.shape);
    // Codes in a bit layout are stored as static bytes: no symbols there.
    symbols.push_back(t.symbols.size() == t.shape.size() ? t.symbols
                                                         : std::vector<int>(t.shape.size(), -1));
  }
  if (std::string e = bindSymbolSizes(name, declared, symbols, numSymbols,
                                                     inputShapes, dims);
      !e.empty())
    return e;
  return checkSymbols(dims);
}



CompiledModule::CompiledModule() : impl(std::make_unique<Impl>()) {}
CompiledModule::~CompiledModule() = default;
bool CompiledModule::isSharedObject() const { return impl->library != nullptr; }

std::shared_ptr<const CompiledModule> lowbit::rt::load(const std::string &path,
                                                       std::string &error) {
  std::shared_ptr<CompiledModule> result(new CompiledModule());
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    error = "cannot load '" + path + "': " + dlerror();
    return nullptr;
  }
  result->impl->library = library;
  const char *info = static_cast<const char *>(dlsym(library, "lowbit_module_info"));
  if (!info) {
    error = "'" + path + "' is not a lowbit-compile object (no lowbit_module_info)";
    return nullptr;
  }
  // The text AOT.cpp writes (moduleInfo): a header, then per function its
  // tensors, each followed by its element type and layout.
  std::istringstream in(info);
  std::string line, version;
  std::getline(in, line);
  if (line != "lowbit " LOWBIT_VERSION) {
    error = "'" + path + "' was compiled by " + line + ", this is lowbit " LOWBIT_VERSION +
            "; compile it again";
    return nullptr;
  }
  auto numbers = [](const std::string &text) {
    std::vector<int64_t> out;
    if (text == "-")
      return out;
    std::istringstream s(text);
    for (std::string item; std::getline(s, item, ',');)
      if (!item.empty())
        out.push_back(std::strtoll(item.c_str(), nullptr, 10));
    return out;
  };
  TensorSpec *last = nullptr;
  std::string prefix = "lowbit";
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "prefix") {
      words >> prefix;
    } else if (kind == "function") {
      FunctionSignature sig;
      words >> sig.name >> sig.numSymbols;
      auto *entry = reinterpret_cast<void (*)(void **)>(
          dlsym(library, packedName(prefix, sig.name).c_str()));
      if (!entry) {
        error = "'" + path + "' lacks the entry of @" + sig.name;
        return nullptr;
      }
      result->impl->entries[sig.name] = entry;
      result->signatures.push_back(std::move(sig));
    } else if ((kind == "input" || kind == "output") && !result->signatures.empty()) {
      FunctionSignature &sig = result->signatures.back();
      TensorSpec t;
      std::string shape, symbols;
      words >> t.storageType >> shape >> symbols;
      std::getline(words >> std::ws, t.type);
      t.shape = numbers(shape);
      for (int64_t s : numbers(symbols))
        t.symbols.push_back(static_cast<int>(s));
      t.storageBytes = t.storageType == "bf16" || t.storageType == "f16" ? 2
                       : t.storageType == "f32"                            ? 4
                       : t.storageType == "f64"                            ? 8
                       : t.storageType.size() > 1 && t.storageType[0] == 'i'
                           ? static_cast<unsigned>(std::atoi(t.storageType.c_str() + 1)) / 8
                           : 0;
      if (t.storageBytes == 0) {
        error = "'" + path + "': unknown storage type '" + t.storageType + "'";
        return nullptr;
      }
      auto &list = kind == "input" ? sig.inputs : sig.outputs;
      list.push_back(std::move(t));
      last = &list.back();
    } else if (kind == "element" && last) {
      std::getline(words >> std::ws, last->elementType);
    } else if (kind == "layout" && last) {
      std::getline(words >> std::ws, last->layout);
    }
  }
  return result;
}

const FunctionSignature *CompiledModule::find(const std::string &name) const {
  for (const FunctionSignature &s : signatures)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::string CompiledModule::invoke(const std::string &name, const std::vector<void *> &buffers,
                                   const std::vector<int64_t> &dims) const {
  const FunctionSignature *sig = find(name);
  auto it = impl->entries.find(name);
  if (!sig || it == impl->entries.end())
    return "no function '" + name + "' in the module";
  size_t want = sig->inputs.size() + sig->outputs.size();
  if (buffers.size() != want)
    return "function '" + name + "' takes " + std::to_string(want) +
           " buffers (inputs, then outputs), got " + std::to_string(buffers.size());
  if (sig->numSymbols || !dims.empty())
    if (std::string e = sig->checkSymbols(dims); !e.empty())
      return e;
  // MLIR's default calling convention: each memref is its descriptor's
  // fields (allocated and aligned pointer, offset, sizes, strides), and
  // the packed wrapper reads each field through a pointer to it.
  size_t fields = 0;
  for (const auto *list : {&sig->inputs, &sig->outputs})
    for (const TensorSpec &t : *list)
      fields += 3 + 2 * t.shape.size();
  std::vector<void *> ptrs(buffers);
  std::vector<int64_t> ints;
  ints.reserve(fields); // no reallocation: args point into it
  std::vector<void *> args;
  args.reserve(fields);
  size_t b = 0;
  for (const auto *list : {&sig->inputs, &sig->outputs})
    for (const TensorSpec &t : *list) {
      std::vector<int64_t> shape = t.shapeFor(dims);
      args.push_back(&ptrs[b]); // allocated
      args.push_back(&ptrs[b]); // aligned
      ++b;
      ints.push_back(0); // offset
      args.push_back(&ints.back());
      for (int64_t d : shape) {
        ints.push_back(d);
        args.push_back(&ints.back());
      }
      int64_t stride = 1;
      size_t first = ints.size();
      ints.resize(ints.size() + shape.size());
      for (size_t d = shape.size(); d-- > 0;) {
        ints[first + d] = stride;
        stride *= shape[d];
      }
      for (size_t d = 0; d < shape.size(); ++d)
        args.push_back(&ints[first + d]);
    }
  it->second(args.data());
  return {};
}

