//===- cpu-cost-table.cpp - Kernel times for the latency budget -----------===//
//
//   lowbit-bench-cpu-cost [--candidates a,b,...] [--threads T] [--repeat R]
//       [--quick] [--cold] [--model FILE.mlir] [--out table.csv] [--report table.md]
//
// Measures what a model's product costs under each candidate of
// lowbit-assign-precision, the table its budget-kind=latency fits its cost
// model to (lowbit/Precision/CostModel.h). Each entry is produced as a
// model's product is: `lowbit.mpgemm` with an f32 constant weight (the
// form lowbit-import gives a MatMul, Gemm or convolution), quantized to
// the candidate by lowbit-assign-precision itself (the only candidate,
// round to nearest, so groups are fitted to K as on a model), then
// compiled by the JIT for the host and timed warm (a model whose weights
// fit the last-level cache, as PP-OCRv4's 10 MB, finds them there on every
// run after the first) or, with --cold, after reading a 96 MiB buffer (a
// model larger than the caches). With --model, every product shape of an
// imported module (lowbit-import's f32 constant weights) is measured too:
// the cost model answers a measured shape by its measurement, which knows
// where a kernel falls back to the reference path and a fit does not. The
// report gives each candidate's fit
// and how well it reproduces the measured times.
//
//===----------------------------------------------------------------------===//

#include "BenchmarkUtil.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"
#include "lowbit/Import/Import.h"
#include "lowbit/Precision/CostModel.h"
#include "lowbit/Runtime/DenseText.h"
#include "lowbit/Runtime/JIT.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <tuple>
#include <sstream>
#include <string>
#include <vector>

namespace {
namespace prec = lowbit::precision;

std::vector<uint64_t> evictBuffer(96u << 17); // 96 MiB
volatile uint64_t sink;
void evictCaches() {
  uint64_t s = 0;
  for (uint64_t v : evictBuffer)
    s += v;
  sink = s;
}

std::string tensor(int64_t a, int64_t b) {
  return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "xf32>";
}

/// y = a W^T with W an f32 constant, as lowbit-import writes a product.
std::string program(int64_t m, int64_t n, int64_t k, const std::vector<float> &w) {
  std::string a = tensor(m, k), wt = tensor(n, k), c = tensor(m, n);
  return "func.func @mm(%a: " + a + ") -> " + c + " {\n  %w = arith.constant dense<" +
         lowbit::rt::denseHexF32(w) + "> : " + wt + "\n  %c = lowbit.mpgemm %a, %w {acc_type = "
         "f32, transpose_b} : " + a + ", " + wt + " -> " + c + "\n  return %c : " + c + "\n}\n";
}

/// `source` with its weight quantized to `candidate` by the pass; "" after
/// printing why.
std::string quantized(mlir::MLIRContext &ctx, const std::string &source,
                      const std::string &candidate) {
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
  if (!module)
    return "";
  mlir::lowbit::LowbitAssignPrecisionOptions o;
  o.budget = 64; // bits per weight: anything fits (f32 too, after cost-resolution rounding)
  o.candidates = {candidate};
  o.sensitivity = mlir::lowbit::PrecisionSensitivity::Weight;
  mlir::PassManager pm(&ctx);
  pm.addPass(mlir::lowbit::createLowbitAssignPrecision(o));
  if (mlir::failed(pm.run(*module)))
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> split(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}
} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> candidates = mlir::lowbit::defaultPrecisionCandidates();
  unsigned threads = 1;
  int repeats = 5;
  bool quick = false, cold = false;
  std::string out, report, modelPath;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--candidates" && i + 1 < argc)
      candidates = split(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      threads = unsigned(std::max(1, std::atoi(argv[++i])));
    else if (a == "--repeat" && i + 1 < argc)
      repeats = std::max(1, std::atoi(argv[++i]));
    else if (a == "--quick")
      quick = true;
    else if (a == "--cold")
      cold = true;
    else if (a == "--out" && i + 1 < argc)
      out = argv[++i];
    else if (a == "--report" && i + 1 < argc)
      report = argv[++i];
    else if (a == "--model" && i + 1 < argc)
      modelPath = argv[++i];
    else {
      std::fprintf(stderr, "usage: lowbit-bench-cpu-cost [--candidates a,b,...] [--threads T] "
                           "[--repeat R] [--quick] [--cold] [--model FILE.mlir] [--out table.csv] [--report table.md]\n");
      return 2;
    }
  }
  std::string command = "build/bin/lowbit-bench-cpu-cost";
  for (int i = 1; i < argc; ++i)
    command += std::string(" ") + argv[i];
  for (size_t i = 0; i < evictBuffer.size(); ++i)
    evictBuffer[i] = i;

  mlir::DialectRegistry registry;
  lowbit::import::registerImportDialects(registry); // what a --model module uses
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  // The grid spans PP-OCRv4's products: rows from a token (1) to the stem's
  // 3840 pixels, weights from 64 x 64 to a 1024-wide K or N.
  std::vector<int64_t> rows = quick ? std::vector<int64_t>{1, 40, 480}
                                    : std::vector<int64_t>{1, 40, 480, 3840};
  // K multiples of 128, so that every group candidate keeps its group.
  std::vector<std::pair<int64_t, int64_t>> weights{{64, 64}, {256, 128}, {128, 256}, {512, 512}};
  if (!quick) {
    weights.push_back({1024, 128});
    weights.push_back({64, 1024});
  }
  std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes;
  for (auto [n, k] : weights)
    for (int64_t m : rows)
      shapes.push_back({m, n, k});
  size_t gridShapes = shapes.size();
  if (!modelPath.empty()) {
    std::string error;
    auto file = mlir::openInputFile(modelPath, &error);
    if (!file) {
      std::fprintf(stderr, "%s: %s\n", modelPath.c_str(), error.c_str());
      return 1;
    }
    llvm::SourceMgr sm;
    sm.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    mlir::OwningOpRef<mlir::ModuleOp> model = mlir::parseSourceFile<mlir::ModuleOp>(sm, &ctx);
    if (!model)
      return 1;
    std::set<std::tuple<int64_t, int64_t, int64_t>> seen(shapes.begin(), shapes.end());
    model->walk([&](mlir::lowbit::MpGemmOp op) {
      auto a = op.getA().getType(), b = op.getB().getType();
      if (!op.getTransposeB() || op.getBSchemeAttr() || !a.hasStaticShape() ||
          !b.hasStaticShape() || b.getRank() != 2 || !b.getElementType().isF32())
        return;
      int64_t m = 1;
      for (int64_t d : a.getShape().drop_back())
        m *= d;
      if (seen.insert({m, b.getDimSize(0), b.getDimSize(1)}).second)
        shapes.push_back({m, b.getDimSize(0), b.getDimSize(1)});
    });
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);

  std::ostringstream csv;
  csv << "# " << command << "\n# " << lowbit::bench::cpuName() << ", " << threads
      << " thread(s), " << repeats << " repeats, median, " << (cold ? "cold" : "warm") << " caches\n";
  csv << "candidate,threads,m,n,k,us\n";
  std::vector<prec::CostSample> samples;
  for (const std::string &cand : candidates)
    for (auto [m, n, k] : shapes) {
      {
        std::vector<float> w(size_t(n * k));
        for (float &x : w)
          x = u(rng);
        std::string source = quantized(ctx, program(m, n, k, w), cand);
        if (source.empty()) {
          std::fprintf(stderr, "%s: the pass failed on %lldx%lld\n", cand.c_str(),
                       (long long)n, (long long)k);
          return 1;
        }
        lowbit::rt::CompileOptions opts;
        opts.target = "host";
        opts.diskCache = false;
        opts.numThreads = threads;
        std::string diagnostics;
        auto kernel = lowbit::rt::compile(source, opts, diagnostics);
        if (!kernel) {
          std::fprintf(stderr, "%s: %s\n", cand.c_str(), diagnostics.c_str());
          return 1;
        }
        std::vector<float> a(size_t(m * k)), c(size_t(m * n));
        for (float &x : a)
          x = u(rng);
        std::vector<void *> args{a.data(), c.data()};
        kernel->invoke("mm", args);
        std::vector<double> t;
        for (int r = 0; r < repeats; ++r) {
          if (cold)
            evictCaches();
          auto t0 = std::chrono::steady_clock::now();
          kernel->invoke("mm", args);
          t.push_back(seconds(t0) * 1e6);
        }
        double us = lowbit::bench::stats(t).median;
        csv << cand << "," << threads << "," << m << "," << n << "," << k << "," << us << "\n";
        samples.push_back({cand, threads, m, n, k, us});
        std::fprintf(stderr, "%-18s m=%-5lld %5lldx%-5lld %10.1f us\n", cand.c_str(),
                     (long long)m, (long long)n, (long long)k, us);
      }
    }

  std::string error;
  std::optional<prec::CostModel> model = prec::CostModel::fit(samples, threads, error);
  if (!model) {
    std::fprintf(stderr, "fit: %s\n", error.c_str());
    return 1;
  }
  std::ostringstream md;
  md << "# Kernel cost table for the latency budget\n\n`" << command << "` on "
     << lowbit::bench::cpuName() << ", " << threads << " thread(s), " << repeats
     << " repeats (median), " << (cold ? "cold caches (a 96 MiB buffer read before each call)" : "warm caches") << ". Each product: an f32 constant weight quantized to the "
        "candidate by `lowbit-assign-precision` (groups fitted to K as on a model), compiled "
        "by the JIT for the host. Fit: `t = c0 + c1 n k + c2 m n k + c3 m k + c4 m n` "
        "(microseconds; non-negative least squares of relative residuals, "
        "lowbit/Precision/CostModel.h), over "
     << rows.size() * weights.size() << " shapes per candidate.\n\n"
     << "| candidate | c0 us | c1 ns per weight | c2 ps per multiply-add | c3 ns per activation "
        "| c4 ns per output | median rel. error | max rel. error |\n|---|---|---|---|---|---|---|---|\n";
  char buf[512];
  for (const std::string &cand : candidates) {
    const prec::CostFit *f = model->lookup(cand);
    std::snprintf(buf, sizeof buf, "| %s | %.2f | %.4f | %.2f | %.4f | %.4f | %.1f%% | %.1f%% |\n",
                  cand.c_str(), f->coefficients[0], f->coefficients[1] * 1e3,
                  f->coefficients[2] * 1e6, f->coefficients[3] * 1e3, f->coefficients[4] * 1e3,
                  f->medianRelativeError * 100, f->maxRelativeError * 100);
    md << buf;
  }
  std::printf("%s", md.str().c_str());
  if (!out.empty())
    std::ofstream(out) << csv.str();
  if (!report.empty())
    std::ofstream(report) << md.str();
  return 0;
}
