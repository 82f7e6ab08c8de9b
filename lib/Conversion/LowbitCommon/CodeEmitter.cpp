//===- CodeEmitter.cpp - Decode and encode codes in generated code --------===//
//
// Tables instead of decoding arithmetic: a format of at most 16 bits has at
// most 65536 codes, so the Numerics library's exact decode of every code is
// a constant, and its encoder is a sorted list of f64 bit patterns where the
// code changes (CodeSteps.h). Generated code thus gives the library's bits
// for posits, minifloats of any kind and bias, bipolar integers and ternary
// alike, with no second implementation of any format to get wrong.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/LowbitCommon/CodeEmitter.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/CodeSteps.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/FormatDescriptor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;

namespace {
constexpr unsigned kMaxTableBits = 16;

bool isStandardFloat(Type t) { return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(t); }

Value tableConstant(OpBuilder &b, Location loc, Type elem, ArrayRef<Attribute> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())}, elem);
  return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, values));
}

/// The storage value as an integer of the same width.
Value storageBits(OpBuilder &b, Location loc, Value storage) {
  if (auto ft = dyn_cast<FloatType>(storage.getType()))
    return arith::BitcastOp::create(b, loc, b.getIntegerType(ft.getWidth()), storage);
  return storage;
}

/// An integer code zero-extended or truncated to i32/i64.
Value toWidth(OpBuilder &b, Location loc, Value v, unsigned width) {
  unsigned w = v.getType().getIntOrFloatBitWidth();
  Type t = b.getIntegerType(width);
  if (w < width)
    return arith::ExtUIOp::create(b, loc, t, v);
  if (w > width)
    return arith::TruncIOp::create(b, loc, t, v);
  return v;
}
/// Declares a runtime function in the enclosing module once. Formats wider
/// than 16 bits have too many codes for tables; their codes go through the
/// Numerics library in the runtime (lowbit/Runtime/WideCodec.h).
FlatSymbolRefAttr runtimeFunction(OpBuilder &b, Location loc, StringRef name,
                                  FunctionType type) {
  Operation *module = b.getInsertionBlock()->getParentOp();
  while (module && !isa<ModuleOp>(module))
    module = module->getParentOp();
  auto moduleOp = cast<ModuleOp>(module);
  if (!moduleOp.lookupSymbol(name)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(moduleOp.getBody());
    auto f = func::FuncOp::create(b, loc, name, type);
    f.setPrivate();
  }
  return FlatSymbolRefAttr::get(b.getContext(), name);
}

Value constI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}
} // namespace

Value mlir::lowbit::constF64(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
}
Value mlir::lowbit::constF32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value mlir::lowbit::constI32(OpBuilder &b, Location loc, int32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
}

Value mlir::lowbit::exp2F64(OpBuilder &b, Location loc, Value e) {
  // The f64 with biased exponent e + 1023 and a zero mantissa.
  Value biased = arith::AddIOp::create(b, loc, e, constI32(b, loc, 1023));
  Value wide = arith::ExtUIOp::create(b, loc, b.getI64Type(), biased);
  Value bits = arith::ShLIOp::create(
      b, loc, wide, arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(52)));
  return arith::BitcastOp::create(b, loc, b.getF64Type(), bits);
}

namespace {
/// f32 -> bf16 rounded to nearest-even on the bit pattern: exact for every
/// finite value including subnormals, overflow to infinity, NaN kept quiet.
/// (arith.truncf would do, but on hosts with AVX512-BF16 LLVM selects
/// vcvtneps2bf16, which flushes subnormal results to zero.)
Value f32ToBF16(OpBuilder &b, Location loc, Value v) {
  Type i32 = b.getI32Type(), i16 = b.getI16Type();
  auto c = [&](uint32_t x) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(static_cast<int32_t>(x)));
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, v);
  Value lsb = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, bits, c(16)), c(1));
  Value rounded = arith::AddIOp::create(
      b, loc, bits, arith::AddIOp::create(b, loc, lsb, c(0x7FFF)));
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value quiet = arith::OrIOp::create(b, loc, bits, c(0x00400000));
  Value chosen = arith::SelectOp::create(b, loc, nan, quiet, rounded);
  Value top = arith::TruncIOp::create(b, loc, i16,
                                      arith::ShRUIOp::create(b, loc, chosen, c(16)));
  return arith::BitcastOp::create(b, loc, b.getBF16Type(), top);
}

/// f64 -> f32 rounded to odd (toward zero, then the lowest bit set when
/// inexact): a later rounding to a format of at most 22 significant bits
/// (bf16) then rounds the f64 value correctly, with no double rounding.
Value f64ToF32RoundToOdd(OpBuilder &b, Location loc, Value v) {
  Value t = arith::TruncFOp::create(b, loc, b.getF32Type(), v,
                                    arith::RoundingModeAttr::get(
                                        b.getContext(), arith::RoundingMode::toward_zero),
                                    arith::FastMathFlagsAttr{});
  Value back = arith::ExtFOp::create(b, loc, b.getF64Type(), t);
  Value inexact = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, back, v);
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, t);
  Value odd = arith::OrIOp::create(b, loc, bits,
                                   arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(1)));
  return arith::BitcastOp::create(b, loc, b.getF32Type(),
                                  arith::SelectOp::create(b, loc, inexact, odd, bits));
}
} // namespace

Value mlir::lowbit::castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.isBF16() && from.isF32())
    return f32ToBF16(b, loc, v);
  if (to.isBF16() && from.isF64())
    return f32ToBF16(b, loc, f64ToF32RoundToOdd(b, loc, v));
  if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
    return arith::TruncFOp::create(b, loc, to, v);
  return arith::ExtFOp::create(b, loc, to, v);
}

//===----------------------------------------------------------------------===//
// Decoder
//===----------------------------------------------------------------------===//

std::optional<Decoder> Decoder::get(OpBuilder &b, Location loc, Type elementType,
                                    bool wantInt, std::string &error) {
  Decoder d;
  std::optional<num::Format> f = getFormat(elementType);
  if (!f || !getStorageElementType(elementType)) {
    error = "the reference lowering cannot decode elements of this type";
    return std::nullopt;
  }
  d.format = *f;
  bool integerValued = f->isInt() || f->isTernary();
  if (isStandardFloat(elementType)) {
    d.kind = Kind::Float;
    return d;
  }
  if (f->bits() > kMaxTableBits) {
    if (f->isInt()) {
      d.kind = Kind::WideInt;
      return d;
    }
    d.kind = Kind::Call;
    d.callee = runtimeFunction(
        b, loc, "lowbit_rt_decode",
        b.getFunctionType({b.getI64Type(), b.getI64Type()}, {b.getF64Type()}));
    return d;
  }
  d.kind = Kind::Table;
  uint64_t n = uint64_t(1) << f->bits();
  std::vector<double> values(n);
  bool f32Exact = true;
  for (uint64_t c = 0; c < n; ++c) {
    values[c] = num::decode(*f, c);
    double v = values[c];
    if (!std::isnan(v) && static_cast<double>(static_cast<float>(v)) != v)
      f32Exact = false;
  }
  Type tableElem = f32Exact ? Type(b.getF32Type()) : Type(b.getF64Type());
  SmallVector<Attribute> attrs;
  attrs.reserve(n);
  for (double v : values)
    attrs.push_back(f32Exact ? Attribute(b.getF32FloatAttr(static_cast<float>(v)))
                             : Attribute(b.getF64FloatAttr(v)));
  d.table = tableConstant(b, loc, tableElem, attrs);
  if (wantInt && integerValued) {
    SmallVector<Attribute> ints;
    ints.reserve(n);
    for (double v : values) // the reserved ternary code decodes to NaN: 0 here
      ints.push_back(b.getI32IntegerAttr(std::isnan(v) ? 0 : static_cast<int32_t>(v)));
    d.intTable = tableConstant(b, loc, b.getI32Type(), ints);
  }
  return d;
}

Value Decoder::index(OpBuilder &b, Location loc, Value storage) const {
  Value bits = toWidth(b, loc, storageBits(b, loc, storage), 32);
  Value masked = arith::AndIOp::create(
      b, loc, bits, constI32(b, loc, static_cast<int32_t>(format.codeMask())));
  return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), masked);
}

namespace {
/// The integer value of a wide integer code, as i64.
Value wideIntValue(OpBuilder &b, Location loc, const num::Format &f, Value storage) {
  unsigned n = f.bits();
  Value c = toWidth(b, loc, storageBits(b, loc, storage), 64);
  auto i64c = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v)).getResult();
  };
  switch (f.intEncoding()) {
  case num::IntEncoding::Signed: {
    Value up = arith::ShLIOp::create(b, loc, c, i64c(64 - n));
    return arith::ShRSIOp::create(b, loc, up, i64c(64 - n));
  }
  case num::IntEncoding::Unsigned:
    return arith::AndIOp::create(b, loc, c, i64c(static_cast<int64_t>(f.codeMask())));
  case num::IntEncoding::Bipolar: {
    Value m = arith::AndIOp::create(b, loc, c, i64c(static_cast<int64_t>(f.codeMask())));
    Value twice = arith::ShLIOp::create(b, loc, m, i64c(1));
    return arith::SubIOp::create(b, loc, twice, i64c(static_cast<int64_t>(f.codeMask())));
  }
  }
  return c;
}
} // namespace

Value Decoder::exact(OpBuilder &b, Location loc, Value storage) const {
  switch (kind) {
  case Kind::Float:
    return storage;
  case Kind::Table:
    return tensor::ExtractOp::create(b, loc, table, index(b, loc, storage));
  case Kind::Call: {
    Value code = toWidth(b, loc, storageBits(b, loc, storage), 64);
    code = arith::AndIOp::create(b, loc, code,
                                 constI64(b, loc, static_cast<int64_t>(format.codeMask())));
    Value desc = constI64(b, loc, ::lowbit::num::packFormat(format));
    return func::CallOp::create(b, loc, callee, TypeRange{b.getF64Type()},
                                ValueRange{desc, code})
        .getResult(0);
  }
  case Kind::WideInt:
    break;
  }
  llvm_unreachable("integers are converted by the caller");
}

Value Decoder::f64(OpBuilder &b, Location loc, Value storage) const {
  if (kind == Kind::WideInt)
    return arith::SIToFPOp::create(b, loc, b.getF64Type(),
                                   wideIntValue(b, loc, format, storage));
  return castFloat(b, loc, exact(b, loc, storage), b.getF64Type());
}

Value Decoder::f32(OpBuilder &b, Location loc, Value storage) const {
  // One rounding from the exact value, as decodeToF32 (a no-op for f32
  // tables and storage).
  if (kind == Kind::WideInt)
    return arith::SIToFPOp::create(b, loc, b.getF32Type(),
                                   wideIntValue(b, loc, format, storage));
  return castFloat(b, loc, exact(b, loc, storage), b.getF32Type());
}

Value Decoder::i32(OpBuilder &b, Location loc, Value storage) const {
  if (kind == Kind::WideInt)
    return arith::TruncIOp::create(b, loc, b.getI32Type(),
                                   wideIntValue(b, loc, format, storage));
  if (kind == Kind::Table && intTable)
    return tensor::ExtractOp::create(b, loc, intTable, index(b, loc, storage));
  // Builtin i8/i16/i32 storage holds the two's complement value itself.
  Value bits = storageBits(b, loc, storage);
  unsigned w = bits.getType().getIntOrFloatBitWidth();
  if (w < 32)
    return arith::ExtSIOp::create(b, loc, b.getI32Type(), bits);
  return toWidth(b, loc, bits, 32);
}

//===----------------------------------------------------------------------===//
// Encoder
//===----------------------------------------------------------------------===//

std::optional<Encoder> Encoder::get(OpBuilder &b, Location loc, Type elementType,
                                    const num::EncodePolicy &policy, std::string &error) {
  Encoder e;
  e.policy = policy;
  e.storage = getStorageElementType(elementType);
  std::optional<num::Format> f = getFormat(elementType);
  if (!f || !e.storage) {
    error = "the reference lowering cannot encode elements of this type";
    return std::nullopt;
  }
  e.format = *f;
  bool nearestEven = policy.rounding == num::Rounding::NearestEven;
  // f32/f64 results round to nearest-even by a truncation of the f64 value;
  // any other rounding goes through the runtime codec below.
  if ((elementType.isF32() || elementType.isF64()) && nearestEven) {
    e.kind = Kind::F32;
    return e;
  }
  if (f->bits() > kMaxTableBits) {
    if (policy.rounding == num::Rounding::Stochastic) {
      error = "stochastic rounding is not a deterministic encoder";
      return std::nullopt;
    }
    e.kind = Kind::Call;
    e.callee = runtimeFunction(
        b, loc, "lowbit_rt_encode",
        b.getFunctionType({b.getI64Type(), b.getI64Type(), b.getF64Type()}, {b.getI64Type()}));
    return e;
  }
  e.kind = Kind::Steps;
  const num::F64EncodeSteps &s = num::f64EncodeStepsFor(*f, policy);
  size_t padded = 1;
  while (padded < s.steps.size())
    padded *= 2;
  e.searchBits = llvm::Log2_64(padded);
  SmallVector<Attribute> steps, codes;
  for (size_t i = 0; i < padded; ++i) {
    bool real = i < s.steps.size();
    steps.push_back(b.getI64IntegerAttr(
        static_cast<int64_t>(real ? s.steps[i] : ~uint64_t(0))));
    codes.push_back(b.getI32IntegerAttr(
        static_cast<int32_t>(real ? s.codes[i] : s.codes.back())));
  }
  e.steps = tableConstant(b, loc, b.getI64Type(), steps);
  e.codes = tableConstant(b, loc, b.getI32Type(), codes);
  return e;
}

Value Encoder::encode(OpBuilder &b, Location loc, Value x) const {
  if (kind == Kind::F32) {
    Value r = castFloat(b, loc, x, storage);
    if (policy.overflow != num::Overflow::Saturate)
      return r;
    // Saturate: a finite input that rounds to Inf gives the largest finite.
    Type ft = storage;
    Value absR = math::AbsFOp::create(b, loc, r);
    Value absX = math::AbsFOp::create(b, loc, x);
    Value inf = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(ft, APFloat::getInf(cast<FloatType>(ft).getFloatSemantics())));
    Value infX = constF64(b, loc, INFINITY);
    Value overflowed = arith::AndIOp::create(
        b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, absR, inf),
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, absX, infX));
    Value maxF = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(ft, APFloat::getLargest(cast<FloatType>(ft).getFloatSemantics())));
    Value sat = math::CopySignOp::create(b, loc, maxF, r);
    return arith::SelectOp::create(b, loc, overflowed, sat, r);
  }
  if (kind == Kind::Call) {
    Value code = func::CallOp::create(
                     b, loc, callee, TypeRange{b.getI64Type()},
                     ValueRange{constI64(b, loc, ::lowbit::num::packFormat(format)),
                                constI64(b, loc, ::lowbit::num::packPolicy(policy)),
                                castFloat(b, loc, x, b.getF64Type())})
                     .getResult(0);
    Value bits = toWidth(b, loc, code, storage.getIntOrFloatBitWidth());
    if (isa<FloatType>(storage))
      return arith::BitcastOp::create(b, loc, storage, bits);
    return bits;
  }
  // Branch-free search: j ends at the last step whose pattern is <= u.
  Value u = arith::BitcastOp::create(b, loc, b.getI64Type(), castFloat(b, loc, x, b.getF64Type()));
  Value j = arith::ConstantIndexOp::create(b, loc, 0);
  for (unsigned bit = searchBits; bit-- > 0;) {
    Value k = arith::AddIOp::create(b, loc, j,
                                    arith::ConstantIndexOp::create(b, loc, int64_t(1) << bit));
    Value step = tensor::ExtractOp::create(b, loc, steps, k);
    Value le = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, step, u);
    j = arith::SelectOp::create(b, loc, le, k, j);
  }
  Value code = tensor::ExtractOp::create(b, loc, codes, j);
  unsigned w = storage.getIntOrFloatBitWidth();
  Value bits = toWidth(b, loc, code, w);
  if (isa<FloatType>(storage))
    return arith::BitcastOp::create(b, loc, storage, bits);
  return bits;
}
