//===- MpGemmToX86.cpp - lowbit.mpgemm to x86 byte-dot kernels ------------===//
//
// C = A x B^T with float activations A (M x K) and constant low-bit weights
// B (N x K, or K x N without transpose_b), as generated vector code:
//
// 1. Weights are repacked at compile time into the kernel layout
//    (WeightPacking.h): one unsigned byte operand per weight (WeightCodes.h),
//    in slots of 1, 2, 4 or 8 bits. Scales and zero points become f32
//    tables per (16-row tile, scale group, row), with the codes' affine map
//    folded in: dequant(n, k) = sw[n, g] * (operand(n, k) - zb[n, g]).
// 2. At run time each activation row is quantized to int8 per block of kb
//    k (symmetric, scale amax / 127, round to nearest even), with the sum of
//    each block's int8 values.
// 3. The kernel walks tiles of 16 output rows; for a block of kb k it sums
//    operand x int8 exactly in int32 lanes (vpdpbusd with AVX-512 VNNI;
//    vpmaddubsw + vpmaddwd on AVX-512BW or AVX2), then adds
//    sw * sa * (sum - zb * blocksum) to f32 accumulators.
//
// The only approximation is the int8 quantization of activations: each
// activation moves by at most sa / 2 = amax(block) / 254, so an output moves
// by at most sum over blocks of amax / 254 * sum |dequant weight| (plus f32
// rounding of the epilogue); docs/cpu-kernels.md derives it and the tests
// check it element by element.
//
//===----------------------------------------------------------------------===//

#include "KernelPlan.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"

#include "lowbit/Conversion/LowbitCommon/LoweringHelpers.h"

#include "lowbit/Conversion/LowbitToX86/WeightCodes.h"
#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"
#include "lowbit/Numerics/Codec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"


#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;
namespace x86 = ::lowbit::x86;
using ::lowbit::target::CPUFeature;

using namespace mlir::lowbit::x86kernel;

namespace {

//===----------------------------------------------------------------------===//
// Code generation
//===----------------------------------------------------------------------===//

struct Emitter {
  OpBuilder &b;
  Location loc;
  const KernelPlan &p;
  /// M as an index value (read from A where it is dynamic), and the sizes
  /// of the dynamic dimensions of M-row tensors: {M} or none.
  Value m;
  SmallVector<Value> dynamicM;

  /// Run-time operands as their storage (lowbit.to_storage): the weights
  /// (N x K, one code per byte), B's scale grid, zero points and NVFP4's
  /// tensor scale; null where the plan reads compile-time data.
  Value bStorage, scaleStorage, zeroStorage, tensorScale;
  Type scaleType, zeroType;
  SmallVector<int64_t> scaleGridShape, scaleExtents;

  Emitter(OpBuilder &b, Location loc, const KernelPlan &p, Value a) : b(b), loc(loc), p(p) {
    dynamicM = dynamicSizesOf(b, loc, {p.m}, a);
    m = dynamicM.empty() ? idx(p.m) : dynamicM[0];
  }

  Value storageOf(Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    RankedTensorType st = getStorageTensorType(t);
    return st == t ? v : ToStorageOp::create(b, loc, st, v).getResult();
  }

  /// The run-time operands of `op` the plan reads.
  void bindRuntimeOperands(MpGemmOp op) {
    if (p.runtimePacked)
      bStorage = storageOf(op.getB().getDefiningOp<UnpackOp>().getPacked());
    else if (p.runtimeWeights)
      bStorage = storageOf(op.getB());
    if (!p.runtimeScales)
      return;
    SchemeAttr scheme = op.getBSchemeAttr();
    QuantizedOperand q = QuantizedOperand::get(op.getB(), op.getBParams(), scheme);
    ArrayRef<int64_t> shape = op.getB().getType().getShape();
    scaleGridShape = scheme.getScaleShape(shape);
    scaleExtents = scheme.getGroupExtents(shape);
    scaleType = scheme.getScaleType();
    scaleStorage = storageOf(q.scales);
    if (q.zeroPoints) {
      zeroType = scheme.getZeroType();
      zeroStorage = storageOf(q.zeroPoints);
    }
    if (q.tensorScale)
      tensorScale = q.tensorScale;
  }

  /// Element `indices` of a run-time scale or zero-point tensor (storage
  /// form) as f32: floats extended, codes of at most 8 bits looked up in a
  /// table of their exact values (NaN codes give NaN).
  Value readF32(Value storage, Type elementType, ValueRange indices) {
    Value v = tensor::ExtractOp::create(b, loc, storage, indices);
    if (elementType.isF32())
      return v;
    if (elementType.isF16() || elementType.isBF16())
      return arith::ExtFOp::create(b, loc, f32(), v);
    num::Format f = *getFormat(elementType);
    SmallVector<float> values(size_t(1) << f.bits());
    for (size_t c = 0; c < values.size(); ++c)
      values[c] = static_cast<float>(num::decode(f, c));
    Value table = constantTensor({static_cast<int64_t>(values.size())}, values);
    Value code = arith::AndIOp::create(
        b, loc, v,
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(v.getType(), values.size() - 1)));
    Value index = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), code);
    return tensor::ExtractOp::create(b, loc, table, ValueRange{index});
  }

  /// sw and zb of 16 weight rows (clamped to N - 1) in scale group `g`,
  /// read at run time: dequant = sw * (operand - zb).
  std::pair<Value, Value> runtimeScaleVectors(ArrayRef<Value> rows, Value g) {
    SmallVector<Value> sv, zv;
    for (Value r : rows) {
      Value i0 = scaleGridShape[0] == 1 ? idx(0) : divu(r, scaleExtents[0]);
      Value i1 = p.numGroups == 1 ? idx(0) : g;
      sv.push_back(readF32(scaleStorage, scaleType, {i0, i1}));
      if (zeroStorage)
        zv.push_back(readF32(zeroStorage, zeroType, {i0, i1}));
    }
    VectorType rowVec = vec(x86::kTileRows, f32());
    Value sw = vector::FromElementsOp::create(b, loc, rowVec, sv);
    float factor = static_cast<float>(p.codes.alpha * p.mxFactor);
    if (factor != 1)
      sw = arith::MulFOp::create(b, loc, sw, splatF32(x86::kTileRows, factor));
    if (tensorScale) {
      Value st = tensor::ExtractOp::create(b, loc, tensorScale, ValueRange{});
      sw = arith::MulFOp::create(b, loc, sw, vector::BroadcastOp::create(b, loc, rowVec, st));
    }
    Value zb = splatF32(x86::kTileRows, p.zb[0]);
    if (zeroStorage) {
      Value z = vector::FromElementsOp::create(b, loc, rowVec, zv);
      zb = arith::DivFOp::create(
          b, loc,
          arith::SubFOp::create(b, loc, z,
                                splatF32(x86::kTileRows, static_cast<float>(p.codes.beta))),
          splatF32(x86::kTileRows, static_cast<float>(p.codes.alpha)));
    }
    return {sw, zb};
  }

  /// Where row r's bytes of block `blk` start (plus `ahead` bytes) in the
  /// run-time weight storage: [r, col] or, for 1-D packed bytes, [offset].
  SmallVector<Value> rowIndex(Value r, Value blk, int64_t ahead) {
    Value col = addc(mulc(blk, p.rowBytesPerBlock), ahead);
    if (!p.packedFlat)
      return {r, col};
    return {add(mulc(r, p.rowBytesPerBlock * p.numBlocks), col)};
  }

  /// Prefetches for run-time weights, one block's share. Consecutive rows
  /// (N a multiple of 16): a tile's rows are one contiguous region, read a
  /// slice of every row per block, so each block prefetches its share of
  /// the next tile's region (16 * bytes per block, line by line), which is
  /// in cache when that tile starts; 16 separate row streams were too many
  /// for the hardware prefetchers (cold weights took 2x the time of the
  /// compile-time layout). Clamped rows: each row's line a 16th of the
  /// prefetch distance ahead.
  void prefetchRuntimeWeights(ArrayRef<Value> bRows, Value nt, Value blk) {
    int64_t rowBytes = p.rowBytesPerBlock * p.numBlocks;
    if (p.shape.n % x86::kTileRows != 0) {
      for (Value r : bRows)
        PrefetchOp::create(b, loc, bStorage,
                           rowIndex(r, blk, std::max<int64_t>(64, p.prefetchDistance / 16)));
      return;
    }
    int64_t share = x86::kTileRows * p.rowBytesPerBlock; // bytes per block
    Value next = mulc(addc(nt, 1), x86::kTileRows * rowBytes);
    for (int64_t line = 0; line < share; line += 64) {
      Value at = add(next, addc(mulc(blk, share), line));
      if (p.packedFlat) {
        PrefetchOp::create(b, loc, bStorage, ValueRange{at});
        continue;
      }
      PrefetchOp::create(b, loc, bStorage,
                         ValueRange{divu(at, rowBytes),
                                    arith::RemUIOp::create(b, loc, at, idx(rowBytes))});
    }
  }

  /// Run-time weights: the kb / 4 vectors of one block (16 rows x 4 k
  /// each) from 16 row reads of kb bytes, transposed in registers by
  /// log2(16) interleaving shuffles (16 x kb/4 words to kb/4 x 16), each
  /// code masked to its bits and xor-ed into its operand.
  SmallVector<Value> runtimeBlockVectors(ArrayRef<Value> rows, Value blk) {
    int64_t words = p.rowBytesPerBlock / 4;
    SmallVector<Value> t;
    for (Value r : rows) {
      Value bytes = read(vec(p.rowBytesPerBlock, i8()), bStorage, rowIndex(r, blk, 0));
      t.push_back(vector::BitCastOp::create(b, loc, vec(words, i32()), bytes));
    }
    // Rows concatenated into vectors of 16 words (16 / words rows each:
    // vinserti32x4), then log2(words) levels of two-source permutes
    // (vpermt2d), each pairing two vectors of the same words and adjacent
    // rows into two of twice the rows and half the words; a vector of
    // rows [r0, r0 + nr) x words [w0, w0 + nw) holds (r, w) at
    // (r - r0) * nw + (w - w0). A generic shuffle tree over the rows cost
    // twice the time of the whole kernel at M = 8.
    struct Piece {
      int64_t row, word, rows, words;
      Value v;
    };
    SmallVector<Piece> pieces;
    for (int64_t r = 0; r < x86::kTileRows; ++r)
      pieces.push_back({r, 0, 1, words, t[r]});
    while (pieces.front().rows * pieces.front().words < x86::kTileRows) {
      SmallVector<Piece> next;
      for (size_t i = 0; i < pieces.size(); i += 2) {
        int64_t n = pieces[i].rows * words;
        SmallVector<int64_t> mask(2 * n);
        for (int64_t q = 0; q < 2 * n; ++q)
          mask[q] = q;
        next.push_back({pieces[i].row, 0, 2 * pieces[i].rows, words,
                        vector::ShuffleOp::create(b, loc, pieces[i].v, pieces[i + 1].v, mask)});
      }
      pieces = std::move(next);
    }
    while (pieces.front().words > 1) {
      SmallVector<Piece> next;
      // Pieces are ordered by word range, then row range: pairs are
      // neighbours.
      for (size_t i = 0; i < pieces.size(); i += 2) {
        const Piece &x = pieces[i], &y = pieces[i + 1];
        int64_t nr = x.rows, nw = x.words;
        for (int64_t half = 0; half < 2; ++half) {
          SmallVector<int64_t> mask(x86::kTileRows);
          for (int64_t q = 0; q < x86::kTileRows; ++q) {
            int64_t r = q / (nw / 2), w = q % (nw / 2) + half * (nw / 2);
            mask[q] = r < nr ? r * nw + w : x86::kTileRows + (r - nr) * nw + w;
          }
          next.push_back({x.row, x.word + half * (nw / 2), 2 * nr, nw / 2,
                          vector::ShuffleOp::create(b, loc, x.v, y.v, mask)});
        }
      }
      llvm::stable_sort(next, [](const Piece &l, const Piece &r) {
        return std::make_pair(l.word, l.row) < std::make_pair(r.word, r.row);
      });
      pieces = std::move(next);
    }
    // pieces[w]: word w of the 16 rows.
    t.clear();
    for (const Piece &piece : pieces)
      t.push_back(piece.v);
    SmallVector<Value> out;
    for (int64_t w = 0; w < words; ++w) {
      Value u = vector::BitCastOp::create(b, loc, vec(64, i8()), t[w]);
      if (p.codeMask != 0xff)
        u = arith::AndIOp::create(b, loc, u, splatI8(64, static_cast<int8_t>(p.codeMask)));
      if (p.codeXor)
        u = arith::XOrIOp::create(b, loc, u, splatI8(64, static_cast<int8_t>(p.codeXor)));
      out.push_back(u);
    }
    return out;
  }
  /// An empty tensor of M rows.
  Value emptyRows(ArrayRef<int64_t> trailing, Type t) {
    SmallVector<int64_t> shape{p.m};
    llvm::append_range(shape, trailing);
    return emptyLike(b, loc, shape, t, dynamicM);
  }
  OpFoldResult mSize() {
    return ShapedType::isDynamic(p.m) ? OpFoldResult(m) : OpFoldResult(b.getIndexAttr(p.m));
  }

  Type i8() { return b.getI8Type(); }
  Type i16() { return b.getI16Type(); }
  Type i32() { return b.getI32Type(); }
  Type f32() { return b.getF32Type(); }
  VectorType vec(int64_t n, Type t) { return VectorType::get({n}, t); }

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value splat(VectorType t, Attribute scalar) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, scalar));
  }
  Value splatI8(int64_t n, int8_t v) { return splat(vec(n, i8()), b.getI8IntegerAttr(v)); }
  Value splatF32(int64_t n, float v) { return splat(vec(n, f32()), b.getF32FloatAttr(v)); }
  Value zeroI32(int64_t n) { return splat(vec(n, i32()), b.getI32IntegerAttr(0)); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value divu(Value x, int64_t y) { return arith::DivUIOp::create(b, loc, x, idx(y)); }
  Value mulc(Value x, int64_t y) { return y == 1 ? x : mul(x, idx(y)); }
  Value addc(Value x, int64_t y) { return y == 0 ? x : add(x, idx(y)); }

  Value read(VectorType t, Value tensor, ValueRange indices) {
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(t.getElementType()));
    return vector::TransferReadOp::create(b, loc, t, tensor, indices, pad, ArrayRef<bool>{true});
  }
  Value write(Value v, Value tensor, ValueRange indices) {
    return vector::TransferWriteOp::create(b, loc, v, tensor, indices, ArrayRef<bool>{true})
        .getResult();
  }
  Value intrinsic(StringRef name, Type result, ValueRange args) {
    return PureIntrinsicOp::create(b, loc, result, b.getStringAttr(name), args);
  }
  Value half(Value v, int64_t which) {
    int64_t n = cast<VectorType>(v.getType()).getNumElements() / 2;
    return vector::ExtractStridedSliceOp::create(b, loc, v, ArrayRef<int64_t>{which * n},
                                                 ArrayRef<int64_t>{n}, ArrayRef<int64_t>{1});
  }
  Value concat(Value lo, Value hi) {
    int64_t n = cast<VectorType>(lo.getType()).getNumElements();
    SmallVector<int64_t> mask(2 * n);
    for (int64_t i = 0; i < 2 * n; ++i)
      mask[i] = i;
    return vector::ShuffleOp::create(b, loc, lo, hi, mask);
  }

  /// Bytes looked up in a 16-entry table (replicated per 128-bit lane).
  Value shuffleBytes(Value table, Value indices) {
    // A table of more than 16 entries: vpermb over the whole 64 bytes.
    if (p.codes.table.size() > 16)
      return intrinsic("llvm.x86.avx512.permvar.qi.512", vec(64, i8()), {table, indices});
    if (p.isa == DotISA::AVX2)
      return concat(intrinsic("llvm.x86.avx2.pshuf.b", vec(32, i8()),
                              {half(table, 0), half(indices, 0)}),
                    intrinsic("llvm.x86.avx2.pshuf.b", vec(32, i8()),
                              {half(table, 1), half(indices, 1)}));
    return intrinsic("llvm.x86.avx512.pshuf.b.512", vec(64, i8()), {table, indices});
  }

  /// acc (16 x i32) + the sums of 4 products operand (u8) x activation (s8).
  Value dot(Value acc, Value operands, Value activations) {
    switch (p.isa) {
    case DotISA::VNNI512:
      return intrinsic("llvm.x86.avx512.vpdpbusd.512", vec(16, i32()),
                       {acc, operands, activations});
    case DotISA::BW512: {
      Value pairs = intrinsic("llvm.x86.avx512.pmaddubs.w.512", vec(32, i16()),
                              {operands, activations});
      Value ones = splat(vec(32, i16()), b.getI16IntegerAttr(1));
      return add(acc, intrinsic("llvm.x86.avx512.pmaddw.d.512", vec(16, i32()), {pairs, ones}));
    }
    case DotISA::AVX2: {
      Value ones = splat(vec(16, i16()), b.getI16IntegerAttr(1));
      Value quads[2];
      for (int h = 0; h < 2; ++h) {
        Value pairs = intrinsic("llvm.x86.avx2.pmadd.ub.sw", vec(16, i16()),
                                {half(operands, h), half(activations, h)});
        quads[h] = intrinsic("llvm.x86.avx2.pmadd.wd", vec(8, i32()), {pairs, ones});
      }
      return add(acc, concat(quads[0], quads[1]));
    }
    }
    llvm_unreachable("DotISA");
  }

  /// A, padded with zeros to the kernel's k.
  Value paddedActivations(Value a) {
    auto t = cast<RankedTensorType>(a.getType());
    if (t.getDimSize(1) == p.shape.cols)
      return a;
    auto padded = RankedTensorType::get({p.m, p.shape.cols}, t.getElementType());
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(t.getElementType()));
    return tensor::createPadHighOp(padded, a, zero, /*nofold=*/false, loc, b, dynamicM);
  }

  /// Activations as the kernel reads them.
  struct Activations {
    Value words;  ///< M x cols/4 i32: the int8 values, 4 k per word
    Value scales; ///< M x blocks f32: each block's scale (float activations)
    Value sums;   ///< M x blocks f32: each block's sum of int8 values
    Value totals; ///< M i32: each row's sum of int8 values (i32 accumulation)
    Value rowScale; ///< M f32: the bf16 kernel's 2^e per row, undone on the result
  };

  /// The bf16 kernel's activations: each row scaled by a power of two that
  /// brings its amax into [1, 2) (exact; the exponent clamped so that both
  /// it and its inverse are normal f32), rounded to bf16 (to nearest even)
  /// and stored as words of 2 k, with each block's sum of the stored values
  /// in f32. Why the scaling: vdpbf16ps flushes subnormal inputs, products
  /// and sums to zero, and with the row's amax near 1 what it can flush is
  /// far below the error bound (docs/cpu-kernels.md). A row with a NaN or
  /// an infinity (exponent 255) is not scaled: its results are NaN or
  /// infinite whatever the scale.
  Activations activationsBF16(Value a) {
    int64_t kb = p.kb, cols = p.shape.cols;
    Type aElem = cast<RankedTensorType>(a.getType()).getElementType();
    Type bf16 = b.getBF16Type();
    auto rowFloats = [&](Value row, Value blk) {
      Value v = read(vec(kb, aElem), a, {row, mulc(blk, kb)});
      if (!aElem.isF32())
        v = arith::ExtFOp::create(b, loc, vec(kb, f32()), v);
      return v;
    };
    auto i32c = [&](int32_t v) {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v)).getResult();
    };
    SmallVector<Value> state{emptyRows({cols / 2}, i32()), emptyRows({p.numBlocks}, f32()),
                             emptyRows({}, f32())};
    auto rows = scf::ForOp::create(
        b, loc, idx(0), m, idx(1), state,
        [&](OpBuilder &, Location, Value row, ValueRange rowState) {
          Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
          auto amaxLoop = scf::ForOp::create(
              b, loc, idx(0), idx(p.numBlocks), idx(1), ValueRange{zero},
              [&](OpBuilder &, Location, Value blk, ValueRange st) {
                Value bm = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                                       math::AbsFOp::create(b, loc, rowFloats(row, blk)));
                scf::YieldOp::create(b, loc,
                                     ValueRange{arith::MaximumFOp::create(b, loc, st[0], bm)});
              });
          Value amax = amaxLoop.getResult(0);
          Value e = arith::AndIOp::create(
              b, loc, arith::ShRUIOp::create(b, loc, arith::BitcastOp::create(b, loc, i32(), amax),
                                             i32c(23)),
              i32c(0xff));
          Value ec = arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, e, i32c(2)),
                                            i32c(253));
          Value special = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, i32c(255));
          Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1));
          auto pow2 = [&](Value biased) { // 2^(biased - 127)
            Value f = arith::BitcastOp::create(b, loc, f32(),
                                               arith::ShLIOp::create(b, loc, biased, i32c(23)));
            return arith::SelectOp::create(b, loc, special, one, f).getResult();
          };
          Value scale = pow2(arith::SubIOp::create(b, loc, i32c(254), ec));
          Value inverse = pow2(ec);
          auto blocks = scf::ForOp::create(
              b, loc, idx(0), idx(p.numBlocks), idx(1), ValueRange{rowState[0], rowState[1]},
              [&](OpBuilder &, Location, Value blk, ValueRange st) {
                Value v = arith::MulFOp::create(
                    b, loc, rowFloats(row, blk),
                    vector::BroadcastOp::create(b, loc, vec(kb, f32()), scale));
                Value h = arith::TruncFOp::create(b, loc, vec(kb, bf16), v);
                Value sum = vector::ReductionOp::create(
                    b, loc, vector::CombiningKind::ADD,
                    arith::ExtFOp::create(b, loc, vec(kb, f32()), h));
                Value w = vector::BitCastOp::create(b, loc, vec(kb / 2, i32()), h);
                scf::YieldOp::create(
                    b, loc,
                    ValueRange{write(w, st[0], {row, mulc(blk, kb / 2)}),
                               tensor::InsertOp::create(b, loc, sum, st[1], ValueRange{row, blk})});
              });
          scf::YieldOp::create(
              b, loc,
              ValueRange{blocks.getResult(0), blocks.getResult(1),
                         tensor::InsertOp::create(b, loc, inverse, rowState[2], ValueRange{row})});
        });
    Activations r;
    r.words = rows.getResult(0);
    r.sums = rows.getResult(1);
    r.rowScale = rows.getResult(2);
    return r;
  }

  /// A byte per code looked up in a table of up to 256 entries: vpermb for
  /// 64, vpermi2b for 128, two of them and a select on the index's top bit
  /// for 256.
  Value lookupBytes(ArrayRef<uint8_t> table, Value indices) {
    auto tableVector = [&](size_t from) {
      SmallVector<int8_t> t(64, 0);
      for (size_t i = 0; i < 64 && from + i < table.size(); ++i)
        t[i] = static_cast<int8_t>(table[from + i]);
      return arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(vec(64, i8()), ArrayRef<int8_t>(t)))
          .getResult();
    };
    if (table.size() <= 64)
      return intrinsic("llvm.x86.avx512.permvar.qi.512", vec(64, i8()),
                       {tableVector(0), indices});
    Value low = intrinsic("llvm.x86.avx512.vpermi2var.qi.512", vec(64, i8()),
                          {tableVector(0), indices, tableVector(64)});
    if (table.size() <= 128)
      return low;
    Value high = intrinsic("llvm.x86.avx512.vpermi2var.qi.512", vec(64, i8()),
                           {tableVector(128), indices, tableVector(192)});
    Value top = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, indices, splatI8(64, 0));
    return arith::SelectOp::create(b, loc, top, high, low);
  }

  /// The bf16 values of 64 codes (KernelShape::pairedLanes order) as the
  /// two vectors vdpbf16ps takes: lane i = row i's (k0, k1), then (k2, k3).
  std::pair<Value, Value> decodeBF16Pairs(Value codes, bool pairedLanes) {
    const x86::BF16WeightCodes &c = p.bf16Codes;
    size_t entries = c.signMagnitude ? c.bf16.size() / 2 : c.bf16.size();
    SmallVector<uint8_t> lowTable(entries), highTable(entries);
    for (size_t i = 0; i < entries; ++i) {
      lowTable[i] = static_cast<uint8_t>(c.bf16[i] & 0xff);
      highTable[i] = static_cast<uint8_t>(c.bf16[i] >> 8);
    }
    Value low = lookupBytes(lowTable, codes), high = lookupBytes(highTable, codes);
    if (c.signMagnitude) // the 128 magnitudes' bf16, the code's sign bit or-ed in
      high = arith::OrIOp::create(
          b, loc, high,
          arith::AndIOp::create(b, loc, codes, splatI8(64, static_cast<int8_t>(0x80))));
    // Paired lanes: vpunpcklbw / vpunpckhbw, per 128-bit lane bytes 0-7
    // (8-15) of low and high interleaved into words. Natural order (lane i
    // = bytes 4i..4i+3, run-time weights): a two-source byte permute
    // (vpermt2b) per half, word 2i + t of half h from byte 4i + 2h + t.
    auto interleave = [&](int64_t half) {
      SmallVector<int64_t> mask(64);
      for (int64_t r = 0; r < 64; ++r)
        mask[r] = (r % 2 ? 64 : 0) + (pairedLanes ? 16 * (r / 16) + 8 * half + (r % 16) / 2
                                                  : 4 * (r / 4) + 2 * half + (r / 2) % 2);
      Value bytes = vector::ShuffleOp::create(b, loc, low, high, mask);
      return vector::BitCastOp::create(b, loc, vec(32, b.getBF16Type()), bytes).getResult();
    };
    return {interleave(0), interleave(1)};
  }

  /// Float activations quantized per block (int8 values, block scales and
  /// block sums), or int8 activations taken as they are.
  Activations activations(Value a) {
    int64_t kb = p.kb, cols = p.shape.cols;
    Type aElem = cast<RankedTensorType>(a.getType()).getElementType();
    SmallVector<Value> state{emptyRows({cols / 4}, i32()), emptyRows({p.numBlocks}, f32())};
    if (!p.intActivations)
      state.push_back(emptyRows({p.numBlocks}, f32()));
    if (p.intResult)
      state.push_back(emptyRows({}, i32()));
    auto rows = scf::ForOp::create(
        b, loc, idx(0), m, idx(1), state,
        [&](OpBuilder &, Location, Value row, ValueRange rowState) {
          SmallVector<Value> blockState(rowState.begin(), rowState.end());
          if (p.intResult) // the row total, carried over the blocks
            blockState.back() = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
          auto blocks = scf::ForOp::create(
              b, loc, idx(0), idx(p.numBlocks), idx(1), blockState,
              [&](OpBuilder &, Location, Value blk, ValueRange st) {
                Value q8, sum;
                SmallVector<Value> next;
                if (p.intActivations) {
                  q8 = read(vec(kb, i8()), a, {row, mulc(blk, kb)});
                  sum = vector::ReductionOp::create(
                      b, loc, vector::CombiningKind::ADD,
                      arith::ExtSIOp::create(b, loc, vec(kb, i32()), q8));
                } else {
                  auto [q, s, scale] = quantizeBlock(read(vec(kb, aElem), a, {row, mulc(blk, kb)}));
                  q8 = q;
                  sum = s;
                  next.push_back(Value()); // words, below
                  next.push_back(tensor::InsertOp::create(b, loc, scale, st[1], ValueRange{row, blk}));
                }
                q8 = slotOrder(q8);
                Value w = vector::BitCastOp::create(b, loc, vec(kb / 4, i32()), q8);
                Value nw = write(w, st[0], {row, mulc(blk, kb / 4)});
                Value sumF = arith::SIToFPOp::create(b, loc, f32(), sum);
                if (p.intActivations) {
                  next = {nw, tensor::InsertOp::create(b, loc, sumF, st[1], ValueRange{row, blk})};
                } else {
                  next[0] = nw;
                  next.push_back(tensor::InsertOp::create(b, loc, sumF, st[2], ValueRange{row, blk}));
                }
                if (p.intResult)
                  next.push_back(add(st.back(), sum));
                scf::YieldOp::create(b, loc, next);
              });
          SmallVector<Value> out(blocks.getResults().begin(), blocks.getResults().end());
          if (p.intResult)
            out.back() = tensor::InsertOp::create(b, loc, out.back(), rowState.back(), ValueRange{row});
          scf::YieldOp::create(b, loc, out);
        });
    Activations r;
    r.words = rows.getResult(0);
    if (p.intActivations) {
      r.sums = rows.getResult(1);
    } else {
      r.scales = rows.getResult(1);
      r.sums = rows.getResult(2);
    }
    if (p.intResult)
      r.totals = rows.getResults().back();
    return r;
  }

  /// Packed run-time weights of w < 8 bits hold k = j * 8 / w + s in slot
  /// s of byte j of each 4-byte lane: the int8 activations of every 32 / w
  /// k reordered to match (position 4 s + j takes k = j * 8 / w + s), so
  /// that the kernel's slot loop (which takes slot s as k 4 s .. 4 s + 3)
  /// multiplies each code with its own activation.
  Value slotOrder(Value q8) {
    if (!p.runtimePacked || p.shape.planes[0] == 8)
      return q8;
    int64_t slots = 8 / p.shape.planes[0], group = 4 * slots;
    SmallVector<int64_t> mask(p.kb);
    for (int64_t i = 0; i < p.kb; ++i) {
      int64_t g = i / group, sj = i % group, slot = sj / 4, j = sj % 4;
      mask[i] = g * group + j * slots + slot;
    }
    return vector::ShuffleOp::create(b, loc, q8, q8, mask);
  }

  /// One block of float activations as int8 values (symmetric, amax / 127,
  /// round to nearest even), their sum (i32) and the block scale.
  std::tuple<Value, Value, Value> quantizeBlock(Value v) {
    int64_t kb = p.kb;
    if (!cast<VectorType>(v.getType()).getElementType().isF32())
      v = arith::ExtFOp::create(b, loc, vec(kb, f32()), v);
    // NaN-propagating maximum: a block with a NaN gets a NaN scale.
    Value amax = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                             math::AbsFOp::create(b, loc, v));
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value c127 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(127));
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, amax, zero);
    Value inv = arith::SelectOp::create(b, loc, positive,
                                        arith::DivFOp::create(b, loc, c127, amax), zero);
    Value x = arith::MulFOp::create(b, loc, v,
                                    vector::BroadcastOp::create(b, loc, vec(kb, f32()), inv));
    // |x| <= 127 except for NaN (inv = 0 only when amax is 0, NaN or Inf);
    // NaN becomes 0, never an undefined conversion.
    Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    x = arith::SelectOp::create(b, loc, isNaN, splatF32(kb, 0), x);
    Value q32 =
        arith::FPToSIOp::create(b, loc, vec(kb, i32()), math::RoundEvenOp::create(b, loc, x));
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, q32);
    Value q8 = arith::TruncIOp::create(b, loc, vec(kb, i8()), q32);
    return {q8, sum, arith::DivFOp::create(b, loc, amax, c127)};
  }

  /// i32 accumulation: alpha * sum + (beta - Z) * rowsum in int32 (wrapping
  /// like the reference's int32 result), then float(s) * factorA * factorB
  /// when scaled, one f32 rounding each (the reference's order).
  Value intEpilogue(Value sum, Value nt, Value row, Value totals, Value aScales,
                    Value offsetTable, Value fbTable) {
    VectorType rowVecI = vec(x86::kTileRows, i32()), rowVec = vec(x86::kTileRows, f32());
    Value total = vector::BroadcastOp::create(
        b, loc, rowVecI, tensor::ExtractOp::create(b, loc, totals, ValueRange{row}));
    Value offset = offsetTable ? read(rowVecI, offsetTable, {nt, idx(0)})
                               : splat(rowVecI, b.getI32IntegerAttr(p.offset[0]));
    if (p.alpha != 1)
      sum = mul(sum, splat(rowVecI, b.getI32IntegerAttr(p.alpha)));
    Value s = add(sum, mul(offset, total));
    if (!p.aScaled && !p.bScaled)
      return s;
    Value v = arith::SIToFPOp::create(b, loc, rowVec, s);
    if (p.aScaled) {
      Value fa = tensor::ExtractOp::create(b, loc, aScales,
                                           ValueRange{p.aScalePerRow ? row : idx(0), idx(0)});
      if (!fa.getType().isF32())
        fa = arith::ExtFOp::create(b, loc, f32(), fa);
      v = arith::MulFOp::create(b, loc, v, vector::BroadcastOp::create(b, loc, rowVec, fa));
    }
    if (p.bScaled)
      v = arith::MulFOp::create(b, loc, v,
                                fbTable ? read(rowVec, fbTable, {nt, idx(0)})
                                        : splatF32(x86::kTileRows, p.fb[0]));
    return v;
  }

  Value constantTensor(ArrayRef<int64_t> shape, ArrayRef<float> values) {
    auto t = RankedTensorType::get(shape, f32());
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, values));
  }

  /// The f32 result, M x rows (padded).
  /// The result (f32, or i32 for unscaled i32 accumulation), M x rows
  /// (padded). `aScales` are A's scheme scales (i32 accumulation with an
  /// a_scheme).
  Value kernel(const Activations &act, Value aScales) {
    Value words = act.words, scales = act.scales, sums = act.sums;
    const x86::KernelShape &s = p.shape;
    int64_t tiles = s.rowTiles(), perBlock = s.vectorsPerBlockAllPlanes();
    Value weights;
    if (!p.runtimeWeights)
      weights = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::getFromRawBuffer(
              RankedTensorType::get({s.bytes()}, i8()),
              ArrayRef<char>(reinterpret_cast<const char *>(p.weights.data()), p.weights.size())));
    // The 16 weight rows of the current tile, clamped to N - 1 (rows past N
    // compute values the result slice drops), for run-time reads.
    SmallVector<Value> bRows;
    VectorType rowVec = vec(x86::kTileRows, f32());
    // The per-block f32 scale tables (i32 accumulation scales once, at the
    // end: intEpilogue).
    Value swTable, zbTable, swSplat, zbSplat;
    bool zbZero = p.zbUniform && p.zb[0] == 0;
    if (!p.intResult && !p.runtimeScales) {
      if (p.swUniform)
        swSplat = splatF32(x86::kTileRows, p.sw[0]);
      else
        swTable = constantTensor({tiles, p.numGroups, x86::kTileRows}, p.sw);
      if (p.zbUniform)
        zbSplat = splatF32(x86::kTileRows, p.zb[0]);
      else
        zbTable = constantTensor({tiles, p.numGroups, x86::kTileRows}, p.zb);
    }
    Value table;
    if (p.codes.codebook) {
      // 16 entries: the same table in every 128-bit lane (vpshufb looks up
      // within lanes); more: one 64-byte table (vpermb), padded.
      size_t entries = p.codes.table.size();
      SmallVector<int8_t> t(64);
      for (int i = 0; i < 64; ++i)
        t[i] = static_cast<int8_t>(entries == 16 ? p.codes.table[i % 16]
                                   : i < static_cast<int>(entries) ? p.codes.table[i]
                                                                   : 0);
      table = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec(64, i8()),
                                                                       ArrayRef<int8_t>(t)));
    }
    // Rows of A per pass over the weights: their sums stay in registers.
    int64_t maxRows = p.maxRowsPerPass;
    int64_t rowsPerPass = ShapedType::isDynamic(p.m) ? maxRows : std::min<int64_t>(p.m, maxRows);
    // Independent int32 chains per row, so that one row's dot products do
    // not wait on each other's latency.
    // The bf16 kernel's sums are f32, whose order must not depend on the
    // rows per pass (every M gives the bits of the program compiled for it;
    // the autotuner may change the rows): a fixed two chains, (k0, k1) and
    // (k2, k3) of each 4-k group.
    int64_t chains = p.bf16 ? kBF16Chains : std::max<int64_t>(1, 4 / rowsPerPass);

    Type cElem = p.intResult && !p.aScaled && !p.bScaled ? i32() : f32();
    Value offsetTable, fbTable;
    if (p.intResult && !p.offsetUniform)
      offsetTable = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(RankedTensorType::get({tiles, x86::kTileRows}, i32()),
                                         ArrayRef<int32_t>(p.offset)));
    if (p.intResult && p.bScaled && !p.fbUniform)
      fbTable = constantTensor({tiles, x86::kTileRows}, p.fb);
    Value c = emptyRows({s.rows}, cElem);
    // The rows m0 .. m0 + count - 1 of one row tile.
    auto pass = [&](Value nt, Value m0, int64_t count, Value out) -> Value {
      SmallVector<Value> rows;
      for (int64_t r = 0; r < count; ++r)
        rows.push_back(addc(m0, r));
      // Per row: f32 sums of the scaled blocks, or (i32 accumulation) one
      // int32 sum over all of K.
      SmallVector<Value> init(count, p.intResult ? zeroI32(16) : splatF32(x86::kTileRows, 0));
      // One block of kb k for every row of the pass: the sums, then
      // ys += sw * sa * (sum - zb * blocksum). Returns the new ys.
      auto blockStep = [&](Value blk, Value sw, Value zb, ValueRange ys) {
            if (!p.intResult && !p.runtimeScales) {
              Value g = p.numGroups > 1 ? divu(blk, p.blocksPerGroup) : idx(0);
              sw = swSplat ? swSplat : read(rowVec, swTable, {nt, g, idx(0)});
              zb = zbSplat ? zbSplat : read(rowVec, zbTable, {nt, g, idx(0)});
            }
            Value zeroAcc = p.bf16 ? splatF32(x86::kTileRows, 0) : zeroI32(16);
            SmallVector<SmallVector<Value>> acc(count, SmallVector<Value>(chains, zeroAcc));
            if (p.intResult)
              for (int64_t r = 0; r < count; ++r)
                acc[r][0] = ys[r];
            int64_t step = 0;
            // The block's vectors: plane 0's, then plane 1's, ... Each is
            // loaded (and the line 8 KiB ahead prefetched) once, when its
            // first 4-k group is reached.
            Value blockVector = mulc(add(mulc(nt, p.numBlocks), blk), perBlock);
            std::map<std::pair<size_t, int64_t>, Value> loaded;
            SmallVector<Value> runtimeVectors;
            auto vectorOf = [&](size_t plane, int64_t v) {
              if (p.runtimeWeights) {
                // The whole block at once (a transpose of 16 row reads),
                // each row's line prefetched a 16th of the distance ahead.
                if (runtimeVectors.empty()) {
                  runtimeVectors = runtimeBlockVectors(bRows, blk);
                  if (p.prefetchDistance)
                    prefetchRuntimeWeights(bRows, nt, blk);
                }
                return runtimeVectors[v];
              }
              Value &bytes = loaded[{plane, v}];
              if (bytes)
                return bytes;
              Value offset = mulc(addc(blockVector, s.planeVector(plane) + v), x86::kVectorBytes);
              bytes = read(vec(64, i8()), weights, {offset});
              // One cache line per weight vector: ask for the line this
              // far ahead (past the end: clamped by the op).
              if (p.prefetchDistance)
                PrefetchOp::create(b, loc, weights, ValueRange{addc(offset, p.prefetchDistance)});
              return bytes;
            };
            // Per group of 4 k: the operand bytes, each plane's slot
            // shifted into place (bits [shift, shift + w)) and or-ed, so
            // that one dot product per row covers all planes.
            for (int64_t j = 0; j < p.kb / x86::kLaneK; ++j) {
              Value u;
              for (size_t plane = 0; plane < s.planes.size(); ++plane) {
                int64_t w = s.planes[plane], slots = s.slotsPerByte(plane), sh = s.shift(plane);
                int64_t slot = j % slots, at = slot * w; // where the slot is in the byte
                Value part = vectorOf(plane, j / slots);
                if (at > sh)
                  part = arith::ShRUIOp::create(b, loc, part, splatI8(64, at - sh));
                else if (at < sh)
                  part = arith::ShLIOp::create(b, loc, part, splatI8(64, sh - at));
                if (slot < slots - 1 || sh > 0)
                  part = arith::AndIOp::create(
                      b, loc, part, splatI8(64, static_cast<int8_t>(((1u << w) - 1) << sh)));
                u = u ? arith::OrIOp::create(b, loc, u, part).getResult() : part;
              }
              if (p.bf16) {
                // Two bf16 pairs per lane; the activation pairs at k =
                // kb * blk + 4 * j (+ 2).
                auto [w01, w23] = decodeBF16Pairs(u, /*pairedLanes=*/!p.runtimeWeights);
                Value pair = addc(mulc(blk, p.kb / 2), 2 * j);
                for (int64_t h = 0; h < 2; ++h) {
                  for (int64_t r = 0; r < count; ++r) {
                    Value a2 = tensor::ExtractOp::create(b, loc, words,
                                                         ValueRange{rows[r], addc(pair, h)});
                    Value a = vector::BitCastOp::create(
                        b, loc, vec(32, b.getBF16Type()),
                        vector::BroadcastOp::create(b, loc, vec(16, i32()), a2));
                    Value &chain = acc[r][step % chains];
                    chain = intrinsic("llvm.x86.avx512bf16.dpbf16ps.512", rowVec,
                                      {chain, h ? w23 : w01, a});
                  }
                  ++step;
                }
                continue;
              }
              if (table)
                u = shuffleBytes(table, u);
              // The word of 4 int8 activations at k = kb * blk + 4 * j.
              Value word = addc(mulc(blk, p.kb / x86::kLaneK), j);
              for (int64_t r = 0; r < count; ++r) {
                Value a4 = tensor::ExtractOp::create(b, loc, words, ValueRange{rows[r], word});
                Value a = vector::BitCastOp::create(
                    b, loc, vec(64, i8()), vector::BroadcastOp::create(b, loc, vec(16, i32()), a4));
                Value &chain = acc[r][step % chains];
                chain = dot(chain, u, a);
              }
              ++step;
            }
            auto fm = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
            SmallVector<Value> next;
            for (int64_t r = 0; r < count; ++r) {
              Value sum = acc[r][0];
              for (int64_t j = 1; j < chains; ++j)
                sum = p.bf16 ? arith::AddFOp::create(b, loc, sum, acc[r][j]).getResult()
                             : add(sum, acc[r][j]);
              if (p.intResult) {
                next.push_back(sum);
                continue;
              }
              Value f = p.bf16 ? sum : arith::SIToFPOp::create(b, loc, rowVec, sum).getResult();
              if (!zbZero) {
                Value qs = tensor::ExtractOp::create(b, loc, sums, ValueRange{rows[r], blk});
                Value corr = arith::MulFOp::create(
                    b, loc, zb, vector::BroadcastOp::create(b, loc, rowVec, qs), fm);
                f = arith::SubFOp::create(b, loc, f, corr, fm);
              }
              Value sc = sw; // int8 activations have no block scale
              if (scales) {
                Value sa = tensor::ExtractOp::create(b, loc, scales, ValueRange{rows[r], blk});
                sc = arith::MulFOp::create(b, loc, sw,
                                           vector::BroadcastOp::create(b, loc, rowVec, sa));
              }
              next.push_back(arith::AddFOp::create(
                  b, loc, ys[r], arith::MulFOp::create(b, loc, f, sc, fm), fm));
            }
            return next;
      };
      auto blockLoop = [&](Value from, Value to, Value sw, Value zb, ValueRange ys) {
        return scf::ForOp::create(b, loc, from, to, idx(1), ys,
                                  [&](OpBuilder &, Location, Value blk, ValueRange st) {
                                    scf::YieldOp::create(b, loc, blockStep(blk, sw, zb, st));
                                  })
            .getResults();
      };
      SmallVector<Value> ysOut;
      if (!p.runtimeScales) {
        llvm::append_range(ysOut, blockLoop(idx(0), idx(p.numBlocks), Value(), Value(), init));
      } else if (p.numGroups == 1) {
        auto [sw, zb] = runtimeScaleVectors(bRows, idx(0));
        llvm::append_range(ysOut, blockLoop(idx(0), idx(p.numBlocks), sw, zb, init));
      } else {
        // Scales read once per group, its blocks inside.
        auto groups = scf::ForOp::create(
            b, loc, idx(0), idx(p.numGroups), idx(1), init,
            [&](OpBuilder &, Location, Value g, ValueRange st) {
              auto [sw, zb] = runtimeScaleVectors(bRows, g);
              Value from = mulc(g, p.blocksPerGroup);
              scf::YieldOp::create(b, loc,
                                   blockLoop(from, addc(from, p.blocksPerGroup), sw, zb, st));
            });
        llvm::append_range(ysOut, groups.getResults());
      }
      for (int64_t r = 0; r < count; ++r) {
        Value y = ysOut[r];
        if (p.intResult)
          y = intEpilogue(y, nt, rows[r], act.totals, aScales, offsetTable, fbTable);
        if (act.rowScale) // undo the bf16 kernel's power of two (exact)
          y = arith::MulFOp::create(
              b, loc, y,
              vector::BroadcastOp::create(
                  b, loc, rowVec, tensor::ExtractOp::create(b, loc, act.rowScale, ValueRange{rows[r]})));
        out = write(y, out, {rows[r], idx(0)});
      }
      return out;
    };
    // Static M: full passes and one of the rest. Dynamic M: full passes,
    // then the rest (under rowsPerPass rows) in passes of 4, 2 and 1 rows,
    // each taken or not: 3 more pass bodies instead of rowsPerPass - 1.
    bool dynamic = ShapedType::isDynamic(p.m);
    Value full = dynamic ? divu(m, rowsPerPass) : idx(p.m / rowsPerPass);
    int64_t rest = dynamic ? 0 : p.m % rowsPerPass;
    // Row tiles are independent: an scf.forall (threads through OpenMP
    // after bufferization), each tile written by one thread with the same
    // code, so results are bit-identical for every thread count.
    auto tilesLoop = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(tiles)},
                                           ValueRange{c}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tilesLoop.getBody());
    Value nt = tilesLoop.getInductionVar(0);
    // Where N is a multiple of 16 the rows are consecutive, so that their
    // addresses are one register plus constant offsets (16 clamped rows
    // each took a register, and their spills cost 10% at M = 8).
    if (p.runtimeWeights || p.runtimeScales)
      for (int64_t i = 0; i < x86::kTileRows; ++i) {
        Value r = addc(mulc(nt, x86::kTileRows), i);
        bRows.push_back(p.shape.n % x86::kTileRows == 0
                            ? r
                            : arith::MinUIOp::create(b, loc, r, idx(p.shape.n - 1)).getResult());
      }
    Value tile = emptyRows({x86::kTileRows}, cElem);
    auto passes = scf::ForOp::create(
        b, loc, idx(0), full, idx(1), ValueRange{tile},
        [&](OpBuilder &, Location, Value mp, ValueRange st) {
          scf::YieldOp::create(b, loc, pass(nt, mulc(mp, rowsPerPass), rowsPerPass, st[0]));
        });
    tile = passes.getResult(0);
    if (rest)
      tile = pass(nt, idx(p.m / rowsPerPass * rowsPerPass), rest, tile);
    if (dynamic) {
      Value next = mulc(full, rowsPerPass); // the first row not done
      for (int64_t count = rowsPerPass / 2; count >= 1; count /= 2) {
        // Taken when the rows left (under 2 * count) are at least count.
        Value left = arith::SubIOp::create(b, loc, m, next);
        Value take = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, left, idx(count));
        auto ifOp = scf::IfOp::create(
            b, loc, take,
            [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, pass(nt, next, count, tile)); },
            [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, tile); });
        tile = ifOp.getResult(0);
        next = arith::SelectOp::create(b, loc, take, addc(next, count), next);
      }
    }
    Value col = mulc(nt, x86::kTileRows);
    b.setInsertionPointToStart(tilesLoop.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, loc, tile, tilesLoop.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), col},
        ArrayRef<OpFoldResult>{mSize(), b.getIndexAttr(x86::kTileRows)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    return tilesLoop.getResult(0);
  }
};

} // namespace

std::string mlir::lowbit::checkX86KernelOptions(const X86KernelOptions &o) {
  if (o.activationBlock < 8 || o.activationBlock > 256 ||
      (o.activationBlock & (o.activationBlock - 1)))
    return "activation-block must be a power of two from 8 to 256, got " +
           std::to_string(o.activationBlock);
  if (o.prefetchDistance < 0 || o.prefetchDistance > (1 << 20) || o.prefetchDistance % 64)
    return "prefetch-distance must be a multiple of 64 from 0 to 1048576, got " +
           std::to_string(o.prefetchDistance);
  if (o.rowsPerPass < 0 || o.rowsPerPass > 8)
    return "rows-per-pass must be from 0 (the target's default) to 8, got " +
           std::to_string(o.rowsPerPass);
  return {};
}

FailureOr<X86KernelOptions> mlir::lowbit::getTunedX86Options(MpGemmOp op,
                                                             const X86KernelOptions &options) {
  auto dict = op->getAttrOfType<DictionaryAttr>(kX86TuningAttrName);
  if (!dict) {
    if (op->hasAttr(kX86TuningAttrName))
      return op.emitOpError() << kX86TuningAttrName << " must be a dictionary";
    return options;
  }
  X86KernelOptions o = options;
  for (NamedAttribute entry : dict) {
    auto value = dyn_cast<IntegerAttr>(entry.getValue());
    int64_t *field = entry.getName() == "activation_block"    ? &o.activationBlock
                     : entry.getName() == "rows_per_pass"     ? &o.rowsPerPass
                     : entry.getName() == "prefetch_distance" ? &o.prefetchDistance
                                                              : nullptr;
    if (!field || !value)
      return op.emitOpError() << kX86TuningAttrName << ": '" << entry.getName()
                              << "' is not an integer entry of activation_block, "
                                 "rows_per_pass, prefetch_distance";
    *field = value.getInt();
  }
  if (std::string e = checkX86KernelOptions(o); !e.empty())
    return op.emitOpError() << kX86TuningAttrName << ": " << e;
  return o;
}

LogicalResult mlir::lowbit::lowerMpGemmToX86(RewriterBase &rewriter, MpGemmOp op,
                                            const X86KernelOptions &baseOptions,
                                            std::string &whyNot) {
  FailureOr<X86KernelOptions> options = getTunedX86Options(op, baseOptions);
  if (failed(options)) {
    whyNot = "its lowbit.x86_tuning attribute is invalid";
    return failure();
  }
  FailureOr<KernelPlan> plan = planKernel(op, *options, whyNot);
  if (failed(plan))
    return failure();
  rewriter.setInsertionPoint(op);
  Emitter e(rewriter, op.getLoc(), *plan, op.getA());
  e.bindRuntimeOperands(op);
  Value a = e.paddedActivations(op.getA());
  Emitter::Activations act = plan->bf16 ? e.activationsBF16(a) : e.activations(a);
  Value aScales = plan->aScaled ? op.getAParams()[0] : Value();
  Value c = e.kernel(act, aScales);
  if (plan->shape.rows != plan->shape.n)
    c = tensor::ExtractSliceOp::create(rewriter, op.getLoc(), op.getC().getType(), c,
                                       ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                                              rewriter.getIndexAttr(0)},
                                       ArrayRef<OpFoldResult>{e.mSize(),
                                                              rewriter.getIndexAttr(plan->shape.n)},
                                       ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                                              rewriter.getIndexAttr(1)});
  rewriter.replaceOp(op, c);
  return success();
}

std::string mlir::lowbit::whyNotLowerableToX86(MpGemmOp op, const X86KernelOptions &options) {
  std::string whyNot;
  (void)planKernel(op, options, whyNot, /*checkOnly=*/true);
  return whyNot;
}
