//===- LutKernel.cpp - The lookup-table kernel's tables and indices --------===//
//
// For integer weights whose operand has few bits (the cost model takes it
// for 1 bit, and 2 bits on AVX2; `kernel = lut` for any width it can): the
// operand's bit planes are stored as nibbles, each the index of 4
// consecutive k of one row (KernelShape::lutNibbles). Per activation row
// and group of 4 k the 16 sums of its activations are one table. With
// AVX-512 VBMI + VNNI, vpermb looks up 64 entries at once from the 4 tables
// of 16 k and vpdpbusd sums each row's 4 lookups times the plane's weight
// 2^p into its int32 lane: 2 lookups and 2 dot products per plane and 32 k,
// where the byte-dot kernel takes 8 dot products. Without them, vpshufb
// looks up one group's table per 128-bit lane (KernelShape::lutLanes) and
// vpmaddubsw sums a row's pairs of lookups times 2^p into int16
// (lutLanesStep), widened once per block: on ymm (AVX2) 32 lookups per
// instruction, on zmm (AVX-512BW, KernelPlan::lutWide; T-MAC stops at
// AVX2) 64, the same weight layout with the tables of two 16 k side by
// side. Exact tables (KernelPlan::lutExact) hold int16 entries as two byte
// tables. docs/cpu-kernels.md, "The lookup-table kernel", derives the
// error bound of the int8 tables.
//
// The tables are of T-MAC's +-1 form: entry i of a group is sum_t s_t a_t
// with s_t = +1 where bit t of i is set, else -1, so that a plane's bits b
// give sum b a = (entry + sum a) / 2 and an operand of b bits gives half the
// planes' weighted lookups plus (2^b - 1) / 2 times the block's activation
// sum (computed in f32, not looked up: KernelPlan's zbShift moves it into
// the zero-point term). Against the 0/1 form (entries sum b_t a_t, bias
// from entry 15) this halves every lookup's rounding error and needs no
// rounded bias: measured on uniform data, the relative L2 error of 1-bit
// weights went from 1.1e-2 to about 5e-3, T-MAC's figure.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::x86kernel;
namespace x86 = ::lowbit::x86;

/// Entries per 16 k: 4 groups of 4 k, 16 subsets each.
static constexpr int64_t kTableBytes = 64;

Emitter::Activations Emitter::activationsLUT(Value a) {
  int64_t kb = p.kb, cols = p.shape.cols, chunks = kb / 16;
  VectorType entriesType = vec(kTableBytes, f32());
  // Entry 16 j + i takes activation 4 j + t, added where bit t of i is
  // set, subtracted where it is not.
  SmallVector<SmallVector<int64_t>> pick(4, SmallVector<int64_t>(kTableBytes));
  SmallVector<SmallVector<bool>> has(4, SmallVector<bool>(kTableBytes));
  // Tables for vpshufb hold the groups 0, 2, 1, 3: per 128-bit lane of
  // the first (second) 32 bytes the group of the low (high) nibbles.
  auto groupAt = [&](int64_t q) { return p.shape.lutLanes ? (q % 2) * 2 + q / 2 : q; };
  for (int64_t t = 0; t < 4; ++t)
    for (int64_t e = 0; e < kTableBytes; ++e) {
      pick[t][e] = 4 * groupAt(e / 16) + t;
      has[t][e] = (e % 16) >> t & 1;
    }
  SmallVector<Value> state{emptyRows({cols * 4}, i8()), emptyRows({p.numBlocks}, f32()),
                           emptyRows({p.numBlocks}, f32())};
  auto rows = scf::ForOp::create(
      b, loc, idx(0), m, idx(1), state,
      [&](OpBuilder &, Location, Value row, ValueRange rowState) {
        auto blocks = scf::ForOp::create(
            b, loc, idx(0), idx(p.numBlocks), idx(1), rowState,
            [&](OpBuilder &, Location, Value blk, ValueRange st) {
              Value v = blockF32(a, row, blk);
              Value zeros = splatF32(kTableBytes, 0);
              // The f32 entries of each 16 k, summed in a fixed order.
              SmallVector<Value> entries;
              Value amax;
              for (int64_t c = 0; c < chunks; ++c) {
                Value a16 = vector::ExtractStridedSliceOp::create(
                    b, loc, v, ArrayRef<int64_t>{16 * c}, ArrayRef<int64_t>{16},
                    ArrayRef<int64_t>{1});
                Value sum;
                for (int64_t t = 0; t < 4; ++t) {
                  Value spread = vector::ShuffleOp::create(b, loc, a16, a16, pick[t]);
                  Value mask = arith::ConstantOp::create(
                      b, loc, DenseElementsAttr::get(vec(kTableBytes, b.getI1Type()),
                                                     ArrayRef<bool>(has[t])));
                  Value term = arith::SelectOp::create(
                      b, loc, mask, spread, arith::NegFOp::create(b, loc, spread));
                  sum = sum ? arith::AddFOp::create(b, loc, sum, term).getResult() : term;
                }
                entries.push_back(sum);
                // NaN-propagating maximum: a block with a NaN gets a NaN scale.
                Value m = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                                      math::AbsFOp::create(b, loc, sum));
                amax = amax ? arith::MaximumFOp::create(b, loc, amax, m).getResult() : m;
              }
              // One scale per block, as quantizeBlock: entries * 127 / amax
              // rounded to nearest even (|x| <= 127; NaN becomes 0, never an
              // undefined conversion; an infinite amax gives an infinite
              // scale and NaN results).
              Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
              Value c127 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(127));
              Value positive =
                  arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, amax, zero);
              Value inv = arith::SelectOp::create(
                  b, loc, positive, arith::DivFOp::create(b, loc, c127, amax), zero);
              Value invV = vector::BroadcastOp::create(b, loc, entriesType, inv);
              Value tables = st[0];
              for (int64_t c = 0; c < chunks; ++c) {
                Value x = arith::MulFOp::create(b, loc, entries[c], invV);
                Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
                x = arith::SelectOp::create(b, loc, isNaN, zeros, x);
                Value q32 = arith::FPToSIOp::create(b, loc, vec(kTableBytes, i32()),
                                                    math::RoundEvenOp::create(b, loc, x));
                Value q8 = arith::TruncIOp::create(b, loc, vec(kTableBytes, i8()), q32);
                Value at = mulc(addc(mulc(blk, chunks), c), kTableBytes);
                if (!p.lutWide) {
                  tables = write(q8, tables, {row, at});
                  continue;
                }
                // zmm: per 32 k the low-nibble tables of both 16 k, then
                // the high-nibble ones (lutLanesStep reads 64 bytes each).
                Value pairAt = mulc(addc(mulc(blk, chunks / 2), c / 2), 2 * kTableBytes);
                for (int64_t h = 0; h < 2; ++h)
                  tables = write(half(q8, h), tables,
                                 {row, addc(pairAt, h * kTableBytes + (c % 2) * 32)});
              }
              // The kernel's block scale is half the tables' (a plane's bits
              // sum to half an entry plus half the activations' sum), and
              // the block sum is in units of it: sum a * 2 / scale.
              Value c254 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(254));
              Value scale = arith::DivFOp::create(b, loc, amax, c254);
              Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
              Value twoInv = arith::AddFOp::create(b, loc, inv, inv);
              Value sumF = arith::MulFOp::create(b, loc, sum, twoInv);
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{tables,
                             tensor::InsertOp::create(b, loc, scale, st[1], ValueRange{row, blk}),
                             tensor::InsertOp::create(b, loc, sumF, st[2], ValueRange{row, blk})});
            });
        scf::YieldOp::create(b, loc, blocks.getResults());
      });
  Activations r;
  r.words = rows.getResult(0);
  r.scales = rows.getResult(1);
  r.sums = rows.getResult(2);
  return r;
}

Emitter::Activations Emitter::activationsExactLUT(Value a) {
  Activations r = activations(a);
  int64_t cols = p.shape.cols;
  VectorType entriesType = vec(kTableBytes, i16());
  SmallVector<int64_t> pick[4];
  SmallVector<bool> has[4];
  for (int64_t t = 0; t < 4; ++t)
    for (int64_t e = 0; e < kTableBytes; ++e) {
      pick[t].push_back(4 * (e / 16) + t);
      has[t].push_back((e % 16) >> t & 1);
    }
  Value eight = splat(entriesType, b.getI16IntegerAttr(8));
  auto rows = scf::ForOp::create(
      b, loc, idx(0), m, idx(1), ValueRange{emptyRows({cols * 8}, i8())},
      [&](OpBuilder &, Location, Value row, ValueRange rowState) {
        auto chunks = scf::ForOp::create(
            b, loc, idx(0), idx(cols / 16), idx(1), rowState,
            [&](OpBuilder &, Location, Value c, ValueRange st) {
              Value q = vector::BitCastOp::create(
                  b, loc, vec(16, i8()), read(vec(4, i32()), r.words, {row, mulc(c, 4)}));
              Value q16 = arith::ExtSIOp::create(b, loc, vec(16, i16()), q);
              Value sum;
              for (int64_t t = 0; t < 4; ++t) {
                Value spread = vector::ShuffleOp::create(b, loc, q16, q16, pick[t]);
                Value mask = arith::ConstantOp::create(
                    b, loc, DenseElementsAttr::get(vec(kTableBytes, b.getI1Type()),
                                                   ArrayRef<bool>(has[t])));
                Value negated = arith::SubIOp::create(
                    b, loc, splat(entriesType, b.getI16IntegerAttr(0)), spread);
                Value term = arith::SelectOp::create(b, loc, mask, spread, negated);
                sum = sum ? add(sum, term) : term;
              }
              // |entry| <= 512: the low byte and the (signed) high byte.
              Value low = arith::TruncIOp::create(b, loc, vec(kTableBytes, i8()), sum);
              Value high = arith::TruncIOp::create(b, loc, vec(kTableBytes, i8()),
                                                   arith::ShRSIOp::create(b, loc, sum, eight));
              Value at = mulc(c, 2 * kTableBytes);
              Value t = write(low, st[0], {row, at});
              scf::YieldOp::create(b, loc, write(high, t, {row, addc(at, kTableBytes)}));
            });
        scf::YieldOp::create(b, loc, chunks.getResults());
      });
  r.words = rows.getResult(0);
  return r;
}

std::pair<Value, Value> Emitter::lutIndices(Value nibbles) {
  SmallVector<int8_t> group(kTableBytes);
  for (int64_t i = 0; i < kTableBytes; ++i)
    group[i] = static_cast<int8_t>(16 * (i % x86::kLaneK));
  Value groupBase = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vec(kTableBytes, i8()), ArrayRef<int8_t>(group)));
  Value low = arith::AndIOp::create(b, loc, nibbles, splatI8(kTableBytes, 0x0f));
  Value high = arith::ShRUIOp::create(b, loc, nibbles, splatI8(kTableBytes, 4));
  return {arith::OrIOp::create(b, loc, low, groupBase),
          arith::OrIOp::create(b, loc, high, groupBase)};
}

void Emitter::lutLanesStep(ArrayRef<Value> nibbles, Value tables, ArrayRef<Value> rows,
                           Value chunk, SmallVectorImpl<std::array<Value, 2>> &sums) {
  const x86::KernelShape &s = p.shape;
  // ymm: two steps of 16 k (one 32-byte half of the nibbles each); zmm:
  // one step of 32 k, the whole vector.
  int64_t width = p.lutWide ? 64 : 32, steps = 64 / width;
  VectorType bytes = vec(width, i8()), words = vec(width / 2, i16());
  StringRef shuffle = p.lutWide ? "llvm.x86.avx512.pshuf.b.512" : "llvm.x86.avx2.pshuf.b";
  StringRef pairSum = p.lutWide ? "llvm.x86.avx512.pmaddubs.w.512" : "llvm.x86.avx2.pmadd.ub.sw";
  // Bytes 0-7 (8-15) of each 128-bit lane of two vectors, interleaved.
  SmallVector<int64_t> unpack[2];
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < width; ++i)
      unpack[h].push_back((i % 2 ? width : 0) + 16 * (i / 16) + 8 * h + (i % 16) / 2);
  for (int64_t step = 0; step < steps; ++step) {
    SmallVector<std::pair<Value, Value>> index;
    for (size_t plane = 0; plane < nibbles.size(); ++plane) {
      Value x = p.lutWide ? nibbles[plane] : half(nibbles[plane], step);
      if (p.planeXor >> s.shift(plane) & 1)
        x = arith::XOrIOp::create(b, loc, x, splatI8(width, -1));
      index.push_back({arith::AndIOp::create(b, loc, x, splatI8(width, 0x0f)),
                       arith::ShRUIOp::create(b, loc, x, splatI8(width, 4))});
    }
    // The low-nibble tables, then the high-nibble ones, `width` bytes each.
    Value at = mulc(addc(chunk, step), kTableBytes);
    for (size_t r = 0; r < rows.size(); ++r) {
      Value low = read(bytes, tables, {rows[r], at});
      Value high = read(bytes, tables, {rows[r], addc(at, width)});
      for (size_t plane = 0; plane < nibbles.size(); ++plane) {
        Value l0 = intrinsic(shuffle, bytes, {low, index[plane].first});
        Value l1 = intrinsic(shuffle, bytes, {high, index[plane].second});
        Value weight = splatI8(width, static_cast<int8_t>(1u << s.shift(plane)));
        for (int64_t h = 0; h < 2; ++h) {
          Value pairs = vector::ShuffleOp::create(b, loc, l0, l1, unpack[h]);
          Value m = intrinsic(pairSum, words, {weight, pairs});
          sums[r][h] = arith::AddIOp::create(b, loc, sums[r][h], m);
        }
      }
    }
  }
}

Value Emitter::widenLutLanes(const std::array<Value, 2> &sums) {
  // Each int16 element is at most (kb / step) * 254 * (2^b - 1) in
  // magnitude (maxShufbBlock): as many 128-bit lanes as keep the sum under
  // 2^15 are added in int16 first (halving the vector each time), the
  // rest after sign extension. Lanes hold the same rows, so their order
  // does not matter.
  int64_t step = p.lutWide ? 32 : 16;
  int64_t bound = (p.kb / step) * 254 * ((int64_t(1) << p.shape.planes.size()) - 1);
  VectorType eight = vec(8, i32());
  Value rows[2];
  for (int64_t h = 0; h < 2; ++h) {
    Value v = sums[h];
    int64_t lanes = cast<VectorType>(v.getType()).getNumElements() / 8;
    for (int64_t magnitude = bound; lanes > 1 && 2 * magnitude <= 32767; magnitude *= 2) {
      v = add(half(v, 0), half(v, 1));
      lanes /= 2;
    }
    for (int64_t q = 0; q < lanes; ++q) {
      Value part = vector::ExtractStridedSliceOp::create(
          b, loc, v, ArrayRef<int64_t>{8 * q}, ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1});
      Value wide = arith::ExtSIOp::create(b, loc, eight, part);
      rows[h] = q ? add(rows[h], wide) : wide;
    }
  }
  return concat(rows[0], rows[1]);
}
