//===- lowbit-quantize-model.cpp - Calibrate, allocate, quantize -----------===//
//
//   lowbit-quantize-model model.onnx --input-shape=x:1x3x48x320 --calib DIR
//       --budget-bits 5 [--quantizer gptq] -o config.txt [--emit-mlir q.mlir]
//
// The end-to-end precision allocation of an ONNX model:
//
// 1. calibration: the model is imported with calibration taps (every
//    quantizable product's input becomes an extra result of @main,
//    ONNXImportOptions::calibrationTaps), compiled by the JIT and run on
//    every .npy input of DIR; each product's X^T X is accumulated
//    (lowbit/Precision/InputHessian.h);
// 2. allocation: the model is imported again in f32, each product gets its
//    mean H as `lowbit.hessian`, and lowbit-assign-precision chooses one
//    format per product under the budget (and quantizes, by GPTQ with
//    --quantizer gptq);
// 3. output: the per-node config for lowbit-import --quantize-config (-o)
//    and, with --emit-mlir, the quantized module itself (the only way to
//    keep GPTQ's codes, which a config cannot carry).
//
// --budget-bits is the average over every constant weight of the model, as
// lowbit-import --weight-stats counts it: weights that are not products
// (depthwise convolutions) stay f32 and their bits count against it.
// --budget-ms limits the products' estimated time per run instead (the
// cost model fitted to --cost-table; the other ops are not in it).
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"
#include "lowbit/Import/Import.h"
#include "lowbit/Import/ONNX.h"
#include "lowbit/Precision/InputHessian.h"
#include "lowbit/Numerics/TensorQuantization.h"
#include "lowbit/Runtime/JIT.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Threading.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

namespace cl = llvm::cl;
using namespace lowbit;
namespace num = lowbit::num;

namespace {
cl::OptionCategory category("lowbit-quantize-model options");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"), cl::Required,
                               cl::cat(category));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("The shape of a graph input, NAME:AxBx... "
                                           "(repeatable; needed where the graph's is symbolic)"),
                                  cl::value_desc("name:shape"), cl::cat(category));
cl::opt<std::string> calibDir("calib",
                              cl::desc("Folder of calibration inputs: .npy files (f32) of the "
                                       "input's shape, or stacks of them, read in name order"),
                              cl::value_desc("dir"), cl::cat(category));
cl::opt<unsigned> calibLimit("calib-limit", cl::desc("Use at most this many inputs (0: all)"),
                             cl::init(0), cl::cat(category));
cl::opt<double> budgetBits("budget-bits",
                           cl::desc("Average stored bits per weight over the model's weights"),
                           cl::init(0), cl::cat(category));
cl::opt<double> budgetBytes("budget-bytes",
                            cl::desc("Stored bytes of the model's weights (instead of "
                                     "--budget-bits)"),
                            cl::init(0), cl::cat(category));
cl::opt<double> budgetMs("budget-ms",
                         cl::desc("Estimated time of the model's matrix products per run, in "
                                  "milliseconds, from --cost-table (instead of --budget-bits)"),
                         cl::init(0), cl::cat(category));
cl::opt<std::string> costTable("cost-table",
                               cl::desc("--budget-ms: measured kernel times (CSV, as "
                                        "lowbit-bench-cpu-cost writes them)"),
                               cl::value_desc("file.csv"), cl::cat(category));
cl::opt<unsigned> costThreads("cost-threads",
                              cl::desc("--budget-ms: use the cost table's rows of this many "
                                       "threads (default 1)"),
                              cl::init(1), cl::cat(category));
cl::list<std::string> candidates("candidates",
                                 cl::desc("Candidate schemes (comma-separated presets, uB_gG, "
                                          "iB_channel, f32; see lowbit-assign-precision)"),
                                 cl::CommaSeparated, cl::cat(category));
cl::opt<mlir::lowbit::PrecisionSensitivity> sensitivity(
    "sensitivity", cl::desc("The error measure"),
    cl::init(mlir::lowbit::PrecisionSensitivity::Hessian),
    cl::values(clEnumValN(mlir::lowbit::PrecisionSensitivity::Hessian, "hessian",
                          "tr(dW H dW^T) with the calibration H (default)"),
               clEnumValN(mlir::lowbit::PrecisionSensitivity::Weight, "weight",
                          "|dW|^2 (calibration still runs for GPTQ)")),
    cl::cat(category));
cl::opt<bool> relative("relative",
                       cl::desc("Sensitivities relative to each layer's f32 output energy "
                                "(lowbit-assign-precision's relative option)"),
                       cl::cat(category));
cl::opt<mlir::lowbit::PrecisionQuantizer> quantizer(
    "quantizer", cl::desc("How weights are quantized"),
    cl::init(mlir::lowbit::PrecisionQuantizer::RoundToNearest),
    cl::values(clEnumValN(mlir::lowbit::PrecisionQuantizer::RoundToNearest, "rtn",
                          "round to nearest (default)"),
               clEnumValN(mlir::lowbit::PrecisionQuantizer::GPTQ, "gptq",
                          "GPTQ for integer schemes")),
    cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("The per-node config (lowbit-import "
                                              "--quantize-config); default: stdout"),
                                cl::value_desc("file"), cl::init("-"), cl::cat(category));
cl::opt<std::string> emitMlir("emit-mlir", cl::desc("Also write the quantized module here"),
                              cl::value_desc("file"), cl::cat(category));
cl::opt<unsigned> threads("kernel-threads", cl::desc("Kernel threads of the calibration runs (0: "
                                              "LOWBIT_NUM_THREADS, else every core)"),
                          cl::init(0), cl::cat(category));
cl::opt<unsigned> measureLines(
    "measure-lines",
    cl::desc("Also measure each product's sensitivity on the model's output, on this many "
             "calibration inputs (0: the proxies only): the model runs with only that "
             "weight quantized to --measure-candidate, and the measured error over the "
             "proxy scales the layer's proxies (lowbit.sensitivity_scale)"),
    cl::init(0), cl::cat(category));
cl::opt<std::string> measureCandidate("measure-candidate",
                                      cl::desc("The format of the measured runs (default u3_g64)"),
                                      cl::init("u3_g64"), cl::cat(category));
cl::opt<std::string> sensitivityReport(
    "sensitivity-report",
    cl::desc("With --measure-lines: write each product's proxy, relative proxy and measured "
             "error under --measure-candidate here (tab-separated)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("No progress on stderr"), cl::cat(category));

int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "lowbit-quantize-model") << msg << "\n";
  return 1;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Progress on stderr: a line rewritten in place on a terminal, else one
/// line every tenth of the work.
struct Progress {
  std::string what;
  size_t total;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  bool tty = llvm::sys::Process::StandardErrIsDisplayed();
  size_t lastTenth = 0;
  void step(size_t done) {
    if (quiet)
      return;
    size_t tenth = total ? done * 10 / total : 10;
    if (!tty && tenth == lastTenth && done != total)
      return;
    lastTenth = tenth;
    llvm::errs() << (tty ? "\r" : "") << what << ": " << done << "/" << total << " ("
                 << llvm::format("%.1f", secondsSince(t0)) << " s)" << (tty ? "" : "\n");
    if (tty && done == total)
      llvm::errs() << "\n";
  }
};

llvm::Expected<std::map<std::string, std::vector<int64_t>>> parseShapes() {
  std::map<std::string, std::vector<int64_t>> out;
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = llvm::StringRef(spec).rsplit(':');
    llvm::SmallVector<llvm::StringRef> parts;
    dims.split(parts, 'x');
    std::vector<int64_t> shape;
    for (llvm::StringRef p : parts) {
      int64_t d;
      if (name.empty() || p.getAsInteger(10, d) || d <= 0)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "--input-shape=" + spec + ": expected NAME:AxBx...");
      shape.push_back(d);
    }
    out[name.str()] = shape;
  }
  return out;
}

/// The calibration inputs of `shape` from the .npy files of the folder.
llvm::Expected<std::vector<std::vector<float>>> readInputs(const std::vector<int64_t> &shape) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(calibDir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::StringRef(it->path()).ends_with(".npy"))
      files.push_back(it->path());
  if (ec)
    return llvm::createStringError(ec, calibDir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   calibDir + ": no .npy calibration inputs");
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= d;
  std::vector<std::vector<float>> inputs;
  for (const std::string &f : files) {
    npy::Array a;
    std::string err = npy::read(f, a);
    if (!err.empty())
      return llvm::createStringError(llvm::inconvertibleErrorCode(), err);
    bool single = a.shape == shape;
    bool stack = a.shape.size() == shape.size() + 1 &&
                 std::equal(shape.begin(), shape.end(), a.shape.begin() + 1);
    if (a.descr != "<f4" || (!single && !stack)) {
      std::string want, got;
      for (int64_t d : shape)
        want += (want.empty() ? "" : "x") + std::to_string(d);
      for (int64_t d : a.shape)
        got += (got.empty() ? "" : "x") + std::to_string(d);
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     f + ": " + a.descr + " " + got + ", expected <f4 " + want +
                                         " (or a stack Nx" + want + ")");
    }
    int64_t count = single ? 1 : a.shape[0];
    const float *p = reinterpret_cast<const float *>(a.data.data());
    for (int64_t i = 0; i < count; ++i) {
      if (calibLimit && inputs.size() == calibLimit)
        return inputs;
      inputs.emplace_back(p + i * elements, p + (i + 1) * elements);
    }
  }
  return inputs;
}

/// The ONNX node a product's location names (the importer's NameLoc), or "".
std::string nodeName(mlir::Location loc) {
  auto n = mlir::dyn_cast<mlir::NameLoc>(loc);
  return n ? n.getName().str() : "";
}

std::string printModule(mlir::ModuleOp m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  m->print(os, flags.enableDebugInfo(true, /*prettyForm=*/false));
  return text;
}

/// Ranks (0 = smallest; ties share their mean rank).
std::vector<double> ranks(const std::vector<double> &v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
      ++j;
    for (size_t t = i; t <= j; ++t)
      r[order[t]] = 0.5 * double(i + j);
    i = j + 1;
  }
  return r;
}

/// Spearman's rank correlation of two series.
double spearman(const std::vector<double> &a, const std::vector<double> &b) {
  std::vector<double> ra = ranks(a), rb = ranks(b);
  double n = double(a.size()), ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += ra[i] / n;
    mb += rb[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

/// The measured sensitivities: the model compiled once with its product
/// weights as arguments, run on the first --measure-lines inputs with one
/// weight at a time quantized (and dequantized: the same values the
/// quantized product multiplies by); each layer of `module` gets
/// lowbit.sensitivity_scale = measured output error / tr(dW H dW^T).
int measure(mlir::MLIRContext &context, const std::map<std::string, std::vector<int64_t>> &shapes,
            mlir::ModuleOp module, const std::map<std::string, precision::InputHessian> &hessians,
            const std::vector<std::vector<float>> &calib) {
  std::string error;
  llvm::FailureOr<mlir::lowbit::SchemeAttr> cand =
      mlir::lowbit::parsePrecisionCandidate(&context, measureCandidate, error);
  if (mlir::failed(cand) || !*cand)
    return fail("--measure-candidate: " + (error.empty() ? "f32 measures nothing" : error));
  // The f32 weights and the layers, by node.
  struct Layer {
    mlir::lowbit::MpGemmOp op;
    std::vector<float> w;
    int64_t n = 0, k = 0;
  };
  std::map<std::string, Layer> layers;
  module->walk([&](mlir::lowbit::MpGemmOp op) {
    auto c = op.getB().getDefiningOp<mlir::arith::ConstantOp>();
    auto dense = c ? mlir::dyn_cast<mlir::DenseFPElementsAttr>(c.getValue()) : nullptr;
    std::string name = nodeName(op.getLoc());
    if (!dense || !op->hasAttr("lowbit.hessian") || name.empty())
      return;
    Layer l;
    l.op = op;
    l.n = op.getB().getType().getDimSize(0);
    l.k = op.getB().getType().getDimSize(1);
    auto v = dense.getValues<float>();
    l.w.assign(v.begin(), v.end());
    layers[name] = std::move(l);
  });

  import::ONNXImportOptions o;
  o.inputShapes = shapes;
  o.weightArguments = true;
  std::vector<import::WeightStat> stats;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> withArgs =
      import::importONNX(context, modelPath, o, &stats);
  if (!withArgs)
    return fail(llvm::toString(withArgs.takeError()));
  rt::CompileOptions co;
  co.sourceName = modelPath;
  co.numThreads = threads;
  std::string diagnostics;
  if (!quiet)
    llvm::errs() << "measuring: compiling " << modelPath << " with its weights as arguments\n";
  std::shared_ptr<const rt::CompiledModule> m =
      rt::compile(printModule(**withArgs), co, diagnostics);
  if (!m)
    return fail("the measuring module does not compile:\n" + diagnostics);
  const rt::FunctionSignature *sig = m->find("main");
  std::vector<const import::WeightStat *> args(sig->inputs.size(), nullptr);
  for (const import::WeightStat &s : stats) {
    if (s.argument < 0)
      continue;
    if (size_t(s.argument) >= args.size() || !layers.count(s.node))
      return fail("weight argument of '" + s.node + "' does not match the model (a bug: please "
                                                    "report it)");
    args[size_t(s.argument)] = &s;
  }
  size_t lines = std::min<size_t>(measureLines, calib.size());
  auto runAll = [&](const std::string *replaced, const std::vector<float> *weight,
                    std::vector<std::vector<float>> &outs) -> std::string {
    outs.assign(lines * sig->outputs.size(), {});
    for (size_t i = 0; i < lines; ++i) {
      std::vector<void *> buffers{const_cast<float *>(calib[i].data())};
      for (size_t a = 1; a < args.size(); ++a) {
        const Layer &l = layers.at(args[a]->node);
        const std::vector<float> &w = replaced && *replaced == args[a]->node ? *weight : l.w;
        buffers.push_back(const_cast<float *>(w.data()));
      }
      for (size_t j = 0; j < sig->outputs.size(); ++j) {
        std::vector<float> &out = outs[i * sig->outputs.size() + j];
        out.resize(size_t(sig->outputs[j].numElements()));
        buffers.push_back(out.data());
      }
      std::string err = m->invoke("main", buffers);
      if (!err.empty())
        return err;
    }
    return "";
  };
  std::vector<std::vector<float>> reference, got;
  if (std::string err = runAll(nullptr, nullptr, reference); !err.empty())
    return fail("measuring run: " + err);

  std::vector<std::string> names;
  std::vector<double> proxy, relativeProxy, measured;
  Progress progress{"measuring", layers.size()};
  for (auto &[name, l] : layers) {
    mlir::lowbit::SchemeAttr s = mlir::lowbit::fitSchemeToReduction(*cand, l.k);
    num::TensorScheme ts = mlir::lowbit::getTensorScheme(s, s.getElementType(), {l.n, l.k});
    std::vector<int64_t> shape{l.n, l.k};
    std::vector<float> wq =
        num::dequantizeTensor(ts, shape, num::quantizeTensor(ts, shape, l.w.data()));
    if (std::string err = runAll(&name, &wq, got); !err.empty())
      return fail("measuring run: " + err);
    double e = 0;
    for (size_t i = 0; i < got.size(); ++i)
      for (size_t j = 0; j < got[i].size(); ++j) {
        double d = double(got[i][j]) - double(reference[i][j]);
        e += d * d;
      }
    e /= double(lines);
    std::vector<double> h = hessians.at(name).mean();
    std::vector<float> zeros(l.w.size(), 0.0f);
    double p = precision::hessianProxy(h, l.k, l.w.data(), wq.data(), l.n);
    double energy = precision::hessianProxy(h, l.k, l.w.data(), zeros.data(), l.n);
    names.push_back(name);
    proxy.push_back(p);
    relativeProxy.push_back(energy > 0 ? p / energy : 0.0);
    measured.push_back(e);
    if (p > 0)
      l.op->setAttr("lowbit.sensitivity_scale", mlir::Builder(&context).getF64FloatAttr(e / p));
    progress.step(names.size());
  }
  if (!quiet)
    llvm::errs() << "measured sensitivity (" << measureCandidate << ", " << lines
                 << " inputs): Spearman rank correlation with tr(dW H dW^T) "
                 << llvm::format("%.3f", spearman(measured, proxy)) << ", with the relative proxy "
                 << llvm::format("%.3f", spearman(measured, relativeProxy)) << "\n";
  if (!sensitivityReport.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(sensitivityReport, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail(sensitivityReport + ": " + ec.message());
    os << "# node\tproxy tr(dW H dW^T)\trelative proxy\tmeasured output error (" << measureCandidate
       << ")\n";
    for (size_t i = 0; i < names.size(); ++i)
      os << names[i] << '\t' << llvm::format("%.6g", proxy[i]) << '\t'
         << llvm::format("%.6g", relativeProxy[i]) << '\t' << llvm::format("%.6g", measured[i])
         << '\n';
    os << "# Spearman: proxy " << llvm::format("%.3f", spearman(measured, proxy)) << ", relative "
       << llvm::format("%.3f", spearman(measured, relativeProxy)) << "\n";
  }
  return 0;
}

int run() {
  if ((budgetBits > 0) + (budgetBytes > 0) + (budgetMs > 0) != 1)
    return fail("give one of --budget-bits, --budget-bytes and --budget-ms (positive)");
  if (budgetMs > 0 && costTable.empty())
    return fail("--budget-ms needs --cost-table FILE (kernel times as lowbit-bench-cpu-cost "
                "writes them)");
  if (calibDir.empty() && (sensitivity == mlir::lowbit::PrecisionSensitivity::Hessian ||
                           quantizer == mlir::lowbit::PrecisionQuantizer::GPTQ))
    return fail("--calib DIR is needed for --sensitivity hessian and --quantizer gptq");
  llvm::Expected<std::map<std::string, std::vector<int64_t>>> shapes = parseShapes();
  if (!shapes)
    return fail(llvm::toString(shapes.takeError()));

  mlir::DialectRegistry registry;
  import::registerImportDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  // 1. Calibration.
  auto t0 = std::chrono::steady_clock::now();
  std::map<std::string, precision::InputHessian> hessians; // by node
  std::vector<std::vector<float>> calibInputs;
  if (!calibDir.empty()) {
    import::ONNXImportOptions o;
    o.inputShapes = *shapes;
    o.calibrationTaps = true;
    std::vector<import::WeightStat> stats;
    llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> tapped =
        import::importONNX(context, modelPath, o, &stats);
    if (!tapped)
      return fail(llvm::toString(tapped.takeError()));
    rt::CompileOptions co;
    co.sourceName = modelPath;
    co.numThreads = threads;
    std::string diagnostics;
    if (!quiet)
      llvm::errs() << "calibration: compiling " << modelPath << " with its taps\n";
    std::shared_ptr<const rt::CompiledModule> m =
        rt::compile(printModule(**tapped), co, diagnostics);
    if (!m)
      return fail("the calibration module does not compile:\n" + diagnostics);
    const rt::FunctionSignature *sig = m->find("main");
    if (!sig || sig->inputs.size() != 1)
      return fail("calibration needs a model of one graph input (this one has " +
                  llvm::Twine(sig ? sig->inputs.size() : 0) + ")");
    if (!sig->inputs[0].isStatic())
      return fail("the graph input has dynamic dimensions: give them with --input-shape");
    llvm::Expected<std::vector<std::vector<float>>> inputs = readInputs(sig->inputs[0].shape);
    if (!inputs)
      return fail(llvm::toString(inputs.takeError()));
    calibInputs = *inputs;
    std::vector<const import::WeightStat *> tappedStats;
    for (const import::WeightStat &s : stats)
      if (s.tap >= 0) {
        tappedStats.push_back(&s);
        hessians.emplace(s.node, precision::InputHessian(s.k));
      }
    std::vector<std::vector<float>> outputs(sig->outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i)
      outputs[i].resize(size_t(sig->outputs[i].numElements()));
    Progress progress{"calibration", inputs->size()};
    for (size_t i = 0; i < inputs->size(); ++i) {
      std::vector<void *> buffers{(*inputs)[i].data()};
      for (std::vector<float> &out : outputs)
        buffers.push_back(out.data());
      std::string err = m->invoke("main", buffers);
      if (!err.empty())
        return fail("calibration run: " + err);
      // The layers' X^T X on the context's threads (independent sums).
      mlir::parallelFor(&context, 0, tappedStats.size(), [&](size_t j) {
        const import::WeightStat &s = *tappedStats[j];
        const std::vector<float> &x = outputs[size_t(s.tap)];
        hessians.at(s.node).accumulate(x.data(), int64_t(x.size()) / s.k);
      });
      progress.step(i + 1);
    }
  }
  double calibrationSeconds = secondsSince(t0);

  // 2. The f32 model with the statistics, and the allocation.
  import::ONNXImportOptions o;
  o.inputShapes = *shapes;
  std::vector<import::WeightStat> stats;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      import::importONNX(context, modelPath, o, &stats);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  double totalElements = 0, fixedBits = 0;
  for (const import::WeightStat &s : stats) {
    totalElements += double(s.elements);
    if (s.k == 0)
      fixedBits += double(s.bits); // not a product: stays as imported
  }
  mlir::Builder b(&context);
  unsigned annotated = 0;
  (*module)->walk([&](mlir::lowbit::MpGemmOp op) {
    auto it = hessians.find(nodeName(op.getLoc()));
    if (it == hessians.end())
      return;
    const precision::InputHessian &h = it->second;
    std::vector<double> mean = h.mean();
    std::vector<float> f(mean.begin(), mean.end());
    auto type = mlir::RankedTensorType::get({h.k(), h.k()}, b.getF32Type());
    op->setAttr("lowbit.hessian", mlir::DenseElementsAttr::get(type, llvm::ArrayRef(f)));
    op->setAttr("lowbit.calibration_rows", b.getI64IntegerAttr(h.rows()));
    ++annotated;
  });
  if (!calibDir.empty() && annotated != hessians.size())
    return fail("calibration recorded " + llvm::Twine(hessians.size()) +
                " products, the model has " + llvm::Twine(annotated) + " (a bug: please report it)");

  double measureSeconds = 0;
  if (measureLines) {
    auto tm = std::chrono::steady_clock::now();
    if (calibInputs.empty())
      return fail("--measure-lines needs --calib DIR");
    if (int err = measure(context, *shapes, **module, hessians, calibInputs))
      return err;
    measureSeconds = secondsSince(tm);
  }

  double budgetTotalBits = budgetBits > 0 ? budgetBits * totalElements : budgetBytes * 8;
  double layerBits = budgetTotalBits - fixedBits;
  if (budgetMs <= 0 && layerBits <= 0)
    return fail("the budget is below the bits of the weights that stay f32 (" +
                llvm::formatv("{0:F4}", fixedBits / totalElements).str() +
                " bits per weight)");
  mlir::lowbit::LowbitAssignPrecisionOptions po;
  po.budgetKind = mlir::lowbit::PrecisionBudget::Bytes;
  po.budget = layerBits / 8;
  if (budgetMs > 0) {
    po.budgetKind = mlir::lowbit::PrecisionBudget::Latency;
    po.budget = budgetMs;
    po.costTable = costTable;
    po.costThreads = costThreads;
  }
  po.candidates.assign(candidates.begin(), candidates.end());
  po.sensitivity = sensitivity;
  po.quantizer = quantizer;
  po.relative = relative;
  std::string tempConfig;
  if (outputFile == "-") {
    llvm::SmallString<128> path;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lowbit-config", "txt", path))
      return fail("cannot create a temporary file: " + ec.message());
    tempConfig = path.str().str();
    po.configFile = tempConfig;
  } else {
    po.configFile = outputFile;
  }
  auto t1 = std::chrono::steady_clock::now();
  mlir::PassManager pm(&context);
  pm.addPass(mlir::lowbit::createLowbitAssignPrecision(po));
  if (!quiet && budgetMs > 0)
    llvm::errs() << "allocation: " << stats.size() << " weights, budget "
                 << llvm::format("%g", double(budgetMs))
                 << " ms of matrix products per run (estimated from " << costTable << ")\n";
  else if (!quiet)
    llvm::errs() << "allocation: " << stats.size() << " weights, budget "
                 << llvm::format("%.4f", budgetTotalBits / totalElements) << " bits per weight\n";
  if (mlir::failed(pm.run(**module)))
    return 1; // the pass reported why
  double allocationSeconds = secondsSince(t1);
  if (!tempConfig.empty()) {
    auto mb = llvm::MemoryBuffer::getFile(tempConfig);
    if (mb)
      llvm::outs() << (*mb)->getBuffer();
    llvm::sys::fs::remove(tempConfig);
  }

  // The model's size as lowbit-import counts it.
  double bits = fixedBits, estimatedUs = 0;
  (*module)->walk([&](mlir::lowbit::MpGemmOp op) {
    if (auto t = op->getAttrOfType<mlir::FloatAttr>("lowbit.estimated_time_us"))
      estimatedUs += t.getValueAsDouble();
    auto t = op.getB().getType();
    if (mlir::lowbit::SchemeAttr s = op.getBSchemeAttr())
      bits += double(mlir::lowbit::getStoredBits(s, t.getElementType(), t.getShape()));
    else if (op.getB().getDefiningOp<mlir::arith::ConstantOp>())
      bits += 32.0 * double(t.getNumElements());
  });
  if (!quiet)
    llvm::errs() << "result: " << llvm::format("%.4f", bits / totalElements)
                 << " bits per weight, " << llvm::format("%.0f", std::ceil(bits / 8))
                 << " weight bytes"
                 << (budgetMs > 0 ? ", products estimated at " +
                                        llvm::formatv("{0:F3}", estimatedUs / 1000).str() + " ms"
                                  : std::string())
                 << "; calibration " << llvm::format("%.1f", calibrationSeconds)
                 << " s, sensitivity and allocation " << llvm::format("%.1f", allocationSeconds)
                 << " s";
  if (!quiet && measureLines)
    llvm::errs() << ", measuring " << llvm::format("%.1f", measureSeconds) << " s";
  if (!quiet)
    llvm::errs() << "\n";
  if (!emitMlir.empty()) {
    std::error_code ec;
    llvm::ToolOutputFile out(emitMlir, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail(emitMlir + ": " + ec.message());
    if (mlir::failed(mlir::verify(**module)))
      return fail("the quantized module does not verify (a bug: please report it)");
    mlir::OpPrintingFlags flags;
    (*module)->print(out.os(), flags.enableDebugInfo(true, /*prettyForm=*/false));
    out.keep();
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "lowbit-quantize-model: calibration, per-layer precision "
                              "allocation under a budget, and quantization of an ONNX model\n");
  if (!import::haveONNX())
    return fail("this build has no ONNX importer (libonnx-dev was not found)");
  return run();
}
