//===- BF16Kernel.cpp - The bf16 kernel's activations and decode ------------===//
//
// For weight formats no byte operand holds (e4m3, e5m2, e3m2, posits of 8
// bits): activations scaled by a power of two per row and rounded to bf16,
// codes decoded to their exact bf16 by byte tables (vpermb / vpermi2b) and
// multiplied by vdpbf16ps. docs/cpu-kernels.md, "The bf16 kernel".
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

/// The bf16 kernel's activations: each row scaled by a power of two that
/// brings its amax into [1, 2) (exact; the exponent clamped so that both
/// it and its inverse are normal f32), rounded to bf16 (to nearest even)
/// and stored as words of 2 k, with each block's sum of the stored values
/// in f32. Why the scaling: vdpbf16ps flushes subnormal inputs, products
/// and sums to zero, and with the row's amax near 1 what it can flush is
/// far below the error bound (docs/cpu-kernels.md). A row with a NaN or
/// an infinity (exponent 255) is not scaled: its results are NaN or
/// infinite whatever the scale.
Emitter::Activations Emitter::activationsBF16(Value a) {
  int64_t kb = p.kb, cols = p.shape.cols;
  Type bf16 = b.getBF16Type();
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
                                                     math::AbsFOp::create(b, loc, blockF32(a, row, blk)));
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
                  b, loc, blockF32(a, row, blk),
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
Value Emitter::lookupBytes(ArrayRef<uint8_t> table, Value indices) {
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
std::pair<Value, Value> Emitter::decodeBF16Pairs(Value codes, bool pairedLanes) {
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
