//===- CheckLowered.cpp - The CPU pipelines end in the LLVM dialect -------===//
//
// lowbit-check-lowered: the conversions to the LLVM dialect are partial, so
// an op none of them can convert survives a pipeline that reports success;
// this check turns that into a located error (found by the pipeline fuzzer:
// a private function over a vector of lowbit codes stayed a func.func).
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITCHECKLOWERED
#include "lowbit/Conversion/Passes.h.inc"

namespace {
struct LowbitCheckLoweredPass : impl::LowbitCheckLoweredBase<LowbitCheckLoweredPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<ModuleOp>(op))
        return WalkResult::advance();
      StringRef dialect = op->getName().getDialectNamespace();
      if (dialect == "llvm" || dialect == "omp")
        return WalkResult::advance();
      op->emitOpError() << "was not lowered to the LLVM dialect (a type of it has no LLVM "
                           "equivalent, or no conversion handles it)";
      failed = true;
      return WalkResult::skip(); // one error per unlowered op, not per nested op
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::lowbit
