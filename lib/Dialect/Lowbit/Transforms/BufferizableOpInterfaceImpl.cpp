//===- BufferizableOpInterfaceImpl.cpp - Bufferization of lowbit ops ------===//

#include "lowbit/Dialect/Lowbit/Transforms/BufferizableOpInterfaceImpl.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {
struct PrefetchOpInterface
    : BufferizableOpInterface::ExternalModel<PrefetchOpInterface, mlir::lowbit::PrefetchOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &, const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &, const AnalysisState &) const {
    return {};
  }
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options, BufferizationState &state) const {
    auto prefetch = cast<mlir::lowbit::PrefetchOp>(op);
    FailureOr<Value> buffer = getBuffer(rewriter, prefetch.getTensor(), options, state);
    if (failed(buffer))
      return failure();
    // Indices past the end are clamped (the op allows them; an address
    // out of the buffer would be poison for LLVM).
    Location loc = op->getLoc();
    SmallVector<Value> indices;
    for (auto [d, i] : llvm::enumerate(prefetch.getIndices())) {
      Value last = arith::SubIOp::create(rewriter, loc,
                                         memref::DimOp::create(rewriter, loc, *buffer, d),
                                         arith::ConstantIndexOp::create(rewriter, loc, 1));
      indices.push_back(arith::MinUIOp::create(rewriter, loc, i, last));
    }
    memref::PrefetchOp::create(rewriter, loc, *buffer, indices, /*isWrite=*/false,
                               /*localityHint=*/3, /*isDataCache=*/true);
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::lowbit::registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, mlir::lowbit::LowbitDialect *) {
    mlir::lowbit::PrefetchOp::attachInterface<PrefetchOpInterface>(*ctx);
  });
}
