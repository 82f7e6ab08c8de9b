//===- PackingLowering.cpp - lowbit.pack and lowbit.unpack to linalg ------===//
//
// Both ops place codes by a bit layout (lowbit/Layout/BitLayout.h): the
// storage bit of (bit b, element e) is (L(b + e * w) + offset) XOR flip.
// `order lsb_first|msb_first` is the dense layout of one row, applied to
// every row (each row starts on a byte); `layout = #lowbit.layout<bits<...>>`
// is one layout over the whole vector or matrix. Unpacking evaluates L for
// each code bit; packing evaluates the inverse of L for each storage bit.
// The index arithmetic is generated from the layout, the same one the
// constant folder and the reference evaluator use.
//
//===----------------------------------------------------------------------===//

#include "LoweringPatterns.h"

#include "lowbit/Conversion/LowbitCommon/LayoutEvaluation.h"

#include "lowbit/Layout/BitLayout.h"

using namespace mlir;
using namespace mlir::lowbit;
namespace lay = ::lowbit::layout;

namespace {

/// Where the codes of one pack/unpack go.
struct Placement {
  lay::BitLayout bits;
  /// The inverse of L with every negative stride made positive: a mode with
  /// stride d < 0 contributes c * d = (s - 1) * d + (s - 1 - c) * |d|, so
  /// L(i) = shift + P(i') where i' has that coordinate reflected.
  lay::Layout inverse;
  int64_t shift = 0;
  std::vector<std::pair<int64_t, int64_t>> reflected; ///< (extent, elements below)
  int64_t k = 0;      ///< codes per row
  bool perRow = true; ///< `order`: the layout of one row, for every row

  static Placement get(std::optional<BitOrder> order, LayoutAttr layout,
                       RankedTensorType codes) {
    unsigned w = getFormat(codes.getElementType())->bits();
    int64_t k = codes.getShape().back();
    int64_t rows = codes.getRank() == 2 ? codes.getDimSize(0) : 1;
    lay::BitLayout bl = layout ? *layout.getBitLayout(rows, k)
                        : *order == BitOrder::MSBFirst
                            ? *lay::BitLayout::msbFirst(w, lay::IntTuple(k))
                            : lay::BitLayout::lsbFirst(w, lay::IntTuple(k));
    lay::Layout flat = bl.layout().flatten();
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
    return {bl, lay::rightInverse(lay::Layout::fromModes(modes)), shift, reflected, k,
            !layout};
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

  /// Whether storage bit s holds a code bit (not padding): L + offset maps
  /// onto [0, storageBits()), and the flip permutes bits within bytes.
  Value holdsCode(OpBuilder &b, Location l, Value s) const {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
    Value t = s;
    if (bits.flipMask())
      t = arith::XOrIOp::create(b, l, t, c(static_cast<int64_t>(bits.flipMask())));
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, t, c(bits.storageBits()));
  }

  /// (element, bit) stored at storage bit s (one that holds a code bit).
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

  /// Index of element `e` of row `rowIdx` in the codes tensor.
  SmallVector<Value> codesIndex(OpBuilder &b, Location l, ArrayRef<Value> rowIdx, Value e,
                                unsigned codesRank) const {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
    SmallVector<Value> idx(rowIdx.begin(), rowIdx.end());
    if (!perRow && codesRank == 2) {
      idx.push_back(arith::DivUIOp::create(b, l, e, c(k)));
      idx.push_back(arith::RemUIOp::create(b, l, e, c(k)));
    } else {
      idx.push_back(e);
    }
    return idx;
  }
};

/// The layout attribute, or the layout encoding of the packed tensor.
template <class Op> LayoutAttr effectiveLayout(Op op) {
  if (LayoutAttr l = op.getLayoutAttr())
    return l;
  return getLayoutEncoding(op.getPacked().getType());
}


Value codeBits(OpBuilder &b, Location l, Value code) {
  unsigned w = code.getType().getIntOrFloatBitWidth();
  return arith::ExtUIOp::create(b, l, b.getI32Type(),
                                arith::BitcastOp::create(b, l, b.getIntegerType(w), code));
}

struct PackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType bytesType = getStorageTensorType(op.getPacked().getType());
    Placement p = Placement::get(op.getOrder(), effectiveLayout(op), codesType);
    Value codes = adaptor.getCodes();
    Value packed = parallelGeneric(
        rewriter, loc, bytesType, {}, {}, [&](OpBuilder &b, Location l, ValueRange) {
          auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
          SmallVector<Value> idx = loopIndices(b, l, bytesType.getRank());
          Value byteIdx = idx.back();
          idx.pop_back(); // the row, for per-row placements
          Value acc = constI32(b, l, 0);
          for (unsigned j = 0; j < 8; ++j) {
            Value s = arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, byteIdx, c(8)), c(j));
            Value valid = p.holdsCode(b, l, s);
            s = arith::SelectOp::create(b, l, valid, s, c(0)); // padding reads a real bit
            auto [element, bit] = p.source(b, l, s);
            Value code = tensor::ExtractOp::create(
                b, l, codes, p.codesIndex(b, l, idx, element, codesType.getRank()));
            Value one = arith::AndIOp::create(
                b, l,
                arith::ShRUIOp::create(b, l, codeBits(b, l, code),
                                       arith::IndexCastOp::create(b, l, b.getI32Type(), bit)),
                constI32(b, l, 1));
            one = arith::SelectOp::create(b, l, valid, one, constI32(b, l, 0));
            acc = arith::OrIOp::create(b, l, acc,
                                       arith::ShLIOp::create(b, l, one, constI32(b, l, j)));
          }
          return Value(arith::TruncIOp::create(b, l, b.getI8Type(), acc));
        });
    rewriter.replaceOp(op, packed);
    return success();
  }
};

struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(UnpackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType codesType = op.getCodes().getType();
    RankedTensorType outType = getStorageTensorType(codesType);
    Placement p = Placement::get(op.getOrder(), effectiveLayout(op), codesType);
    unsigned rank = codesType.getRank();
    Type storage = outType.getElementType();
    Value bytes = adaptor.getPacked();
    Value codes = parallelGeneric(
        rewriter, loc, outType, {}, {}, [&](OpBuilder &b, Location l, ValueRange) {
          auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
          SmallVector<Value> idx = loopIndices(b, l, rank);
          Value element = idx.back();
          idx.pop_back();
          if (!p.perRow && rank == 2) { // row-major element of the whole matrix
            element = arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, idx[0], c(p.k)),
                                            element);
            idx.clear();
          }
          Value acc = constI32(b, l, 0);
          for (unsigned bit = 0; bit < p.bits.elementBits(); ++bit) {
            Value s = p.storageBit(b, l, element, bit);
            SmallVector<Value> byteIdx(idx);
            byteIdx.push_back(arith::DivUIOp::create(b, l, s, c(8)));
            Value byte = arith::ExtUIOp::create(b, l, b.getI32Type(),
                                                tensor::ExtractOp::create(b, l, bytes, byteIdx));
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
          return out;
        });
    rewriter.replaceOp(op, codes);
    return success();
  }
};

} // namespace

void mlir::lowbit::populatePackingLoweringPatterns(TypeConverter &converter,
                                                   RewritePatternSet &patterns) {
  patterns.add<PackLowering, UnpackLowering>(converter, patterns.getContext());
}
