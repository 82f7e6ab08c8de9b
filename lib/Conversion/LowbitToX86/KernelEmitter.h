//===- KernelEmitter.h - Code generation of the x86 mpGEMM kernels -*- C++ -*-===//
//
// The emitter of convert-lowbit-to-x86: one KernelPlan (KernelPlan.h) as
// vector, arith, scf and tensor ops with x86 intrinsics. Its members are
// defined by kernel family, one file each: MpGemmToX86.cpp (the kernel loop
// over row tiles, passes and blocks; byte-dot activations and products),
// BF16Kernel.cpp (the bf16 kernel's activations and decode), F32Kernel.cpp
// (the f32 kernel's), LutKernel.cpp
// (the lookup-table kernel's tables and lookups), RuntimeOperands.cpp
// (weights, scales and zero points read at run time). Internal to
// lib/Conversion/LowbitToX86.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOX86_KERNELEMITTER_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOX86_KERNELEMITTER_H

#include "KernelPlan.h"

#include "lowbit/Conversion/LowbitCommon/LoweringHelpers.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>
#include <tuple>
#include <utility>

namespace mlir::lowbit::x86kernel {

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

  Value storageOf(Value v);

  /// The run-time operands of `op` the plan reads.
  void bindRuntimeOperands(MpGemmOp op);

  /// Element `indices` of a run-time scale or zero-point tensor (storage
  /// form) as f32: floats extended, codes of at most 8 bits looked up in a
  /// table of their exact values (NaN codes give NaN).
  Value readF32(Value storage, Type elementType, ValueRange indices);

  /// sw and zb of 16 weight rows (clamped to N - 1) in scale group `g`,
  /// read at run time: dequant = sw * (operand - zb).
  std::pair<Value, Value> runtimeScaleVectors(ArrayRef<Value> rows, Value g);

  /// Where row r's bytes of block `blk` start (plus `ahead` bytes) in the
  /// run-time weight storage: [r, col] or, for 1-D packed bytes, [offset].
  SmallVector<Value> rowIndex(Value r, Value blk, int64_t ahead);

  /// Prefetches for run-time weights, one block's share. Consecutive rows
  /// (N a multiple of 16): a tile's rows are one contiguous region, read a
  /// slice of every row per block, so each block prefetches its share of
  /// the next tile's region (16 * bytes per block, line by line), which is
  /// in cache when that tile starts; 16 separate row streams were too many
  /// for the hardware prefetchers (cold weights took 2x the time of the
  /// compile-time layout). Clamped rows: each row's line a 16th of the
  /// prefetch distance ahead.
  void prefetchRuntimeWeights(ArrayRef<Value> bRows, Value nt, Value blk);

  /// Run-time weights: the kb / 4 vectors of one block (16 rows x 4 k
  /// each) from 16 row reads of kb bytes, transposed in registers by
  /// log2(16) interleaving shuffles (16 x kb/4 words to kb/4 x 16), each
  /// code masked to its bits and xor-ed into its operand.
  SmallVector<Value> runtimeBlockVectors(ArrayRef<Value> rows, Value blk);
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

  /// 16 x i32 from four results of 4 x i32 (one NEON q register each).
  template <typename F> Value byQuartersI32(F f) {
    return concat(concat(f(0), f(1)), concat(f(2), f(3)));
  }

  /// Bytes looked up in a 16-entry table (replicated per 128-bit lane).
  Value shuffleBytes(Value table, Value indices);

  /// Bytes looked up in a 64-byte table, indices below 64: vpermb, or on
  /// AArch64 tbl with four table registers per 16 indices.
  Value lookup64(Value table, Value indices);

  /// acc (16 x i32) + the sums of 4 products operand (u8) x activation
  /// (s8). `maxOperand` bounds the operands (sdot takes them as they are
  /// up to 127, else through the xor-0x80 identity of DotISA::NeonSDot).
  Value dot(Value acc, Value operands, Value activations, unsigned maxOperand = 255);

  /// A, padded with zeros to the kernel's k.
  Value paddedActivations(Value a);

  /// Block `blk` (kb k) of row `row` of A, in f32 (f16 and bf16 extended).
  Value blockF32(Value a, Value row, Value blk) {
    Type aElem = cast<RankedTensorType>(a.getType()).getElementType();
    Value v = read(vec(p.kb, aElem), a, {row, mulc(blk, p.kb)});
    return aElem.isF32() ? v : arith::ExtFOp::create(b, loc, vec(p.kb, f32()), v).getResult();
  }

  /// Activations as the kernel reads them.
  struct Activations {
    Value words;  ///< M x cols/4 i32: the int8 values, 4 k per word (lookup
                  ///< tables: M x 4 cols i8, 64 entries per 16 k)
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
  Activations activationsBF16(Value a);

  /// The f32 kernel's activations (KernelPlan::f32Decode): A in f32 (M x
  /// cols, as it is, f16 and bf16 extended), each block's sum in f32.
  Activations activationsF32(Value a);

  /// The exact f32 values of 16 codes (one per 32-bit lane, 16 x i32)
  /// under the plan's F32WeightDecode.
  Value decodeF32(Value codes);

  /// A byte per code looked up in a table of up to 256 entries: vpermb for
  /// 64, vpermi2b for 128, two of them and a select on the index's top bit
  /// for 256.
  Value lookupBytes(ArrayRef<uint8_t> table, Value indices);

  /// The bf16 values of 64 codes (KernelShape::pairedLanes order) as the
  /// two vectors vdpbf16ps takes: lane i = row i's (k0, k1), then (k2, k3).
  std::pair<Value, Value> decodeBF16Pairs(Value codes, bool pairedLanes);

  /// The lookup-table kernel's activations: per row and 16 k, 64 int8
  /// entries, entry 16 j + i = sum over t < 4 of +-a(4 j + t) (+ where bit
  /// t of i is set), rounded with one scale per block (its largest |entry|
  /// / 127); the block's scale is half that and its sum is the activations'
  /// sum in units of it.
  Activations activationsLUT(Value a);

  /// The exact tables' activations (KernelPlan::lutExact): those of the
  /// byte-dot kernel (`activations`: int8 values, block scales and sums,
  /// row totals), with `words` replaced by per row and 16 k 64 low bytes,
  /// then 64 high bytes of the int16 entries sum over t < 4 of +-q(4 j + t)
  /// (entry 16 j + i, + where bit t of i is set).
  Activations activationsExactLUT(Value a);

  /// The table indices of a vector of 1-bit plane nibbles
  /// (KernelShape::lutNibbles): byte 4 i + j of the low (high) half holds
  /// 16 j + its byte's low (high) nibble, the entry of group j of the
  /// table of the vector's first (second) 16 k that vpermb looks up.
  std::pair<Value, Value> lutIndices(Value nibbles);

  /// The vpshufb tables kernel (KernelShape::lutLanes), 32 k of `count`
  /// rows: `nibbles` are each plane's 64-byte vector, `chunk` the index of
  /// its first 16 k among a row's tables. Per half (16 k) and 128-bit lane
  /// l, the low nibbles look up group 2 l and the high ones group 2 l + 1
  /// of the row's table (vpshufb), the two interleaved into pairs of a row
  /// (vpunpcklbw / vpunpckhbw) and summed times the plane weight into
  /// int16 (vpmaddubsw): sums[r] = {rows 0-7, rows 8-15}, each [groups 0 +
  /// 1 | groups 2 + 3] per 128-bit lane. On zmm (KernelPlan::lutWide) both
  /// halves at once, 4 lanes: [first 16 k | second 16 k] each.
  void lutLanesStep(ArrayRef<Value> nibbles, Value tables, ArrayRef<Value> rows, Value chunk,
                    SmallVectorImpl<std::array<Value, 2>> &sums);
  /// A row's int16 sums of lutLanesStep as the 16 x i32 sums of its rows.
  Value widenLutLanes(const std::array<Value, 2> &sums);

  /// Float activations quantized per block (int8 values, block scales and
  /// block sums), or int8 activations taken as they are.
  Activations activations(Value a);

  /// Packed run-time weights of w < 8 bits hold k = j * 8 / w + s in slot
  /// s of byte j of each 4-byte lane: the int8 activations of every 32 / w
  /// k reordered to match (position 4 s + j takes k = j * 8 / w + s), so
  /// that the kernel's slot loop (which takes slot s as k 4 s .. 4 s + 3)
  /// multiplies each code with its own activation.
  Value slotOrder(Value q8);

  /// One block of f32 activations (blockF32) as int8 values (symmetric,
  /// amax / 127, round to nearest even), their sum (i32) and the block
  /// scale.
  std::tuple<Value, Value, Value> quantizeBlock(Value v);

  /// i32 accumulation: alpha * sum + (beta - Z) * rowsum in int32 (wrapping
  /// like the reference's int32 result), then float(s) * factorA * factorB
  /// when scaled, one f32 rounding each (the reference's order).
  Value intEpilogue(Value sum, Value nt, Value row, Value totals, Value aScales,
                    Value offsetTable, Value fbTable);

  Value constantTensor(ArrayRef<int64_t> shape, ArrayRef<float> values) {
    auto t = RankedTensorType::get(shape, f32());
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, values));
  }

  /// The result (f32, or i32 for unscaled i32 accumulation), M x rows
  /// (padded). `aScales` are A's scheme scales (i32 accumulation with an
  /// a_scheme).
  Value kernel(const Activations &act, Value aScales);
};

} // namespace mlir::lowbit::x86kernel

#endif
