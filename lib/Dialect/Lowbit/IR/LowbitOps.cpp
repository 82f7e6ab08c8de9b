//===- LowbitOps.cpp - lowbit tensor operations ---------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"
#include "lowbit/Numerics/Bulk.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/SwapByteOrder.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;

#define GET_OP_CLASSES
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

bool mlir::lowbit::hasNumberFormat(Type type) { return getFormat(type).has_value(); }

QuantizedOperand QuantizedOperand::get(Value codes, ValueRange params,
                                       SchemeAttr scheme) {
  QuantizedOperand q;
  q.codes = codes;
  q.scheme = scheme;
  if (!scheme || params.empty())
    return q;
  q.scales = params[0];
  if (scheme.hasZeroPoint() && params.size() > 1)
    q.zeroPoints = params[1];
  if (scheme.hasTensorScale() && params.size() > 1)
    q.tensorScale = params[1];
  return q;
}

num::TensorScheme mlir::lowbit::getTensorScheme(SchemeAttr scheme, Type elementType,
                                                ArrayRef<int64_t> shape) {
  num::TensorScheme s;
  switch (scheme.getRule()) {
  case ScaleRule::MX: s.rule = num::SchemeRule::MX; break;
  case ScaleRule::NvFp4: s.rule = num::SchemeRule::NvFp4; break;
  case ScaleRule::AbsMax: s.rule = num::SchemeRule::AbsMax; break;
  case ScaleRule::GptqMinMax: s.rule = num::SchemeRule::GptqMinMax; break;
  case ScaleRule::AwqMinMax: s.rule = num::SchemeRule::AwqMinMax; break;
  case ScaleRule::MinOffset: s.rule = num::SchemeRule::MinOffset; break;
  }
  s.element = *getFormat(elementType);
  s.scale = *getFormat(scheme.getScaleType());
  if (scheme.getZeroType())
    s.zero = *getFormat(scheme.getZeroType());
  SmallVector<int64_t> ext = scheme.getGroupExtents(shape);
  s.extents.assign(ext.begin(), ext.end());
  return s;
}

namespace {
bool isRealType(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
  return s.empty() ? "scalar" : s;
}

/// A tensor's encoding: none, or (where `allowed`) a bit layout that fits
/// its codes. Ops compute on codes, so a tensor stored in a layout must be
/// unpacked first; lowbit.constant and lowbit.pack produce such tensors and
/// lowbit.unpack reads them.
LogicalResult verifyEncoding(Operation *op, RankedTensorType type, StringRef what,
                             bool allowed) {
  Attribute enc = type.getEncoding();
  if (!enc)
    return success();
  auto layout = dyn_cast<LayoutAttr>(enc);
  if (!layout)
    return op->emitOpError() << what << " has an encoding lowbit does not know: " << enc;
  if (!allowed)
    return op->emitOpError() << what << " is stored in a layout (" << layout
                             << "); lowbit.unpack it first";
  if (layout.getKind() != LayoutKind::Bits)
    return op->emitOpError() << what << ": a tensor encoding must be a bit layout, got "
                             << layout;
  std::optional<num::Format> f = getFormat(type.getElementType());
  if (!f || f->bits() != layout.getElementBits())
    return op->emitOpError() << what << ": the layout is for " << layout.getElementBits()
                             << "-bit codes, not " << type.getElementType();
  if (type.getRank() < 1 || type.getRank() > 2 || !type.hasStaticShape())
    return op->emitOpError() << what << ": a layout encodes a static vector or matrix";
  auto bits = layout.getBitLayout(type.getRank() == 2 ? type.getDimSize(0) : 1,
                                  type.getShape().back());
  if (!bits)
    return op->emitOpError() << what << ": layout does not fit " << shapeStr(type.getShape())
                             << ": " << bits.error();
  return success();
}

/// Checks the parameter tensors of codes quantized per `scheme`: the
/// scales (scale grid shape, scale format), then zero points or the
/// per-tensor scale. `what` names the operand in messages. Where
/// `dynamic` allows it, the codes may have dynamic dimensions along which
/// each element has its own scale (or, to read codes, one scale spans the
/// whole axis).
enum class DynamicAxes { None, PerElement, PerElementOrSpanning };
LogicalResult verifyQuantized(Operation *op, StringRef what, RankedTensorType codes,
                              TypeRange params, SchemeAttr scheme, DynamicAxes dynamic) {
  if (dynamic == DynamicAxes::None && !codes.hasStaticShape())
    return op->emitOpError() << what << " must have a static shape";
  if (failed(verifyEncoding(op, codes, what, false)))
    return failure();
  if (!scheme) {
    if (!params.empty())
      return op->emitOpError() << what << " has scale operands but no scheme";
    return success();
  }
  std::string why = scheme.checkElementType(codes.getElementType());
  if (!why.empty())
    return op->emitOpError() << what << ": " << why;
  ArrayRef<int64_t> shape = codes.getShape();
  int64_t rank = shape.size();
  int64_t axis = scheme.getAxisIn(rank);
  if ((scheme.getGranularity() == Granularity::Channel ||
       scheme.getGranularity() == Granularity::Group) &&
      (axis < 0 || axis >= rank))
    return op->emitOpError() << what << ": scheme axis " << scheme.getAxis()
                             << " is out of range for rank " << rank;
  if (scheme.getGranularity() == Granularity::Block && rank < 2)
    return op->emitOpError() << what << ": 2-D blocks need a tensor of rank >= 2";
  SmallVector<int64_t> extents = scheme.getGroupExtents(shape);
  // Along a dynamic axis the grid either follows the axis (groups of one
  // element) or has one entry (a group spanning it); groups of a fixed size
  // would need the axis to be a multiple of them, which only the caller's
  // shape decides.
  for (int64_t d = 0; d < rank; ++d) {
    if (!ShapedType::isDynamic(shape[d]) || extents[d] == 1)
      continue;
    if (!ShapedType::isDynamic(extents[d]))
      return op->emitOpError() << what << ": scale groups of " << extents[d]
                               << " elements along the dynamic axis " << d
                               << " are not supported (one scale per element or per "
                                  "whole axis there)";
    // Quantizing would reduce over an axis whose size only the caller
    // knows; reading codes with such a scale is fine.
    if (dynamic != DynamicAxes::PerElementOrSpanning)
      return op->emitOpError() << what << ": a scale group spanning the dynamic axis " << d
                               << " is not supported here (one scale per element along it)";
  }
  if (!scheme.allowsPartialGroups())
    for (int64_t d = 0; d < rank; ++d)
      if (!ShapedType::isDynamic(shape[d]) && extents[d] > 0 && shape[d] % extents[d] != 0)
        return op->emitOpError()
               << what << ": axis " << d << " has " << shape[d]
               << " elements, not a multiple of the group extent " << extents[d]
               << " (rule '" << stringifyScaleRule(scheme.getRule())
               << "' needs whole groups)";
  size_t expected = 1 + (scheme.hasZeroPoint() ? 1 : 0) + (scheme.hasTensorScale() ? 1 : 0);
  if (params.size() != expected)
    return op->emitOpError() << what << ": scheme needs " << expected
                             << " parameter tensors (scales"
                             << (scheme.hasOffset()      ? ", offsets"
                                 : scheme.hasZeroPoint() ? ", zero points"
                                                         : "")
                             << (scheme.hasTensorScale() ? ", tensor scale" : "")
                             << "), got " << params.size();
  SmallVector<int64_t> gridShape = scheme.getScaleShape(shape);
  auto check = [&](Type t, StringRef name, Type elem,
                   ArrayRef<int64_t> wantShape) -> LogicalResult {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || rt.getShape() != wantShape || rt.getElementType() != elem)
      return op->emitOpError()
             << what << ": " << name << " must be "
             << RankedTensorType::get(wantShape, elem) << ", got " << t;
    return success();
  };
  if (failed(check(params[0], "scales", scheme.getScaleType(), gridShape)))
    return failure();
  if (scheme.hasZeroPoint() &&
      failed(check(params[1], scheme.hasOffset() ? "offsets" : "zero points",
                   scheme.getZeroType(), gridShape)))
    return failure();
  if (scheme.hasTensorScale() &&
      failed(check(params[1], "tensor scale", Float32Type::get(op->getContext()), {})))
    return failure();
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult PrefetchOp::verify() {
  if (getIndices().size() != static_cast<size_t>(getTensor().getType().getRank()))
    return emitOpError() << "takes " << getTensor().getType().getRank() << " indices, got "
                         << getIndices().size();
  return success();
}

LogicalResult PureIntrinsicOp::verify() {
  if (!getIntrin().starts_with("llvm."))
    return emitOpError() << "'" << getIntrin() << "' is not an LLVM intrinsic name (llvm.*)";
  return success();
}

LogicalResult ConstantOp::verify() {
  auto type = getResult().getType();
  std::optional<num::Format> f = getFormat(type.getElementType()); // Lowbit_CodeTensor
  auto codes = dyn_cast<DenseIntElementsAttr>(getValue());
  if (!codes)
    return emitOpError() << "value must be a dense integer attribute of codes";
  auto intType = dyn_cast<IntegerType>(codes.getElementType());
  if (!intType || intType.getWidth() != f->bits())
    return emitOpError() << "codes of " << type.getElementType() << " are i"
                         << f->bits() << ", got " << codes.getElementType();
  if (codes.getType().getShape() != type.getShape())
    return emitOpError() << "value shape " << shapeStr(codes.getType().getShape())
                         << " differs from the result shape " << shapeStr(type.getShape());
  if (f->isTernary()) {
    // 0b10 is not a ternary code (it would decode to NaN in f32 and to 0 in
    // the integer path): reject it here rather than compute with it. Two-bit
    // codes are stored a byte each.
    ArrayRef<char> raw = codes.getRawData();
    size_t n = codes.isSplat() ? 1 : static_cast<size_t>(codes.getNumElements());
    for (size_t i = 0; i < n && i < raw.size(); ++i)
      if ((raw[i] & 3) == 2)
        return emitOpError() << "code 2 (0b10) at element " << i
                             << " is reserved in !lowbit.ternary (codes: 0 = 0, 1 = +1, 3 = -1)";
  }
  return verifyEncoding(*this, type, "result", /*allowed=*/true);
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

Operation *LowbitDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                              Type type, Location loc) {
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return nullptr;
  if (dense.getType() == type)
    return arith::ConstantOp::create(builder, loc, type, dense);
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType || !isa<DenseIntElementsAttr>(dense))
    return nullptr;
  return ConstantOp::create(builder, loc, tensorType, dense);
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

Value QuantizeOp::getZeroPoints() {
  return getScheme().hasZeroPoint() && !getExtras().empty() ? getExtras()[0] : Value();
}

Value QuantizeOp::getTensorScale() {
  return getScheme().hasTensorScale() && !getExtras().empty() ? getExtras()[0] : Value();
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType in = getInput().getType();
  for (Value r : getResults())
    if (failed(verifyEncoding(*this, cast<RankedTensorType>(r.getType()), "result", false)))
      return failure();
  RankedTensorType codes = getCodes().getType();
  if (codes.getShape() != in.getShape())
    return emitOpError() << "codes shape " << shapeStr(codes.getShape())
                         << " differs from the input shape " << shapeStr(in.getShape());
  SmallVector<Type> params{getScales().getType()};
  llvm::append_range(params, getExtras().getTypes());
  return verifyQuantized(*this, "codes", codes, params, getScheme(), DynamicAxes::PerElement);
}

namespace {
/// Folds that would materialize more elements than this are skipped (the
/// op is then lowered to run-time code): a huge weight constant must not
/// exhaust memory at compile time. Splats fold at any size.
constexpr int64_t kMaxFoldElements = int64_t(1) << 28;

/// The codes of `values` as a dense attribute of `bits`-wide integers.
DenseIntElementsAttr codesAttr(ArrayRef<int64_t> shape, unsigned bits,
                               ArrayRef<uint32_t> values, MLIRContext *ctx) {
  // Unsigned, so that codes print as the bit patterns they are.
  auto type = RankedTensorType::get(shape, IntegerType::get(ctx, bits, IntegerType::Unsigned));
  if (bits > 1 && bits <= 32 && llvm::sys::IsLittleEndianHost) {
    // Dense storage holds 2..32-bit integers in ceil(bits / 8) little-endian
    // bytes each: build it directly (an APInt per element costs more than
    // the quantization of a large weight).
    size_t bytes = (bits + 7) / 8;
    std::vector<char> raw(values.size() * bytes);
    for (size_t i = 0; i < values.size(); ++i)
      std::memcpy(raw.data() + i * bytes, &values[i], bytes);
    return cast<DenseIntElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, raw));
  }
  SmallVector<APInt> ints;
  ints.reserve(values.size());
  for (uint32_t v : values)
    ints.emplace_back(bits, v);
  return DenseIntElementsAttr::get(type, ints);
}

/// Scales as the attribute of their type: float elements for f32/f16/bf16,
/// codes otherwise.
DenseElementsAttr scalesAttr(ArrayRef<int64_t> shape, Type elem,
                             ArrayRef<uint32_t> codes, MLIRContext *ctx) {
  auto floatType = dyn_cast<FloatType>(elem);
  if (floatType && isRealType(elem)) {
    SmallVector<APFloat> vals;
    for (uint32_t c : codes)
      vals.emplace_back(floatType.getFloatSemantics(),
                        APInt(floatType.getWidth(), c));
    return DenseElementsAttr::get(RankedTensorType::get(shape, elem), vals);
  }
  return codesAttr(shape, getFormat(elem)->bits(), codes, ctx);
}
} // namespace

SmallVector<Attribute> mlir::lowbit::getQuantizedAttrs(SchemeAttr scheme, Type element,
                                                       ArrayRef<int64_t> shape,
                                                       const num::QuantizedTensor &q) {
  MLIRContext *ctx = scheme.getContext();
  num::TensorScheme ts = getTensorScheme(scheme, element, shape);
  SmallVector<int64_t> grid = scheme.getScaleShape(shape);
  SmallVector<Attribute> results;
  results.push_back(codesAttr(shape, ts.element.bits(), q.codes, ctx));
  results.push_back(scalesAttr(grid, scheme.getScaleType(), q.scales, ctx));
  if (scheme.hasOffset())
    results.push_back(scalesAttr(grid, scheme.getZeroType(), q.zeroPoints, ctx));
  else if (scheme.hasZeroPoint())
    results.push_back(codesAttr(grid, ts.zero->bits(), q.zeroPoints, ctx));
  if (scheme.hasTensorScale())
    results.push_back(DenseElementsAttr::get(
        RankedTensorType::get({}, Float32Type::get(ctx)), q.tensorScale));
  return results;
}

SmallVector<Type> mlir::lowbit::getQuantizeResultTypes(SchemeAttr scheme, Type element,
                                                       ArrayRef<int64_t> shape) {
  SmallVector<Type> types{RankedTensorType::get(shape, element)};
  SmallVector<int64_t> grid = scheme.getScaleShape(shape);
  types.push_back(RankedTensorType::get(grid, scheme.getScaleType()));
  if (scheme.hasZeroPoint())
    types.push_back(RankedTensorType::get(grid, scheme.getZeroType()));
  if (scheme.hasTensorScale())
    types.push_back(RankedTensorType::get({}, Float32Type::get(scheme.getContext())));
  return types;
}

SchemeAttr mlir::lowbit::fitSchemeToReduction(SchemeAttr s, int64_t k) {
  if (s.getGranularity() != Granularity::Group || s.allowsPartialGroups() || k <= 0 ||
      k % s.getGroupSize() == 0)
    return s;
  int64_t g = std::min(s.getGroupSize(), k);
  while (k % g)
    --g;
  return SchemeAttr::get(s.getContext(), s.getRule(), s.getGranularity(), s.getAxis(), g,
                         s.getBlock(), s.getScaleType(), s.getZeroType(), s.getElementType());
}

int64_t mlir::lowbit::getStoredBits(SchemeAttr s, Type element, ArrayRef<int64_t> shape) {
  auto bitsOf = [](Type t) -> int64_t {
    if (!t)
      return 0;
    if (std::optional<num::Format> f = getFormat(t))
      return f->bits();
    return t.getIntOrFloatBitWidth();
  };
  int64_t elements = 1, groups = 1;
  for (int64_t d : shape)
    elements *= d;
  for (int64_t d : s.getScaleShape(shape))
    groups *= d;
  return bitsOf(element) * elements + (bitsOf(s.getScaleType()) + bitsOf(s.getZeroType())) * groups +
         (s.hasTensorScale() ? 32 : 0);
}

LogicalResult QuantizeOp::fold(FoldAdaptor adaptor, SmallVectorImpl<OpFoldResult> &results) {
  auto input = dyn_cast_or_null<DenseFPElementsAttr>(adaptor.getInput());
  if (!input || input.getNumElements() > kMaxFoldElements)
    return failure();
  RankedTensorType codesType = getCodes().getType();
  ArrayRef<int64_t> shape = codesType.getShape();
  std::vector<float> x;
  x.reserve(input.getNumElements());
  if (input.getElementType().isF32()) {
    auto values = input.getValues<float>(); // direct reads of the storage
    x.assign(values.begin(), values.end());
  } else {
    for (APFloat v : input.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      x.push_back(v.convertToFloat());
    }
  }
  SchemeAttr scheme = getScheme();
  Type element = codesType.getElementType();
  num::TensorScheme ts = getTensorScheme(scheme, element, shape);
  num::QuantizedTensor q =
      num::quantizeTensor(ts, std::vector<int64_t>(shape.begin(), shape.end()), x.data());
  for (Attribute a : getQuantizedAttrs(scheme, element, shape, q))
    results.push_back(a);
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  RankedTensorType codes = getCodes().getType();
  RankedTensorType result = getResult().getType();
  if (failed(verifyEncoding(*this, result, "result", false)))
    return failure();
  if (codes.getShape() != result.getShape())
    return emitOpError() << "result shape " << shapeStr(result.getShape())
                         << " differs from the codes shape " << shapeStr(codes.getShape());
  return verifyQuantized(*this, "codes", codes, getParams().getTypes(), getSchemeAttr(),
                         DynamicAxes::PerElementOrSpanning);
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  // Compatible shapes (the trait) are not enough: a dynamic dimension must
  // stay dynamic, so that the result's size is the input's.
  if (getInput().getType().getShape() != getResult().getType().getShape())
    return emitOpError() << "result shape " << shapeStr(getResult().getType().getShape())
                         << " differs from the input shape "
                         << shapeStr(getInput().getType().getShape());
  if (failed(verifyEncoding(*this, getInput().getType(), "input", false)) ||
      failed(verifyEncoding(*this, getResult().getType(), "result", false)))
    return failure();
  return success();
}

num::EncodePolicy CastOp::getPolicy() {
  // The enum values are the Numerics library's (LowbitAttrs.td).
  num::EncodePolicy p;
  p.rounding = static_cast<num::Rounding>(getRounding());
  p.overflow = static_cast<num::Overflow>(getOverflow());
  return p;
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  auto input = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input || (!input.isSplat() && input.getNumElements() > kMaxFoldElements))
    return {};
  Type from = getInput().getType().getElementType();
  Type to = getResult().getType().getElementType();
  num::Format ff = *getFormat(from), tf = *getFormat(to);
  num::EncodePolicy p = getPolicy();
  SmallVector<uint32_t> codes;
  auto add = [&](uint64_t code) {
    codes.push_back(static_cast<uint32_t>(num::convert(ff, code & ff.codeMask(), tf, p)));
  };
  ArrayRef<int64_t> resultShape = getResult().getType().getShape();
  if (input.isSplat()) {
    // A splat stays a splat: one conversion, whatever the size.
    if (auto fp = dyn_cast<DenseFPElementsAttr>(input))
      add(fp.getSplatValue<APFloat>().bitcastToAPInt().getZExtValue());
    else
      add(input.getSplatValue<APInt>().getZExtValue());
    DenseElementsAttr one = scalesAttr({1}, to, codes, getContext());
    return DenseElementsAttr::get(RankedTensorType::get(resultShape, one.getElementType()),
                                  one.getValues<Attribute>()[0]);
  }
  codes.reserve(input.getNumElements());
  if (from.isF32() && tf.bits() <= 16) {
    // The bulk encoder: bit-identical to the scalar codec (BulkTest), and
    // fast enough to fold a large weight at compile time.
    auto values = cast<DenseFPElementsAttr>(input).getValues<float>();
    std::vector<float> x(values.begin(), values.end());
    codes.resize(x.size());
    num::BulkEncoder(tf, p).encodeCodes(x.data(), x.size(), codes.data());
  } else if (auto fp = dyn_cast<DenseFPElementsAttr>(input)) {
    for (const APFloat &v : fp.getValues<APFloat>())
      add(v.bitcastToAPInt().getZExtValue());
  } else {
    for (const APInt &v : input.getValues<APInt>())
      add(v.getZExtValue());
  }
  ArrayRef<int64_t> shape = getResult().getType().getShape();
  return scalesAttr(shape, to, codes, getContext());
}

//===----------------------------------------------------------------------===//
// MpGemmOp
//===----------------------------------------------------------------------===//

namespace {
bool isIntegerValued(Type t) {
  std::optional<num::Format> f = getFormat(t);
  return f && (f->isInt() || f->isTernary());
}
} // namespace

LogicalResult MpGemmOp::verify() {
  RankedTensorType a = getA().getType(), b = getB().getType(), c = getC().getType();
  if (a.getRank() != 2 || b.getRank() != 2 || c.getRank() != 2)
    return emitOpError() << "A, B and C must be matrices (rank 2)";
  // Empty products (M, K or N of 0) have nothing to compute and no kernel
  // handles them: refuse them here.
  for (auto [name, t] : {std::pair{"A", a}, {"B", b}, {"C", c}})
    if (llvm::is_contained(t.getShape(), 0))
      return emitOpError() << name << " has an empty dimension (" << shapeStr(t.getShape())
                           << "); mpgemm needs M, K and N of at least 1";
  // The planned storage of B must be one B's codes can be stored in.
  if (LayoutAttr l = getBLayoutAttr())
    if (failed(l.verifyEncoding(b.getShape(), b.getElementType(),
                                [&] { return emitOpError() << "b_layout: "; })))
      return failure();
  // M (the batch or token dimension) may be dynamic, in A and C alike;
  // K, N and the weights are static.
  if (!b.hasStaticShape() || a.isDynamicDim(1) || c.isDynamicDim(1))
    return emitOpError() << "only M (dimension 0 of A and C) may be dynamic; got "
                         << shapeStr(a.getShape()) << ", " << shapeStr(b.getShape()) << ", "
                         << shapeStr(c.getShape());
  if (a.isDynamicDim(0) != c.isDynamicDim(0))
    return emitOpError() << "M must be dynamic in A and C alike, got "
                         << shapeStr(a.getShape()) << " and " << shapeStr(c.getShape());
  int64_t m = a.getDimSize(0), k = a.getDimSize(1);
  int64_t kb = getTransposeB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = getTransposeB() ? b.getDimSize(0) : b.getDimSize(1);
  if (kb != k)
    return emitOpError() << "K differs: A is " << shapeStr(a.getShape()) << ", B is "
                         << shapeStr(b.getShape())
                         << (getTransposeB() ? " (N x K)" : " (K x N)");
  if (c.getDimSize(0) != m || c.getDimSize(1) != n)
    return emitOpError() << "C must be " << shapeStr({m, n}) << ", got "
                         << shapeStr(c.getShape());
  if (failed(verifyQuantized(*this, "A", a, getAParams().getTypes(), getASchemeAttr(),
                             DynamicAxes::PerElementOrSpanning)) ||
      failed(verifyQuantized(*this, "B", b, getBParams().getTypes(), getBSchemeAttr(),
                             DynamicAxes::None)))
    return failure();
  Type acc = getAccType();
  Type out = c.getElementType();
  bool scaled = getAScheme() || getBScheme();
  if (acc.isInteger(32)) {
    if (!isIntegerValued(a.getElementType()) || !isIntegerValued(b.getElementType()))
      return emitOpError() << "an i32 accumulator needs integer codes on both sides, "
                              "got "
                           << a.getElementType() << " and " << b.getElementType();
    for (auto [side, s] : {std::pair<StringRef, SchemeAttr>{"A", getASchemeAttr()},
                           {"B", getBSchemeAttr()}})
      if (s && s.hasOffset())
        return emitOpError() << "an i32 accumulator cannot hold " << side
                             << "'s values: rule 'min_offset' adds a float offset "
                                "to every code";
    auto constantAlongK = [&](SchemeAttr s, RankedTensorType t, int64_t kAxis) {
      return !s || s.getGroupExtents(t.getShape())[kAxis] >= k;
    };
    if (!constantAlongK(getAScheme().value_or(nullptr), a, 1) ||
        !constantAlongK(getBScheme().value_or(nullptr), b, getTransposeB() ? 1 : 0))
      return emitOpError() << "with an i32 accumulator scales must be constant along "
                              "K (per tensor or per channel), since they multiply "
                              "the exact integer sum";
    if (scaled ? !isRealType(out) : !out.isInteger(32))
      return emitOpError() << "with an i32 accumulator the result is "
                           << (scaled ? "f32, f16 or bf16 (scaled)" : "i32 (unscaled)")
                           << ", got " << out;
    return success();
  }
  if (!acc.isF32() && !acc.isF64())
    return emitOpError() << "accumulator must be f32, f64 or i32, got " << acc;
  if (!isRealType(out))
    return emitOpError() << "result must be f32, f16 or bf16 with a float "
                            "accumulator, got "
                         << out;
  return success();
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp
//===----------------------------------------------------------------------===//

namespace {
LogicalResult verifyPacking(Operation *op, RankedTensorType codes, RankedTensorType bytes,
                            std::optional<BitOrder> order, LayoutAttr layout) {
  std::optional<num::Format> f = getFormat(codes.getElementType()); // Lowbit_CodeTensor
  if (f->bits() > 16)
    return op->emitOpError() << "packing handles codes of at most 16 bits, got "
                             << f->bits();
  if (!codes.hasStaticShape() || !bytes.hasStaticShape() || codes.getRank() < 1)
    return op->emitOpError() << "codes and bytes must have static shapes of rank >= 1";
  if (failed(verifyEncoding(op, codes, "codes", false)))
    return failure();
  if (getLayoutEncoding(bytes)) {
    // Codes in a layout-encoded tensor: the encoding is the layout.
    if (order || layout)
      return op->emitOpError() << "a layout-encoded tensor carries its layout; give no "
                                  "order or layout attribute";
    if (bytes.getShape() != codes.getShape() ||
        bytes.getElementType() != codes.getElementType())
      return op->emitOpError() << "the layout-encoded tensor must have the codes' shape "
                                  "and element type";
    return verifyEncoding(op, bytes, "encoded tensor", true);
  }
  if (!bytes.getElementType().isInteger(8))
    return op->emitOpError() << "packed bytes must be i8 (or the codes with a layout "
                                "encoding), got "
                             << bytes.getElementType();
  if (order.has_value() == static_cast<bool>(layout))
    return op->emitOpError() << "needs exactly one of a bit order or a layout";
  if (layout) {
    if (layout.getKind() != LayoutKind::Bits)
      return op->emitOpError() << "packing needs a bit layout (#lowbit.layout<bits<...>>), got "
                               << layout;
    if (layout.getElementBits() != f->bits())
      return op->emitOpError() << "the layout is for " << layout.getElementBits()
                               << "-bit codes, not " << f->bits() << "-bit ones";
    if (codes.getRank() > 2)
      return op->emitOpError() << "a layout packs a vector or a matrix of codes";
    int64_t rows = codes.getRank() == 2 ? codes.getDimSize(0) : 1;
    auto bl = layout.getBitLayout(rows, codes.getShape().back());
    if (!bl)
      return op->emitOpError() << "layout does not fit codes " << shapeStr(codes.getShape())
                               << ": " << bl.error();
    if (bytes.getRank() != 1 || bytes.getDimSize(0) != bl->storageBytes())
      return op->emitOpError() << "codes " << shapeStr(codes.getShape()) << " take "
                               << bl->storageBytes() << " bytes in this layout, not "
                               << shapeStr(bytes.getShape());
    return success();
  }
  if (codes.getRank() != bytes.getRank())
    return op->emitOpError() << "codes and bytes must have the same rank";
  SmallVector<int64_t> want(codes.getShape());
  want.back() = llvm::divideCeil(want.back() * f->bits(), 8);
  if (bytes.getShape() != ArrayRef<int64_t>(want))
    return op->emitOpError() << "codes " << shapeStr(codes.getShape()) << " of "
                             << f->bits() << " bits pack into " << shapeStr(want)
                             << " bytes, not " << shapeStr(bytes.getShape());
  return success();
}
} // namespace

LogicalResult PackOp::verify() {
  return verifyPacking(*this, getCodes().getType(), getPacked().getType(), getOrder(),
                       getLayoutAttr());
}

LogicalResult UnpackOp::verify() {
  return verifyPacking(*this, getCodes().getType(), getPacked().getType(), getOrder(),
                       getLayoutAttr());
}

std::vector<uint8_t> mlir::lowbit::packCodes(ArrayRef<uint64_t> codes, ArrayRef<int64_t> shape,
                                             unsigned bits, std::optional<BitOrder> order,
                                             LayoutAttr layout) {
  int64_t k = shape.back();
  int64_t rows = static_cast<int64_t>(codes.size()) / k;
  std::vector<uint32_t> c(codes.begin(), codes.end());
  if (layout) {
    auto bl = *layout.getBitLayout(rows, k);
    std::vector<uint8_t> out(bl.storageBytes());
    bl.pack(c.data(), out.data());
    return out;
  }
  int64_t kb = llvm::divideCeil(k * bits, 8);
  std::vector<uint8_t> out(rows * kb);
  auto o = *order == BitOrder::MSBFirst ? num::BitOrder::MsbFirst : num::BitOrder::LsbFirst;
  for (int64_t r = 0; r < rows; ++r)
    num::pack(c.data() + r * k, k, bits, o, out.data() + r * kb);
  return out;
}

std::vector<uint64_t> mlir::lowbit::unpackCodes(ArrayRef<uint8_t> bytes,
                                                ArrayRef<int64_t> shape, unsigned bits,
                                                std::optional<BitOrder> order,
                                                LayoutAttr layout) {
  int64_t k = shape.back(), n = 1;
  for (int64_t d : shape)
    n *= d;
  int64_t rows = n / k;
  std::vector<uint32_t> c(n);
  if (layout) {
    layout.getBitLayout(rows, k)->unpack(bytes.data(), c.data());
  } else {
    int64_t kb = llvm::divideCeil(k * bits, 8);
    auto o = *order == BitOrder::MSBFirst ? num::BitOrder::MsbFirst : num::BitOrder::LsbFirst;
    for (int64_t r = 0; r < rows; ++r)
      num::unpack(bytes.data() + r * kb, k, bits, o, c.data() + r * k);
  }
  return {c.begin(), c.end()};
}

LayoutAttr mlir::lowbit::getLayoutEncoding(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t ? dyn_cast_or_null<LayoutAttr>(t.getEncoding()) : LayoutAttr();
}

DenseIntElementsAttr mlir::lowbit::packCodesAttr(DenseIntElementsAttr codes,
                                                 ArrayRef<int64_t> shape,
                                                 std::optional<BitOrder> order,
                                                 LayoutAttr layout,
                                                 RankedTensorType bytesType) {
  unsigned bits = codes.getElementType().getIntOrFloatBitWidth();
  SmallVector<uint64_t> values;
  for (const APInt &v : codes.getValues<APInt>())
    values.push_back(v.getZExtValue());
  std::vector<uint8_t> bytes = packCodes(values, shape, bits, order, layout);
  SmallVector<APInt> vals;
  for (uint8_t b : bytes)
    vals.emplace_back(8, b);
  return DenseIntElementsAttr::get(bytesType, vals);
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  auto input = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getCodes());
  if (!input)
    return {};
  if (getLayoutEncoding(getPacked().getType()))
    return input; // the same codes, now a constant stored in the layout
  return packCodesAttr(input, getCodes().getType().getShape(), getOrder(), getLayoutAttr(),
                       getPacked().getType());
}

//===----------------------------------------------------------------------===//
// to_storage
//===----------------------------------------------------------------------===//

LogicalResult ToStorageOp::verify() {
  RankedTensorType in = getCodes().getType(), out = getStorage().getType();
  RankedTensorType expected = getStorageTensorType(in);
  if (!expected)
    return emitOpError() << "operand type " << in << " has no storage type";
  if (out != expected)
    return emitOpError() << "result must be the storage type of " << in << ", " << expected
                         << ", not " << out;
  return success();
}

OpFoldResult ToStorageOp::fold(FoldAdaptor) {
  // Types whose storage is themselves (f32, i8, ...): the operand.
  if (getCodes().getType() == getStorage().getType())
    return getCodes();
  return {};
}
