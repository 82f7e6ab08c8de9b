//===- JIT.cpp - Compile and run lowbit modules in-process ----------------===//

#include "lowbit/Runtime/JIT.h"

#include "Autotune.h"
#include "ModuleCache.h"
#include "Signatures.h"
#include "../RuntimeCore/ModuleImpl.h"
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
#include <map>
#include <mutex>
#include <atomic>
#include <thread>

using namespace lowbit::rt;

/// What a JIT-compiled module keeps alive: the context must outlive the
/// engine's module (members are destroyed in reverse order).
struct JITState {
  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

/// lib/AOTRuntime/MemrefCopy.c and BufferPool.c (the same definitions AOT
/// objects link).
extern "C" void memrefCopy(int64_t elemSize, void *src, void *dst);
extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes);
extern "C" void _mlir_memref_to_llvm_free(void *ptr);

namespace {
std::string printed(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

} // namespace

/// The signature of a public function over ranked tensors, or failure
/// with an error at the function (or at the op that makes a dynamic
/// dimension the analysis cannot follow).
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
/// `module` in the in-memory cache under `key`, or the module another
/// thread put there first. Entries whose modules are gone are dropped here,
/// so the cache holds only keys of live modules.
std::shared_ptr<const CompiledModule> remember(const std::string &key,
                                               std::shared_ptr<const CompiledModule> module) {
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (auto raced = cache()[key].lock())
    return raced;
  for (auto it = cache().begin(); it != cache().end();)
    it = it->second.expired() ? cache().erase(it) : std::next(it);
  cache()[key] = module;
  return module;
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
    if (cached)
      return remember(key, cached);
  }

  static std::once_flag llvmInit;
  std::call_once(llvmInit, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  std::shared_ptr<CompiledModule> result(new CompiledModule());
  mlir::DialectRegistry registry;
  mlir::lowbit::registerReferencePipelineDialects(registry);
  auto state = std::make_shared<JITState>();
  result->impl->owner = state;
  state->context = std::make_unique<mlir::MLIRContext>(registry);
  mlir::MLIRContext &ctx = *state->context;
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
  // Generated code calls only lowbit's runtime (registered below) and,
  // with threads, LLVM's libomp: nothing of MLIR's runner utilities.
  std::string openmp = LOWBIT_OPENMP_RUNTIME;
  llvm::SmallVector<llvm::StringRef> libs;
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
  state->engine = std::move(*engine);
  // The runtime pieces generated code calls: the wide-format codec
  // (WideCodec.h), memrefCopy (memref.copy from tensor.pad and friends)
  // and the buffer pool's alloc and free (every memref.alloc); the C
  // definitions AOT objects link (lib/AOTRuntime), in place of MLIR's
  // runner utilities.
  state->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("memrefCopy")] = {llvm::orc::ExecutorAddr::fromPtr(&memrefCopy),
                                       llvm::JITSymbolFlags::Exported};
    symbols[interner("_mlir_memref_to_llvm_alloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&_mlir_memref_to_llvm_alloc),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("_mlir_memref_to_llvm_free")] = {
        llvm::orc::ExecutorAddr::fromPtr(&_mlir_memref_to_llvm_free),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("lowbit_rt_decode")] = {
        llvm::orc::ExecutorAddr::fromPtr(&lowbit_rt_decode), llvm::JITSymbolFlags::Exported};
    symbols[interner("lowbit_rt_encode")] = {
        llvm::orc::ExecutorAddr::fromPtr(&lowbit_rt_encode), llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  for (const FunctionSignature &s : result->signatures) {
    auto fn = state->engine->lookupPacked(s.name);
    if (!fn) {
      diag << "JIT lookup of '" << s.name << "' failed: " << llvm::toString(fn.takeError())
           << "\n";
      return nullptr;
    }
    result->impl->entries[s.name] = *fn;
  }
  return remember(key, result);
}
