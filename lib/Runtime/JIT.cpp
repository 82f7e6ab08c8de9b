//===- JIT.cpp - Compile and run lowbit modules in-process ----------------===//

#include "lowbit/Runtime/JIT.h"

#include "lowbit/Conversion/StorageTypes.h"
#include "lowbit/Pipelines/ReferencePipeline.h"
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
#include <thread>

using namespace lowbit::rt;

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

struct CompiledModule::Impl {
  // The context must outlive the engine's module.
  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::map<std::string, void (*)(void **)> entries;
};

CompiledModule::CompiledModule() : impl(std::make_unique<Impl>()) {}
CompiledModule::~CompiledModule() = default;

const FunctionSignature *CompiledModule::find(const std::string &name) const {
  for (const FunctionSignature &s : signatures)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::string CompiledModule::invoke(const std::string &name,
                                   const std::vector<void *> &buffers) const {
  const FunctionSignature *sig = find(name);
  auto it = impl->entries.find(name);
  if (!sig || it == impl->entries.end())
    return "no function '" + name + "' in the module";
  size_t want = sig->inputs.size() + sig->outputs.size();
  if (buffers.size() != want)
    return "function '" + name + "' takes " + std::to_string(want) +
           " buffers (inputs, then outputs), got " + std::to_string(buffers.size());
  // Bare-pointer convention: the packed wrapper reads each argument through
  // a pointer to it.
  std::vector<void *> ptrs(buffers);
  std::vector<void *> args(ptrs.size());
  for (size_t i = 0; i < ptrs.size(); ++i)
    args[i] = &ptrs[i];
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

/// The signature of a public function over static tensors, or an error.
std::string signatureOf(mlir::func::FuncOp f, FunctionSignature &sig) {
  sig.name = f.getName().str();
  auto spec = [&](mlir::Type t, TensorSpec &out) -> std::string {
    auto rt = llvm::dyn_cast<mlir::RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape())
      return "function '" + sig.name + "': arguments and results must be tensors of "
             "static shape, got " + printed(t);
    mlir::RankedTensorType storage = mlir::lowbit::getStorageTensorType(rt);
    if (!storage)
      return "function '" + sig.name + "': no storage for " + printed(rt) +
             " (an element type without a number format, or a layout that does not fit)";
    out.shape.assign(storage.getShape().begin(), storage.getShape().end());
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
  for (mlir::Type t : f.getArgumentTypes()) {
    sig.inputs.emplace_back();
    if (std::string e = spec(t, sig.inputs.back()); !e.empty())
      return e;
  }
  for (mlir::Type t : f.getResultTypes()) {
    sig.outputs.emplace_back();
    if (std::string e = spec(t, sig.outputs.back()); !e.empty())
      return e;
  }
  return {};
}


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

std::string sourceHash(const std::string &source) {
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::arrayRefFromStringRef(source));
  return llvm::utohexstr(h.high64, false, 16) + llvm::utohexstr(h.low64, false, 16);
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
  std::string key = std::to_string(options.optLevel) + "\n" + options.target + "\n" +
                    std::to_string(threads) + "\n" + std::to_string(options.reportFallbacks) +
                    "\n" + options.sourceName + "\n" +
                    sourceHash(source);
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
    if (std::string e = signatureOf(f, sig); !e.empty()) {
      mlir::emitError(f.getLoc()) << e;
      return nullptr;
    }
    result->signatures.push_back(std::move(sig));
  }

  mlir::PassManager pm(&ctx);
  mlir::lowbit::CPUPipelineConfig config;
  config.target = *kind;
  config.reportFallbacks = options.reportFallbacks;
  config.numThreads = threads;
  mlir::lowbit::buildCPUPipeline(pm, config);
  if (mlir::failed(pm.run(*module)))
    return nullptr;

  // The optimizer needs a target machine: without one its cost model sees
  // no vector registers and the loop vectorizer does nothing. A named
  // target gets its own CPU and features (so x86-64-v3 code uses no
  // AVX-512 even on a host that has it); host and generic get the host's.
  auto hostBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!hostBuilder) {
    diag << "cannot describe the host CPU: " << llvm::toString(hostBuilder.takeError()) << "\n";
    return nullptr;
  }
  if (std::string features = target->llvmFeatureString(); !features.empty()) {
    hostBuilder->setCPU(target->cpu);
    llvm::SubtargetFeatures f;
    f.addFeaturesVector(llvm::SmallVector<std::string>(
        llvm::split(llvm::StringRef(features), ',')));
    hostBuilder->setFeatures(f.getString());
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
