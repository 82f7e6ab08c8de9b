//===- PipelineFuzzer.cpp - libFuzzer target: whole CPU pipelines ---------===//
//
// The input is MLIR text; a module that parses and verifies goes through one
// of the CPU pipelines, chosen by the input's length: the reference
// pipeline, or buildCPUPipeline for generic, x86-64-v3, x86-64-v4 or znver4
// (one or two threads). A pipeline either fails with diagnostics or leaves
// a module of the LLVM dialect only (and OpenMP's ops, which translate to
// LLVM IR with it): a pipeline that succeeds while leaving
// other ops (an unlowered function, as `mpgemm` with K = 0 once did) is a
// finding, as is any crash, hang or sanitizer report. The x86 pipelines are
// only compiled to the LLVM dialect, so the host's CPU does not matter.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Pipelines/CPUPipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace {
using ::lowbit::target::CPUTargetKind;

/// A context for many inputs, made anew every 5000 so that what it uniques
/// does not grow without bound: single-threaded, diagnostics dropped.
mlir::MLIRContext &context() {
  static std::unique_ptr<mlir::MLIRContext> ctx;
  static unsigned uses = 0;
  if (!ctx || ++uses % 5000 == 0) {
    mlir::DialectRegistry registry;
    mlir::lowbit::registerReferencePipelineDialects(registry);
    ctx = std::make_unique<mlir::MLIRContext>(registry, mlir::MLIRContext::Threading::DISABLED);
    ctx->loadAllAvailableDialects();
    ctx->getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  }
  return *ctx;
}

constexpr size_t kPipelines = 9;

void buildPipeline(mlir::OpPassManager &pm, size_t which) {
  if (which == 0) {
    mlir::lowbit::buildReferencePipeline(pm);
    return;
  }
  static const CPUTargetKind targets[] = {CPUTargetKind::Generic, CPUTargetKind::X86_64_V3,
                                          CPUTargetKind::X86_64_V4, CPUTargetKind::Znver4};
  mlir::lowbit::CPUPipelineConfig config;
  config.target = targets[(which - 1) % 4];
  config.numThreads = which > 4 ? 2 : 1;
  config.reportFallbacks = which % 2 == 0;
  mlir::lowbit::buildCPUPipeline(pm, config);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::MLIRContext &ctx = context();
  mlir::ParserConfig config(&ctx, /*verifyAfterParse=*/true);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(text, config);
  if (!module)
    return 0;
  mlir::PassManager pm(&ctx);
  buildPipeline(pm, size % kPipelines);
  if (mlir::failed(pm.run(*module)))
    return 0;
  module->walk([](mlir::Operation *op) {
    // LLVM, and OpenMP's ops (threaded kernels) that translate with it.
    if (!mlir::isa<mlir::ModuleOp>(op) &&
        !mlir::isa<mlir::LLVM::LLVMDialect, mlir::omp::OpenMPDialect>(op->getDialect()))
      __builtin_trap(); // "succeeded" with an op the pipeline should have lowered
  });
  return 0;
}
