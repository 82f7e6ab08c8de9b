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
    if (!op.getOrder())
      return failure();
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
    if (!op.getOrder())
      return failure();
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

/// The offset a shape:stride layout gives an index, as index arithmetic:
/// sum_i ((x / prod_{j<i} s_j) mod s_i) * d_i over the flattened modes.
Value emitLayoutEval(OpBuilder &b, Location l, const ::lowbit::layout::Layout &layout,
                     Value x) {
  ::lowbit::layout::Layout flat = layout.flatten();
  std::vector<int64_t> shape = flat.shape().leaves(), stride = flat.stride().leaves();
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
  Value sum = c(0);
  int64_t below = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1 || stride[i] == 0) {
      below *= shape[i];
      continue;
    }
    Value coord = below == 1 ? x : arith::DivUIOp::create(b, l, x, c(below)).getResult();
    if (i + 1 < shape.size())
      coord = arith::RemUIOp::create(b, l, coord, c(shape[i]));
    sum = arith::AddIOp::create(b, l, sum, arith::MulIOp::create(b, l, coord, c(stride[i])));
    below *= shape[i];
  }
  return sum;
}

/// Pack and unpack through a bit layout: the storage bit of (bit b,
/// element e) is (L(b + e * w) + offset) XOR flip; packing gathers each
/// output bit through the inverse layout, unpacking each code bit through
/// L itself. Both come from the same layout the constant folder and the
/// reference evaluator use.
struct LayoutPacking {
  ::lowbit::layout::BitLayout bits;
  /// The inverse of L with every negative stride made positive: a mode
  /// j with stride d < 0 contributes c * d = (s - 1) * d + (s - 1 - c) * |d|,
  /// so L(i) = shift + P(i') where i' has coordinate j reflected.
  ::lowbit::layout::Layout inverse;
  int64_t shift = 0;
  std::vector<std::pair<int64_t, int64_t>> reflected; ///< (extent, elements below)
  int64_t k;

  static LayoutPacking get(LayoutAttr layout, RankedTensorType codes) {
    int64_t rows = codes.getRank() == 2 ? codes.getDimSize(0) : 1;
    int64_t k = codes.getShape().back();
    ::lowbit::layout::BitLayout bl = *layout.getBitLayout(rows, k);
    ::lowbit::layout::Layout flat = bl.layout().flatten();
    std::vector<int64_t> shape = flat.shape().leaves(), stride = flat.stride().leaves();
    std::vector<std::pair<int64_t, int64_t>> modes, reflected;
    int64_t shift = 0, below = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (stride[i] < 0) {
        shift += (shape[i] - 1) * stride[i];
        reflected.push_back({shape[i], below});
      }
      modes.push_back({shape[i], std::abs(stride[i])});
      below *= shape[i];
    }
    auto positive = ::lowbit::layout::Layout::fromModes(modes);
    return {bl, ::lowbit::layout::rightInverse(positive), shift, reflected, k};
  }

  /// Storage bit of (bit, element).
  Value storageBit(OpBuilder &b, Location l, Value element, unsigned bit) const {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
    Value idx = arith::AddIOp::create(
        b, l, arith::MulIOp::create(b, l, element, c(bits.elementBits())), c(bit));
    Value s = arith::AddIOp::create(b, l, emitLayoutEval(b, l, bits.layout(), idx),
                                    c(bits.offset()));
    if (bits.flipMask())
      s = arith::XOrIOp::create(b, l, s, c(static_cast<int64_t>(bits.flipMask())));
    return s;
  }

  /// (element, bit) stored at storage bit s (s < storageBits()).
  std::pair<Value, Value> source(OpBuilder &b, Location l, Value s) const {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
    Value t = s;
    if (bits.flipMask())
      t = arith::XOrIOp::create(b, l, t, c(static_cast<int64_t>(bits.flipMask())));
    t = arith::SubIOp::create(b, l, t, c(bits.offset() + shift));
    Value i = emitLayoutEval(b, l, inverse, t);
    for (auto [extent, below] : reflected) { // undo the reflection of i'
      Value coord = arith::RemUIOp::create(b, l, arith::DivUIOp::create(b, l, i, c(below)),
                                           c(extent));
      Value delta = arith::SubIOp::create(b, l, c(extent - 1),
                                          arith::MulIOp::create(b, l, coord, c(2)));
      i = arith::AddIOp::create(b, l, i, arith::MulIOp::create(b, l, delta, c(below)));
    }
    return {arith::DivUIOp::create(b, l, i, c(bits.elementBits())),
            arith::RemUIOp::create(b, l, i, c(bits.elementBits()))};
  }
};

struct LayoutPackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!op.getLayoutAttr())
      return failure();
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType bytesType = op.getPacked().getType();
    LayoutPacking lp = LayoutPacking::get(op.getLayoutAttr(), codesType);
    Value codes = adaptor.getCodes();
    bool matrix = codesType.getRank() == 2;
    AffineMap id = AffineMap::getMultiDimIdentityMap(1, op.getContext());
    Value init = emptyLike(rewriter, loc, bytesType.getShape(), rewriter.getI8Type());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bytesType}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{id}, {utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
          Value byteIdx = linalg::IndexOp::create(b, l, 0);
          Value acc = constI32(b, l, 0);
          for (unsigned j = 0; j < 8; ++j) {
            Value s = arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, byteIdx, c(8)), c(j));
            Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, s,
                                                c(lp.bits.storageBits()));
            s = arith::SelectOp::create(b, l, valid, s, c(0));
            auto [element, bit] = lp.source(b, l, s);
            SmallVector<Value> idx;
            if (matrix) {
              idx.push_back(arith::DivUIOp::create(b, l, element, c(lp.k)));
              idx.push_back(arith::RemUIOp::create(b, l, element, c(lp.k)));
            } else {
              idx.push_back(element);
            }
            Value code = tensor::ExtractOp::create(b, l, codes, idx);
            unsigned w = code.getType().getIntOrFloatBitWidth();
            Value c32 = arith::ExtUIOp::create(
                b, l, b.getI32Type(),
                arith::BitcastOp::create(b, l, b.getIntegerType(w), code));
            Value one = arith::AndIOp::create(
                b, l,
                arith::ShRUIOp::create(b, l, c32,
                                       arith::IndexCastOp::create(b, l, b.getI32Type(), bit)),
                constI32(b, l, 1));
            one = arith::SelectOp::create(b, l, valid, one, constI32(b, l, 0));
            acc = arith::OrIOp::create(b, l, acc,
                                       arith::ShLIOp::create(b, l, one, constI32(b, l, j)));
          }
          linalg::YieldOp::create(b, l, Value(arith::TruncIOp::create(b, l, b.getI8Type(), acc)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct LayoutUnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(UnpackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!op.getLayoutAttr())
      return failure();
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType outType = storageTensor(codesType);
    LayoutPacking lp = LayoutPacking::get(op.getLayoutAttr(), codesType);
    unsigned rank = codesType.getRank();
    Type storage = outType.getElementType();
    Value bytes = adaptor.getPacked();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, op.getContext());
    Value init = emptyLike(rewriter, loc, codesType.getShape(), storage);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
          Value element = linalg::IndexOp::create(b, l, rank - 1);
          if (rank == 2)
            element = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 0), c(lp.k)),
                element);
          Value acc = constI32(b, l, 0);
          for (unsigned bit = 0; bit < lp.bits.elementBits(); ++bit) {
            Value s = lp.storageBit(b, l, element, bit);
            Value byte = arith::ExtUIOp::create(
                b, l, b.getI32Type(),
                tensor::ExtractOp::create(b, l, bytes,
                                          ValueRange{arith::DivUIOp::create(b, l, s, c(8))}));
            Value pos = arith::IndexCastOp::create(b, l, b.getI32Type(),
                                                   arith::RemUIOp::create(b, l, s, c(8)));
            Value one = arith::AndIOp::create(b, l, arith::ShRUIOp::create(b, l, byte, pos),
                                              constI32(b, l, 1));
            acc = arith::OrIOp::create(b, l, acc,
                                       arith::ShLIOp::create(b, l, one, constI32(b, l, bit)));
          }
          Value out = toStorageInt(b, l, acc, b.getIntegerType(storage.getIntOrFloatBitWidth()));
          if (isa<FloatType>(storage))
            out = arith::BitcastOp::create(b, l, storage, out);
          linalg::YieldOp::create(b, l, out);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::lowbit::populatePackingLoweringPatterns(TypeConverter &converter,
                                                   RewritePatternSet &patterns) {
  patterns.add<PackLowering, UnpackLowering, LayoutPackLowering, LayoutUnpackLowering>(
      converter, patterns.getContext());
}
