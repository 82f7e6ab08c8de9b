//===- PackingLowering.cpp - lowbit.pack and lowbit.unpack to linalg ------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {
//===----------------------------------------------------------------------===//
// lowbit.pack / lowbit.unpack
//===----------------------------------------------------------------------===//

/// Stream bit p of a row is bit p % 8 of byte p / 8 (LSB first) or bit
/// 7 - p % 8 (MSB first); code i occupies stream bits [i*b, (i+1)*b), its
/// bit 0 first (LSB first) or its top bit first (MSB first), as
/// lowbit/Numerics/Packing.h. Pack iterates over output bytes and gathers
/// their bits; unpack over codes and gathers theirs.
struct PackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType bytesType = op.getPacked().getType();
    unsigned bits = getFormat(codesType.getElementType())->bits();
    bool msb = op.getOrder() == BitOrder::MSBFirst;
    int64_t k = codesType.getShape().back();
    unsigned rank = codesType.getRank();
    MLIRContext *ctx = op.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value codes = adaptor.getCodes();
    Value init = emptyLike(rewriter, loc, bytesType.getShape(), rewriter.getI8Type());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bytesType}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> idx;
          for (unsigned d = 0; d < rank; ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          Value byteIdx = idx.back();
          Value acc = constI32(b, l, 0);
          for (unsigned j = 0; j < 8; ++j) {
            // Global bit number of bit j of this byte, as LSB-first.
            Value gbit = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, byteIdx, arith::ConstantIndexOp::create(b, l, 8)),
                arith::ConstantIndexOp::create(b, l, j));
            Value code = arith::DivUIOp::create(b, l, gbit, arith::ConstantIndexOp::create(b, l, bits));
            Value cbit = arith::RemUIOp::create(b, l, gbit, arith::ConstantIndexOp::create(b, l, bits));
            if (msb) // MSB first: each code is written from its top bit down
              cbit = arith::SubIOp::create(b, l, arith::ConstantIndexOp::create(b, l, bits - 1), cbit);
            Value inRange = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, code,
                                                  arith::ConstantIndexOp::create(b, l, k));
            Value safe = arith::SelectOp::create(b, l, inRange, code,
                                                 arith::ConstantIndexOp::create(b, l, 0));
            idx.back() = safe;
            Value c = tensor::ExtractOp::create(b, l, codes, idx);
            Value c32 = arith::ExtUIOp::create(b, l, b.getI32Type(),
                                               arith::BitcastOp::create(b, l, b.getIntegerType(c.getType().getIntOrFloatBitWidth()), c));
            Value sh = arith::IndexCastOp::create(b, l, b.getI32Type(), cbit);
            Value bit = arith::AndIOp::create(b, l, arith::ShRUIOp::create(b, l, c32, sh),
                                              constI32(b, l, 1));
            bit = arith::SelectOp::create(b, l, inRange, bit, constI32(b, l, 0));
            unsigned pos = msb ? 7 - j : j;
            acc = arith::OrIOp::create(b, l, acc,
                                       arith::ShLIOp::create(b, l, bit, constI32(b, l, pos)));
          }
          linalg::YieldOp::create(b, l, Value(arith::TruncIOp::create(b, l, b.getI8Type(), acc)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(UnpackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType outType = storageTensor(codesType);
    unsigned bits = getFormat(codesType.getElementType())->bits();
    bool msb = op.getOrder() == BitOrder::MSBFirst;
    unsigned rank = codesType.getRank();
    MLIRContext *ctx = op.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value bytes = adaptor.getPacked();
    Type storage = outType.getElementType();
    Value init = emptyLike(rewriter, loc, codesType.getShape(), storage);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> idx;
          for (unsigned d = 0; d < rank; ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          Value codeIdx = idx.back();
          Value acc = constI32(b, l, 0);
          for (unsigned j = 0; j < bits; ++j) {
            Value gbit = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, codeIdx, arith::ConstantIndexOp::create(b, l, bits)),
                arith::ConstantIndexOp::create(b, l, msb ? bits - 1 - j : j));
            idx.back() = arith::DivUIOp::create(b, l, gbit, arith::ConstantIndexOp::create(b, l, 8));
            Value pos = arith::RemUIOp::create(b, l, gbit, arith::ConstantIndexOp::create(b, l, 8));
            if (msb)
              pos = arith::SubIOp::create(b, l, arith::ConstantIndexOp::create(b, l, 7), pos);
            Value byte = arith::ExtUIOp::create(b, l, b.getI32Type(),
                                                tensor::ExtractOp::create(b, l, bytes, idx));
            Value bit = arith::AndIOp::create(
                b, l,
                arith::ShRUIOp::create(b, l, byte,
                                       arith::IndexCastOp::create(b, l, b.getI32Type(), pos)),
                constI32(b, l, 1));
            acc = arith::OrIOp::create(b, l, acc,
                                       arith::ShLIOp::create(b, l, bit, constI32(b, l, j)));
          }
          Value bitsOut = toStorageInt(b, l, acc, b.getIntegerType(storage.getIntOrFloatBitWidth()));
          if (isa<FloatType>(storage))
            bitsOut = arith::BitcastOp::create(b, l, storage, bitsOut);
          linalg::YieldOp::create(b, l, bitsOut);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::lowbit::populatePackingLoweringPatterns(TypeConverter &converter,
                                                   RewritePatternSet &patterns) {
  patterns.add<PackLowering, UnpackLowering>(converter, patterns.getContext());
}
