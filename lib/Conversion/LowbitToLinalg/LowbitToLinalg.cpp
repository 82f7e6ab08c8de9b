//===- LowbitToLinalg.cpp - The reference lowering of lowbit ops ----------===//
//
// Every lowbit op becomes linalg.generic ops on storage types (see
// CodeEmitter.h for how codes are read and written). Numbers follow the
// Numerics library operation by operation; the comments name the library
// function each body mirrors.
//
//===----------------------------------------------------------------------===//

#include "LoweringPatterns.h"

#include "lowbit/Conversion/LowbitToLinalg/LowbitToLinalg.h"
#include "lowbit/Conversion/Passes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Codec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cfloat>
#include <cmath>

namespace mlir::lowbit {
#define GEN_PASS_DEF_CONVERTLOWBITTOLINALG
#include "lowbit/Conversion/Passes.h.inc"
} // namespace mlir::lowbit

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;

namespace {

//===----------------------------------------------------------------------===//
// lowbit.constant
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = op.getResult().getType();
    RankedTensorType storageType = getStorageTensorType(resultType);
    auto codes = cast<DenseIntElementsAttr>(op.getValue());
    DenseElementsAttr value;
    if (LayoutAttr layout = getLayoutEncoding(resultType)) {
      // Codes stored in a bit layout: packed here, at compile time.
      value = packCodesAttr(codes, resultType.getShape(), std::nullopt, layout, storageType);
    } else {
      // One code per storage element (a float storage takes the bits as they are).
      unsigned w = storageType.getElementTypeBitWidth();
      value = codes.mapValues(storageType.getElementType(),
                              [&](const APInt &c) { return c.zext(w); });
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, storageType, value);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// lowbit.dequantize
//===----------------------------------------------------------------------===//

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType resultType = op.getResult().getType();
    SchemeAttr scheme = op.getSchemeAttr();
    FailureOr<OperandReader> reader = OperandReader::get(
        rewriter, loc, op, codesType.getElementType(), scheme, false);
    if (failed(reader))
      return failure();
    // Codes and scale tensors are inputs of the generic: the scales through
    // the scheme's grid map.
    MLIRContext *ctx = op.getContext();
    unsigned rank = codesType.getRank();
    QuantizedOperand q = QuantizedOperand::get(adaptor.getCodes(), adaptor.getParams(), scheme);
    SmallVector<Value> inputs{q.codes};
    SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
    if (scheme) {
      AffineMap g = ScaleGrid(scheme, codesType.getShape()).map(ctx);
      for (Value v : {q.scales, q.zeroPoints}) {
        if (!v)
          continue;
        inputs.push_back(v);
        maps.push_back(g);
      }
      if (q.tensorScale) {
        inputs.push_back(q.tensorScale);
        maps.push_back(AffineMap::get(rank, 0, {}, ctx));
      }
    }
    Type outElem = resultType.getElementType();
    Value result = parallelGeneric(
        rewriter, loc, resultType, inputs, maps, [&](OpBuilder &b, Location l, ValueRange args) {
          Value scale, zero, st;
          unsigned i = 1;
          if (scheme) {
            scale = args[i++];
            if (q.zeroPoints)
              zero = args[i++];
            if (q.tensorScale)
              st = args[i++];
          }
          return castFloat(b, l, reader->valueF32(b, l, args[0], scale, zero, st), outElem);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// lowbit.cast
//===----------------------------------------------------------------------===//

struct CastLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CastOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    RankedTensorType in = op.getInput().getType();
    RankedTensorType out = op.getResult().getType();
    num::EncodePolicy policy = op.getPolicy();
    std::string error;
    std::optional<Decoder> dec =
        Decoder::get(rewriter, loc, in.getElementType(), false, error);
    if (!dec)
      return op.emitOpError() << error;
    std::optional<Encoder> enc =
        Encoder::get(rewriter, loc, out.getElementType(), policy, error);
    if (!enc)
      return op.emitOpError() << error;
    AffineMap id = AffineMap::getMultiDimIdentityMap(in.getRank(), ctx);
    Value result = parallelGeneric(rewriter, loc, getStorageTensorType(out),
                                   {adaptor.getInput()}, {id},
                                   [&](OpBuilder &b, Location l, ValueRange args) {
                                     return enc->encode(b, l, dec->f64(b, l, args[0]));
                                   });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// lowbit.to_storage
//===----------------------------------------------------------------------===//

/// The converted operand is the storage already.
struct ToStorageLowering : OpConversionPattern<ToStorageOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ToStorageOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getCodes().getType() != op.getStorage().getType())
      return op.emitOpError() << "operand converted to " << adaptor.getCodes().getType()
                              << ", not its storage type";
    rewriter.replaceOp(op, adaptor.getCodes());
    return success();
  }
};

} // namespace

void mlir::lowbit::populateLowbitToLinalgConversionPatterns(TypeConverter &converter,
                                                            RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, DequantizeLowering, CastLowering, ToStorageLowering>(
      converter, patterns.getContext());
  populatePackingLoweringPatterns(converter, patterns);
  populateQuantizeLoweringPatterns(converter, patterns);
  populateMpGemmLoweringPatterns(converter, patterns);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace mlir::lowbit {
namespace {
struct ConvertLowbitToLinalgPass
    : impl::ConvertLowbitToLinalgBase<ConvertLowbitToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    LowbitStorageTypeConverter converter;

    ConversionTarget target(*ctx);
    target.addIllegalDialect<LowbitDialect>();
    // Kernel intrinsics from the backends stay until after bufferization.
    target.addLegalOp<PureIntrinsicOp, PrefetchOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateLowbitToLinalgConversionPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyFullConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::lowbit
