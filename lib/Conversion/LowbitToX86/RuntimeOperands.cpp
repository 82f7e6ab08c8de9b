//===- RuntimeOperands.cpp - Run-time weights, scales and zero points -------===//
//
// How the x86 kernels read operands that are not constants (a function
// argument: what a framework passes): the weights' storage row by row with
// an in-register transpose, packed lsb_first rows, and run-time scales and
// zero points per (row tile, scale group). docs/cpu-kernels.md, "Run-time
// weights".
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"
#include "lowbit/Numerics/Codec.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::x86kernel;
namespace num = ::lowbit::num;
namespace x86 = ::lowbit::x86;

Value Emitter::storageOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  RankedTensorType st = getStorageTensorType(t);
  return st == t ? v : ToStorageOp::create(b, loc, st, v).getResult();
}

/// The run-time operands of `op` the plan reads.
void Emitter::bindRuntimeOperands(MpGemmOp op) {
  if (p.runtimePacked || p.prepacked)
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
Value Emitter::readF32(Value storage, Type elementType, ValueRange indices) {
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
std::pair<Value, Value> Emitter::runtimeScaleVectors(ArrayRef<Value> rows, Value g) {
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
    if (p.zbShift != 0)
      zb = arith::SubFOp::create(b, loc, zb,
                                 splatF32(x86::kTileRows, static_cast<float>(p.zbShift)));
  }
  return {sw, zb};
}

/// Where row r's bytes of block `blk` start (plus `ahead` bytes) in the
/// run-time weight storage: [r, col] or, for 1-D packed bytes, [offset].
SmallVector<Value> Emitter::rowIndex(Value r, Value blk, int64_t ahead) {
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
void Emitter::prefetchRuntimeWeights(ArrayRef<Value> bRows, Value nt, Value blk) {
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
SmallVector<Value> Emitter::runtimeBlockVectors(ArrayRef<Value> rows, Value blk) {
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
