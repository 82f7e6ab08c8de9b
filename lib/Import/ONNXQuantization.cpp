//===- ONNXQuantization.cpp - QuantizeLinear, DequantizeLinear, MatMulNBits ===//
//
// Weights that arrive quantized keep their codes: a DequantizeLinear of
// constants is known f32 values (what every reader but a product sees)
// that also carry their codes, scales and zero points (Val::quantized), and
// MatMul, Gemm and Conv feed those codes to lowbit.mpgemm under the lowbit
// scheme that holds their scales (linearOnCodes). com.microsoft.MatMulNBits
// is such a product by itself. Where no scheme holds the scales (fp8 codes,
// 16-bit codes, blocks that do not divide the dimension) the product reads
// the f32 values, which are the same numbers.
//
// QuantizeLinear of a computed tensor is codes at run time (lowbit.cast of
// the rounded, shifted and clamped quotient), which only DequantizeLinear
// reads (lowbit.dequantize, then (v - zero) * scale).
//
// The numbers are ONNX's: QuantizeLinear is saturate(round(x / scale) +
// zero) with ties to even, the quotient and the sum in f32;
// DequantizeLinear is (x - zero) * scale in f32. Named policy: NaN
// quantizes to the lowest code (as onnxruntime's x86 kernels give it).
//
//===----------------------------------------------------------------------===//

#include "CodeConstants.h"
#include "ONNXImporter.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"

#include "mlir/AsmParser/AsmParser.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace ::lowbit::import;
using namespace ::lowbit::import::onnximport;

namespace {
/// ONNX data types of codes.
enum : int32_t {
  kFloat = 1, kUInt8 = 2, kInt8 = 3, kUInt16 = 4, kInt16 = 5, kInt32 = 6, kFloat8First = 17,
  kFloat8Last = 20, kUInt4 = 21, kInt4 = 22
};

/// An integer code format of ONNX.
struct IntCodes {
  unsigned bits = 8;
  bool isSigned = true;
  int64_t lo() const { return isSigned ? -(int64_t(1) << (bits - 1)) : 0; }
  int64_t hi() const { return isSigned ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1; }
  /// The MLIR element type of these codes.
  std::string type() const {
    if (bits == 8 && isSigned)
      return "i8";
    return "!lowbit.int<" + std::to_string(bits) + (isSigned ? ">" : ", unsigned>");
  }
};

std::optional<IntCodes> intCodes(int32_t dataType) {
  switch (dataType) {
  case kUInt8: return IntCodes{8, false};
  case kInt8: return IntCodes{8, true};
  case kUInt16: return IntCodes{16, false};
  case kInt16: return IntCodes{16, true};
  case kUInt4: return IntCodes{4, false};
  case kInt4: return IntCodes{4, true};
  default: return std::nullopt;
  }
}

/// The codes of a computed tensor's element type (QuantizeLinear's).
std::optional<IntCodes> intCodes(Type t) {
  std::optional<::lowbit::num::Format> f = mlir::lowbit::getFormat(t);
  if (!f || !f->isInt() || (f->intEncoding() != ::lowbit::num::IntEncoding::Signed &&
                            f->intEncoding() != ::lowbit::num::IntEncoding::Unsigned))
    return std::nullopt;
  return IntCodes{f->bits(), f->intEncoding() == ::lowbit::num::IntEncoding::Signed};
}

/// The layout of a scale of shape `scale` for x of shape `x`, or an error
/// message.
std::string scaleLayout(llvm::ArrayRef<int64_t> x, llvm::ArrayRef<int64_t> scale, int64_t axis,
                        int64_t block, ScaleLayout &out) {
  int64_t r = int64_t(x.size());
  if (numElements(scale) == 1 && scale.size() <= 1 && block == 0)
    return ""; // per tensor
  axis = normAxis(axis, r);
  if (axis < 0 || axis >= r)
    return "axis out of range";
  out.axis = axis;
  if (block < 0)
    return "a negative block_size";
  if (block == 0) {
    if (scale.size() != 1 || scale[0] != x[size_t(axis)])
      return "a per-axis scale must be 1-D with one value per index of the axis";
    return "";
  }
  out.block = block;
  if (int64_t(scale.size()) != r)
    return "a blocked scale must have the input's rank";
  for (int64_t d = 0; d < r; ++d) {
    int64_t want = d == axis ? (x[size_t(d)] + block - 1) / block : x[size_t(d)];
    if (scale[size_t(d)] != want)
      return "a blocked scale must have the input's dimensions, ceil(d / block_size) along the axis";
  }
  return "";
}

/// A scale or zero-point tensor shaped to broadcast against x (numpy
/// rules): per tensor a scalar, per axis 1 everywhere but the axis.
Known broadcastable(const Known &k, int64_t rank, const ScaleLayout &l, int64_t axisSize) {
  Known r = k;
  if (l.axis < 0) {
    r.shape = {};
  } else {
    r.shape.assign(size_t(rank), 1);
    r.shape[size_t(l.axis)] = axisSize;
  }
  return r;
}
} // namespace

int64_t onnximport::scaleIndex(int64_t e, llvm::ArrayRef<int64_t> x,
                               llvm::ArrayRef<int64_t> scale, const ScaleLayout &l) {
  if (l.axis < 0)
    return 0;
  if (l.block == 0) { // per axis (a 1-D scale): the index along the axis
    for (size_t d = x.size() - 1; int64_t(d) > l.axis; --d)
      e /= x[d];
    return e % x[size_t(l.axis)];
  }
  // Blocked: the scale has x's rank.
  int64_t idx = 0, stride = 1;
  for (size_t d = x.size(); d-- > 0;) {
    int64_t c = e % x[d];
    e /= x[d];
    if (int64_t(d) == l.axis)
      c /= l.block;
    idx += c * stride;
    stride *= scale[d];
  }
  return idx;
}

//===----------------------------------------------------------------------===//
// Products on codes
//===----------------------------------------------------------------------===//

llvm::Expected<Value> Importer::linearOnCodes(Value x2d, const QuantizedCodes &q, int64_t n,
                                              int64_t k,
                                              llvm::function_ref<int64_t(int64_t, int64_t)> flat) {
  // lowbit's integer schemes take codes of 2 to 8 bits.
  if (q.bits < 2 || q.bits > 8)
    return Value();
  // The scale grids lowbit.mpgemm takes, cheapest first: the first whose
  // cells hold one scale (and zero point) each is the weight's.
  struct Grid {
    std::string granularity;
    int64_t rows, cols;
    std::function<int64_t(int64_t, int64_t)> cell;
    bool padsK = false; ///< groups along K over K padded to kp
  };
  std::vector<Grid> grids{
      {"tensor", 1, 1, [](int64_t, int64_t) { return int64_t(0); }},
      {"channel, axis = 1", n, 1, [](int64_t i, int64_t) { return i; }},
      {"channel, axis = 0", 1, k, [](int64_t, int64_t j) { return j; }}};
  // Groups along K; where they do not divide K (MatMulNBits and blocked
  // DequantizeLinear allow a short last block), K is padded to kp, the
  // codes with their block's zero point (value 0) and x with zeros.
  int64_t g = q.layout.block;
  int64_t kp = g > 1 ? (k + g - 1) / g * g : k;
  if (g > 1 && g < kp)
    grids.push_back({"group = " + std::to_string(g), n, kp / g,
                     [g, kp](int64_t i, int64_t j) { return i * (kp / g) + j / g; }, kp != k});
  if (g > 1 && g < n && n % g == 0)
    grids.push_back({"group = " + std::to_string(g) + ", axis = 0", n / g, k,
                     [g, k](int64_t i, int64_t j) { return (i / g) * k + j; }});
  auto zeroOf = [&](int64_t s) { return q.zeros.empty() ? int64_t(0) : q.zeros[size_t(s)]; };
  bool hasZero = false;
  for (int64_t z : q.zeros)
    hasZero |= z != 0;
  const Grid *grid = nullptr;
  std::vector<int64_t> rep; // per cell: the scale index of its first element
  for (const Grid &gr : grids) {
    rep.assign(size_t(gr.rows * gr.cols), -1);
    bool fits = true;
    for (int64_t i = 0; i < n && fits; ++i)
      for (int64_t j = 0; j < k && fits; ++j) {
        int64_t s = q.scaleOf(flat(i, j));
        int64_t &r = rep[size_t(gr.cell(i, j))];
        if (r < 0)
          r = s;
        else
          fits = std::memcmp(&q.scales[size_t(r)], &q.scales[size_t(s)], sizeof(float)) == 0 &&
                 zeroOf(r) == zeroOf(s);
      }
    if (fits) {
      grid = &gr;
      break;
    }
  }
  if (!grid)
    return Value();
  bool padded = grid->padsK;
  if (padded)
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(q.scales[size_t(rep[size_t(i * grid->cols + grid->cols - 1)])]))
        return Value(); // 0 * inf: the padding would not be 0
  int64_t kc = padded ? kp : k; // the codes' K

  // Signed codes without zero points are the symmetric rule; otherwise the
  // codes and zero points are made unsigned (x + 2^(bits-1) on both sides
  // leaves x - zero as it is) for the asymmetric one.
  bool symmetric = q.isSigned && !hasZero;
  int64_t shift = q.isSigned && !symmetric ? int64_t(1) << (q.bits - 1) : 0;
  IntCodes codeFormat{q.bits, symmetric};
  CodeTensor codes, scales, zeros;
  codes.type = codeFormat.type();
  codes.shape = {n, kc};
  codes.data.resize(size_t(n * kc));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < kc; ++j)
      codes.data[size_t(i * kc + j)] =
          j < k ? uint8_t(q.codes[size_t(flat(i, j))] + shift)
                : uint8_t(zeroOf(rep[size_t(grid->cell(i, j))]) + shift);
  scales.type = "f32";
  scales.bytes = 4;
  scales.shape = {grid->rows, grid->cols};
  scales.data.resize(rep.size() * 4);
  for (size_t c = 0; c < rep.size(); ++c)
    std::memcpy(&scales.data[c * 4], &q.scales[size_t(rep[c])], 4);
  std::string scheme = "rule = " + std::string(symmetric ? "absmax" : "gptq") + ", " +
                       grid->granularity + ", scale = f32";
  if (!symmetric) {
    zeros.type = IntCodes{q.bits, false}.type();
    zeros.shape = scales.shape;
    for (int64_t r : rep)
      zeros.data.push_back(uint8_t(zeroOf(r) + shift));
    scheme += ", zero = " + zeros.type;
  }
  auto schemeAttr = dyn_cast_or_null<mlir::lowbit::SchemeAttr>(
      parseAttribute("#lowbit.scheme<" + scheme + ">", &ctx));
  if (!schemeAttr)
    return fail("internal: '" + scheme + "' is not a scheme");
  llvm::SmallVector<Value> params;
  llvm::Expected<Value> c = buildCodeConstant(b, loc, codes, nodeName);
  if (!c)
    return c.takeError();
  for (const CodeTensor *p : {&scales, &zeros}) {
    if (p->type.empty())
      continue;
    llvm::Expected<Value> v = buildCodeConstant(b, loc, *p, nodeName);
    if (!v)
      return v.takeError();
    params.push_back(*v);
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << schemeAttr;
  // The stored bits count the padding (per the weight's n x k elements).
  recordWeight(n * k,
               mlir::lowbit::getStoredBits(schemeAttr, cast<RankedTensorType>(c->getType()).getElementType(),
                                           {n, kc}),
               text);
  describeProduct(n, k, x2d);
  auto xt = cast<RankedTensorType>(x2d.getType());
  auto yt = RankedTensorType::get({xt.getDimSize(0), n}, b.getF32Type());
  Value x = x2d;
  if (padded) {
    int64_t m = xt.getDimSize(0);
    x = tensor::InsertSliceOp::create(b, loc, x2d, this->zeros({m, kp}), ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
                                      ArrayRef<OpFoldResult>{b.getIndexAttr(m), b.getIndexAttr(k)},
                                      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  return mlir::lowbit::MpGemmOp::create(b, loc, yt, x, ValueRange{}, *c, params,
                                        mlir::lowbit::SchemeAttr(), schemeAttr, b.getUnitAttr(),
                                        TypeAttr::get(b.getF32Type()), mlir::lowbit::LayoutAttr())
      .getResult();
}

//===----------------------------------------------------------------------===//
// QuantizeLinear and DequantizeLinear
//===----------------------------------------------------------------------===//

llvm::Expected<QuantizationOperands> Importer::quantizationOperands(const onnx::NodeProto &node) {
  QuantizationOperands q;
  if (llvm::Error e = inputs(node, {&q.x, &q.scale}))
    return std::move(e);
  if (hasInput(node, 2)) {
    llvm::Expected<Val *> z = input(node, 2);
    if (!z)
      return z.takeError();
    q.zero = *z;
  }
  const Val &s = *q.scale;
  if (!s.known || !s.known->isFloat)
    return fail("the scale must be a constant float tensor");
  if (s.known->dataType != 0 && s.known->dataType != kFloat)
    return fail("the scale must be f32 (the output would be of the scale's type)");
  if (q.zero && !q.zero->known)
    return fail("the zero point must be a constant");
  std::string bad = scaleLayout(q.x->shape, s.shape, intAttr(node, "axis", 1),
                                intAttr(node, "block_size", 0), q.layout);
  if (!bad.empty())
    return fail(bad);
  if (q.zero && q.zero->shape != s.shape)
    return fail("the zero point's shape differs from the scale's");
  return q;
}

llvm::Error Importer::lowerDequantizeLinear(const onnx::NodeProto &node) {
  llvm::Expected<QuantizationOperands> ops = quantizationOperands(node);
  if (!ops)
    return ops.takeError();
  Val &x = *ops->x, *sp = ops->scale, *zp = ops->zero;
  const ScaleLayout &layout = ops->layout;
  const std::vector<float> &scale = sp->known->f;
  int64_t rank = x.rank();

  if (x.known) {
    // No larger than its input, which the file holds: the runtime bound,
    // not that of values the importer computes.
    if (llvm::Error e = checkSize(x.shape, false))
      return e;
    const Known &codes = *x.known;
    int32_t dt = codes.dataType ? codes.dataType : zp ? zp->known->dataType : 0;
    bool fp8 = dt >= kFloat8First && dt <= kFloat8Last;
    if (codes.isFloat && !fp8)
      return fail("DequantizeLinear of float values (its input must be codes)");
    std::vector<int64_t> zero;
    if (zp) {
      if (zp->known->isFloat) {
        for (float v : zp->known->f)
          if (v != 0.0f)
            return fail("fp8 codes with a zero point other than 0");
      } else {
        zero = zp->known->i;
      }
    }
    Known out;
    out.shape = x.shape;
    out.f.resize(size_t(codes.size()));
    for (int64_t e = 0; e < codes.size(); ++e) {
      int64_t s = scaleIndex(e, x.shape, sp->shape, layout);
      float v = codes.isFloat ? codes.f[size_t(e)]
                              : float(codes.i[size_t(e)] - (zero.empty() ? 0 : zero[size_t(s)]));
      out.f[size_t(e)] = v * scale[size_t(s)];
    }
    Val r = knownVal(std::move(out));
    if (std::optional<IntCodes> f = intCodes(dt); f && !codes.isFloat) {
      auto q = std::make_shared<QuantizedCodes>();
      q->bits = f->bits;
      q->isSigned = f->isSigned;
      // Codes and zero points of one type (ONNX's rule): the product's
      // unsigned codes and zero points are built from them.
      for (int64_t c : codes.i)
        if (c < f->lo() || c > f->hi())
          return fail("code " + llvm::Twine(c) + " is outside its type's range");
      for (int64_t z : zero)
        if (z < f->lo() || z > f->hi())
          return fail("zero point " + llvm::Twine(z) + " is outside the codes' range [" +
                      llvm::Twine(f->lo()) + ", " + llvm::Twine(f->hi()) + "]");
      q->codes.assign(codes.i.begin(), codes.i.end());
      q->shape = x.shape;
      q->scaleShape = sp->shape;
      q->layout = layout;
      q->scales = scale;
      q->zeros = std::move(zero);
      r.quantized = std::move(q);
    }
    define(node, 0, std::move(r));
    return llvm::Error::success();
  }

  // Codes computed at run time (QuantizeLinear's).
  Type et = cast<RankedTensorType>(x.value.getType()).getElementType();
  if (et.isF32())
    return fail("DequantizeLinear of a float tensor (its input must be codes)");
  if (!intCodes(et))
    return fail("DequantizeLinear of codes of an unsupported type");
  if (layout.block)
    return fail("a blocked DequantizeLinear of a computed tensor is not supported");
  int64_t axisSize = layout.axis < 0 ? 1 : x.shape[size_t(layout.axis)];
  Value values = mlir::lowbit::DequantizeOp::create(
                     b, loc, RankedTensorType::get(x.shape, b.getF32Type()), x.value, ValueRange{},
                     mlir::lowbit::SchemeAttr())
                     .getResult();
  Val sv = knownVal(broadcastable(*sp->known, rank, layout, axisSize));
  SmallVector<Value> operands{values, materialize(sv)};
  if (zp) {
    Known z = broadcastable(*zp->known, rank, layout, axisSize);
    if (!z.isFloat) {
      z.f.assign(z.i.begin(), z.i.end());
      z.i.clear();
      z.isFloat = true;
    }
    Val zv = knownVal(std::move(z));
    operands.push_back(materialize(zv));
  }
  Value y = elementwise(operands, x.shape, [](OpBuilder &nb, Location l, ValueRange a) {
    Value v = a.size() > 2 ? arith::SubFOp::create(nb, l, a[0], a[2]).getResult() : a[0];
    return arith::MulFOp::create(nb, l, v, a[1]).getResult();
  });
  define(node, 0, runtime(y));
  return llvm::Error::success();
}

llvm::Error Importer::lowerQuantizeLinear(const onnx::NodeProto &node) {
  llvm::Expected<QuantizationOperands> ops = quantizationOperands(node);
  if (!ops)
    return ops.takeError();
  Val &x = *ops->x, *sp = ops->scale, *zp = ops->zero;
  const ScaleLayout &layout = ops->layout;
  if (zp && zp->known->isFloat)
    return fail("fp8 outputs are not supported (the zero point is fp8)");
  int32_t dt = zp ? zp->known->dataType : int32_t(intAttr(node, "output_dtype", kUInt8));
  if (dt == 0)
    dt = kUInt8;
  std::optional<IntCodes> f = intCodes(dt);
  if (!f)
    return fail("QuantizeLinear to data type " + llvm::Twine(dt) +
                " is not supported (int4, uint4, int8, uint8, int16, uint16 are)");
  const std::vector<float> &scale = sp->known->f;
  float lo = float(f->lo()), hi = float(f->hi());

  if (x.known) {
    if (!x.known->isFloat)
      return fail("QuantizeLinear of integers (its input must be float)");
    if (llvm::Error e = checkSize(x.shape, false)) // as in DequantizeLinear
      return e;
    Known out;
    out.shape = x.shape;
    out.isFloat = false;
    out.dataType = dt;
    for (int64_t e = 0; e < x.known->size(); ++e) {
      int64_t s = scaleIndex(e, x.shape, sp->shape, layout);
      float t = std::nearbyint(x.known->f[size_t(e)] / scale[size_t(s)]);
      t += zp ? float(zp->known->i[size_t(s)]) : 0.0f;
      out.i.push_back(std::isnan(t) ? f->lo() : int64_t(std::fmin(std::fmax(t, lo), hi)));
    }
    define(node, 0, knownVal(std::move(out)));
    return llvm::Error::success();
  }
  if (layout.block)
    return fail("a blocked QuantizeLinear of a computed tensor is not supported");
  int64_t rank = x.rank(), axisSize = layout.axis < 0 ? 1 : x.shape[size_t(layout.axis)];
  Val sv = knownVal(broadcastable(*sp->known, rank, layout, axisSize));
  SmallVector<Value> operands{materialize(x), materialize(sv)};
  if (zp) {
    Known z = broadcastable(*zp->known, rank, layout, axisSize);
    z.f.assign(z.i.begin(), z.i.end());
    z.i.clear();
    z.isFloat = true;
    Val zv = knownVal(std::move(z));
    operands.push_back(materialize(zv));
  }
  // round(x / scale) + zero, clamped to the codes' range in f32 (maxnumf
  // takes the bound where the quotient is NaN: the lowest-code policy);
  // the cast to the codes is then exact.
  Value y = elementwise(operands, x.shape, [lo, hi](OpBuilder &nb, Location l, ValueRange a) {
    Value t = math::RoundEvenOp::create(nb, l, arith::DivFOp::create(nb, l, a[0], a[1]));
    if (a.size() > 2)
      t = arith::AddFOp::create(nb, l, t, a[2]);
    auto c = [&](float v) { return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v)); };
    t = arith::MaxNumFOp::create(nb, l, t, c(lo));
    return arith::MinNumFOp::create(nb, l, t, c(hi)).getResult();
  });
  Type codeType = parseType(f->type(), &ctx);
  Value codes = mlir::lowbit::CastOp::create(b, loc, RankedTensorType::get(x.shape, codeType), y,
                                             mlir::lowbit::RoundingMode::NearestEven,
                                             mlir::lowbit::OverflowMode::Saturate)
                    .getResult();
  define(node, 0, runtime(codes));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// com.microsoft.MatMulNBits
//===----------------------------------------------------------------------===//

// Inputs A [..., K], B uint8 [N, blocks, blob] (each row's codes in
// blocks of block_size along K, packed LSB first, 8 / bits per byte),
// scales [N * blocks], zero_points (uint8, packed the same way per row,
// ceil(blocks * bits / 8) bytes each; 2^(bits-1) without them), g_idx,
// bias [N]. Element (n, k) is (code - zero) * scale of block k / block_size.
llvm::Error Importer::lowerMatMulNBits(const onnx::NodeProto &node) {
  Val *ap, *bp, *sp;
  if (llvm::Error e = inputs(node, {&ap, &bp, &sp}))
    return e;
  int64_t K = intAttr(node, "K", 0), N = intAttr(node, "N", 0);
  int64_t bits = intAttr(node, "bits", 4), bs = intAttr(node, "block_size", 0);
  if (K <= 0 || N <= 0)
    return fail("K and N must be positive");
  if (bits != 2 && bits != 4 && bits != 8)
    return fail(llvm::Twine(bits) + "-bit MatMulNBits is not supported (2, 4 and 8 are)");
  if (bs < 16 || (bs & (bs - 1)))
    return fail("block_size must be a power of 2, at least 16");
  if (llvm::Error e = checkSize({N, K}, false)) // the file holds its codes
    return e;
  int64_t blocks = (K + bs - 1) / bs, blob = bs * bits / 8;
  if (!bp->known || bp->known->isFloat || bp->shape != Shape{N, blocks, blob})
    return fail("B must be constant uint8 [N, ceil(K / block_size), block_size * bits / 8] = [" +
                llvm::Twine(N) + ", " + llvm::Twine(blocks) + ", " + llvm::Twine(blob) + "]");
  if (!sp->known || !sp->known->isFloat || sp->known->dataType == 10 ||
      numElements(sp->shape) != N * blocks)
    return fail("scales must be constant f32 with N * ceil(K / block_size) values");
  if (hasInput(node, 4))
    return fail("g_idx is not supported");
  if (ap->rank() < 1 || ap->shape.back() != K)
    return fail("A's last dimension is not K");
  if (numElements(ap->shape) == 0)
    return fail("a product of an empty tensor (a dimension of 0) is not supported");
  int64_t zbytes = (blocks * bits + 7) / 8;
  std::vector<int64_t> zero(size_t(N * blocks), int64_t(1) << (bits - 1));
  if (hasInput(node, 3)) {
    llvm::Expected<Val *> zv = input(node, 3);
    if (!zv)
      return zv.takeError();
    const Val &z = **zv;
    if (!z.known || z.known->isFloat)
      return fail("zero points must be constant uint8 (float zero points are not supported)");
    if (numElements(z.shape) != N * zbytes)
      return fail("zero points must hold N * ceil(blocks * bits / 8) = " +
                  llvm::Twine(N * zbytes) + " bytes");
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < blocks; ++g) {
        int64_t pos = g * bits;
        zero[size_t(n * blocks + g)] =
            (z.known->i[size_t(n * zbytes + pos / 8)] >> (pos % 8)) & ((1 << bits) - 1);
      }
  }
  auto q = std::make_shared<QuantizedCodes>();
  q->bits = unsigned(bits);
  q->isSigned = false;
  q->shape = {N, K};
  q->scaleShape = {N, blocks};
  q->layout = {1, bs};
  q->scales = sp->known->f;
  q->zeros = zero;
  Known w;
  w.shape = {N, K};
  q->codes.resize(size_t(N * K));
  w.f.resize(size_t(N * K));
  const std::vector<int64_t> &bytes = bp->known->i;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int64_t g = k / bs, pos = (k % bs) * bits;
      int64_t c = (bytes[size_t((n * blocks + g) * blob + pos / 8)] >> (pos % 8)) & ((1 << bits) - 1);
      int64_t s = n * blocks + g;
      q->codes[size_t(n * K + k)] = int32_t(c);
      w.f[size_t(n * K + k)] = float(c - zero[size_t(s)]) * q->scales[size_t(s)];
    }
  Shape outShape(ap->shape.begin(), ap->shape.end() - 1);
  outShape.push_back(N);
  Value x2d = reshape(materialize(*ap), {numElements(ap->shape) / K, K});
  llvm::Expected<Value> y =
      linear(x2d, w, "MatMulNBits", q.get(), [K](int64_t n, int64_t k) { return n * K + k; });
  if (!y)
    return y.takeError();
  Value r = reshape(*y, outShape);
  if (hasInput(node, 5)) {
    llvm::Expected<Val *> bv = input(node, 5);
    if (!bv)
      return bv.takeError();
    if (!(*bv)->known || !(*bv)->known->isFloat || numElements((*bv)->shape) != N)
      return fail("the bias must be constant f32 [N]");
    r = addBias(r, *(*bv)->known, int64_t(outShape.size()) - 1);
  }
  define(node, 0, runtime(r));
  return llvm::Error::success();
}
