//===- ONNXOps.cpp - The ONNX importer's shared lowering helpers --------------===//
//
// Runtime values are f32 tensors of static shape. Elementwise operators are
// linalg.generic ops with numpy broadcasting in their indexing maps; Conv is
// im2col + lowbit.mpgemm (f32 or quantized weights), depthwise ones
// linalg.depthwise_conv_2d_nchw_chw on the padded input; MatMul and Gemm with
// constant weights are lowbit.mpgemm (f32 or quantized weights), between
// two computed tensors linalg.batch_matmul; reshapes are collapse-then-
// expand. Operators on Known values (shape arithmetic) are evaluated here.
// This file: the helpers the operator files share, quantized weights, the
// dispatch and Constant; ONNXElementwise, ONNXConvolution, ONNXProducts
// and ONNXShapes.cpp the operators.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporter.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/Format.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

#include "llvm/Support/GlobPattern.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace ::lowbit::import;
using namespace ::lowbit::import::onnximport;

std::optional<Shape> onnximport::broadcastShapes(llvm::ArrayRef<Shape> shapes) {
  size_t rank = 0;
  for (const Shape &s : shapes)
    rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape &s : shapes)
    for (size_t j = 0; j < s.size(); ++j) {
      int64_t &o = out[rank - s.size() + j];
      if (s[j] == o || s[j] == 1)
        continue;
      if (o != 1)
        return std::nullopt;
      o = s[j];
    }
  return out;
}

/// Row-major strides of a shape.
Shape onnximport::stridesOf(llvm::ArrayRef<int64_t> shape) {
  Shape st(shape.size(), 1);
  for (int i = int(shape.size()) - 2; i >= 0; --i)
    st[size_t(i)] = st[size_t(i) + 1] * shape[size_t(i) + 1];
  return st;
}

/// The flat index into `in` (broadcast to `out`) of flat index k of `out`.
int64_t onnximport::broadcastIndex(int64_t k, llvm::ArrayRef<int64_t> out, llvm::ArrayRef<int64_t> in) {
  Shape os = stridesOf(out), is = stridesOf(in);
  int64_t idx = 0;
  size_t off = out.size() - in.size();
  for (size_t d = 0; d < out.size(); ++d) {
    int64_t c = (k / os[d]) % out[d];
    if (d >= off && in[d - off] != 1)
      idx += c * is[d - off];
  }
  return idx;
}

int64_t onnximport::normAxis(int64_t a, int64_t rank) { return a < 0 ? a + rank : a; }

/// Appends element `i` of `src` to `dst` (of the same kind).
void onnximport::appendElement(Known &dst, const Known &src, int64_t i) {
  if (dst.isFloat)
    dst.f.push_back(float(src.at(i)));
  else
    dst.i.push_back(src.i[size_t(i)]);
}

llvm::Error Importer::checkWindow(llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> pads,
                                  llvm::ArrayRef<int64_t> strides,
                                  llvm::ArrayRef<int64_t> dilations) const {
  constexpr int64_t big = 1 << 20;
  for (int64_t v : kernel)
    if (v < 1 || v > big)
      return fail("kernel size " + llvm::Twine(v) + " out of range");
  for (int64_t v : pads)
    if (v < 0 || v > big)
      return fail("pad " + llvm::Twine(v) + " out of range");
  for (int64_t v : strides)
    if (v < 1 || v > big)
      return fail("stride " + llvm::Twine(v) + " out of range");
  for (int64_t v : dilations)
    if (v < 1 || v > big)
      return fail("dilation " + llvm::Twine(v) + " out of range");
  return llvm::Error::success();
}

Value Importer::f32Const(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value Importer::zeros(llvm::ArrayRef<int64_t> shape, float fill) {
  Value e = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  return linalg::FillOp::create(b, loc, ValueRange{f32Const(fill)}, ValueRange{e}).getResult(0);
}

Value Importer::elementwise(llvm::ArrayRef<Value> inputs, llvm::ArrayRef<int64_t> shape,
                            const Body &body) {
  unsigned rank = unsigned(shape.size());
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto t = cast<RankedTensorType>(in.getType());
    SmallVector<AffineExpr> exprs;
    unsigned off = rank - unsigned(t.getRank());
    for (unsigned j = 0; j < t.getRank(); ++j)
      exprs.push_back(t.getDimSize(j) == 1 && shape[off + j] != 1 ? b.getAffineConstantExpr(0)
                                                                  : b.getAffineDimExpr(off + j));
    maps.push_back(AffineMap::get(rank, 0, exprs, &ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, &ctx));
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
      });
  return g.getResult(0);
}

Value Importer::reshape(Value v, llvm::ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  if (t.getRank() == 0 || shape.empty())
    return tensor::ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, t.getElementType()), v,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(RankedTensorType::get({int64_t(shape.size())}, b.getI64Type()),
                                           llvm::ArrayRef<int64_t>(shape))));
  Value flat = v;
  if (t.getRank() != 1) {
    ReassociationIndices all(size_t(t.getRank()));
    std::iota(all.begin(), all.end(), 0);
    flat = tensor::CollapseShapeOp::create(b, loc, v, ArrayRef<ReassociationIndices>{all});
  }
  if (shape.size() == 1)
    return flat;
  ReassociationIndices all(shape.size());
  std::iota(all.begin(), all.end(), 0);
  return tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(shape, t.getElementType()), flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value Importer::addBias(Value y, const Known &bias, int64_t axis) {
  auto t = cast<RankedTensorType>(y.getType());
  Shape bs(size_t(t.getRank()), 1);
  bs[size_t(axis)] = bias.size();
  Known k = bias;
  k.shape = bs;
  Val bv = knownVal(std::move(k));
  Value bt = materialize(bv);
  return elementwise({y, bt}, t.getShape(), [](OpBuilder &nb, Location l, ValueRange a) {
    return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
  });
}

//===----------------------------------------------------------------------===//
// Quantized weights
//===----------------------------------------------------------------------===//

llvm::Expected<Attribute> Importer::weightScheme() {
  std::string scheme = options.quantize;
  for (const auto &[pattern, s] : options.quantizeConfig) {
    llvm::Expected<llvm::GlobPattern> g = llvm::GlobPattern::create(pattern);
    if (!g)
      return fail("quantize config pattern '" + pattern + "': " + llvm::toString(g.takeError()));
    if (g->match(nodeName)) {
      scheme = s;
      break;
    }
  }
  if (scheme.empty() || scheme == "none" || scheme == "f32")
    return Attribute();
  Attribute a = parseAttribute("#lowbit.scheme<" + scheme + ">", &ctx);
  if (!isa_and_nonnull<mlir::lowbit::SchemeAttr>(a))
    return fail("'" + scheme + "' is not a lowbit scheme (a preset such as int8_per_channel, "
                "gptq_u4_g128 or mxfp4, or a scheme body)");
  return a;
}

void Importer::describeProduct(int64_t n, int64_t k, Value x2d) {
  stats.back().n = n;
  stats.back().k = k;
  if (options.calibrationTaps) {
    stats.back().tap = int(taps.size());
    taps.push_back(x2d);
  }
}

llvm::Expected<Value> Importer::linear(Value x2d, const Known &w, llvm::StringRef what,
                                       const QuantizedCodes *codes,
                                       llvm::function_ref<int64_t(int64_t, int64_t)> flat) {
  int64_t n = w.shape[0], k = w.shape[1];
  // A weight that arrived quantized keeps its codes (--quantize applies to
  // f32 weights).
  if (codes) {
    llvm::Expected<Value> y = linearOnCodes(x2d, *codes, n, k, flat);
    if (!y || *y)
      return y;
  }
  auto xt = cast<RankedTensorType>(x2d.getType());
  auto yt = RankedTensorType::get({xt.getDimSize(0), n}, b.getF32Type());
  llvm::Expected<Attribute> scheme = weightScheme();
  if (!scheme)
    return scheme.takeError();
  Val wv = knownVal(w);
  Value wf = materialize(wv);
  auto f32 = TypeAttr::get(b.getF32Type());
  // Every return below records the weight first; the product's shape and
  // its calibration tap go on that record.
  auto describe = [&] { describeProduct(n, k, x2d); };
  if (!*scheme) {
    recordWeight(n * k, 32 * n * k, "");
    describe();
    if (options.weightArguments) {
      stats.back().argument = int(mainBody->getNumArguments());
      Operation *constant = wf.getDefiningOp();
      wf = mainBody->addArgument(RankedTensorType::get({n, k}, b.getF32Type()), loc);
      if (constant && constant->use_empty())
        constant->erase(); // this product's own copy (wv is local)
    }
    return mlir::lowbit::MpGemmOp::create(b, loc, yt, x2d, ValueRange{}, wf, ValueRange{},
                                          mlir::lowbit::SchemeAttr(), mlir::lowbit::SchemeAttr(),
                                          b.getUnitAttr(), f32, mlir::lowbit::LayoutAttr())
        .getResult();
  }
  // Quantized at compile time: lowbit.quantize of the constant folds into
  // codes and scales (the canonicalizer), the product reads them.
  // The group-divisor policy (g128 on K = 360 quantizes in groups of 120).
  auto scheme0 =
      mlir::lowbit::fitSchemeToReduction(cast<mlir::lowbit::SchemeAttr>(*scheme), k);
  Type element = scheme0.getElementType();
  if (!element)
    return fail("scheme '" + llvm::Twine(what) + "' names no element format (use a preset or " +
                "add element = ...)");
  auto q = mlir::lowbit::QuantizeOp::create(
      b, loc, mlir::lowbit::getQuantizeResultTypes(scheme0, element, {n, k}), wf, scheme0);
  SmallVector<Value> params(q.getResults().begin() + 1, q.getResults().end());
  std::string text;
  llvm::raw_string_ostream os(text);
  os << scheme0;
  recordWeight(n * k, mlir::lowbit::getStoredBits(scheme0, element, {n, k}), text);
  describe();
  return mlir::lowbit::MpGemmOp::create(b, loc, yt, x2d, ValueRange{}, q.getResult(0), params,
                                        mlir::lowbit::SchemeAttr(), scheme0, b.getUnitAttr(), f32,
                                        mlir::lowbit::LayoutAttr())
      .getResult();
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

llvm::Error Importer::lowerNode(const onnx::NodeProto &node) {
  const std::string &op = node.op_type();
  if (node.output_size() == 0 || node.output(0).empty())
    return fail("the node has no output");
  if (op == "Constant")
    return lowerConstant(node);
  if (op == "Conv")
    return lowerConv(node);
  if (op == "BatchNormalization")
    return lowerBatchNorm(node);
  if (op == "MatMul")
    return lowerMatMul(node);
  if (op == "Gemm")
    return lowerGemm(node);
  if (op == "Softmax")
    return lowerSoftmax(node);
  if (op == "ReduceMean" || op == "GlobalAveragePool")
    return lowerReduceMean(node);
  if (op == "AveragePool" || op == "MaxPool")
    return lowerPool(node);
  if (op == "Shape" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Flatten" || op == "ConstantOfShape")
    return lowerShapeOp(node);
  if (op == "Slice")
    return lowerSlice(node);
  if (op == "Concat")
    return lowerConcat(node);
  if (op == "Transpose")
    return lowerTranspose(node);
  if (op == "Gather")
    return lowerGather(node);
  if (op == "Cast")
    return lowerCast(node);
  if (op == "QuantizeLinear")
    return lowerQuantizeLinear(node);
  if (op == "DequantizeLinear")
    return lowerDequantizeLinear(node);
  if (op == "MatMulNBits" && node.domain() == "com.microsoft")
    return lowerMatMulNBits(node);
  static const char *elementwiseOps[] = {
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Relu", "Sigmoid", "Sqrt", "Exp",
      "Tanh", "Neg", "Abs", "Reciprocal", "Clip", "HardSigmoid", "HardSwish", "LeakyRelu",
      "Identity", "Dropout", "Erf"};
  for (const char *e : elementwiseOps)
    if (op == e)
      return lowerElementwise(node);
  return fail("operator " + op + " is not supported (docs/importing.md lists the supported ones)");
}

llvm::Error Importer::lowerConstant(const onnx::NodeProto &node) {
  Known k;
  if (const onnx::AttributeProto *a = attr(node, "value")) {
    llvm::Expected<Known> v = knownFromProto(a->t());
    if (!v)
      return fail(llvm::toString(v.takeError()));
    k = std::move(*v);
  } else if (const onnx::AttributeProto *a = attr(node, "value_float")) {
    k.f = {a->f()};
  } else if (const onnx::AttributeProto *a = attr(node, "value_floats")) {
    k.f.assign(a->floats().begin(), a->floats().end());
    k.shape = {int64_t(k.f.size())};
  } else if (const onnx::AttributeProto *a = attr(node, "value_int")) {
    k.isFloat = false;
    k.i = {a->i()};
  } else if (const onnx::AttributeProto *a = attr(node, "value_ints")) {
    k.isFloat = false;
    k.i.assign(a->ints().begin(), a->ints().end());
    k.shape = {int64_t(k.i.size())};
  } else {
    return fail("a Constant needs a value (sparse and string values are not supported)");
  }
  define(node, 0, knownVal(std::move(k)));
  return llvm::Error::success();
}
