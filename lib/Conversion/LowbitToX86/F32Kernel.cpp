//===- F32Kernel.cpp - The f32 kernel's activations and decode -------------===//
//
// For weight formats no byte operand holds (e4m3, e5m2, e3m2, MXFP8) on
// targets without the bf16 kernel (AVX-512 BF16 and VBMI: x86-64-v3,
// x86-64-v4): codes decoded to their exact f32 by integer arithmetic in
// registers (F32WeightDecode, checked against every code at compile time)
// and multiplied with the activations as they are by f32 FMA: no rounding
// of the activations, no tables. docs/cpu-kernels.md, "The f32 kernel".
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::x86kernel;

Emitter::Activations Emitter::activationsF32(Value a) {
  int64_t kb = p.kb, cols = p.shape.cols;
  SmallVector<Value> state{emptyRows({cols}, f32()), emptyRows({p.numBlocks}, f32())};
  auto rows = scf::ForOp::create(
      b, loc, idx(0), m, idx(1), state,
      [&](OpBuilder &, Location, Value row, ValueRange rowState) {
        auto blocks = scf::ForOp::create(
            b, loc, idx(0), idx(p.numBlocks), idx(1), rowState,
            [&](OpBuilder &, Location, Value blk, ValueRange st) {
              Value v = blockF32(a, row, blk);
              // The block sum, for zero points (none of the float formats
              // has one; the epilogue is shared).
              Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{write(v, st[0], {row, mulc(blk, kb)}),
                             tensor::InsertOp::create(b, loc, sum, st[1], ValueRange{row, blk})});
            });
        scf::YieldOp::create(b, loc, blocks.getResults());
      });
  Activations r;
  r.words = rows.getResult(0);
  r.sums = rows.getResult(1);
  return r;
}

Value Emitter::decodeF32(Value codes) {
  const x86::F32WeightDecode &d = p.f32Codes;
  VectorType ints = vec(x86::kTileRows, i32()), floats = vec(x86::kTileRows, f32());
  auto splatI32 = [&](uint32_t v) {
    return splat(ints, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  };
  Value mag = arith::AndIOp::create(b, loc, codes, splatI32((1u << d.magBits) - 1));
  Value bits = add(arith::ShLIOp::create(b, loc, mag, splatI32(d.shift)),
                   splatI32(d.exponentBias << 23));
  Value f = arith::BitcastOp::create(b, loc, floats, bits);
  // Subnormal codes: f32's implicit leading one removed, exactly.
  Value sub = arith::MulFOp::create(
      b, loc, arith::SubFOp::create(b, loc, f, splatF32(x86::kTileRows, d.subnormalBase)),
      splatF32(x86::kTileRows, 2));
  Value isSub =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, mag, splatI32(d.subnormalBelow));
  Value v = arith::SelectOp::create(b, loc, isSub, sub, f);
  if (d.sign) {
    Value s = arith::ShLIOp::create(
        b, loc, arith::AndIOp::create(b, loc, codes, splatI32(1u << d.magBits)),
        splatI32(31 - d.magBits));
    v = arith::BitcastOp::create(
        b, loc, floats, arith::OrIOp::create(b, loc, arith::BitcastOp::create(b, loc, ints, v), s));
  }
  for (const auto &[code, value] : d.specials) {
    Value is = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, codes, splatI32(code));
    v = arith::SelectOp::create(b, loc, is, splatF32(x86::kTileRows, value), v);
  }
  return v;
}
