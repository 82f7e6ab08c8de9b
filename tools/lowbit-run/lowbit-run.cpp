//===- lowbit-run.cpp - Run a function of an .mlir file through the JIT ---===//
//
// (or, for another architecture's target such as aarch64, compiled ahead
// of time and run under an emulator: lowbit/Runtime/Emulator.h)
//
//   lowbit-run FILE.mlir [--function NAME] [--seed N] [--input I=FILE.npy]
//              [--write-npy I=FILE.npy] [--print] [--check] [--repeat N]
//              [--dynamic-sizes N,...] [--timing]
//
// Dynamic dimensions (`tensor<?x4096xf32>`) take their sizes from
// --dynamic-sizes (one per symbol, in the order the signature first shows
// them) or from the shapes of --input files.
// Inputs are random from the seed (real types uniform in [-1, 1), codes
// uniform over the codes of finite values; --special-values adds NaN and
// infinities) unless given as .npy files in storage form
// (one code per element; bf16 as uint16 bit patterns). Outputs are printed
// as a summary (--print: every value) and written on request. --check also
// evaluates the function with the Numerics library (ReferenceEvaluator.h)
// and exits 1 when an output differs beyond its tolerance.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/Emulator.h"
#include "lowbit/Runtime/JIT.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/Codec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/AsmParser/AsmParserState.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <random>

namespace cl = llvm::cl;
namespace num = ::lowbit::num;
using lowbit::ref::HostTensor;

// Every option in one category: --help shows these, not LLVM's backend
// options (as mlir-opt and llc hide what does not concern them).
static cl::OptionCategory runCategory("lowbit-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"), cl::Required,
                                      cl::cat(runCategory));
static cl::opt<std::string> functionName("function",
                                         cl::desc("Function to run (default: the first public one)"),
                                         cl::value_desc("name"), cl::cat(runCategory));
static cl::opt<unsigned> seed("seed", cl::desc("Seed of the random inputs"), cl::init(1),
                              cl::cat(runCategory));
static cl::opt<bool> specialValues(
    "special-values",
    cl::desc("Random codes include NaN and infinities (default: finite values only)"),
    cl::cat(runCategory));
static cl::list<std::string>
    inputNpy("input",
             cl::desc("I=FILE.npy: input I (its index, or its name in the source: x or %x) "
                      "from a .npy file"),
             cl::value_desc("I=FILE.npy"), cl::cat(runCategory));
static cl::list<std::string> writeNpy("write-npy", cl::desc("I=FILE.npy: write output I"),
                                      cl::value_desc("I=FILE.npy"), cl::cat(runCategory));
static cl::opt<bool> printAll("print", cl::desc("Print every output value"),
                              cl::cat(runCategory));
static cl::opt<bool> check("check", cl::desc("Compare with the Numerics library's evaluation"),
                           cl::cat(runCategory));
static cl::opt<unsigned> repeat("repeat", cl::desc("Run N times and report the median time"),
                                cl::init(1), cl::cat(runCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"), cl::init(3),
                                  cl::cat(runCategory));
static cl::opt<std::string> target("target",
                                   cl::desc("CPU target: host, generic (the reference path), "
                                            "x86-64-v3, x86-64-v4, znver4, aarch64, "
                                            "aarch64+i8mm (another architecture's: compiled "
                                            "ahead of time and run under --emulator)"),
                                   cl::init("host"), cl::cat(runCategory));
static cl::opt<std::string> emulatorCommand(
    "emulator",
    cl::desc("The emulator that runs another architecture's code, with its options (default "
             "for aarch64: qemu-aarch64 -cpu cortex-a76; for aarch64+i8mm: qemu-aarch64 -cpu "
             "max)"),
    cl::value_desc("command"), cl::cat(runCategory));
// "--threads" is taken by a hidden option inside libLLVM.
static cl::opt<unsigned> threads(
    "num-threads", cl::desc("Kernel threads (0: LOWBIT_NUM_THREADS, else every core)"),
    cl::init(0), cl::cat(runCategory));
static cl::opt<bool> autotune(
    "autotune",
    cl::desc("Choose each x86 kernel's tuning by timing candidates (cached on disk: "
             "LOWBIT_CACHE_DIR, else ~/.cache/lowbit; LOWBIT_CACHE=0 turns it off)"),
    cl::cat(runCategory));
static cl::list<int64_t> dynamicSizes(
    "dynamic-sizes",
    cl::desc("Sizes of the function's dynamic dimensions, one per symbol (in the order the "
             "arguments first show them)"),
    cl::value_desc("N,..."), cl::CommaSeparated, cl::cat(runCategory));
static cl::opt<bool> reportFallbacks(
    "report-fallbacks", cl::desc("Remark on every product that takes the reference path"),
    cl::cat(runCategory));
static cl::opt<bool> timing(
    "timing",
    cl::desc("Print the compile time (from the disk cache where it has the module) and the "
             "first call's time to stderr"),
    cl::cat(runCategory));

static std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

static int fail(const std::string &msg) {
  llvm::errs() << "lowbit-run: " << msg << "\n";
  return 1;
}

/// "I=PATH" with I a decimal index (no exceptions: a malformed or huge I is
/// a usage error).
static bool splitIndexed(const std::string &s, unsigned &index, std::string &path) {
  size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0)
    return false;
  if (llvm::StringRef(s).take_front(eq).getAsInteger(10, index))
    return false;
  path = s.substr(eq + 1);
  return !path.empty();
}

/// Largest tensor lowbit-run generates or reads: 16 GiB of storage.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 34;

/// Why lowbit-run cannot hold a tensor of this type, or empty.
static std::string unsupported(mlir::Type t) {
  auto rt = llvm::cast<mlir::RankedTensorType>(t);
  std::string s;
  llvm::raw_string_ostream os(s);
  if (!mlir::lowbit::getFormat(rt.getElementType())) {
    os << "element type " << rt.getElementType()
       << " has no lowbit number format: lowbit-run can run it through the JIT but cannot "
          "generate, print or check it";
    return s;
  }
  return s;
}

/// Why lowbit-run cannot hold this tensor at these sizes, or empty.
static std::string tooLarge(const lowbit::rt::TensorSpec &t, const std::vector<int64_t> &dims) {
  uint64_t n = t.storageBytes;
  for (int64_t d : t.shapeFor(dims))
    if (d && n > kMaxTensorBytes / static_cast<uint64_t>(d))
      n = kMaxTensorBytes + 1;
    else
      n *= static_cast<uint64_t>(d);
  if (n <= kMaxTensorBytes)
    return {};
  return t.type + " is larger than lowbit-run's limit of " +
         std::to_string(kMaxTensorBytes >> 30) + " GiB";
}

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv, "lowbit-run: JIT-run a lowbit function\n");
  if (optLevel > 3)
    return fail("-O takes 0 to 3, got " + std::to_string(optLevel));
  if (repeat < 1)
    return fail("--repeat takes at least 1");
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!buffer)
    return fail("cannot read '" + inputFile + "'");
  std::string source = (*buffer)->getBuffer().str();

  std::string diagnostics;
  std::optional<lowbit::target::CPUTarget> cpu = lowbit::target::parseCPUTarget(target);
  bool emulated = cpu && cpu->isCross();
  std::shared_ptr<const lowbit::rt::CompiledModule> module;
  // Another architecture's target: compiled ahead of time, each call a
  // run of the linked program under the emulator (Emulator.h).
  lowbit::rt::AOTOutput aot;
  lowbit::rt::emulator::Program program;
  auto compileStart = std::chrono::steady_clock::now();
  if (emulated) {
    if (autotune)
      return fail("--autotune times kernels, which code under an emulator cannot do");
    std::string why;
    std::vector<std::string> command = lowbit::rt::emulator::emulatorFor(target, emulatorCommand, why);
    if (command.empty())
      return fail(why);
    lowbit::rt::AOTOptions options;
    options.target = target;
    options.optLevel = optLevel;
    options.sourceName = inputFile;
    options.reportFallbacks = reportFallbacks;
    options.numThreads = threads ? threads : 1;
    options.prefix = "lowbit_emulated";
    options.textStages = false;
    bool ok = lowbit::rt::compileAhead(source, options, aot, diagnostics);
    llvm::errs() << diagnostics; // errors, or remarks (--report-fallbacks)
    if (!ok)
      return 1;
    if (std::string e = lowbit::rt::emulator::build(aot, std::move(command), program); !e.empty())
      return fail(e);
  } else {
    lowbit::rt::CompileOptions options;
    options.optLevel = optLevel;
    options.sourceName = inputFile;
    options.target = target;
    options.reportFallbacks = reportFallbacks;
    options.numThreads = threads;
    options.autotune = autotune;
    module = lowbit::rt::compile(source, options, diagnostics);
    if (!module) {
      llvm::errs() << diagnostics;
      return 1;
    }
    llvm::errs() << diagnostics; // remarks (--report-fallbacks)
  }
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();
  const std::vector<lowbit::rt::FunctionSignature> &functions =
      emulated ? aot.signatures : module->functions();
  if (functions.empty())
    return fail("no public function in '" + inputFile + "'");
  const lowbit::rt::FunctionSignature *sig = nullptr;
  for (const lowbit::rt::FunctionSignature &f : functions)
    if (functionName.empty() || f.name == functionName) {
      sig = &f;
      break;
    }
  if (!sig)
    return fail("no function '" + functionName + "'");
  lowbit::ref::Invoker invoke = [&](const std::vector<void *> &buffers,
                                    const std::vector<int64_t> &dims) {
    return emulated ? lowbit::rt::emulator::run(program, *sig, buffers, dims)
                    : module->invoke(sig->name, buffers, dims);
  };

  // A second parse gives the evaluator (and the element types) the IR.
  mlir::DialectRegistry registry;
  mlir::lowbit::registerReferencePipelineDialects(registry);
  mlir::MLIRContext ctx(registry);
  // Diagnostics of this IR (unsupported tensors below) print as
  // file:line:col with the source line, like the compiler's.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, inputFile),
                               llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnosticHandler(sourceMgr, &ctx);
  // Parsed with the parser's state, which keeps the arguments' names
  // (--input x=FILE.npy).
  mlir::AsmParserState asmState;
  mlir::Block top;
  mlir::ParserConfig config(&ctx);
  if (failed(mlir::parseAsmSourceFile(sourceMgr, &top, config, &asmState, nullptr)))
    return 1;
  mlir::OwningOpRef<mlir::ModuleOp> parsed =
      mlir::detail::constructContainerOpForParserIfNecessary<mlir::ModuleOp>(
          &top, &ctx, mlir::FileLineColLoc::get(&ctx, inputFile.getValue(), 0, 0));
  if (!parsed)
    return 1;
  auto func = parsed->lookupSymbol<mlir::func::FuncOp>(sig->name);
  // The index of an input given by index or by its name in the source.
  auto inputIndex = [&](llvm::StringRef name) -> std::optional<unsigned> {
    unsigned idx;
    if (!name.getAsInteger(10, idx))
      return idx;
    if (func.isExternal())
      return std::nullopt;
    const mlir::AsmParserState::BlockDefinition *def =
        asmState.getBlockDef(&func.getBody().front());
    for (unsigned i = 0; def && i < def->arguments.size(); ++i) {
      llvm::SMRange r = def->arguments[i].loc;
      llvm::StringRef text(r.Start.getPointer(), r.End.getPointer() - r.Start.getPointer());
      if (text == name || text == ("%" + name).str())
        return i;
    }
    return std::nullopt;
  };

  auto argTypes = func.getArgumentTypes(), resultTypes = func.getResultTypes();
  for (auto [kind, types] : {std::pair{"argument", mlir::TypeRange(argTypes)},
                             {"result", mlir::TypeRange(resultTypes)}})
    for (auto [i, t] : llvm::enumerate(types))
      if (std::string why = unsupported(t); !why.empty()) {
        mlir::emitError(func.getLoc()) << "@" << sig->name << " " << kind << " " << i << ": "
                                       << why;
        return 1;
      }

  // Input files first: their shapes may give the dynamic sizes.
  std::vector<std::optional<lowbit::npy::Array>> files(sig->inputs.size());
  std::vector<std::string> paths(sig->inputs.size());
  for (const std::string &spec : inputNpy) {
    size_t eq = spec.find('=');
    std::string path = eq == std::string::npos ? "" : spec.substr(eq + 1);
    std::optional<unsigned> found =
        eq == std::string::npos || eq == 0 ? std::nullopt : inputIndex(spec.substr(0, eq));
    if (path.empty() || !found || *found >= files.size())
      return fail("--input wants I=FILE.npy with I an index below " +
                  std::to_string(files.size()) + " or the name of an argument of @" + sig->name +
                  ", got '" + spec + "'");
    unsigned idx = *found;
    lowbit::npy::Array a;
    if (std::string e = lowbit::npy::read(path, a); !e.empty())
      return fail(e);
    files[idx] = std::move(a); // checked against the storage type below
    paths[idx] = path;
  }
  // The sizes of the dynamic dimensions: given, or bound by input files.
  std::vector<int64_t> dims(dynamicSizes.begin(), dynamicSizes.end());
  if (dims.empty() && sig->numSymbols) {
    dims.assign(sig->numSymbols, lowbit::rt::kDynamic);
    for (size_t i = 0; i < files.size(); ++i)
      for (size_t d = 0; files[i] && d < sig->inputs[i].shape.size(); ++d)
        if (int sym = sig->inputs[i].symbols[d];
            sym >= 0 && d < files[i]->shape.size() && dims[sym] == lowbit::rt::kDynamic)
          dims[sym] = files[i]->shape[d];
    if (llvm::is_contained(dims, lowbit::rt::kDynamic))
      return fail("@" + sig->name + " has " + std::to_string(sig->numSymbols) +
                  " dynamic dimension size(s): give them with --dynamic-sizes=N[,N...] or "
                  "through --input files");
  }
  if (sig->numSymbols || !dims.empty())
    if (std::string e = sig->checkSymbols(dims); !e.empty())
      return fail(e + " (--dynamic-sizes)");
  for (auto [kind, list] : {std::pair{"argument", &sig->inputs}, {"result", &sig->outputs}})
    for (auto [i, t] : llvm::enumerate(*list))
      if (std::string why = tooLarge(t, dims); !why.empty()) {
        mlir::emitError(func.getLoc()) << "@" << sig->name << " " << kind << " " << i << ": "
                                       << why;
        return 1;
      }

  std::mt19937_64 rng(seed);
  std::vector<HostTensor> inputs;
  for (size_t i = 0; i < sig->inputs.size(); ++i) {
    auto type = llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[i]);
    // The tensor's shape (the storage shape differs for bit layouts, which
    // are static).
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    if (!type.hasStaticShape())
      shape = sig->inputs[i].shapeFor(dims);
    inputs.push_back(HostTensor::random(type, rng, specialValues, shape));
    if (!files[i])
      continue;
    const lowbit::npy::Array &a = *files[i];
    const lowbit::rt::TensorSpec &ts = sig->inputs[i];
    std::vector<int64_t> want = ts.shapeFor(dims);
    if (a.shape != want || !lowbit::npy::holdsStorage(a.descr, ts.storageType))
      return fail("'" + paths[i] + "' (dtype '" + a.descr + "', shape " +
                  shapeText(a.shape) + ") does not hold " + ts.type + " in storage form (" +
                  ts.storageType + ", '" + lowbit::npy::descrOfStorage(ts.storageType) +
                  "', shape " + shapeText(want) + ")");
    inputs[i] = HostTensor::fromStorage(type, a.data.data(), shape);
  }

  std::vector<HostTensor> outputs;
  std::vector<double> times;
  if (std::string e = lowbit::ref::invokeWith(*sig, invoke, func, inputs, outputs, repeat, &times);
      !e.empty())
    return fail(e);
  if (timing)
    llvm::errs() << "timing: compile " << llvm::format("%.3f", compileSeconds * 1e3)
                 << " ms, first call " << llvm::format("%.3f", times.front() * 1e3) << " ms\n";
  std::sort(times.begin(), times.end());

  for (size_t i = 0; i < outputs.size(); ++i) {
    const HostTensor &o = outputs[i];
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    for (size_t j = 0; j < o.codes.size(); ++j) {
      double v = o.value(j);
      mn = std::min(mn, v);
      mx = std::max(mx, v);
      sum += v;
    }
    llvm::outs() << "output " << i << ": " << sig->outputs[i].type;
    if (!sig->outputs[i].isStatic())
      llvm::outs() << " of shape " << shapeText(o.shape);
    llvm::outs() << " min " << mn
                 << " max " << mx << " sum " << sum << "\n";
    if (printAll) {
      // Integer-valued formats print as integers, reals in LLVM's %e form.
      std::optional<num::Format> f = mlir::lowbit::getFormat(o.elementType);
      bool integral = f && (f->isInt() || f->isTernary());
      for (size_t j = 0; j < o.codes.size(); ++j) {
        llvm::outs() << (j ? " " : "  ");
        if (integral)
          llvm::outs() << static_cast<int64_t>(o.value(j));
        else
          llvm::outs() << o.value(j);
      }
      llvm::outs() << "\n";
    }
  }
  if (repeat > 1)
    llvm::outs() << "time: median " << times[times.size() / 2] * 1e3 << " ms (min "
                 << times.front() * 1e3 << ", max " << times.back() * 1e3 << ") over "
                 << times.size() << " runs\n";
  for (const std::string &spec : writeNpy) {
    unsigned idx;
    std::string path;
    if (!splitIndexed(spec, idx, path) || idx >= outputs.size())
      return fail("--write-npy wants I=FILE.npy with I < " + std::to_string(outputs.size()));
    lowbit::npy::Array a;
    a.descr = lowbit::npy::descrOfStorage(sig->outputs[idx].storageType);
    a.shape = sig->outputs[idx].shapeFor(dims);
    a.data.resize(sig->outputs[idx].bytes(dims));
    outputs[idx].toStorage(a.data.data());
    if (std::string e = lowbit::npy::write(path, a); !e.empty())
      return fail(e);
  }
  if (!check)
    return 0;
  std::vector<HostTensor> expected;
  // The named policies of the fast paths the target may take.
  lowbit::ref::EvaluateOptions policy =
      lowbit::ref::fastPathPolicy(*lowbit::target::parseCPUTarget(target));
  if (std::string e = lowbit::ref::evaluate(func, inputs, expected, policy); !e.empty())
    return fail(e);
  size_t bad = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    lowbit::ref::Comparison c = lowbit::ref::compare(expected[i], outputs[i]);
    llvm::outs() << "check: output " << i << ": " << c.mismatches << " of "
                 << outputs[i].codes.size() << " elements mismatch, max error "
                 << c.maxError << " (tolerance "
                 << (expected[i].tolerance.empty() ? std::string("exact")
                                                   : std::to_string(c.maxTolerance))
                 << ")\n";
    bad += c.mismatches;
  }
  return bad ? 1 : 0;
}
