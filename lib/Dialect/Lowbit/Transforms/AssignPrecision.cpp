//===- AssignPrecision.cpp - One weight format per product under a budget -===//
//
// The pass around lowbit/Precision: it finds the layers (f32 constant
// weights of lowbit.mpgemm), measures every candidate scheme's sensitivity
// on each, solves the allocation exactly and writes the chosen codes back
// as constants. The numerics (quantization, the Hessian proxy, GPTQ, the
// knapsack) are the MLIR-free libraries'; this file only moves data
// between them and the IR.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"
#include "lowbit/Precision/Allocation.h"
#include "lowbit/Precision/CostModel.h"
#include "lowbit/Precision/GPTQ.h"
#include "lowbit/Precision/InputHessian.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Threading.h"
#include "mlir/AsmParser/AsmParser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>
#include <mutex>

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITASSIGNPRECISION
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h.inc"

namespace {
namespace num = ::lowbit::num;
namespace prec = ::lowbit::precision;

/// Candidate names beside the presets, so that a list needs no commas
/// inside its entries: `uB_gG` (GPTQ-style: B-bit unsigned codes and zero
/// points, f16 scales, groups of G along K) and `iB_channel` (absmax per
/// output channel, signed B-bit codes, f32 scales), B in 2..8. Returns the
/// scheme body, or "" if `name` is not of these forms.
std::string expandShorthand(llvm::StringRef name) {
  unsigned bits = 0, group = 0;
  llvm::StringRef rest = name;
  if (rest.consume_front("u") && !rest.consumeInteger(10, bits) && rest.consume_front("_g") &&
      !rest.consumeInteger(10, group) && rest.empty() && bits >= 2 && bits <= 8 && group > 0)
    return "rule = gptq, group = " + std::to_string(group) + ", scale = f16, zero = !lowbit.int<" +
           std::to_string(bits) + ", unsigned>, element = !lowbit.int<" + std::to_string(bits) +
           ", unsigned>";
  rest = name;
  if (rest.consume_front("i") && !rest.consumeInteger(10, bits) && rest == "_channel" &&
      bits >= 2 && bits <= 8)
    return "rule = absmax, channel, scale = f32, element = !lowbit.int<" + std::to_string(bits) +
           ">";
  return "";
}

/// The candidates when none are given: integers of 3 to 6 bits in groups
/// of 32, 64 and 128, 4 and 6 bits per channel, int8 per channel, the MX
/// formats of 4, 6 and 8 bits, NVFP4, and f32. Named policy
/// `no-2-bit-default`: 2-bit groups are left out because the summed
/// sensitivity underestimates what several 2-bit layers do together (on
/// PP-OCRv4 at 4 bits per weight with GPTQ: 83% of the lines with them,
/// 99.5% without); name them (u2_g32, ...) to allow them.
} // namespace

std::vector<std::string> defaultPrecisionCandidates() {
  std::vector<std::string> c{"f32", "int8_per_channel", "i6_channel", "i4_channel",
                             "mxfp8_e4m3", "mxfp6_e3m2", "mxfp4", "nvfp4"};
  for (int bits : {3, 4, 5, 6})
    for (int group : {32, 64, 128})
      c.push_back("u" + std::to_string(bits) + "_g" + std::to_string(group));
  return c;
}

namespace {

/// `x` as %g prints it (4, 4.5, 1e+06): diagnostics quote options so.
std::string shortNumber(double x) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%g", x);
  return s;
}

/// The node name a layer's location carries (NameLoc, possibly inside a
/// fused or call-site location), or "".
std::string nameOf(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      name = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

} // namespace

FailureOr<SchemeAttr> parsePrecisionCandidate(MLIRContext *ctx, StringRef t,
                                              std::string &error) {
  if (t == "f32" || t == "none")
    return SchemeAttr();
  std::string body = expandShorthand(t);
  if (body.empty())
    body = t.str();
  auto s = dyn_cast_or_null<SchemeAttr>(parseAttribute("#lowbit.scheme<" + body + ">", ctx));
  if (!s) {
    error = "candidate '" + t.str() + "' is not a lowbit scheme (a preset or a scheme body)";
    return failure();
  }
  if (!s.getElementType()) {
    error = "candidate '" + t.str() + "' names no element format (add element = ...)";
    return failure();
  }
  return s;
}

namespace {
struct Candidate {
  std::string text;  ///< as given
  SchemeAttr scheme; ///< null for f32
};

struct Layer {
  MpGemmOp op;
  std::string name;
  int64_t m = 0, n = 0, k = 0; ///< m: A's rows, 0 where not static
  std::vector<float> w;
  std::vector<double> h; ///< k x k, empty for sensitivity=weight
  /// lowbit.sensitivity_scale: the measured model-output error per unit of
  /// the proxy, replacing the relative normalization.
  std::optional<double> scale;
  // Per candidate that applies to the layer.
  std::vector<SchemeAttr> schemes; ///< fitted to k; null for f32
  std::vector<size_t> candidate;   ///< the candidate each option came from
  std::vector<num::QuantizedTensor> quantized;
  std::vector<prec::Option> options; ///< cost: bits, or microseconds (latency)
  std::vector<double> bits;          ///< stored bits per option
  std::string error; ///< a failure of the numerics (GPTQ), reported after the loop
};

struct LowbitAssignPrecisionPass
    : impl::LowbitAssignPrecisionBase<LowbitAssignPrecisionPass> {
  using LowbitAssignPrecisionBase::LowbitAssignPrecisionBase;

  LogicalResult parseCandidates(std::vector<Candidate> &out) {
    std::vector<std::string> texts(candidates.begin(), candidates.end());
    if (texts.empty())
      texts = defaultPrecisionCandidates();
    for (const std::string &t : texts) {
      std::string error;
      FailureOr<SchemeAttr> s = parsePrecisionCandidate(&getContext(), t, error);
      if (failed(s))
        return getOperation()->emitError() << "lowbit-assign-precision: " << error;
      out.push_back({t, *s});
    }
    return success();
  }

  /// Adds the layer of `op` if it is one; failure (after a diagnostic) when
  /// its calibration statistics are missing or malformed.
  LogicalResult collect(MpGemmOp op, std::vector<Layer> &layers) {
    if (!op.getTransposeB() || op.getBSchemeAttr() || op.getASchemeAttr() ||
        op.getBLayoutAttr())
      return success();
    auto c = op.getB().getDefiningOp<arith::ConstantOp>();
    if (!c)
      return success();
    auto dense = dyn_cast<DenseFPElementsAttr>(c.getValue());
    auto type = op.getB().getType();
    if (!dense || !type.getElementType().isF32() || type.getRank() != 2)
      return success();
    Layer l;
    l.op = op;
    l.n = type.getDimSize(0);
    l.k = type.getDimSize(1);
    l.name = nameOf(op.getLoc());
    auto a = op.getA().getType();
    if (a.hasStaticShape()) {
      l.m = 1;
      for (int64_t d : a.getShape().drop_back())
        l.m *= d;
    }
    auto values = dense.getValues<float>();
    l.w.assign(values.begin(), values.end());
    if (Attribute a = op->getAttr("lowbit.sensitivity_scale")) {
      auto f = dyn_cast<FloatAttr>(a);
      if (!f || !(f.getValueAsDouble() >= 0))
        return op.emitError() << "lowbit-assign-precision: lowbit.sensitivity_scale must be a "
                                 "non-negative float";
      l.scale = f.getValueAsDouble();
    }
    if (sensitivity == PrecisionSensitivity::Hessian || quantizer == PrecisionQuantizer::GPTQ) {
      auto h = op->getAttrOfType<DenseFPElementsAttr>("lowbit.hessian");
      if (!h)
        return op.emitError() << "lowbit-assign-precision: no lowbit.hessian on this product "
                                 "(record calibration statistics with lowbit-quantize-model, "
                                 "or use sensitivity=weight quantizer=rtn)";
      auto ht = cast<ShapedType>(h.getType());
      if (ht.getRank() != 2 || ht.getDimSize(0) != l.k || ht.getDimSize(1) != l.k)
        return op.emitError() << "lowbit-assign-precision: lowbit.hessian is " << ht
                              << ", expected " << l.k << "x" << l.k << " (K x K)";
      l.h.reserve(size_t(l.k * l.k));
      for (APFloat v : h.getValues<APFloat>())
        l.h.push_back(v.convertToDouble());
    }
    layers.push_back(std::move(l));
    return success();
  }

  /// Quantizes one layer under every candidate and records cost and error.
  void measure(Layer &l, const std::vector<Candidate> &cands) {
    std::vector<int64_t> shape{l.n, l.k};
    std::optional<prec::GptqFactor> factor;
    if (quantizer == PrecisionQuantizer::GPTQ) {
      prec::GptqOptions o;
      factor = prec::factorHessian(l.h, l.k, o, l.error);
      if (!factor)
        return;
    }
    bool useH = !l.h.empty() && sensitivity == PrecisionSensitivity::Hessian;
    // The relative option's denominator: the f32 layer's own output energy
    // tr(W H W^T) (or |W|^2), the error of quantizing everything to 0.
    double energy = 1;
    if (relative && !l.scale) {
      std::vector<float> zeros(l.w.size(), 0.0f);
      energy = useH ? prec::hessianProxy(l.h, l.k, l.w.data(), zeros.data(), l.n) : 0.0;
      if (!useH)
        for (float v : l.w)
          energy += double(v) * double(v);
      if (!(energy > 0))
        energy = 1; // a silent layer: any error is 0 anyway
    }
    for (size_t ci = 0; ci < cands.size(); ++ci) {
      const Candidate &c = cands[ci];
      if (!c.scheme) {
        l.candidate.push_back(ci);
        l.schemes.push_back(SchemeAttr());
        l.quantized.emplace_back();
        l.options.push_back({32.0 * double(l.n * l.k), 0.0});
        l.bits.push_back(32.0 * double(l.n * l.k));
        continue;
      }
      SchemeAttr s = fitSchemeToReduction(c.scheme, l.k);
      Type element = s.getElementType();
      num::TensorScheme ts = getTensorScheme(s, element, {l.n, l.k});
      num::QuantizedTensor q;
      std::string why;
      if (factor && prec::checkGptqScheme(ts, l.n, l.k).empty()) {
        std::optional<num::QuantizedTensor> g =
            prec::gptqQuantize(ts, l.n, l.k, l.w.data(), *factor, why);
        if (!g) {
          l.error = why;
          return;
        }
        q = std::move(*g);
      } else {
        q = num::quantizeTensor(ts, shape, l.w.data());
      }
      std::vector<float> wq = num::dequantizeTensor(ts, shape, q);
      double err = 0;
      if (useH) {
        err = prec::hessianProxy(l.h, l.k, l.w.data(), wq.data(), l.n);
      } else {
        for (size_t i = 0; i < wq.size(); ++i) {
          double d = double(l.w[i]) - double(wq[i]);
          err += d * d;
        }
      }
      err = l.scale ? err * *l.scale : err / energy;
      if (!std::isfinite(err))
        continue; // a format that cannot hold the weight (overflow)
      l.candidate.push_back(ci);
      l.schemes.push_back(s);
      l.quantized.push_back(std::move(q));
      double bits = double(getStoredBits(s, element, {l.n, l.k}));
      l.options.push_back({bits, std::max(err, 0.0)});
      l.bits.push_back(bits);
    }
  }

  /// The weight of `l` replaced by option `o`'s codes as constants.
  void rewrite(Layer &l, size_t o) {
    SchemeAttr s = l.schemes[o];
    MpGemmOp op = l.op;
    op->removeAttr("lowbit.hessian");
    op->removeAttr("lowbit.calibration_rows");
    op->removeAttr("lowbit.sensitivity_scale");
    OpBuilder b(op);
    op->setAttr("lowbit.sensitivity", b.getF64FloatAttr(l.options[o].error));
    if (budgetKind == PrecisionBudget::Latency)
      op->setAttr("lowbit.estimated_time_us", b.getF64FloatAttr(l.options[o].cost));
    if (!s)
      return;
    Type element = s.getElementType();
    SmallVector<Type> types = getQuantizeResultTypes(s, element, {l.n, l.k});
    SmallVector<Attribute> attrs = getQuantizedAttrs(s, element, {l.n, l.k}, l.quantized[o]);
    SmallVector<Value> values;
    Dialect *lowbitDialect = op->getContext()->getLoadedDialect<LowbitDialect>();
    for (auto [t, a] : llvm::zip(types, attrs)) {
      Operation *c = lowbitDialect->materializeConstant(b, a, t, op.getLoc());
      values.push_back(c->getResult(0));
    }
    Operation *old = op.getB().getDefiningOp();
    op.getBMutable().assign(values[0]);
    op.getBParamsMutable().assign(ValueRange(values).drop_front());
    op.setBSchemeAttr(s);
    if (old && old->use_empty())
      old->erase();
  }

  LogicalResult writeConfig(const std::vector<Layer> &layers, const prec::Allocation &a,
                            double totalWeights) {
    std::error_code ec;
    llvm::raw_fd_ostream os(configFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return getOperation()->emitError()
             << "lowbit-assign-precision: cannot write '" << configFile << "': " << ec.message();
    double bits = 0;
    for (size_t i = 0; i < layers.size(); ++i)
      bits += layers[i].bits[a.choice[i]];
    os << "# lowbit-assign-precision: " << layers.size() << " layers, "
       << llvm::format("%.4f", bits / totalWeights) << " bits per weight, ";
    if (budgetKind == PrecisionBudget::Latency)
      os << "estimated " << llvm::format("%.4f", a.cost / 1000) << " ms per run of the products, ";
    os << "summed sensitivity " << llvm::format("%.6g", a.error) << "\n";
    for (size_t i = 0; i < layers.size(); ++i) {
      const Layer &l = layers[i];
      size_t o = a.choice[i];
      std::string scheme = "none";
      if (SchemeAttr s = l.schemes[o]) {
        std::string text;
        llvm::raw_string_ostream ts(text);
        ts << s;
        // #lowbit.scheme<BODY> -> BODY, the config's form.
        size_t open = text.find('<');
        scheme = text.substr(open + 1, text.size() - open - 2);
      }
      os << (l.name.empty() ? "?" : l.name) << " " << scheme << "\n";
    }
    return success();
  }

  /// The cost model of budget-kind=latency: `cost-table` read and fitted
  /// for `cost-threads`; none after a diagnostic.
  std::optional<prec::CostModel> loadCostModel() {
    auto fail = [&](const Twine &why) {
      getOperation()->emitError() << "lowbit-assign-precision: " << why;
      return std::nullopt;
    };
    if (costTable.empty())
      return fail("budget-kind=latency needs cost-table=FILE (kernel times as "
                  "lowbit-bench-cpu-cost writes them)");
    auto buffer = llvm::MemoryBuffer::getFile(costTable);
    if (!buffer)
      return fail("cannot read cost table '" + costTable + "': " + buffer.getError().message());
    std::string error;
    std::optional<std::vector<prec::CostSample>> table =
        prec::parseCostTable((*buffer)->getBuffer().str(), error);
    if (!table)
      return fail("cost table '" + costTable + "', " + error);
    std::optional<prec::CostModel> model = prec::CostModel::fit(*table, costThreads, error);
    if (!model)
      return fail("cost table '" + costTable + "': " + error);
    return model;
  }

  void runOnOperation() override {
    std::vector<Candidate> cands;
    if (failed(parseCandidates(cands)))
      return signalPassFailure();
    std::vector<Layer> layers;
    bool failedCollect = false;
    getOperation()->walk([&](MpGemmOp op) {
      if (failed(collect(op, layers)))
        failedCollect = true;
    });
    if (failedCollect)
      return signalPassFailure();
    if (layers.empty())
      return; // nothing to allocate
    std::optional<prec::CostModel> costs;
    if (budgetKind == PrecisionBudget::Latency) {
      costs = loadCostModel();
      if (!costs)
        return signalPassFailure();
      for (Layer &l : layers)
        if (l.m == 0) {
          l.op.emitError() << "lowbit-assign-precision: budget-kind=latency needs the "
                              "product's row count, and A (" << l.op.getA().getType()
                           << ") is not static";
          return signalPassFailure();
        }
      for (const Candidate &c : cands)
        if (!costs->knows(c.text)) {
          getOperation()->emitError()
              << "lowbit-assign-precision: cost table '" << costTable << "' has no rows for "
              << "candidate '" << c.text << "' at " << unsigned(costThreads)
              << " thread(s) (measure it: lowbit-bench-cpu-cost --candidates " << c.text << ")";
          return signalPassFailure();
        }
    }
    if (!configFile.empty())
      for (Layer &l : layers)
        if (l.name.empty()) {
          l.op.emitError() << "lowbit-assign-precision: config-file needs node names, and this "
                              "product's location has none (NameLoc)";
          return signalPassFailure();
        }

    // The numerics of every layer, on the context's threads.
    parallelFor(&getContext(), 0, layers.size(), [&](size_t i) { measure(layers[i], cands); });
    double totalWeights = 0;
    std::vector<std::vector<prec::Option>> options;
    for (Layer &l : layers) {
      if (!l.error.empty()) {
        l.op.emitError() << "lowbit-assign-precision: " << l.error;
        return signalPassFailure();
      }
      if (l.options.empty()) {
        l.op.emitError() << "lowbit-assign-precision: no candidate applies to this "
                         << l.n << "x" << l.k << " weight";
        return signalPassFailure();
      }
      totalWeights += double(l.n * l.k);
      if (costs)
        for (size_t o = 0; o < l.options.size(); ++o) {
          const std::string &c = cands[l.candidate[o]].text;
          std::optional<double> t = costs->estimate(c, l.m, l.n, l.k);
          if (!t) {
            l.op.emitError() << "lowbit-assign-precision: cost table '" << costTable
                             << "' has too few rows of candidate '" << c
                             << "' for a fit and none of this product's shape (m = " << l.m
                             << ", n = " << l.n << ", k = " << l.k << ")";
            return signalPassFailure();
          }
          l.options[o].cost = *t;
        }
      options.push_back(l.options);
    }
    double limit = budgetKind == PrecisionBudget::BitsPerWeight ? budget * totalWeights
                   : budgetKind == PrecisionBudget::Bytes       ? budget * 8.0
                                                                : budget * 1000.0;
    // The cost-resolution policy (Allocation.h): costs in units of 1/100000
    // of the layers' f32 size, at least a bit (exact for small models). On
    // a model the answer is then within the budget and no worse than the
    // exact optimum for a budget smaller by layers x 0.00032 bits per
    // weight, and the search takes seconds instead of exhausting memory.
    double resolution = std::max(1.0, std::floor(32.0 * totalWeights / 100000));
    // Times: units of 1/100000 of the budget, and partial allocations over
    // the budget dropped (costs are non-negative), which bounds every
    // frontier by 100000 points however slow the slowest options (the
    // reference path) are; the answer is within the budget and no worse
    // than the exact optimum for a budget smaller by layers / 100000 of it.
    double maxCost = std::numeric_limits<double>::infinity();
    if (costs) {
      resolution = limit / 100000;
      maxCost = limit * (1 + 1e-12);
    }
    prec::Frontier frontier(options, resolution, maxCost);
    std::optional<prec::Allocation> a = frontier.best(limit * (1 + 1e-12));
    if (!a && costs) {
      getOperation()->emitError()
          << "lowbit-assign-precision: budget " << shortNumber(budget)
          << " ms is below the fastest allocation of the candidates ("
          << llvm::formatv("{0:F4}", frontier.at(0).cost / 1000).str()
          << " ms estimated from '" << costTable << "')";
      return signalPassFailure();
    }
    if (!a) {
      double cheapest = frontier.at(0).cost;
      getOperation()->emitError()
          << "lowbit-assign-precision: budget " << shortNumber(budget)
          << (budgetKind == PrecisionBudget::BitsPerWeight ? " bits per weight" : " bytes")
          << " is below the cheapest allocation of the candidates ("
          << llvm::formatv("{0:F4}", cheapest / totalWeights).str() << " bits per weight, "
          << int64_t(std::ceil(cheapest / 8)) << " bytes)";
      return signalPassFailure();
    }
    if (!configFile.empty() && failed(writeConfig(layers, *a, totalWeights)))
      return signalPassFailure();
    for (size_t i = 0; i < layers.size(); ++i)
      rewrite(layers[i], a->choice[i]);
  }
};
} // namespace
} // namespace mlir::lowbit
