//===- Autotune.cpp - Kernel tuning by measurement, cached on disk --------===//

#include "Autotune.h"
#include "ModuleCache.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"
#include "lowbit/Target/CPUTarget.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>

using namespace mlir;
using namespace mlir::lowbit;
namespace rt = ::lowbit::rt;
namespace ref = ::lowbit::ref;

namespace {
/// Bumped when the kernels' parameters change meaning: older entries are
/// then never read.
constexpr const char *kTuningVersion = "lowbit-autotune 1 " LOWBIT_VERSION;
/// The placeholder of the tuning attribute in a candidate's text.
constexpr const char *kPlaceholder = "\"__lowbit_tuning__\"";
/// M of the measurement where M is dynamic (a small batch).
constexpr int64_t kDynamicM = 8;

struct Tuning {
  int64_t activationBlock, rowsPerPass, prefetchDistance;

  std::string text() const {
    return "{activation_block = " + std::to_string(activationBlock) +
           " : i64, prefetch_distance = " + std::to_string(prefetchDistance) +
           " : i64, rows_per_pass = " + std::to_string(rowsPerPass) + " : i64}";
  }
  std::string line() const {
    return std::to_string(activationBlock) + " " + std::to_string(rowsPerPass) + " " +
           std::to_string(prefetchDistance);
  }
  DictionaryAttr attr(MLIRContext *ctx) const {
    Builder b(ctx);
    return b.getDictionaryAttr({b.getNamedAttr("activation_block",
                                               b.getI64IntegerAttr(activationBlock)),
                                b.getNamedAttr("prefetch_distance",
                                               b.getI64IntegerAttr(prefetchDistance)),
                                b.getNamedAttr("rows_per_pass", b.getI64IntegerAttr(rowsPerPass))});
  }
};

std::string printed(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

/// What the choice depends on: the compiler, the machine, the target and
/// thread count, and the product's kind (types, scheme, attributes), not
/// its weights' values.
std::string tuningKey(MpGemmOp op, const rt::CompileOptions &options, unsigned threads) {
  std::string key = kTuningVersion;
  key += "\ncpu " + ::lowbit::target::hostCPUTarget().cpu + " " +
         ::lowbit::target::hostFeatureString();
  key += "\ntarget " + options.target + " threads " + std::to_string(threads) + " O" +
         std::to_string(options.optLevel);
  key += "\nA " + printed(op.getA().getType()) + " B " + printed(op.getB().getType()) +
         " C " + printed(op.getC().getType());
  for (Value p : op.getAParams())
    key += " a " + printed(p.getType());
  for (Value p : op.getBParams())
    key += " b " + printed(p.getType());
  for (NamedAttribute a : op->getAttrs()) {
    std::string s;
    llvm::raw_string_ostream os(s);
    a.getValue().print(os);
    key += "\n" + a.getName().str() + " = " + s;
  }
  return key;
}

std::string cacheDir() {
  llvm::SmallString<256> dir(rt::detail::cacheRoot());
  if (dir.empty())
    return {};
  llvm::sys::path::append(dir, "autotune");
  return std::string(dir);
}

std::string cachePath(const std::string &dir, const std::string &key) {
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::arrayRefFromStringRef(key));
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, llvm::utohexstr(h.high64, false, 16) +
                                 llvm::utohexstr(h.low64, false, 16) + ".txt");
  return std::string(p);
}

/// The cached choice: the file holds the key, then one line of numbers.
std::optional<Tuning> readCache(const std::string &path, const std::string &key) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  llvm::StringRef text = (*buffer)->getBuffer();
  if (!text.consume_front(key + "\n"))
    return std::nullopt; // another key with the same hash, or an older format
  llvm::SmallVector<llvm::StringRef> fields;
  text.trim().split(fields, ' ');
  Tuning t;
  if (fields.size() != 3 || fields[0].getAsInteger(10, t.activationBlock) ||
      fields[1].getAsInteger(10, t.rowsPerPass) || fields[2].getAsInteger(10, t.prefetchDistance))
    return std::nullopt;
  X86KernelOptions o;
  o.activationBlock = t.activationBlock;
  o.rowsPerPass = t.rowsPerPass;
  o.prefetchDistance = t.prefetchDistance;
  if (!checkX86KernelOptions(o).empty())
    return std::nullopt;
  return t;
}

/// Written to a temporary file and renamed: a process reading the cache
/// while another writes it sees the old file or the whole new one.
void writeCache(const std::string &dir, const std::string &path, const std::string &key,
                const Tuning &t) {
  if (llvm::sys::fs::create_directories(dir))
    return;
  llvm::SmallString<256> tmp;
  int fd;
  if (llvm::sys::fs::createUniqueFile(path + ".%%%%%%.tmp", fd, tmp))
    return;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << key << "\n" << t.line() << "\n";
  }
  if (llvm::sys::fs::rename(tmp, path))
    llvm::sys::fs::remove(tmp);
}

/// The product alone in a module: its weights' constants cloned, A and A's
/// scales as arguments, the tuning attribute as a placeholder. Null where
/// the weights are not computed from constants alone.
std::string tuningModule(MpGemmOp op) {
  OpBuilder b(op.getContext());
  OwningOpRef<ModuleOp> module = ModuleOp::create(op.getLoc());
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> args{op.getA().getType()};
  for (Value p : op.getAParams())
    args.push_back(p.getType());
  auto f = func::FuncOp::create(b, op.getLoc(), "tune",
                                b.getFunctionType(args, {op.getC().getType()}));
  Block *body = f.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping map;
  map.map(op.getA(), body->getArgument(0));
  for (auto [i, p] : llvm::enumerate(op.getAParams()))
    map.map(p, body->getArgument(i + 1));
  SetVector<Operation *> slice;
  BackwardSliceOptions sliceOptions;
  sliceOptions.inclusive = true;
  bool fromArguments = false;
  SmallVector<Value> weights{op.getB()};
  llvm::append_range(weights, op.getBParams());
  for (Value v : weights) {
    if (isa<BlockArgument>(v))
      fromArguments = true;
    else if (failed(getBackwardSlice(v.getDefiningOp(), &slice, sliceOptions)))
      fromArguments = true;
  }
  for (Operation *o : slice)
    for (Value operand : o->getOperands())
      fromArguments |= isa<BlockArgument>(operand);
  if (fromArguments)
    return {};
  for (Operation *o : slice) // in order: the slice is topologically sorted
    b.clone(*o, map);
  Operation *product = b.clone(*op, map);
  product->setAttr(kX86TuningAttrName, b.getStringAttr("__lowbit_tuning__"));
  func::ReturnOp::create(b, op.getLoc(), product->getResult(0));
  std::string s;
  llvm::raw_string_ostream os(s);
  module->print(os);
  return s;
}

const std::vector<uint64_t> &evictBuffer() {
  static const std::vector<uint64_t> buffer(8u << 20, 1); // 64 MiB
  return buffer;
}

/// Median seconds of one call on cold weights (a read of 64 MiB before
/// each), or infinity if the candidate does not compile.
double measure(const std::string &source, const rt::CompileOptions &options,
               const std::vector<ref::HostTensor> &inputs, const std::vector<int64_t> &dims) {
  std::string diagnostics;
  auto module = rt::compile(source, options, diagnostics);
  if (!module)
    return INFINITY;
  const rt::FunctionSignature &sig = module->functions().front();
  std::vector<std::vector<uint8_t>> storage;
  for (size_t i = 0; i < inputs.size(); ++i) {
    storage.emplace_back(sig.inputs[i].bytes(dims));
    inputs[i].toStorage(storage.back().data());
  }
  storage.emplace_back(sig.outputs[0].bytes(dims));
  std::vector<void *> buffers;
  for (auto &s : storage)
    buffers.push_back(s.data());
  if (!module->invoke("tune", buffers, dims).empty())
    return INFINITY;
  std::vector<double> times;
  volatile uint64_t sink = 0;
  for (int r = 0; r < 5; ++r) {
    uint64_t s = 0;
    for (uint64_t w : evictBuffer())
      s += w;
    sink = sink + s;
    auto t0 = std::chrono::steady_clock::now();
    (void)module->invoke("tune", buffers, dims);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Coordinate descent from the defaults: the prefetch distance, then the
/// activation block, then (with more than one row) the rows per pass,
/// each axis searched with the others at their best so far.
Tuning search(const std::string &text, const rt::CompileOptions &base,
              const std::vector<ref::HostTensor> &inputs,
              const std::vector<int64_t> &dims, int64_t m, bool avx2, int &tried,
              double &bestTime, double &defaultTime) {
  Tuning best{32, avx2 ? 2 : 8, 8192};
  auto time = [&](const Tuning &t) {
    std::string source = text;
    size_t at = source.find(kPlaceholder);
    source.replace(at, std::string(kPlaceholder).size(), t.text());
    ++tried;
    return measure(source, base, inputs, dims);
  };
  bestTime = defaultTime = time(best);
  auto axis = [&](int64_t Tuning::*field, std::initializer_list<int64_t> values) {
    for (int64_t v : values) {
      Tuning t = best;
      t.*field = v;
      if (t.*field == best.*field)
        continue;
      if (double s = time(t); s < bestTime) {
        bestTime = s;
        best = t;
      }
    }
  };
  axis(&Tuning::prefetchDistance, {0, 2048, 4096, 16384});
  axis(&Tuning::activationBlock, {64, 128});
  if (m > 1 && avx2)
    axis(&Tuning::rowsPerPass, {1, 4});
  else if (m > 1)
    axis(&Tuning::rowsPerPass, {1, 2, 4});
  return best;
}
} // namespace

LogicalResult rt::detail::autotuneX86Kernels(ModuleOp module, const rt::CompileOptions &options,
                                             unsigned threads) {
  ::lowbit::target::CPUTarget target = *::lowbit::target::parseCPUTarget(options.target);
  if (target.family != ::lowbit::target::CPUFamily::X86)
    return success();
  // The kernels take constant weights after folding: fold first (the
  // pipeline's own canonicalization then finds nothing left to do).
  PassManager pm(module.getContext());
  pm.addPass(createCanonicalizerPass());
  if (failed(pm.run(module)))
    return failure();
  X86KernelOptions base;
  base.target = target;
  SmallVector<MpGemmOp> products;
  module.walk([&](MpGemmOp op) {
    if (!op->hasAttr(kX86TuningAttrName) && whyNotLowerableToX86(op, base).empty())
      products.push_back(op);
  });
  std::string dir = cacheDir();
  for (MpGemmOp op : products) {
    std::string key = tuningKey(op, options, threads);
    std::string path = dir.empty() ? std::string() : cachePath(dir, key);
    if (std::optional<Tuning> cached = path.empty() ? std::nullopt : readCache(path, key)) {
      op->setAttr(kX86TuningAttrName, cached->attr(op.getContext()));
      op.emitRemark() << "autotune: " << cached->text() << " (from the cache)";
      continue;
    }
    std::string text = tuningModule(op);
    if (text.empty())
      continue;
    // Inputs: A (M rows; kDynamicM where M is dynamic) and its scales.
    std::mt19937_64 rng(1);
    std::vector<ref::HostTensor> inputs;
    std::vector<int64_t> dims;
    int64_t m = op.getA().getType().isDynamicDim(0) ? kDynamicM : op.getM();
    SmallVector<Value> activations{op.getA()};
    llvm::append_range(activations, op.getAParams());
    for (Value v : activations) {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(t.getShape());
      for (int64_t &d : shape)
        if (ShapedType::isDynamic(d))
          d = m;
      inputs.push_back(ref::HostTensor::random(t, rng, false, shape));
    }
    if (op.getA().getType().isDynamicDim(0))
      dims.push_back(m);
    rt::CompileOptions candidate = options;
    candidate.autotune = false;
    candidate.diskCache = false; // candidates are not worth keeping
    candidate.reportFallbacks = false;
    candidate.numThreads = threads;
    candidate.sourceName = "<autotune>";
    int tried = 0;
    double bestTime = 0, defaultTime = 0;
    auto t0 = std::chrono::steady_clock::now();
    Tuning best = search(text, candidate, inputs, dims, m,
                         !target.has(::lowbit::target::CPUFeature::AVX512BW), tried, bestTime,
                         defaultTime);
    double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!std::isfinite(bestTime))
      return op.emitError() << "autotune: no candidate kernel compiled";
    op->setAttr(kX86TuningAttrName, best.attr(op.getContext()));
    if (!path.empty())
      writeCache(dir, path, key, best);
    char line[160];
    std::snprintf(line, sizeof line,
                  " (searched %d candidates in %.1f s: %.1f us, the defaults %.1f us)", tried,
                  spent, bestTime * 1e6, defaultTime * 1e6);
    op.emitRemark() << "autotune: " << best.text() << line;
  }
  return success();
}
