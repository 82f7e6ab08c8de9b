//===- BitSerialKernel.cpp - WpAq products as popcounts of bit planes -----===//
//
// C = A W^T (i32) with both operands low-bit integers: activation codes of
// a lowbit integer format of q <= 8 bits (a run-time tensor, typically the
// result of a per-token lowbit.quantize) and constant weights of p <= 8
// bits (ABQ-LLM / APT's arbitrary-precision bit-serial form, on CPUs).
//
// Each operand is an affine image of unsigned bits, value = alpha * u +
// beta (two's complement: u = code xor 2^(q-1), alpha 1, beta -2^(q-1);
// bipolar: alpha 2, beta -(2^q - 1); unsigned: u = code), so
//
//   sum_k a_k w_k = aA aW S + aA bW Sa + bA aW Sw + K bA bW,
//   S = sum_k uA_k uW_k = sum_{i<q, j<p} 2^(i+j) popcount(A_i AND W_j),
//
// with A_i and W_j the bit planes of uA and uW (K bits each, one 64-bit
// word per 64 k), Sa the row sums of uA (at run time) and Sw the column
// sums of uW (at compile time). The same identity holds for the bipolar
// planes' K - 2 popcount(A_i XOR W_j) form; the unsigned one takes every
// format alike. All of it is exact in (wrapping) int32, as the reference's
// i32 accumulation: the results are its bits.
//
// Code: the weight planes are packed at compile time, [n][j][word]; the
// activation planes at run time, [m][i][word], each word from 64 codes by
// a compare and a mask-to-integer bitcast (vptestmb + kmovq on AVX-512,
// vpmovmskb on AVX2). The product reads 512 bits (8 words: a zmm, two ymm,
// four q registers) of a plane per step and counts with math.ctpop, which
// LLVM turns into vpopcntq with AVX512-VPOPCNTDQ, a vpshufb nibble count on
// AVX2 and AVX-512BW, and cnt + pairwise adds on AArch64: the compiler
// chooses the instructions per target, no intrinsic is needed.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/bit.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;
namespace x86 = ::lowbit::x86;
using ::lowbit::target::CPUFeature;
using namespace mlir::lowbit::x86kernel;

namespace {
/// Words of one 512-bit step.
constexpr int64_t kStepWords = 8;
/// Weight rows per output tile (one scf.forall iteration).
constexpr int64_t kTileCols = 16;

bool integral(double v) { return std::isfinite(v) && v == std::round(v) && std::abs(v) < 1e6; }

unsigned bitsOf(unsigned maxOperand) { return maxOperand ? llvm::bit_width(maxOperand) : 1; }
} // namespace

bool mlir::lowbit::x86kernel::isBitSerialCandidate(MpGemmOp op) {
  Type aElem = op.getA().getType().getElementType();
  std::optional<num::Format> f = getFormat(aElem);
  // Builtin i8 activations take the byte-dot kernel; lowbit integer codes
  // (int<q>, bipolar, unsigned; ternary, which it refuses for its reserved
  // code, so that the remark says so) this one.
  return f && !isa<IntegerType>(aElem) && (f->isInt() || f->isTernary()) && f->bits() <= 8;
}

FailureOr<BitSerialPlan> mlir::lowbit::x86kernel::planBitSerial(MpGemmOp op,
                                                               const X86KernelOptions &options,
                                                               std::string &whyNot,
                                                               bool checkOnly) {
  const ::lowbit::target::CPUTarget &t = options.target;
  bool arm = t.family == ::lowbit::target::CPUFamily::AArch64;
  if (t.generic || (arm ? !t.has(CPUFeature::NEON) : !t.has(CPUFeature::AVX2))) {
    whyNot = "target '" + t.name + "' has no bit-serial kernel (needs AVX2 or NEON)";
    return failure();
  }
  if (!op.getAccType().isInteger(32) || !op.getC().getType().getElementType().isInteger(32) ||
      op.getASchemeAttr() || op.getBSchemeAttr()) {
    whyNot = "the bit-serial kernel (low-bit integer activations) takes i32 accumulation and "
             "results without scales";
    return failure();
  }
  std::optional<num::Format> aFormat = getFormat(op.getA().getType().getElementType());
  std::optional<num::Format> wFormat = getFormat(op.getB().getType().getElementType());
  if (!wFormat || !(wFormat->isInt() || wFormat->isTernary()) || wFormat->bits() > 8) {
    whyNot = "the bit-serial kernel takes integer weights of at most 8 bits";
    return failure();
  }
  std::string why;
  std::optional<x86::WeightCodes> a = x86::planWeightCodes(*aFormat, why);
  std::optional<x86::WeightCodes> w = x86::planWeightCodes(*wFormat, why);
  if (!a || !w || a->codebook || w->codebook) {
    whyNot = "the bit-serial kernel needs evenly spaced values: " + why;
    return failure();
  }
  std::optional<uint8_t> aXor = operandXor(*a);
  if (!aXor) {
    whyNot = "the bit-serial kernel needs activation codes that are their operand xor a "
             "constant, every code with a value";
    return failure();
  }
  if (!integral(a->alpha) || !integral(a->beta) || !integral(w->alpha) || !integral(w->beta)) {
    whyNot = "the bit-serial kernel needs integer values";
    return failure();
  }
  std::optional<std::vector<uint64_t>> codes = constantCodes(op.getB());
  if (!codes) {
    whyNot = "the bit-serial kernel needs constant weights (packed into bit planes at compile "
             "time)";
    return failure();
  }
  BitSerialPlan p;
  p.m = op.getM();
  p.n = op.getN();
  p.k = op.getK();
  p.q = bitsOf(a->maxOperand);
  p.p = bitsOf(w->maxOperand);
  p.aXor = *aXor;
  p.aMask = static_cast<uint8_t>((1u << p.q) - 1);
  p.alphaA = static_cast<int32_t>(a->alpha);
  p.betaA = static_cast<int32_t>(a->beta);
  p.alphaW = static_cast<int32_t>(w->alpha);
  p.betaW = static_cast<int32_t>(w->beta);
  p.words = (p.k + 64 * kStepWords - 1) / (64 * kStepWords) * kStepWords;
  p.cols = (p.n + kTileCols - 1) / kTileCols * kTileCols;
  for (uint64_t c : *codes)
    if (c >= w->finite.size() || !w->finite[c]) {
      whyNot = "a weight code has no finite value";
      return failure();
    }
  if (checkOnly)
    return p;
  bool transposed = op.getTransposeB();
  p.wPlanes.assign(p.cols * p.p * p.words, 0);
  p.wSums.assign(p.cols, 0);
  for (int64_t row = 0; row < p.n; ++row)
    for (int64_t col = 0; col < p.k; ++col) {
      uint64_t u = w->slot[(*codes)[transposed ? row * p.k + col : col * p.n + row]];
      p.wSums[row] += static_cast<int32_t>(u);
      for (unsigned j = 0; j < p.p; ++j)
        if (u >> j & 1)
          p.wPlanes[(row * p.p + j) * p.words + col / 64] |= uint64_t(1) << (col % 64);
    }
  return p;
}

bool mlir::lowbit::x86kernel::bitSerialPays(const BitSerialPlan &plan,
                                            const ::lowbit::target::CPUTarget &t) {
  // Instructions per activation row and 512 products. Bit-serial: per
  // plane pair an AND, a popcount and an add per register of the 512
  // bits (zmm 1, ymm 2, q 4), the popcount 1 instruction with
  // AVX512-VPOPCNTDQ, about 5 per zmm or ymm with the vpshufb count, 4 per
  // q register (cnt and three pairwise adds). Byte-dot on i8: 8 vpdpbusd
  // (VNNI), 16 (vpmaddubsw + vpmaddwd zmm), 48 (ymm, with the adds), 32
  // sdot / usdot. So with VNNI only p q <= 2 pays (measured on Zen 4,
  // docs/benchmarks/cpu-wpaq.md: W1A1 2x the int8 path at M = 8, W2A2
  // 0.75x), on AVX2 p q <= 3, on NEON p q = 1.
  bool arm = t.family == ::lowbit::target::CPUFamily::AArch64;
  double regs = arm ? 4 : t.has(CPUFeature::AVX512BW) ? 1 : 2;
  double popcount = arm                                    ? 4 * regs
                    : t.has(CPUFeature::AVX512VPOPCNTDQ) ? 1
                                                           : 5 * regs;
  double bitSerial = double(plan.p) * plan.q * (2 * regs + popcount);
  double byteDot = arm                                 ? 32
                   : t.has(CPUFeature::AVX512VNNI)     ? 8
                   : t.has(CPUFeature::AVX512BW)       ? 16
                                                       : 48;
  return bitSerial < byteDot;
}

LogicalResult mlir::lowbit::x86kernel::lowerBitSerial(RewriterBase &rewriter, MpGemmOp op,
                                                     const BitSerialPlan &p) {
  OpBuilder &b = rewriter;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), i64 = b.getI64Type();
  auto idx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(b, loc, v); };
  auto vec = [](int64_t n, Type t) { return VectorType::get({n}, t); };
  auto splat = [&](VectorType t, Attribute a) -> Value {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, a));
  };
  auto cI32 = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  };
  // The activations' planes and row sums, at run time (M read from the
  // codes' storage: the reference lowering converts that tensor's type).
  auto aType = op.getA().getType();
  RankedTensorType st = getStorageTensorType(aType);
  Value aCodes = st == aType ? op.getA() : ToStorageOp::create(b, loc, st, op.getA()).getResult();
  SmallVector<Value> dynamicM = dynamicSizesOf(b, loc, {p.m}, aCodes);
  Value m = dynamicM.empty() ? idx(p.m) : dynamicM[0];
  VectorType bytes = vec(64, i8);
  Value xorV = splat(bytes, b.getI8IntegerAttr(static_cast<int8_t>(p.aXor)));
  Value maskV = splat(bytes, b.getI8IntegerAttr(static_cast<int8_t>(p.aMask)));
  Value zeroBytes = splat(bytes, b.getI8IntegerAttr(0));
  // Padding k (past K) reads the code whose operand is 0.
  Value pad = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(static_cast<int8_t>(p.aXor)));
  Value planes0 = emptyLike(b, loc, {p.m, static_cast<int64_t>(p.q), p.words}, i64, dynamicM);
  Value sums0 = emptyLike(b, loc, {p.m}, i32, dynamicM);
  auto rows = scf::ForOp::create(
      b, loc, idx(0), m, idx(1), ValueRange{planes0, sums0},
      [&](OpBuilder &, Location, Value row, ValueRange st0) {
        Value zero = cI32(0);
        auto words = scf::ForOp::create(
            b, loc, idx(0), idx(p.words), idx(1), ValueRange{st0[0], zero},
            [&](OpBuilder &, Location, Value word, ValueRange st1) {
              Value col = arith::MulIOp::create(b, loc, word, idx(64));
              Value v = vector::TransferReadOp::create(b, loc, bytes, aCodes, ValueRange{row, col},
                                                       pad, ArrayRef<bool>{false});
              Value u = arith::AndIOp::create(b, loc, arith::XOrIOp::create(b, loc, v, xorV),
                                              maskV);
              Value sum = vector::ReductionOp::create(
                  b, loc, vector::CombiningKind::ADD,
                  arith::ExtUIOp::create(b, loc, vec(64, i32), u));
              Value planes = st1[0];
              for (unsigned i = 0; i < p.q; ++i) {
                Value bit = splat(bytes, b.getI8IntegerAttr(static_cast<int8_t>(1u << i)));
                Value set = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                                  arith::AndIOp::create(b, loc, u, bit), zeroBytes);
                Value asWord = vector::BitCastOp::create(b, loc, vec(1, i64), set);
                Value w = vector::ExtractOp::create(b, loc, asWord, ArrayRef<int64_t>{0});
                planes = tensor::InsertOp::create(b, loc, w, planes,
                                                  ValueRange{row, idx(i), word});
              }
              scf::YieldOp::create(b, loc,
                                   ValueRange{planes, arith::AddIOp::create(b, loc, st1[1], sum)});
            });
        Value sums = tensor::InsertOp::create(b, loc, words.getResult(1), st0[1], ValueRange{row});
        scf::YieldOp::create(b, loc, ValueRange{words.getResult(0), sums});
      });
  Value aPlanes = rows.getResult(0), aSums = rows.getResult(1);

  // The weights' planes and column sums, packed at compile time.
  auto wType = RankedTensorType::get({p.cols, static_cast<int64_t>(p.p), p.words}, i64);
  Value wPlanes = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wType, ArrayRef<uint64_t>(p.wPlanes)));
  auto sumType = RankedTensorType::get({p.cols}, i32);
  Value wSums = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(sumType, ArrayRef<int32_t>(p.wSums)));

  // C (M x cols, i32): tiles of 16 weight rows in parallel.
  VectorType step = vec(kStepWords, i64);
  int64_t weights = p.p + p.q - 1; // i + j
  Value c0 = emptyLike(b, loc, {p.m, p.cols}, i32, dynamicM);
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(p.cols / kTileCols)}, ValueRange{c0},
      std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value tile = forall.getInductionVar(0);
    Value firstCol = arith::MulIOp::create(b, loc, tile, idx(kTileCols));
    Value tile0 = emptyLike(b, loc, {p.m, kTileCols}, i32, dynamicM);
    auto mLoop = scf::ForOp::create(
        b, loc, idx(0), m, idx(1), ValueRange{tile0},
        [&](OpBuilder &, Location, Value row, ValueRange mState) {
          Value sa = tensor::ExtractOp::create(b, loc, aSums, ValueRange{row});
          Value outRow = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{kTileCols}, i32);
          auto cLoop = scf::ForOp::create(
              b, loc, idx(0), idx(kTileCols), idx(1), ValueRange{outRow},
              [&](OpBuilder &, Location, Value r, ValueRange cState) {
                Value n = arith::AddIOp::create(b, loc, firstCol, r);
                Value zero = splat(step, b.getI64IntegerAttr(0));
                SmallVector<Value> init(weights, zero);
                auto kLoop = scf::ForOp::create(
                    b, loc, idx(0), idx(p.words), idx(kStepWords), init,
                    [&](OpBuilder &, Location, Value w0, ValueRange accs) {
                      Value padWord =
                          arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
                      SmallVector<Value> ai, wj;
                      for (unsigned i = 0; i < p.q; ++i)
                        ai.push_back(vector::TransferReadOp::create(
                            b, loc, step, aPlanes, ValueRange{row, idx(i), w0}, padWord,
                            ArrayRef<bool>{true}));
                      for (unsigned j = 0; j < p.p; ++j)
                        wj.push_back(vector::TransferReadOp::create(
                            b, loc, step, wPlanes, ValueRange{n, idx(j), w0}, padWord,
                            ArrayRef<bool>{true}));
                      SmallVector<Value> next(accs.begin(), accs.end());
                      for (unsigned i = 0; i < p.q; ++i)
                        for (unsigned j = 0; j < p.p; ++j) {
                          Value both = arith::AndIOp::create(b, loc, ai[i], wj[j]);
                          Value count = math::CtPopOp::create(b, loc, both);
                          next[i + j] = arith::AddIOp::create(b, loc, next[i + j], count);
                        }
                      scf::YieldOp::create(b, loc, next);
                    });
                // S = sum_s 2^s * (counts of weight s), then the
                // affine terms, in wrapping int32.
                Value total = kLoop.getResult(0);
                for (int64_t s = 1; s < weights; ++s)
                  total = arith::AddIOp::create(
                      b, loc, total,
                      arith::ShLIOp::create(b, loc, kLoop.getResult(s),
                                            splat(step, b.getI64IntegerAttr(s))));
                Value s64 =
                    vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, total);
                Value sum = arith::TruncIOp::create(b, loc, i32, s64);
                Value sw = tensor::ExtractOp::create(b, loc, wSums, ValueRange{n});
                auto mulc = [&](Value x, int64_t c) -> Value {
                  return c == 1 ? x : arith::MulIOp::create(b, loc, x, cI32(c)).getResult();
                };
                Value y = mulc(sum, int64_t(p.alphaA) * p.alphaW);
                if (p.betaW)
                  y = arith::AddIOp::create(b, loc, y, mulc(sa, int64_t(p.alphaA) * p.betaW));
                if (p.betaA)
                  y = arith::AddIOp::create(b, loc, y, mulc(sw, int64_t(p.betaA) * p.alphaW));
                if (int64_t c = p.k * int64_t(p.betaA) * p.betaW)
                  y = arith::AddIOp::create(b, loc, y, cI32(c));
                scf::YieldOp::create(
                    b, loc, tensor::InsertOp::create(b, loc, y, cState[0], ValueRange{r})
                                .getResult());
              });
          Value written = tensor::InsertSliceOp::create(
              b, loc, cLoop.getResult(0), mState[0], ArrayRef<OpFoldResult>{row, b.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(kTileCols)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
          scf::YieldOp::create(b, loc, written);
        });
    OpFoldResult mSize = dynamicM.empty() ? OpFoldResult(b.getIndexAttr(p.m)) : OpFoldResult(m);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, loc, mLoop.getResult(0), forall.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), firstCol},
        ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(kTileCols)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  Value c = forall.getResult(0);
  if (p.cols != p.n) {
    OpFoldResult mSize = dynamicM.empty() ? OpFoldResult(b.getIndexAttr(p.m)) : OpFoldResult(m);
    c = tensor::ExtractSliceOp::create(
        b, loc, op.getC().getType(), c,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(p.n)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  rewriter.replaceOp(op, c);
  return success();
}
