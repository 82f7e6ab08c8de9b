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

#include "KernelEmitter.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"
#include "lowbit/Numerics/Codec.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

#include <map>

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;
namespace x86 = ::lowbit::x86;
using ::lowbit::target::CPUFeature;

using namespace mlir::lowbit::x86kernel;

/// Quarter `q` (16 bytes, one q register) of a 64-byte vector.
static Value quarter(Emitter &e, Value v, int64_t q) {
  return vector::ExtractStridedSliceOp::create(e.b, e.loc, v, ArrayRef<int64_t>{16 * q},
                                               ArrayRef<int64_t>{16}, ArrayRef<int64_t>{1});
}

/// The four 16-byte results of `f(quarter)` as one 64-byte vector.
template <typename F> static Value byQuarters(Emitter &e, F f) {
  return e.concat(e.concat(f(0), f(1)), e.concat(f(2), f(3)));
}

Value Emitter::lookup64(Value table, Value indices) {
  if (!isNeon(p.isa))
    return intrinsic("llvm.x86.avx512.permvar.qi.512", vec(64, i8()), {table, indices});
  // tbl with four table registers: an index of 64 or more gives 0 (vpermb
  // would wrap it; the kernels' indices are below 64).
  Value t0 = quarter(*this, table, 0), t1 = quarter(*this, table, 1);
  Value t2 = quarter(*this, table, 2), t3 = quarter(*this, table, 3);
  return byQuarters(*this, [&](int64_t q) {
    return intrinsic("llvm.aarch64.neon.tbl4.v16i8", vec(16, i8()),
                     {t0, t1, t2, t3, quarter(*this, indices, q)});
  });
}

/// Bytes looked up in a 16-entry table (replicated per 128-bit lane).
Value Emitter::shuffleBytes(Value table, Value indices) {
  // A table of more than 16 entries: one lookup over the whole 64 bytes.
  if (p.codes.table.size() > 16)
    return lookup64(table, indices);
  if (isNeon(p.isa)) // indices below 16: tbl and vpshufb agree
    return byQuarters(*this, [&](int64_t q) {
      return intrinsic("llvm.aarch64.neon.tbl1.v16i8", vec(16, i8()),
                       {quarter(*this, table, q), quarter(*this, indices, q)});
    });
  if (p.isa == DotISA::AVX2)
    return concat(intrinsic("llvm.x86.avx2.pshuf.b", vec(32, i8()),
                            {half(table, 0), half(indices, 0)}),
                  intrinsic("llvm.x86.avx2.pshuf.b", vec(32, i8()),
                            {half(table, 1), half(indices, 1)}));
  return intrinsic("llvm.x86.avx512.pshuf.b.512", vec(64, i8()), {table, indices});
}

/// acc (16 x i32) + the sums of 4 products operand (u8) x activation (s8).
Value Emitter::dot(Value acc, Value operands, Value activations, unsigned maxOperand) {
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
  case DotISA::NeonUSDot:
  case DotISA::NeonSDot: {
    bool unsignedOps = p.isa == DotISA::NeonUSDot;
    bool fitsSigned = maxOperand <= 127;
    // sdot of operands above 127: (o xor 0x80) is o - 128 as a signed
    // byte, so o . a = (o xor 0x80) . a + 128 (1 . a), exact in int32.
    Value ops = operands;
    if (!unsignedOps && !fitsSigned)
      ops = arith::XOrIOp::create(b, loc, operands, splatI8(64, static_cast<int8_t>(0x80)));
    StringRef name =
        unsignedOps ? "llvm.aarch64.neon.usdot.v4i32.v16i8" : "llvm.aarch64.neon.sdot.v4i32.v16i8";
    auto quarterI32 = [&](Value v, int64_t q) {
      return vector::ExtractStridedSliceOp::create(b, loc, v, ArrayRef<int64_t>{4 * q},
                                                   ArrayRef<int64_t>{4}, ArrayRef<int64_t>{1})
          .getResult();
    };
    auto sdots = [&](Value into, Value x, Value y, StringRef intrin) {
      return byQuartersI32([&](int64_t q) {
        return intrinsic(intrin, vec(4, i32()),
                         {quarterI32(into, q), quarter(*this, x, q), quarter(*this, y, q)});
      });
    };
    Value sum = sdots(acc, ops, activations, name);
    if (unsignedOps || fitsSigned)
      return sum;
    Value sums = sdots(zeroI32(16), splatI8(64, 1), activations,
                       "llvm.aarch64.neon.sdot.v4i32.v16i8");
    return add(sum, arith::ShLIOp::create(b, loc, sums, splat(vec(16, i32()),
                                                               b.getI32IntegerAttr(7))));
  }
  }
  llvm_unreachable("DotISA");
}

/// A, padded with zeros to the kernel's k.
Value Emitter::paddedActivations(Value a) {
  auto t = cast<RankedTensorType>(a.getType());
  if (t.getDimSize(1) == p.shape.cols)
    return a;
  auto padded = RankedTensorType::get({p.m, p.shape.cols}, t.getElementType());
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(t.getElementType()));
  return tensor::createPadHighOp(padded, a, zero, /*nofold=*/false, loc, b, dynamicM);
}

/// Float activations quantized per block (int8 values, block scales and
/// block sums), or int8 activations taken as they are.
Emitter::Activations Emitter::activations(Value a) {
  int64_t kb = p.kb, cols = p.shape.cols;
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
                auto [q, s, scale] = quantizeBlock(blockF32(a, row, blk));
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
Value Emitter::slotOrder(Value q8) {
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
std::tuple<Value, Value, Value> Emitter::quantizeBlock(Value v) {
  int64_t kb = p.kb;
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
Value Emitter::intEpilogue(Value sum, Value nt, Value row, Value totals, Value aScales,
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

/// The f32 result, M x rows (padded).
/// The result (f32, or i32 for unscaled i32 accumulation), M x rows
/// (padded). `aScales` are A's scheme scales (i32 accumulation with an
/// a_scheme).
Value Emitter::kernel(const Activations &act, Value aScales) {
  Value words = act.words, scales = act.scales, sums = act.sums;
  const x86::KernelShape &s = p.shape;
  int64_t tiles = s.rowTiles(), perBlock = s.vectorsPerBlockAllPlanes();
  Value weights = p.prepacked ? bStorage : Value();
  if (!p.runtimeWeights && !p.prepacked)
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
  bool floatSums = p.bf16 || p.f32Decode;
  int64_t chains = p.f32Decode ? 1
                   : p.bf16    ? kBF16Chains
                               : std::max<int64_t>(1, 4 / rowsPerPass);

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
          Value zeroAcc = floatSums ? splatF32(x86::kTileRows, 0) : zeroI32(16);
          SmallVector<SmallVector<Value>> acc(count, SmallVector<Value>(chains, zeroAcc));
          // The exact tables' low-byte sums (acc holds the high bytes').
          SmallVector<SmallVector<Value>> accLow(p.lutExact ? count : 0,
                                                 SmallVector<Value>(chains, zeroAcc));
          if (p.intResult && !p.lutExact)
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
          // The lookup-table kernel, per 32 k: each plane's vector of
          // nibbles as table indices, and per row the tables of the first
          // and second 16 k looked up (vpermb) and summed with the plane's
          // weight 2^p (vpdpbusd, the weight as the unsigned operand).
          // vpshufb (no VBMI): per 16 k (ymm) or 32 k (zmm), each plane's
          // nibbles index one group's table per 128-bit lane; int16 sums
          // per row (lutLanesStep), widened once per block.
          SmallVector<std::array<Value, 2>> sums16;
          if (p.lut && s.lutLanes) {
            VectorType sumType = vec(p.lutWide ? 32 : 16, i16());
            sums16.assign(count, {splat(sumType, b.getI16IntegerAttr(0)),
                                  splat(sumType, b.getI16IntegerAttr(0))});
            for (int64_t v = 0; v < p.kb / 32; ++v) {
              SmallVector<Value> nibbles;
              for (size_t plane = 0; plane < s.planes.size(); ++plane)
                nibbles.push_back(vectorOf(plane, v));
              lutLanesStep(nibbles, words, rows, addc(mulc(blk, p.kb / 16), 2 * v), sums16);
            }
            for (int64_t r = 0; r < count; ++r)
              acc[r][0] = widenLutLanes(sums16[r]);
          }
          for (int64_t v = 0; p.lut && !s.lutLanes && v < p.kb / 32; ++v) {
            SmallVector<std::pair<Value, Value>> indices;
            for (size_t plane = 0; plane < s.planes.size(); ++plane) {
              Value nibbles = vectorOf(plane, v);
              if (p.planeXor >> s.shift(plane) & 1) // stored codes, inverted bit
                nibbles = arith::XOrIOp::create(b, loc, nibbles, splatI8(64, -1));
              indices.push_back(lutIndices(nibbles));
            }
            for (int64_t h = 0; h < 2; ++h) {
              // Per 16 k: 64 int8 entries, or (exact) 64 low bytes and 64
              // high bytes of int16 entries.
              SmallVector<Value> tables, highTables;
              Value at = mulc(addc(mulc(blk, p.kb / 16), 2 * v + h), p.lutExact ? 128 : 64);
              for (int64_t r = 0; r < count; ++r) {
                tables.push_back(read(vec(64, i8()), words, {rows[r], at}));
                if (p.lutExact)
                  highTables.push_back(read(vec(64, i8()), words, {rows[r], addc(at, 64)}));
              }
              for (size_t plane = 0; plane < s.planes.size(); ++plane) {
                Value index = h ? indices[plane].second : indices[plane].first;
                unsigned shift = s.shift(plane);
                Value weight = splatI8(64, static_cast<int8_t>(1u << shift));
                for (int64_t r = 0; r < count; ++r) {
                  Value look = lookup64(tables[r], index);
                  Value &chain = acc[r][step % chains];
                  if (!p.lutExact) {
                    chain = dot(chain, weight, look, 1u << shift);
                    continue;
                  }
                  Value high = lookup64(highTables[r], index);
                  chain = dot(chain, weight, high, 1u << shift);
                  // The low bytes are the unsigned operand, 2^p the signed
                  // one: 128 (plane 7) as 64 twice.
                  Value &low = accLow[r][step % chains];
                  Value lowWeight = splatI8(64, static_cast<int8_t>(1u << std::min(shift, 6u)));
                  for (unsigned t = 0; t < (shift == 7 ? 2u : 1u); ++t)
                    low = dot(low, look, lowWeight);
                }
                ++step;
              }
            }
          }
          // Exact tables: per row sum = low + 256 high over the planes'
          // weighted lookups, and the operand's dot product (sum + (2^b -
          // 1) * block sum) / 2 (a plane's bits give (entry + sum a) / 2),
          // added to the i32 total or scaled like the byte-dot kernel's.
          for (int64_t r = 0; p.lutExact && r < count; ++r) {
            Value high = acc[r][0], low = accLow[r][0];
            for (int64_t j = 1; j < chains; ++j) {
              high = add(high, acc[r][j]);
              low = add(low, accLow[r][j]);
            }
            VectorType rowVecI = vec(x86::kTileRows, i32());
            Value total = add(low, arith::ShLIOp::create(b, loc, high,
                                                         splat(rowVecI, b.getI32IntegerAttr(8))));
            Value blockSum = arith::FPToSIOp::create(
                b, loc, i32(), tensor::ExtractOp::create(b, loc, sums, ValueRange{rows[r], blk}));
            int32_t bias = (int32_t(1) << s.planes.size()) - 1;
            Value biasTerm = mul(vector::BroadcastOp::create(b, loc, rowVecI, blockSum),
                                 splat(rowVecI, b.getI32IntegerAttr(bias)));
            Value dotProduct = arith::ShRSIOp::create(b, loc, add(total, biasTerm),
                                                      splat(rowVecI, b.getI32IntegerAttr(1)));
            acc[r].assign(chains, zeroAcc);
            acc[r][0] = p.intResult ? add(ys[r], dotProduct) : dotProduct;
          }
          for (int64_t j = 0; !p.lut && j < p.kb / x86::kLaneK; ++j) {
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
            if (p.f32Decode) {
              // Each lane's 4 codes (k = 4 j + t in byte t) decoded to f32
              // and multiplied with the f32 activation at that k, in k
              // order into one chain per row (whatever the rows per pass:
              // every M gives the same bits); the decode, not the FMA
              // latency, bounds it, and rows of a pass share each decode.
              Value lanes = vector::BitCastOp::create(b, loc, vec(16, i32()), u);
              for (int64_t t = 0; t < x86::kLaneK; ++t) {
                Value code = arith::AndIOp::create(
                    b, loc,
                    arith::ShRUIOp::create(b, loc, lanes,
                                           splat(vec(16, i32()), b.getI32IntegerAttr(8 * t))),
                    splat(vec(16, i32()), b.getI32IntegerAttr(0xff)));
                Value w = decodeF32(code);
                Value k = addc(mulc(blk, p.kb), x86::kLaneK * j + t);
                for (int64_t r = 0; r < count; ++r) {
                  Value a = vector::BroadcastOp::create(
                      b, loc, rowVec, tensor::ExtractOp::create(b, loc, words, ValueRange{rows[r], k}));
                  Value &chain = acc[r][0];
                  chain = math::FmaOp::create(b, loc, w, a, chain);
                }
              }
              continue;
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
              chain = dot(chain, u, a, p.codes.maxOperand);
            }
            ++step;
          }
          auto fm = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
          SmallVector<Value> next;
          for (int64_t r = 0; r < count; ++r) {
            Value sum = acc[r][0];
            for (int64_t j = 1; j < chains; ++j)
              sum = floatSums ? arith::AddFOp::create(b, loc, sum, acc[r][j]).getResult()
                              : add(sum, acc[r][j]);
            if (p.intResult) {
              next.push_back(sum);
              continue;
            }
            Value f = floatSums ? sum : arith::SIToFPOp::create(b, loc, rowVec, sum).getResult();
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


StringRef mlir::lowbit::stringifyX86KernelKind(X86KernelKind kind) {
  switch (kind) {
  case X86KernelKind::Auto:
    return "auto";
  case X86KernelKind::ByteDot:
    return "byte-dot";
  case X86KernelKind::LookupTable:
    return "lut";
  case X86KernelKind::BitSerial:
    return "bit-serial";
  }
  llvm_unreachable("X86KernelKind");
}

std::optional<X86KernelKind> mlir::lowbit::parseX86KernelKind(StringRef name) {
  for (X86KernelKind k : {X86KernelKind::Auto, X86KernelKind::ByteDot, X86KernelKind::LookupTable,
                          X86KernelKind::BitSerial})
    if (name == stringifyX86KernelKind(k))
      return k;
  return std::nullopt;
}

StringRef mlir::lowbit::stringifyX86TableKind(X86TableKind kind) {
  return kind == X86TableKind::Exact ? "exact" : "int8";
}

std::optional<X86TableKind> mlir::lowbit::parseX86TableKind(StringRef name) {
  for (X86TableKind k : {X86TableKind::Int8, X86TableKind::Exact})
    if (name == stringifyX86TableKind(k))
      return k;
  return std::nullopt;
}

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
    if (entry.getName() == "kernel") {
      auto name = dyn_cast<StringAttr>(entry.getValue());
      std::optional<X86KernelKind> kind = name ? parseX86KernelKind(name.getValue()) : std::nullopt;
      if (!kind)
        return op.emitOpError() << kX86TuningAttrName
                                << ": 'kernel' must be one of \"auto\", \"byte-dot\", \"lut\", "
                                   "\"bit-serial\"";
      o.kernel = *kind;
      continue;
    }
    if (entry.getName() == "tables") {
      auto name = dyn_cast<StringAttr>(entry.getValue());
      std::optional<X86TableKind> kind = name ? parseX86TableKind(name.getValue()) : std::nullopt;
      if (!kind)
        return op.emitOpError() << kX86TuningAttrName
                                << ": 'tables' must be one of \"int8\", \"exact\"";
      o.tables = *kind;
      continue;
    }
    auto value = dyn_cast<IntegerAttr>(entry.getValue());
    int64_t *field = entry.getName() == "activation_block"    ? &o.activationBlock
                     : entry.getName() == "rows_per_pass"     ? &o.rowsPerPass
                     : entry.getName() == "prefetch_distance" ? &o.prefetchDistance
                                                              : nullptr;
    if (!field || !value)
      return op.emitOpError() << kX86TuningAttrName << ": '" << entry.getName()
                              << "' is not an integer entry of activation_block, "
                                 "rows_per_pass, prefetch_distance, nor kernel or tables";
    *field = value.getInt();
  }
  if (std::string e = checkX86KernelOptions(o); !e.empty())
    return op.emitOpError() << kX86TuningAttrName << ": " << e;
  return o;
}

namespace {
/// Replaces `op` by the kernel of `plan`.
void emitKernel(RewriterBase &rewriter, MpGemmOp op, const KernelPlan &plan) {
  rewriter.setInsertionPoint(op);
  Emitter e(rewriter, op.getLoc(), plan, op.getA());
  e.bindRuntimeOperands(op);
  Value a = e.paddedActivations(op.getA());
  Emitter::Activations act = plan.bf16       ? e.activationsBF16(a)
                            : plan.f32Decode ? e.activationsF32(a)
                            : plan.lutExact ? e.activationsExactLUT(a)
                            : plan.lut      ? e.activationsLUT(a)
                                            : e.activations(a);
  Value aScales = plan.aScaled ? op.getAParams()[0] : Value();
  Value c = e.kernel(act, aScales);
  if (plan.shape.rows != plan.shape.n)
    c = tensor::ExtractSliceOp::create(rewriter, op.getLoc(), op.getC().getType(), c,
                                       ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0),
                                                              rewriter.getIndexAttr(0)},
                                       ArrayRef<OpFoldResult>{e.mSize(),
                                                              rewriter.getIndexAttr(plan.shape.n)},
                                       ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                                              rewriter.getIndexAttr(1)});
  rewriter.replaceOp(op, c);
}

/// Whether every value of the activations' format is an i8.
bool valuesFitI8(MpGemmOp op) {
  std::optional<num::Format> f = getFormat(op.getA().getType().getElementType());
  if (!f)
    return false;
  for (uint64_t c = 0; c < (uint64_t(1) << f->bits()); ++c) {
    double v = num::decode(*f, c);
    if (!std::isfinite(v) || v != std::round(v) || v < -128 || v > 127)
      return false;
  }
  return true;
}

/// `op` with its activations as i8 values (exact: valuesFitI8), for the
/// byte-dot kernel: created before `op`. Codes that are their operand xor
/// a constant (every integer format) map to `alpha * (code xor x) + beta`
/// by one elementwise linalg.generic on their storage (vectorized by
/// LLVM); any other format through lowbit.cast (its tables).
MpGemmOp withInt8Activations(OpBuilder &b, MpGemmOp op) {
  Location loc = op.getLoc();
  RankedTensorType at = op.getA().getType();
  auto i8Type = RankedTensorType::get(at.getShape(), b.getI8Type());
  std::string why;
  std::optional<x86::WeightCodes> codes =
      x86::planWeightCodes(*getFormat(at.getElementType()), why);
  std::optional<uint8_t> x = codes ? operandXor(*codes) : std::nullopt;
  Value a8;
  if (x && codes->alpha == std::round(codes->alpha) && codes->beta == std::round(codes->beta)) {
    RankedTensorType st = getStorageTensorType(at);
    Value storage = ToStorageOp::create(b, loc, st, op.getA());
    Value init = emptyLike(b, loc, at.getShape(), b.getI8Type(),
                           dynamicSizesOf(b, loc, at.getShape(), storage));
    auto map = b.getMultiDimIdentityMap(2);
    auto i8c = [&](OpBuilder &nb, int64_t v) -> Value {
      return arith::ConstantOp::create(nb, loc, nb.getI8IntegerAttr(static_cast<int8_t>(v)));
    };
    int64_t mask = (int64_t(1) << getFormat(at.getElementType())->bits()) - 1;
    auto alpha = static_cast<int64_t>(codes->alpha), beta = static_cast<int64_t>(codes->beta);
    a8 = linalg::GenericOp::create(
             b, loc, TypeRange{i8Type}, ValueRange{storage}, ValueRange{init},
             ArrayRef<AffineMap>{map, map},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location, ValueRange args) {
               Value u = arith::AndIOp::create(
                   nb, loc, arith::XOrIOp::create(nb, loc, args[0], i8c(nb, *x)), i8c(nb, mask));
               Value v = alpha == 1 ? u : arith::MulIOp::create(nb, loc, u, i8c(nb, alpha)).getResult();
               if (beta)
                 v = arith::AddIOp::create(nb, loc, v, i8c(nb, beta));
               linalg::YieldOp::create(nb, loc, v);
             })
             .getResult(0);
  } else {
    a8 = CastOp::create(b, loc, i8Type, op.getA());
  }
  auto product = cast<MpGemmOp>(b.clone(*op.getOperation()));
  product->setOperand(0, a8);
  return product;
}

/// Erases what withInt8Activations created for `product`.
void eraseWithInt8Activations(RewriterBase &rewriter, MpGemmOp product) {
  Operation *a8 = product.getA().getDefiningOp();
  rewriter.eraseOp(product);
  SmallVector<Operation *> dead{a8};
  if (auto g = dyn_cast<linalg::GenericOp>(a8)) {
    dead.push_back(g.getDpsInits()[0].getDefiningOp());
    dead.push_back(g.getDpsInputs()[0].getDefiningOp());
  }
  for (Operation *o : dead)
    if (o && o->use_empty())
      rewriter.eraseOp(o);
}
} // namespace

LogicalResult mlir::lowbit::lowerMpGemmToX86(RewriterBase &rewriter, MpGemmOp op,
                                            const X86KernelOptions &baseOptions,
                                            std::string &whyNot) {
  FailureOr<X86KernelOptions> options = getTunedX86Options(op, baseOptions);
  if (failed(options)) {
    whyNot = "its lowbit.x86_tuning attribute is invalid";
    return failure();
  }
  if (isDenseF32Candidate(op)) {
    FailureOr<DenseF32Plan> plan = planDenseF32(op, *options, whyNot);
    return failed(plan) ? failure() : lowerDenseF32(rewriter, op, *plan);
  }
  if (isBitSerialCandidate(op)) {
    // Low-bit integer activation codes: the bit-serial kernel where the
    // cost model (or the product's tuning) prefers it, else the byte-dot
    // kernel on the codes' values as i8.
    std::string bitSerialWhyNot;
    // The checks first: the weight planes are packed only for the kernel
    // that takes the product.
    FailureOr<BitSerialPlan> bs =
        planBitSerial(op, *options, bitSerialWhyNot, /*checkOnly=*/true);
    auto lowerBitSerialKernel = [&] {
      std::string unused;
      return lowerBitSerial(rewriter, op, *planBitSerial(op, *options, unused));
    };
    if (succeeded(bs) && (options->kernel == X86KernelKind::BitSerial ||
                          bitSerialPays(*bs, options->target)))
      return lowerBitSerialKernel();
    if (options->kernel == X86KernelKind::BitSerial && options->requireKernel) {
      whyNot = bitSerialWhyNot;
      return failure();
    }
    std::string byteWhyNot = "the activations' values do not fit i8";
    if (valuesFitI8(op)) {
      rewriter.setInsertionPoint(op);
      MpGemmOp product = withInt8Activations(rewriter, op);
      byteWhyNot.clear();
      FailureOr<KernelPlan> plan = planKernel(product, *options, byteWhyNot);
      if (succeeded(plan)) {
        rewriter.replaceOp(op, product.getC());
        emitKernel(rewriter, product, *plan);
        return success();
      }
      eraseWithInt8Activations(rewriter, product);
    }
    // The byte-dot kernel cannot take it: the bit-serial one, where it can,
    // is still far faster than the reference path.
    if (succeeded(bs))
      return lowerBitSerialKernel();
    whyNot = bitSerialWhyNot + "; as i8 activations: " + byteWhyNot;
    return failure();
  }
  FailureOr<KernelPlan> plan = planKernel(op, *options, whyNot);
  if (failed(plan))
    return failure();
  emitKernel(rewriter, op, *plan);
  return success();
}

std::string mlir::lowbit::whyNotLowerableToX86(MpGemmOp op, const X86KernelOptions &options) {
  std::string whyNot;
  if (isDenseF32Candidate(op)) {
    (void)planDenseF32(op, options, whyNot, /*checkOnly=*/true);
    return whyNot;
  }
  if (!isBitSerialCandidate(op)) {
    (void)planKernel(op, options, whyNot, /*checkOnly=*/true);
    return whyNot;
  }
  // As lowerMpGemmToX86: the bit-serial kernel or the byte-dot one on i8
  // values (planned on a product built for the question and erased).
  if (succeeded(planBitSerial(op, options, whyNot, /*checkOnly=*/true)))
    return {};
  if (options.kernel == X86KernelKind::BitSerial && options.requireKernel)
    return whyNot;
  std::string byteWhyNot = "the activations' values do not fit i8";
  if (valuesFitI8(op)) {
    OpBuilder b(op);
    MpGemmOp product = withInt8Activations(b, op);
    byteWhyNot.clear();
    (void)planKernel(product, options, byteWhyNot, /*checkOnly=*/true);
    IRRewriter rewriter(b);
    eraseWithInt8Activations(rewriter, product);
  }
  return byteWhyNot.empty() ? std::string() : whyNot + "; as i8 activations: " + byteWhyNot;
}
