//===- JIT.cpp - Compile and run lowbit modules in-process ----------------===//

#include "lowbit/Runtime/JIT.h"
#include "lowbit/Runtime/AOT.h"

#include "Autotune.h"
#include "ModuleCache.h"
#include "Signatures.h"
#include "TargetMachine.h"

#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"
#include "lowbit/Dialect/Lowbit/Analysis/SymbolicShapes.h"
#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/WideCodec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/ExecutionEngine/Orc/Shared/ExecutorSymbolDef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/SubtargetFeature.h"


#include <cstdlib>
#include <dlfcn.h>
#include <sstream>
#include <map>
#include <mutex>
#include <atomic>
#include <thread>

using namespace lowbit::rt;

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
  if (std::string e = mlir::lowbit::bindSymbolSizes(name, declared, symbols, numSymbols,
                                                     inputShapes, dims);
      !e.empty())
    return e;
  return checkSymbols(dims);
}

struct CompiledModule::Impl {
  // The context must outlive the engine's module.
  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::map<std::string, void (*)(void **)> entries;
  /// A shared object from lowbit-compile (load()): closed last.
  void *library = nullptr;
  ~Impl() {
    if (library)
      dlclose(library);
  }
};

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

namespace {
std::string printed(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

/// The signature of a public function over ranked tensors, or failure
/// with an error at the function (or at the op that makes a dynamic
/// dimension the analysis cannot follow).
} // namespace

mlir::LogicalResult lowbit::rt::detail::signatureOf(mlir::func::FuncOp f,
                                                  FunctionSignature &sig) {
  sig.name = f.getName().str();
  auto spec = [&](mlir::Type t, TensorSpec &out) -> std::string {
    auto rt = llvm::dyn_cast<mlir::RankedTensorType>(t);
    if (!rt)
      return "function '" + sig.name + "': arguments and results must be ranked tensors, got " +
             printed(t);
    mlir::RankedTensorType storage = mlir::lowbit::getStorageTensorType(rt);
    if (!storage)
      return "function '" + sig.name + "': no storage for " + printed(rt) +
             " (an element type without a number format, or a layout that does not fit)";
    for (int64_t d : storage.getShape())
      out.shape.push_back(mlir::ShapedType::isDynamic(d) ? kDynamic : d);
    out.type = printed(rt);
    out.elementType = printed(rt.getElementType());
    out.storageType = printed(storage.getElementType());
    out.storageBytes = storage.getElementType().getIntOrFloatBitWidth() / 8;
    if (rt.getEncoding()) {
      llvm::raw_string_ostream os(out.layout);
      rt.getEncoding().print(os);
    }
    return {};
  };
  for (auto [types, specs] : {std::pair{f.getArgumentTypes(), &sig.inputs},
                              std::pair{f.getResultTypes(), &sig.outputs}})
    for (mlir::Type t : types) {
      specs->emplace_back();
      if (std::string e = spec(t, specs->back()); !e.empty())
        return mlir::emitError(f.getLoc()) << e;
    }
  mlir::FailureOr<mlir::lowbit::SymbolicSignature> symbolic =
      mlir::lowbit::analyzeSymbolicShapes(f);
  if (mlir::failed(symbolic))
    return mlir::failure();
  for (size_t i = 0; i < sig.inputs.size(); ++i)
    sig.inputs[i].symbols = symbolic->inputs[i];
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    sig.outputs[i].symbols = symbolic->outputs[i];
  sig.numSymbols = symbolic->numSymbols;
  return mlir::success();
}

namespace {


unsigned resolvedThreads(unsigned requested) {
  if (requested)
    return requested;
  if (const char *env = std::getenv("LOWBIT_NUM_THREADS")) {
    char *end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (end != env && *end == 0 && n >= 1 && n <= 1024)
      return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string targetList() {
  std::string s;
  for (const std::string &n : lowbit::target::cpuTargetNames())
    s += (s.empty() ? "" : ", ") + n;
  return s;
}

/// A 128-bit hash of the source: XXH3 of the whole text when it is small,
/// else of the XXH3 hashes of its 8 MiB chunks, computed on all cores. Why:
/// a 4096 x 4096 weight written as f32 hex is 134 MB of text, and one core
/// reads it in about 5 ms, the whole budget of a cache hit. The chunk size
/// is fixed, so the hash does not depend on the machine or thread count.
std::string sourceHash(const std::string &source) {
  constexpr size_t kChunk = size_t(8) << 20;
  auto hex = [](llvm::XXH128_hash_t h) {
    return llvm::utohexstr(h.high64, false, 16) + llvm::utohexstr(h.low64, false, 16);
  };
  llvm::ArrayRef<uint8_t> bytes = llvm::arrayRefFromStringRef(source);
  if (bytes.size() <= 2 * kChunk)
    return hex(llvm::xxh3_128bits(bytes));
  size_t chunks = (bytes.size() + kChunk - 1) / kChunk;
  std::vector<llvm::XXH128_hash_t> parts(chunks);
  unsigned workers = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(),
                                                     static_cast<unsigned>(chunks)));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < chunks;)
      parts[i] = llvm::xxh3_128bits(bytes.slice(i * kChunk, std::min(kChunk, bytes.size() - i * kChunk)));
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(parts.data()), parts.size() * sizeof(parts[0])));
  return "c" + std::to_string(bytes.size()) + "-" + hex(h);
}

std::mutex cacheMutex;
std::map<std::string, std::weak_ptr<const CompiledModule>> &cache() {
  static std::map<std::string, std::weak_ptr<const CompiledModule>> c;
  return c;
}
} // namespace

std::shared_ptr<const CompiledModule>
lowbit::rt::compile(const std::string &source, const CompileOptions &options,
                    std::string &diagnostics) {
  unsigned threads = resolvedThreads(options.numThreads);
  // Keyed by the options and a 128-bit hash of the source (XXH3, GB/s): a
  // key holding the whole source would keep every compiled text (hundreds
  // of MB for large constant weights) alive in the cache.
  std::string hash = sourceHash(source);
  std::string key = std::to_string(options.optLevel) + "\n" + options.target + "\n" +
                    std::to_string(threads) + "\n" + std::to_string(options.reportFallbacks) +
                    std::to_string(options.autotune) + std::to_string(options.diskCache) +
                    "\n" + options.sourceName + "\n" + hash;
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (auto hit = cache()[key].lock())
      return hit;
  }
  std::optional<lowbit::target::CPUTarget> target = lowbit::target::parseCPUTarget(options.target);
  std::optional<lowbit::target::CPUTargetKind> kind = lowbit::target::parseCPUTargetKind(options.target);
  if (!target || !kind) {
    diagnostics = "unknown target '" + options.target + "'; expected one of " + targetList() + "\n";
    return nullptr;
  }
  if (std::string e = lowbit::target::checkRunnableOnHost(*target); !e.empty()) {
    diagnostics = e + "\n";
    return nullptr;
  }
  // A module compiled before, by this process or another, from the disk
  // cache; else compiled ahead of time into it (falling back to the
  // in-process JIT where that path does not apply).
  if (std::string path = options.diskCache && !options.autotune
                             ? detail::moduleCachePath(options, threads, hash)
                             : std::string();
      !path.empty()) {
    std::string cachedDiagnostics;
    std::shared_ptr<const CompiledModule> cached =
        detail::loadCachedModule(path, cachedDiagnostics);
    if (cached) {
      diagnostics += cachedDiagnostics;
    } else {
      bool unsupported = false;
      if (detail::compileIntoCache(source, options, threads, path, diagnostics, unsupported)) {
        std::string again; // its diagnostics are in `diagnostics` already
        cached = detail::loadCachedModule(path, again);
      } else if (!unsupported) {
        return nullptr;
      }
    }
    if (cached) {
      std::lock_guard<std::mutex> lock(cacheMutex);
      if (auto raced = cache()[key].lock())
        return raced;
      cache()[key] = cached;
      return cached;
    }
  }

  static std::once_flag llvmInit;
  std::call_once(llvmInit, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  std::shared_ptr<CompiledModule> result(new CompiledModule());
  mlir::DialectRegistry registry;
  mlir::lowbit::registerReferencePipelineDialects(registry);
  result->impl->context = std::make_unique<mlir::MLIRContext>(registry);
  mlir::MLIRContext &ctx = *result->impl->context;
  ctx.loadAllAvailableDialects();

  llvm::raw_string_ostream diag(diagnostics);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, options.sourceName),
                               llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &ctx, diag);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &ctx);
  if (!module)
    return nullptr;
  for (auto f : module->getOps<mlir::func::FuncOp>()) {
    if (f.isExternal() || f.isPrivate())
      continue;
    FunctionSignature sig;
    if (mlir::failed(detail::signatureOf(f, sig)))
      return nullptr;
    result->signatures.push_back(std::move(sig));
  }

  if (options.autotune &&
      mlir::failed(detail::autotuneX86Kernels(*module, options, threads)))
    return nullptr;

  mlir::PassManager pm(&ctx);
  mlir::lowbit::CPUPipelineConfig config;
  config.target = *kind;
  config.reportFallbacks = options.reportFallbacks;
  config.numThreads = threads;
  mlir::lowbit::buildCPUPipeline(pm, config);
  if (mlir::failed(pm.run(*module)))
    return nullptr;

  // The target machine of the target (TargetMachine.h), shared with AOT.
  auto hostBuilder = detail::targetMachineBuilder(*target);
  if (!hostBuilder) {
    diag << "cannot describe the host CPU: " << llvm::toString(hostBuilder.takeError()) << "\n";
    return nullptr;
  }
  auto targetMachine = hostBuilder->createTargetMachine();
  if (!targetMachine) {
    diag << "cannot create a target machine: " << llvm::toString(targetMachine.takeError())
         << "\n";
    return nullptr;
  }
  auto transformer =
      mlir::makeOptimizingTransformer(options.optLevel, 0, targetMachine->get());
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer; // kept alive above: a function_ref
  // memref.copy (from tensor.pad and friends) calls memrefCopy of MLIR's C
  // runner utilities.
  std::string runnerUtils = LOWBIT_MLIR_C_RUNNER_UTILS, openmp = LOWBIT_OPENMP_RUNTIME;
  llvm::SmallVector<llvm::StringRef> libs{runnerUtils};
  if (threads > 1) // the kernels' OpenMP loops call LLVM's libomp
    libs.push_back(openmp);
  engineOptions.sharedLibPaths = libs;
  engineOptions.jitCodeGenOptLevel =
      static_cast<llvm::CodeGenOptLevel>(std::min(options.optLevel, 3u));
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    diag << "JIT compilation failed: " << llvm::toString(engine.takeError()) << "\n";
    return nullptr;
  }
  result->impl->engine = std::move(*engine);
  // The wide-format codec that generated code calls (WideCodec.h).
  result->impl->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("lowbit_rt_decode")] = {
        llvm::orc::ExecutorAddr::fromPtr(&lowbit_rt_decode), llvm::JITSymbolFlags::Exported};
    symbols[interner("lowbit_rt_encode")] = {
        llvm::orc::ExecutorAddr::fromPtr(&lowbit_rt_encode), llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  for (const FunctionSignature &s : result->signatures) {
    auto fn = result->impl->engine->lookupPacked(s.name);
    if (!fn) {
      diag << "JIT lookup of '" << s.name << "' failed: " << llvm::toString(fn.takeError())
           << "\n";
      return nullptr;
    }
    result->impl->entries[s.name] = *fn;
  }
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (auto raced = cache()[key].lock())
    return raced;
  // Entries whose modules are gone are dropped here, so the cache holds
  // only keys of live modules.
  for (auto it = cache().begin(); it != cache().end();)
    it = it->second.expired() ? cache().erase(it) : std::next(it);
  cache()[key] = result;
  return result;
}
