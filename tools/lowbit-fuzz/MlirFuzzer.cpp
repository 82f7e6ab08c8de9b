//===- MlirFuzzer.cpp - libFuzzer target: lowbit IR, parsed and lowered ---===//
//
// The input is MLIR text. It is parsed with the lowbit dialect and the
// dialects of the reference lowering (func, arith, tensor, linalg, scf,
// math), verified, and a module that verifies goes
// through canonicalization (the folders of lowbit.quantize, cast and
// constant) and convert-lowbit-to-linalg, the reference lowering. Every call
// must return, with diagnostics or without: no crash, hang or sanitizer
// report on any text.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/Passes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace {
/// A context for many inputs (loading the dialects costs more than most
/// inputs), made anew every 20000 so that what it uniques does not grow
/// without bound: single-threaded, diagnostics dropped.
mlir::MLIRContext &context() {
  static std::unique_ptr<mlir::MLIRContext> ctx;
  static unsigned uses = 0;
  if (!ctx || ++uses % 20000 == 0) {
    // The dialects of lowbit IR and of the reference lowering's output
    // (not the whole pipeline's: this target links only what it runs).
    mlir::DialectRegistry registry;
    registry.insert<mlir::lowbit::LowbitDialect, mlir::arith::ArithDialect,
                    mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                    mlir::math::MathDialect, mlir::scf::SCFDialect,
                    mlir::tensor::TensorDialect>();
    ctx = std::make_unique<mlir::MLIRContext>(registry, mlir::MLIRContext::Threading::DISABLED);
    ctx->loadAllAvailableDialects();
    ctx->getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  }
  return *ctx;
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
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::lowbit::createConvertLowbitToLinalg());
  (void)pm.run(*module);
  return 0;
}
