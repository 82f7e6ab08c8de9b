//===- ONNXOps.cpp - ONNX operators as ops on tensors ---------------------===//
//
// Runtime values are f32 tensors of static shape. Elementwise operators are
// linalg.generic ops with numpy broadcasting in their indexing maps; Conv is
// im2col + lowbit.mpgemm (f32 or quantized weights), depthwise ones
// linalg.depthwise_conv_2d_nchw_chw on the padded input; MatMul and Gemm with
// constant weights are lowbit.mpgemm (f32 or quantized weights), between
// two computed tensors linalg.batch_matmul; reshapes are collapse-then-
// expand. Operators on Known values (shape arithmetic) are evaluated here.
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

namespace {
using Shape = std::vector<int64_t>;

std::optional<Shape> broadcastShapes(llvm::ArrayRef<Shape> shapes) {
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
Shape stridesOf(llvm::ArrayRef<int64_t> shape) {
  Shape st(shape.size(), 1);
  for (int i = int(shape.size()) - 2; i >= 0; --i)
    st[size_t(i)] = st[size_t(i) + 1] * shape[size_t(i) + 1];
  return st;
}

/// The flat index into `in` (broadcast to `out`) of flat index k of `out`.
int64_t broadcastIndex(int64_t k, llvm::ArrayRef<int64_t> out, llvm::ArrayRef<int64_t> in) {
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

int64_t normAxis(int64_t a, int64_t rank) { return a < 0 ? a + rank : a; }

/// Appends element `i` of `src` to `dst` (of the same kind).
void appendElement(Known &dst, const Known &src, int64_t i) {
  if (dst.isFloat)
    dst.f.push_back(float(src.at(i)));
  else
    dst.i.push_back(src.i[size_t(i)]);
}
} // namespace

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

llvm::Expected<Value> Importer::linear(Value x2d, const Known &w, llvm::StringRef what) {
  int64_t n = w.shape[0], k = w.shape[1];
  auto xt = cast<RankedTensorType>(x2d.getType());
  auto yt = RankedTensorType::get({xt.getDimSize(0), n}, b.getF32Type());
  llvm::Expected<Attribute> scheme = weightScheme();
  if (!scheme)
    return scheme.takeError();
  Val wv = knownVal(w);
  Value wf = materialize(wv);
  auto f32 = TypeAttr::get(b.getF32Type());
  if (!*scheme) {
    recordWeight(n * k, 32 * n * k, "");
    return mlir::lowbit::MpGemmOp::create(b, loc, yt, x2d, ValueRange{}, wf, ValueRange{},
                                          mlir::lowbit::SchemeAttr(), mlir::lowbit::SchemeAttr(),
                                          b.getUnitAttr(), f32, mlir::lowbit::LayoutAttr())
        .getResult();
  }
  // Quantized at compile time: lowbit.quantize of the constant folds into
  // codes and scales (the canonicalizer), the product reads them.
  auto scheme0 = cast<mlir::lowbit::SchemeAttr>(*scheme);
  // Named policy (docs/importing.md): where K is not a multiple of the
  // group and the rule needs whole groups, the group is the largest divisor
  // of K not above it (g128 on K = 360 quantizes in groups of 120).
  if (scheme0.getGranularity() == mlir::lowbit::Granularity::Group &&
      !scheme0.allowsPartialGroups() && k % scheme0.getGroupSize() != 0) {
    int64_t g = std::min(scheme0.getGroupSize(), k);
    while (k % g)
      --g;
    scheme0 = mlir::lowbit::SchemeAttr::get(&ctx, scheme0.getRule(), scheme0.getGranularity(),
                                            scheme0.getAxis(), g, scheme0.getBlock(),
                                            scheme0.getScaleType(), scheme0.getZeroType(),
                                            scheme0.getElementType());
  }
  Type element = scheme0.getElementType();
  if (!element)
    return fail("scheme '" + llvm::Twine(what) + "' names no element format (use a preset or " +
                "add element = ...)");
  SmallVector<Type> types{RankedTensorType::get({n, k}, element)};
  SmallVector<int64_t> grid{n, k};
  if (scheme0.getGranularity() == mlir::lowbit::Granularity::Channel)
    grid[1] = 1;
  else if (scheme0.getGranularity() == mlir::lowbit::Granularity::Group)
    grid[1] = (k + scheme0.getGroupSize() - 1) / scheme0.getGroupSize();
  else
    return fail("weights take channel or group schemes, not this one");
  types.push_back(RankedTensorType::get(grid, scheme0.getScaleType()));
  if (scheme0.getZeroType())
    types.push_back(RankedTensorType::get(grid, scheme0.getZeroType()));
  auto q = mlir::lowbit::QuantizeOp::create(b, loc, types, wf, scheme0);
  SmallVector<Value> params(q.getResults().begin() + 1, q.getResults().end());
  std::string text;
  llvm::raw_string_ostream os(text);
  os << scheme0;
  auto bitsOf = [](Type t) -> int64_t {
    if (!t)
      return 0;
    if (std::optional<::lowbit::num::Format> f = mlir::lowbit::getFormat(t))
      return f->bits();
    return t.getIntOrFloatBitWidth();
  };
  int64_t groups = grid[0] * grid[1];
  recordWeight(n * k, bitsOf(element) * n * k + (bitsOf(scheme0.getScaleType()) + bitsOf(scheme0.getZeroType())) * groups, text);
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

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

namespace {
/// The float operation of an elementwise operator on Known values (f32
/// arithmetic, as the graph computes it), or null if it has none here.
std::function<float(float, float)> floatFold(const std::string &op) {
  if (op == "Add") return [](float a, float c) { return a + c; };
  if (op == "Sub") return [](float a, float c) { return a - c; };
  if (op == "Mul") return [](float a, float c) { return a * c; };
  if (op == "Div") return [](float a, float c) { return a / c; };
  if (op == "Pow") return [](float a, float c) { return std::pow(a, c); };
  if (op == "Max") return [](float a, float c) { return std::max(a, c); };
  if (op == "Min") return [](float a, float c) { return std::min(a, c); };
  if (op == "Sqrt") return [](float a, float) { return std::sqrt(a); };
  if (op == "Neg") return [](float a, float) { return -a; };
  if (op == "Identity" || op == "Dropout") return [](float a, float) { return a; };
  if (op == "Reciprocal") return [](float a, float) { return 1.0f / a; };
  return nullptr;
}
std::function<int64_t(int64_t, int64_t)> intFold(const std::string &op) {
  if (op == "Add") return [](int64_t a, int64_t c) { return a + c; };
  if (op == "Sub") return [](int64_t a, int64_t c) { return a - c; };
  if (op == "Mul") return [](int64_t a, int64_t c) { return a * c; };
  if (op == "Div") return [](int64_t a, int64_t c) { return c ? a / c : 0; };
  if (op == "Max") return [](int64_t a, int64_t c) { return std::max(a, c); };
  if (op == "Min") return [](int64_t a, int64_t c) { return std::min(a, c); };
  if (op == "Neg") return [](int64_t a, int64_t) { return -a; };
  if (op == "Identity" || op == "Dropout") return [](int64_t a, int64_t) { return a; };
  return nullptr;
}
} // namespace

llvm::Error Importer::lowerElementwise(const onnx::NodeProto &node) {
  const std::string &op = node.op_type();
  bool binary = op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" ||
                op == "Max" || op == "Min";
  int arity = binary ? 2 : 1;
  if ((op == "Max" || op == "Min") && node.input_size() != 2)
    return fail(op + " of " + llvm::Twine(node.input_size()) + " inputs (2 are supported)");
  std::vector<Val *> in;
  for (int i = 0; i < arity; ++i) {
    llvm::Expected<Val *> v = input(node, i);
    if (!v)
      return v.takeError();
    in.push_back(*v);
  }
  std::vector<Shape> shapes;
  for (Val *v : in)
    shapes.push_back(v->shape);
  std::optional<Shape> shape = broadcastShapes(shapes);
  if (!shape)
    return fail("input shapes do not broadcast");
  bool allKnownInputs = llvm::all_of(in, [](Val *v) { return v->known.has_value(); });
  if (llvm::Error e = checkSize(*shape, allKnownInputs))
    return e;

  // Known inputs: evaluate here.
  bool allKnown = llvm::all_of(in, [](Val *v) { return v->known.has_value(); });
  bool isFloat = llvm::any_of(in, [](Val *v) { return !v->known || v->known->isFloat; });
  if (allKnown && (isFloat ? bool(floatFold(op)) : bool(intFold(op)))) {
    Known k;
    k.shape = *shape;
    k.isFloat = isFloat;
    int64_t n = numElements(*shape);
    for (int64_t e = 0; e < n; ++e) {
      const Known &a = *in[0]->known;
      int64_t ia = broadcastIndex(e, *shape, a.shape);
      if (isFloat) {
        float x = float(a.at(ia)), y = 0;
        if (arity == 2)
          y = float(in[1]->known->at(broadcastIndex(e, *shape, in[1]->known->shape)));
        k.f.push_back(floatFold(op)(x, y));
      } else {
        int64_t x = a.i[size_t(ia)], y = 0;
        if (arity == 2)
          y = in[1]->known->i[size_t(broadcastIndex(e, *shape, in[1]->known->shape))];
        k.i.push_back(intFold(op)(x, y));
      }
    }
    define(node, 0, knownVal(std::move(k)));
    return llvm::Error::success();
  }
  for (Val *v : in)
    if (v->known && !v->known->isFloat)
      return fail("integer tensors are only supported as known values (shape arithmetic)");

  SmallVector<Value> operands;
  for (Val *v : in)
    operands.push_back(materialize(*v));
  Body body;
  using B = OpBuilder;
  if (op == "Add")
    body = [](B &nb, Location l, ValueRange a) { return arith::AddFOp::create(nb, l, a[0], a[1]).getResult(); };
  else if (op == "Sub")
    body = [](B &nb, Location l, ValueRange a) { return arith::SubFOp::create(nb, l, a[0], a[1]).getResult(); };
  else if (op == "Mul")
    body = [](B &nb, Location l, ValueRange a) { return arith::MulFOp::create(nb, l, a[0], a[1]).getResult(); };
  else if (op == "Div")
    body = [](B &nb, Location l, ValueRange a) { return arith::DivFOp::create(nb, l, a[0], a[1]).getResult(); };
  else if (op == "Max")
    body = [](B &nb, Location l, ValueRange a) { return arith::MaximumFOp::create(nb, l, a[0], a[1]).getResult(); };
  else if (op == "Min")
    body = [](B &nb, Location l, ValueRange a) { return arith::MinimumFOp::create(nb, l, a[0], a[1]).getResult(); };
  else if (op == "Pow") {
    // x^2 is x * x exactly (pow is correctly rounded there); others libm's powf.
    bool square = in[1]->known && in[1]->known->size() == 1 && in[1]->known->at(0) == 2.0;
    if (square) {
      operands.pop_back();
      body = [](B &nb, Location l, ValueRange a) { return arith::MulFOp::create(nb, l, a[0], a[0]).getResult(); };
    } else {
      body = [](B &nb, Location l, ValueRange a) { return math::PowFOp::create(nb, l, a[0], a[1]).getResult(); };
    }
  } else if (op == "Relu")
    body = [](B &nb, Location l, ValueRange a) {
      return arith::MaximumFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0))).getResult();
    };
  else if (op == "Sigmoid")
    body = [](B &nb, Location l, ValueRange a) {
      Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1));
      Value e = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, a[0]));
      return arith::DivFOp::create(nb, l, one, arith::AddFOp::create(nb, l, one, e)).getResult();
    };
  else if (op == "Sqrt")
    body = [](B &nb, Location l, ValueRange a) { return math::SqrtOp::create(nb, l, a[0]).getResult(); };
  else if (op == "Exp")
    body = [](B &nb, Location l, ValueRange a) { return math::ExpOp::create(nb, l, a[0]).getResult(); };
  else if (op == "Tanh")
    body = [](B &nb, Location l, ValueRange a) { return math::TanhOp::create(nb, l, a[0]).getResult(); };
  else if (op == "Erf")
    body = [](B &nb, Location l, ValueRange a) { return math::ErfOp::create(nb, l, a[0]).getResult(); };
  else if (op == "Neg")
    body = [](B &nb, Location l, ValueRange a) { return arith::NegFOp::create(nb, l, a[0]).getResult(); };
  else if (op == "Abs")
    body = [](B &nb, Location l, ValueRange a) { return math::AbsFOp::create(nb, l, a[0]).getResult(); };
  else if (op == "Reciprocal")
    body = [](B &nb, Location l, ValueRange a) {
      return arith::DivFOp::create(nb, l, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1)), a[0]).getResult();
    };
  else if (op == "Identity" || op == "Dropout") {
    define(node, 0, *in[0]);
    return llvm::Error::success();
  } else if (op == "Clip") {
    float lo = -INFINITY, hi = INFINITY;
    if (opset < 11) {
      lo = floatAttr(node, "min", lo);
      hi = floatAttr(node, "max", hi);
    } else {
      for (int i : {1, 2}) {
        if (!hasInput(node, i))
          continue;
        llvm::Expected<Val *> v = input(node, i);
        if (!v)
          return v.takeError();
        if (!(*v)->known || (*v)->known->size() != 1)
          return fail("Clip bounds must be constant scalars");
        (i == 1 ? lo : hi) = float((*v)->known->at(0));
      }
    }
    body = [lo, hi](B &nb, Location l, ValueRange a) {
      Value x = arith::MaximumFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(lo)));
      return arith::MinimumFOp::create(nb, l, x, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(hi))).getResult();
    };
  } else if (op == "HardSigmoid" || op == "HardSwish") {
    bool swish = op == "HardSwish";
    float alpha = swish ? 1.0f / 6 : floatAttr(node, "alpha", 0.2f);
    float beta = swish ? 0.5f : floatAttr(node, "beta", 0.5f);
    body = [alpha, beta, swish](B &nb, Location l, ValueRange a) {
      Value t = arith::MulFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(alpha)));
      t = arith::AddFOp::create(nb, l, t, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(beta)));
      t = arith::MaximumFOp::create(nb, l, t, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0)));
      t = arith::MinimumFOp::create(nb, l, t, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1)));
      return swish ? arith::MulFOp::create(nb, l, a[0], t).getResult() : t;
    };
  } else if (op == "LeakyRelu") {
    float alpha = floatAttr(node, "alpha", 0.01f);
    body = [alpha](B &nb, Location l, ValueRange a) {
      Value zero = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
      Value neg = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, a[0], zero);
      Value s = arith::MulFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(alpha)));
      return arith::SelectOp::create(nb, l, neg, s, a[0]).getResult();
    };
  }
  define(node, 0, runtime(elementwise(operands, *shape, body)));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Convolution and normalization
//===----------------------------------------------------------------------===//

llvm::Error Importer::lowerConv(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0), wv = input(node, 1);
  if (!xv)
    return xv.takeError();
  if (!wv)
    return wv.takeError();
  if (!(*wv)->known)
    return fail("the weight is computed in the graph (constant weights are supported)");
  Known w = *(*wv)->known;
  if ((*xv)->rank() != 4 || w.shape.size() != 4)
    return fail("only 2-D convolutions (NCHW, 4-D weights) are supported");
  int64_t N = (*xv)->shape[0], C = (*xv)->shape[1], H = (*xv)->shape[2], W = (*xv)->shape[3];
  int64_t M = w.shape[0], Cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t group = intAttr(node, "group", 1);
  if (group <= 0 || C % group || Cg != C / group || M % group)
    return fail("weight shape does not match the input channels and group");
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID")
    return fail("auto_pad " + autoPad + " is not supported (explicit pads are)");
  std::vector<int64_t> pads = intsAttr(node, "pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
  std::vector<int64_t> strides = intsAttr(node, "strides").value_or(std::vector<int64_t>{1, 1});
  std::vector<int64_t> dil = intsAttr(node, "dilations").value_or(std::vector<int64_t>{1, 1});
  if (pads.size() != 4 || strides.size() != 2 || dil.size() != 2)
    return fail("pads, strides and dilations must be those of a 2-D convolution");
  if (llvm::Error e = checkWindow({kh, kw}, pads, strides, dil))
    return e;
  Known bias;
  bool hasBias = hasInput(node, 2);
  if (hasBias) {
    llvm::Expected<Val *> bv = input(node, 2);
    if (!bv)
      return bv.takeError();
    if (!(*bv)->known)
      return fail("the bias is computed in the graph");
    bias = *(*bv)->known;
  }
  // A following BatchNormalization (the only reader): scale the weights
  // and the bias by gamma / sqrt(var + eps) here, in f32.
  auto fold = foldedBatchNorms.find(node.output(0));
  if (fold != foldedBatchNorms.end()) {
    const onnx::NodeProto &bn = *fold->second;
    std::vector<const Known *> p;
    for (int i = 1; i < 5; ++i) {
      auto it = values.find(bn.input(i));
      if (it == values.end() || !it->second.known || it->second.known->size() != M)
        break;
      p.push_back(&*it->second.known);
    }
    if (p.size() == 4) {
      float eps = floatAttr(bn, "epsilon", 1e-5f);
      if (!hasBias) {
        bias.shape = {M};
        bias.f.assign(size_t(M), 0.0f);
        hasBias = true;
      }
      int64_t per = Cg * kh * kw;
      for (int64_t m = 0; m < M; ++m) {
        float a = float(p[0]->at(m)) / std::sqrt(float(p[3]->at(m)) + eps);
        for (int64_t j = 0; j < per; ++j)
          w.f[size_t(m * per + j)] *= a;
        bias.f[size_t(m)] = (bias.f[size_t(m)] - float(p[2]->at(m))) * a + float(p[1]->at(m));
      }
      values[bn.output(0)] = Val(); // defined below, when the Conv is
      foldedOutput = bn.output(0);
    } else {
      foldedOutput.clear();
    }
  } else {
    foldedOutput.clear();
  }

  Value x = materialize(**xv);
  int64_t Hp = H + pads[0] + pads[2], Wp = W + pads[1] + pads[3];
  if (Hp < dil[0] * (kh - 1) + 1 || Wp < dil[1] * (kw - 1) + 1)
    return fail("the kernel is larger than the padded input");
  int64_t OH = (Hp - dil[0] * (kh - 1) - 1) / strides[0] + 1;
  int64_t OW = (Wp - dil[1] * (kw - 1) - 1) / strides[1] + 1;
  if (llvm::Error e = checkSize({N, OH, OW, C, kh, kw}, false))
    return e;
  if (llvm::Error e = checkSize({N, M, OH, OW}, false))
    return e;
  if (pads != std::vector<int64_t>{0, 0, 0, 0}) {
    SmallVector<OpFoldResult> lo{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(pads[0]),
                                 b.getIndexAttr(pads[1])};
    SmallVector<OpFoldResult> hi{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(pads[2]),
                                 b.getIndexAttr(pads[3])};
    x = tensor::PadOp::create(b, loc, RankedTensorType::get({N, C, Hp, Wp}, b.getF32Type()), x, lo,
                              hi, f32Const(0.0f));
  }
  auto stridesAttr = b.getI64TensorAttr(strides);
  auto dilAttr = b.getI64TensorAttr(dil);
  auto outType = RankedTensorType::get({N, M, OH, OW}, b.getF32Type());
  Value y;
  llvm::Expected<Attribute> scheme = weightScheme();
  if (!scheme)
    return scheme.takeError();
  if (group == 1) {
    // im2col: patches[n, oh, ow, c, i, j] = x[n, c, oh*s + i*d, ow*s + j*d],
    // then the product with the weight as [M, C*kh*kw] (lowbit.mpgemm, f32
    // or quantized: 4x faster than linalg.conv_2d_nchw_fchw's loops here).
    SmallVector<AffineExpr> e;
    auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
    e = {d(0), d(3), d(1) * strides[0] + d(4) * dil[0], d(2) * strides[1] + d(5) * dil[1]};
    auto inMap = AffineMap::get(6, 0, e, &ctx);
    auto outMap = AffineMap::getMultiDimIdentityMap(6, &ctx);
    Shape ps{N, OH, OW, C, kh, kw};
    Value init = tensor::EmptyOp::create(b, loc, ps, b.getF32Type());
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
        ArrayRef<AffineMap>{inMap, outMap},
        SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
        [](OpBuilder &nb, Location l, ValueRange a) { linalg::YieldOp::create(nb, l, a[0]); });
    Value patches = reshape(g.getResult(0), {N * OH * OW, C * kh * kw});
    Known w2 = w;
    w2.shape = {M, C * kh * kw};
    llvm::Expected<Value> p = linear(patches, w2, "Conv");
    if (!p)
      return p.takeError();
    Value nhwc = reshape(*p, {N, OH, OW, M});
    Value init2 = tensor::EmptyOp::create(b, loc, Shape{N, M, OH, OW}, b.getF32Type());
    y = linalg::TransposeOp::create(b, loc, nhwc, init2, ArrayRef<int64_t>{0, 3, 1, 2}).getResult()[0];
  } else if (group == C && M == C) {
    // Depthwise (multiplier 1); quantized schemes leave these small weights in f32.
    recordWeight(w.size(), 32 * w.size(), "");
    Known w2 = w;
    w2.shape = {C, kh, kw};
    Val wk = knownVal(std::move(w2));
    y = linalg::DepthwiseConv2DNchwChwOp::create(b, loc, TypeRange{outType},
                                                 ValueRange{x, materialize(wk)},
                                                 ValueRange{zeros({N, M, OH, OW})}, stridesAttr,
                                                 dilAttr)
            .getResult(0);
  } else {
    return fail("grouped convolutions other than depthwise (group " + llvm::Twine(group) +
                ") are not supported");
  }
  if (hasBias)
    y = addBias(y, bias, 1);
  define(node, 0, runtime(y));
  if (!foldedOutput.empty())
    values[foldedOutput] = runtime(y);
  return llvm::Error::success();
}

llvm::Error Importer::lowerBatchNorm(const onnx::NodeProto &node) {
  // Folded into its Conv: the output is defined already.
  if (values.count(node.output(0)) && values[node.output(0)].value)
    return llvm::Error::success();
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  std::vector<const Known *> p;
  for (int i = 1; i < 5; ++i) {
    llvm::Expected<Val *> v = input(node, i);
    if (!v)
      return v.takeError();
    if (!(*v)->known)
      return fail("BatchNormalization parameters must be constants (inference)");
    p.push_back(&*(*v)->known);
  }
  int64_t C = (*xv)->rank() > 1 ? (*xv)->shape[1] : 0;
  for (const Known *k : p)
    if (k->size() != C)
      return fail("parameters do not have one value per channel");
  float eps = floatAttr(node, "epsilon", 1e-5f);
  Known a, c;
  a.shape = c.shape = {C};
  for (int64_t m = 0; m < C; ++m) {
    float s = float(p[0]->at(m)) / std::sqrt(float(p[3]->at(m)) + eps);
    a.f.push_back(s);
    c.f.push_back(float(p[1]->at(m)) - float(p[2]->at(m)) * s);
  }
  Shape bs(size_t((*xv)->rank()), 1);
  bs[1] = C;
  a.shape = c.shape = bs;
  Val av = knownVal(a), cv = knownVal(c);
  Value y = elementwise({materialize(**xv), materialize(av), materialize(cv)}, (*xv)->shape,
                        [](OpBuilder &nb, Location l, ValueRange v) {
                          return arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, v[0], v[1]), v[2])
                              .getResult();
                        });
  define(node, 0, runtime(y));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

llvm::Error Importer::lowerMatMul(const onnx::NodeProto &node) {
  Val *a, *bp;
  if (llvm::Error e = inputs(node, {&a, &bp}))
    return e;
  Val &A = *a, &B = *bp;
  if (A.rank() < 2 || B.rank() < 2)
    return fail("1-D MatMul operands are not supported");
  int64_t K = A.shape.back();
  if (B.shape[B.shape.size() - 2] != K)
    return fail("inner dimensions differ");
  int64_t N = B.shape.back();
  Shape outShape(A.shape.begin(), A.shape.end() - 1);
  outShape.push_back(N);
  if (B.known && B.rank() == 2) {
    // A constant weight: x W with W^T [N, K] the product's B.
    Known wt;
    wt.shape = {N, K};
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        wt.f.push_back(float(B.known->at(k * N + n)));
    Value x2d = reshape(materialize(A), {numElements(A.shape) / K, K});
    llvm::Expected<Value> y = linear(x2d, wt, "MatMul");
    if (!y)
      return y.takeError();
    define(node, 0, runtime(reshape(*y, outShape)));
    return llvm::Error::success();
  }
  if (A.rank() != B.rank() || !std::equal(A.shape.begin(), A.shape.end() - 2, B.shape.begin()))
    return fail("batched MatMul needs equal batch dimensions (broadcasting is not supported)");
  int64_t M = A.shape[A.shape.size() - 2];
  int64_t batch = numElements(A.shape) / (M * K);
  Value a3 = reshape(materialize(A), {batch, M, K}), b3 = reshape(materialize(B), {batch, K, N});
  Value y = linalg::BatchMatmulOp::create(b, loc, TypeRange{RankedTensorType::get({batch, M, N}, b.getF32Type())},
                                          ValueRange{a3, b3}, ValueRange{zeros({batch, M, N})})
                .getResult(0);
  define(node, 0, runtime(reshape(y, outShape)));
  return llvm::Error::success();
}

llvm::Error Importer::lowerGemm(const onnx::NodeProto &node) {
  Val *a, *bp;
  if (llvm::Error e = inputs(node, {&a, &bp}))
    return e;
  Val &A = *a, &B = *bp;
  if (A.rank() != 2 || B.rank() != 2 || !B.known)
    return fail("Gemm needs a 2-D input and a constant 2-D weight");
  if (intAttr(node, "transA", 0))
    return fail("transA is not supported");
  bool transB = intAttr(node, "transB", 0);
  float alpha = floatAttr(node, "alpha", 1.0f), beta = floatAttr(node, "beta", 1.0f);
  int64_t K = A.shape[1];
  int64_t N = transB ? B.shape[0] : B.shape[1];
  if ((transB ? B.shape[1] : B.shape[0]) != K)
    return fail("inner dimensions differ");
  Known wt;
  wt.shape = {N, K};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      wt.f.push_back(float(transB ? B.known->at(n * K + k) : B.known->at(k * N + n)));
  llvm::Expected<Value> y = linear(materialize(A), wt, "Gemm");
  if (!y)
    return y.takeError();
  Value r = *y;
  Shape out{A.shape[0], N};
  if (alpha != 1.0f)
    r = elementwise({r}, out, [alpha](OpBuilder &nb, Location l, ValueRange a) {
      return arith::MulFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(alpha))).getResult();
    });
  if (hasInput(node, 2) && beta != 0.0f) {
    llvm::Expected<Val *> cv = input(node, 2);
    if (!cv)
      return cv.takeError();
    Value c = materialize(**cv);
    if (!broadcastShapes({out, (*cv)->shape}))
      return fail("C does not broadcast to the output");
    r = elementwise({r, c}, out, [beta](OpBuilder &nb, Location l, ValueRange a) {
      Value s = beta == 1.0f ? a[1]
                             : arith::MulFOp::create(nb, l, a[1], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(beta))).getResult();
      return arith::AddFOp::create(nb, l, a[0], s).getResult();
    });
  }
  define(node, 0, runtime(r));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

llvm::Error Importer::lowerSoftmax(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  int64_t rank = (*xv)->rank();
  int64_t axis = normAxis(intAttr(node, "axis", opset < 13 ? 1 : -1), rank);
  if (axis < 0 || axis >= rank)
    return fail("axis out of range");
  Shape shape = (*xv)->shape;
  // Before opset 13 the input is seen as 2-D [prod(shape[:axis]), rest];
  // from 13 the axis is one dimension (the last one is supported).
  int64_t rows, cols;
  if (opset < 13) {
    rows = numElements(llvm::ArrayRef(shape).take_front(size_t(axis)));
    cols = numElements(shape) / rows;
  } else {
    if (axis != rank - 1)
      return fail("Softmax over an axis other than the last is not supported");
    cols = shape.back();
    rows = numElements(shape) / cols;
  }
  Value x = reshape(materialize(**xv), {rows, cols});
  auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
  auto full = AffineMap::getMultiDimIdentityMap(2, &ctx);
  auto row = AffineMap::get(2, 0, {d(0)}, &ctx);
  SmallVector<utils::IteratorType> red{utils::IteratorType::parallel, utils::IteratorType::reduction};
  SmallVector<utils::IteratorType> par(2, utils::IteratorType::parallel);
  auto rowInit = [&](float v) {
    Value e = tensor::EmptyOp::create(b, loc, Shape{rows}, b.getF32Type());
    return linalg::FillOp::create(b, loc, ValueRange{f32Const(v)}, ValueRange{e}).getResult(0);
  };
  Value mx = linalg::GenericOp::create(
                 b, loc, TypeRange{rowInit(0).getType()}, ValueRange{x}, ValueRange{rowInit(-INFINITY)},
                 ArrayRef<AffineMap>{full, row}, red,
                 [](OpBuilder &nb, Location l, ValueRange a) {
                   linalg::YieldOp::create(nb, l, ValueRange{arith::MaximumFOp::create(nb, l, a[0], a[1])});
                 })
                 .getResult(0);
  Value ex = linalg::GenericOp::create(
                 b, loc, TypeRange{x.getType()}, ValueRange{x, mx},
                 ValueRange{tensor::EmptyOp::create(b, loc, Shape{rows, cols}, b.getF32Type())},
                 ArrayRef<AffineMap>{full, row, full}, par,
                 [](OpBuilder &nb, Location l, ValueRange a) {
                   linalg::YieldOp::create(
                       nb, l, ValueRange{math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], a[1]))});
                 })
                 .getResult(0);
  Value sum = linalg::GenericOp::create(
                  b, loc, TypeRange{rowInit(0).getType()}, ValueRange{ex}, ValueRange{rowInit(0)},
                  ArrayRef<AffineMap>{full, row}, red,
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, a[0], a[1])});
                  })
                  .getResult(0);
  Value y = linalg::GenericOp::create(
                b, loc, TypeRange{x.getType()}, ValueRange{ex, sum},
                ValueRange{tensor::EmptyOp::create(b, loc, Shape{rows, cols}, b.getF32Type())},
                ArrayRef<AffineMap>{full, row, full}, par,
                [](OpBuilder &nb, Location l, ValueRange a) {
                  linalg::YieldOp::create(nb, l, ValueRange{arith::DivFOp::create(nb, l, a[0], a[1])});
                })
                .getResult(0);
  define(node, 0, runtime(reshape(y, shape)));
  return llvm::Error::success();
}

llvm::Error Importer::lowerReduceMean(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  int64_t rank = (*xv)->rank();
  std::vector<int64_t> axes;
  bool keep = true;
  if (node.op_type() == "GlobalAveragePool") {
    for (int64_t a = 2; a < rank; ++a)
      axes.push_back(a);
  } else {
    keep = intAttr(node, "keepdims", 1) != 0;
    if (auto a = intsAttr(node, "axes")) {
      axes = *a;
    } else if (hasInput(node, 1)) {
      llvm::Expected<Val *> av = input(node, 1);
      if (!av)
        return av.takeError();
      if (!(*av)->known || (*av)->known->isFloat)
        return fail("axes must be constant integers");
      axes = (*av)->known->i;
    } else {
      for (int64_t a = 0; a < rank; ++a)
        axes.push_back(a);
    }
  }
  std::vector<bool> reduced(size_t(rank), false);
  for (int64_t a : axes) {
    a = normAxis(a, rank);
    if (a < 0 || a >= rank)
      return fail("axis out of range");
    reduced[size_t(a)] = true;
  }
  Shape keepShape, outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  int64_t count = 1;
  for (int64_t a = 0; a < rank; ++a) {
    if (reduced[size_t(a)]) {
      count *= (*xv)->shape[size_t(a)];
      iters.push_back(utils::IteratorType::reduction);
      keepShape.push_back(1);
    } else {
      iters.push_back(utils::IteratorType::parallel);
      outExprs.push_back(b.getAffineDimExpr(unsigned(a)));
      keepShape.push_back((*xv)->shape[size_t(a)]);
      outShape.push_back((*xv)->shape[size_t(a)]);
    }
  }
  Value x = materialize(**xv);
  Value init = zeros(outShape);
  Value sum = linalg::GenericOp::create(
                  b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
                  ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(unsigned(rank), &ctx),
                                      AffineMap::get(unsigned(rank), 0, outExprs, &ctx)},
                  iters,
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, a[0], a[1])});
                  })
                  .getResult(0);
  float n = float(count);
  Value mean = elementwise({sum}, outShape, [n](OpBuilder &nb, Location l, ValueRange a) {
    return arith::DivFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(n))).getResult();
  });
  define(node, 0, runtime(keep ? reshape(mean, keepShape) : mean));
  return llvm::Error::success();
}

llvm::Error Importer::lowerPool(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  if ((*xv)->rank() != 4)
    return fail("only 2-D pooling (NCHW) is supported");
  bool isMax = node.op_type() == "MaxPool";
  std::vector<int64_t> k = intsAttr(node, "kernel_shape").value_or(std::vector<int64_t>{});
  std::vector<int64_t> pads = intsAttr(node, "pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
  std::vector<int64_t> strides = intsAttr(node, "strides").value_or(std::vector<int64_t>{1, 1});
  std::vector<int64_t> dil = intsAttr(node, "dilations").value_or(std::vector<int64_t>{1, 1});
  if (k.size() != 2 || pads.size() != 4 || strides.size() != 2 || dil.size() != 2)
    return fail("kernel_shape, pads, strides and dilations must be 2-D");
  if (llvm::Error e = checkWindow(k, pads, strides, dil))
    return e;
  if (intAttr(node, "ceil_mode", 0))
    return fail("ceil_mode is not supported");
  if (stringAttr(node, "auto_pad", "NOTSET") != "NOTSET")
    return fail("auto_pad is not supported (explicit pads are)");
  bool padded = pads != std::vector<int64_t>{0, 0, 0, 0};
  if (!isMax && padded && !intAttr(node, "count_include_pad", 0))
    return fail("padded AveragePool without count_include_pad is not supported");
  Shape s = (*xv)->shape;
  int64_t Hp = s[2] + pads[0] + pads[2], Wp = s[3] + pads[1] + pads[3];
  if (Hp < dil[0] * (k[0] - 1) + 1 || Wp < dil[1] * (k[1] - 1) + 1)
    return fail("the window is larger than the padded input");
  int64_t OH = (Hp - dil[0] * (k[0] - 1) - 1) / strides[0] + 1;
  int64_t OW = (Wp - dil[1] * (k[1] - 1) - 1) / strides[1] + 1;
  if (llvm::Error e = checkSize({s[0], s[1], OH, OW}, false))
    return e;
  Value x = materialize(**xv);
  float padValue = isMax ? -INFINITY : 0.0f;
  if (padded) {
    SmallVector<OpFoldResult> lo{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(pads[0]), b.getIndexAttr(pads[1])};
    SmallVector<OpFoldResult> hi{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(pads[2]), b.getIndexAttr(pads[3])};
    x = tensor::PadOp::create(b, loc, RankedTensorType::get({s[0], s[1], Hp, Wp}, b.getF32Type()), x,
                              lo, hi, f32Const(padValue));
  }
  Shape out{s[0], s[1], OH, OW};
  Value window = tensor::EmptyOp::create(b, loc, Shape{k[0], k[1]}, b.getF32Type());
  auto outType = RankedTensorType::get(out, b.getF32Type());
  Value y;
  if (isMax) {
    y = linalg::PoolingNchwMaxOp::create(b, loc, TypeRange{outType}, ValueRange{x, window},
                                         ValueRange{zeros(out, -INFINITY)}, b.getI64TensorAttr(strides),
                                         b.getI64TensorAttr(dil))
            .getResult(0);
  } else {
    y = linalg::PoolingNchwSumOp::create(b, loc, TypeRange{outType}, ValueRange{x, window},
                                         ValueRange{zeros(out)}, b.getI64TensorAttr(strides),
                                         b.getI64TensorAttr(dil))
            .getResult(0);
    float n = float(k[0] * k[1]);
    y = elementwise({y}, out, [n](OpBuilder &nb, Location l, ValueRange a) {
      return arith::DivFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(n))).getResult();
    });
  }
  define(node, 0, runtime(y));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

namespace {
Known intKnown(Shape shape, std::vector<int64_t> values) {
  Known k;
  k.isFloat = false;
  k.shape = std::move(shape);
  k.i = std::move(values);
  return k;
}
} // namespace

llvm::Error Importer::lowerShapeOp(const onnx::NodeProto &node) {
  const std::string &op = node.op_type();
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  Val &x = **xv;
  if (op == "Shape") {
    int64_t r = x.rank();
    int64_t start = normAxis(intAttr(node, "start", 0), r), end = intAttr(node, "end", r);
    end = std::clamp<int64_t>(normAxis(end, r), 0, r);
    start = std::clamp<int64_t>(start, 0, r);
    std::vector<int64_t> dims(x.shape.begin() + start, x.shape.begin() + std::max(start, end));
    define(node, 0, knownVal(intKnown({int64_t(dims.size())}, dims)));
    return llvm::Error::success();
  }
  if (op == "ConstantOfShape") {
    if (!x.known || x.known->isFloat)
      return fail("the shape must be known integers");
    Known k;
    k.shape = x.known->i;
    if (llvm::Error e = checkSize(k.shape, true))
      return e;
    float v = 0;
    if (const onnx::AttributeProto *a = attr(node, "value")) {
      llvm::Expected<Known> kv = knownFromProto(a->t());
      if (!kv)
        return fail(llvm::toString(kv.takeError()));
      if (kv->size() != 1)
        return fail("value must hold one element");
      k.isFloat = kv->isFloat;
      v = float(kv->at(0));
      if (!k.isFloat)
        k.i.assign(size_t(k.size()), kv->i[0]);
    }
    if (k.isFloat)
      k.f.assign(size_t(k.size()), v);
    define(node, 0, knownVal(std::move(k)));
    return llvm::Error::success();
  }
  // Reshape, Squeeze, Unsqueeze, Flatten: a new shape for the same data.
  Shape target;
  int64_t r = x.rank();
  auto axesOf = [&](int i) -> llvm::Expected<std::vector<int64_t>> {
    if (auto a = intsAttr(node, "axes"))
      return *a;
    if (hasInput(node, i)) {
      llvm::Expected<Val *> av = input(node, i);
      if (!av)
        return av.takeError();
      if (!(*av)->known || (*av)->known->isFloat)
        return fail("axes must be constant integers");
      return (*av)->known->i;
    }
    return std::vector<int64_t>{};
  };
  if (op == "Reshape") {
    llvm::Expected<Val *> sv = input(node, 1);
    if (!sv)
      return sv.takeError();
    if (!(*sv)->known || (*sv)->known->isFloat)
      return fail("the target shape must be known integers (computed from static shapes)");
    bool allowZero = intAttr(node, "allowzero", 0) != 0;
    int64_t infer = -1, known = 1;
    const std::vector<int64_t> &t = (*sv)->known->i;
    for (size_t i = 0; i < t.size(); ++i) {
      int64_t d = t[i];
      if (d == 0 && !allowZero) {
        if (int64_t(i) >= r)
          return fail("shape 0 copies a dimension the input does not have");
        d = x.shape[i];
      }
      if (d == -1) {
        if (infer >= 0)
          return fail("more than one -1 in the shape");
        infer = int64_t(i);
        target.push_back(1);
        continue;
      }
      if (d < 0)
        return fail("negative dimension in the shape");
      target.push_back(d);
    }
    known = numElements(target); // saturating; the -1 counts as 1 here
    if (infer >= 0) {
      if (known == 0 || numElements(x.shape) % known)
        return fail("-1 cannot be inferred");
      target[size_t(infer)] = numElements(x.shape) / known;
    }
  } else if (op == "Squeeze") {
    llvm::Expected<std::vector<int64_t>> axes = axesOf(1);
    if (!axes)
      return axes.takeError();
    std::vector<bool> drop(size_t(r), false);
    for (int64_t a : *axes) {
      a = normAxis(a, r);
      if (a < 0 || a >= r || x.shape[size_t(a)] != 1)
        return fail("Squeeze of an axis that is not 1");
      drop[size_t(a)] = true;
    }
    for (int64_t a = 0; a < r; ++a)
      if (!(axes->empty() ? x.shape[size_t(a)] == 1 : drop[size_t(a)]))
        target.push_back(x.shape[size_t(a)]);
  } else if (op == "Unsqueeze") {
    llvm::Expected<std::vector<int64_t>> axes = axesOf(1);
    if (!axes)
      return axes.takeError();
    int64_t outRank = r + int64_t(axes->size());
    std::vector<bool> ins(size_t(outRank), false);
    for (int64_t a : *axes) {
      a = normAxis(a, outRank);
      if (a < 0 || a >= outRank || ins[size_t(a)])
        return fail("Unsqueeze axes out of range or repeated");
      ins[size_t(a)] = true;
    }
    size_t j = 0;
    for (int64_t a = 0; a < outRank; ++a)
      target.push_back(ins[size_t(a)] ? 1 : x.shape[j++]);
  } else { // Flatten
    int64_t axis = normAxis(intAttr(node, "axis", 1), r);
    if (axis < 0 || axis > r)
      return fail("axis out of range");
    int64_t lead = numElements(llvm::ArrayRef(x.shape).take_front(size_t(axis)));
    target = {lead, numElements(x.shape) / lead};
  }
  if (numElements(target) != numElements(x.shape))
    return fail("the new shape has a different number of elements");
  if (x.known) {
    Known k = *x.known;
    k.shape = target;
    define(node, 0, knownVal(std::move(k)));
  } else {
    define(node, 0, runtime(reshape(materialize(x), target)));
  }
  return llvm::Error::success();
}

llvm::Error Importer::lowerSlice(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  Val &x = **xv;
  int64_t r = x.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    starts = intsAttr(node, "starts").value_or(std::vector<int64_t>{});
    ends = intsAttr(node, "ends").value_or(std::vector<int64_t>{});
    axes = intsAttr(node, "axes").value_or(std::vector<int64_t>{});
  } else {
    auto ints = [&](int i, std::vector<int64_t> &out) -> llvm::Error {
      if (!hasInput(node, i))
        return llvm::Error::success();
      llvm::Expected<Val *> v = input(node, i);
      if (!v)
        return v.takeError();
      if (!(*v)->known || (*v)->known->isFloat)
        return fail("starts, ends, axes and steps must be known integers");
      out = (*v)->known->i;
      return llvm::Error::success();
    };
    for (auto [i, out] : {std::pair<int, std::vector<int64_t> *>{1, &starts}, {2, &ends}, {3, &axes}, {4, &steps}})
      if (llvm::Error e = ints(i, *out))
        return e;
  }
  if (starts.size() != ends.size())
    return fail("starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return fail("axes and steps must match starts");
  Shape off(size_t(r), 0), size = x.shape, stride(size_t(r), 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = normAxis(axes[i], r);
    if (a < 0 || a >= r)
      return fail("axis out of range");
    int64_t dim = x.shape[size_t(a)], st = steps[i];
    if (st <= 0)
      return fail("steps must be positive");
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    s = std::clamp<int64_t>(s, 0, dim);
    e = std::clamp<int64_t>(e, 0, dim);
    size[size_t(a)] = e > s ? (e - s + st - 1) / st : 0;
    off[size_t(a)] = size[size_t(a)] ? s : 0; // an empty slice starts at 0 (offset < dim)
    stride[size_t(a)] = st;
  }
  if (x.known) {
    Known k;
    k.isFloat = x.known->isFloat;
    k.shape = size;
    Shape is = stridesOf(x.shape);
    int64_t n = numElements(size);
    Shape os = stridesOf(size);
    for (int64_t e = 0; e < n; ++e) {
      int64_t src = 0;
      for (int64_t d = 0; d < r; ++d)
        src += (off[size_t(d)] + ((e / os[size_t(d)]) % size[size_t(d)]) * stride[size_t(d)]) * is[size_t(d)];
      appendElement(k, *x.known, src);
    }
    define(node, 0, knownVal(std::move(k)));
    return llvm::Error::success();
  }
  Value y = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(size, b.getF32Type()),
                                           materialize(x), ValueRange{}, ValueRange{}, ValueRange{},
                                           off, size, stride);
  define(node, 0, runtime(y));
  return llvm::Error::success();
}

llvm::Error Importer::lowerConcat(const onnx::NodeProto &node) {
  std::vector<Val *> in;
  for (int i = 0; i < node.input_size(); ++i) {
    llvm::Expected<Val *> v = input(node, i);
    if (!v)
      return v.takeError();
    in.push_back(*v);
  }
  if (in.empty())
    return fail("no inputs");
  int64_t r = in[0]->rank();
  int64_t axis = normAxis(intAttr(node, "axis", 0), r);
  if (axis < 0 || axis >= r)
    return fail("axis out of range");
  Shape out = in[0]->shape;
  out[size_t(axis)] = 0;
  for (Val *v : in) {
    if (v->rank() != r)
      return fail("inputs differ in rank");
    for (int64_t d = 0; d < r; ++d)
      if (d != axis && v->shape[size_t(d)] != in[0]->shape[size_t(d)])
        return fail("inputs differ outside the axis");
    out[size_t(axis)] += v->shape[size_t(axis)];
  }
  if (llvm::Error e = checkSize(out, llvm::all_of(in, [](Val *v) { return v->known.has_value(); })))
    return e;
  if (llvm::all_of(in, [](Val *v) { return v->known.has_value(); })) {
    Known k;
    k.isFloat = in[0]->known->isFloat;
    k.shape = out;
    int64_t outer = numElements(llvm::ArrayRef(out).take_front(size_t(axis)));
    for (int64_t o = 0; o < outer; ++o)
      for (Val *v : in) {
        int64_t chunk = numElements(v->shape) / std::max<int64_t>(outer, 1);
        for (int64_t j = 0; j < chunk; ++j) {
          appendElement(k, *v->known, o * chunk + j);
        }
      }
    define(node, 0, knownVal(std::move(k)));
    return llvm::Error::success();
  }
  Value acc = tensor::EmptyOp::create(b, loc, out, b.getF32Type());
  int64_t at = 0;
  for (Val *v : in) {
    SmallVector<int64_t> off(size_t(r), 0), strides(size_t(r), 1);
    off[size_t(axis)] = at;
    acc = tensor::InsertSliceOp::create(b, loc, materialize(*v), acc, ValueRange{}, ValueRange{},
                                        ValueRange{}, off, v->shape, strides);
    at += v->shape[size_t(axis)];
  }
  define(node, 0, runtime(acc));
  return llvm::Error::success();
}

llvm::Error Importer::lowerTranspose(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  Val &x = **xv;
  int64_t r = x.rank();
  std::vector<int64_t> perm = intsAttr(node, "perm").value_or(std::vector<int64_t>{});
  if (perm.empty())
    for (int64_t i = r - 1; i >= 0; --i)
      perm.push_back(i);
  std::vector<bool> seen(size_t(r), false);
  if (int64_t(perm.size()) != r)
    return fail("perm does not match the rank");
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[size_t(p)])
      return fail("perm is not a permutation");
    seen[size_t(p)] = true;
  }
  Shape out;
  for (int64_t p : perm)
    out.push_back(x.shape[size_t(p)]);
  if (x.known) {
    Known k;
    k.isFloat = x.known->isFloat;
    k.shape = out;
    Shape is = stridesOf(x.shape), os = stridesOf(out);
    for (int64_t e = 0; e < numElements(out); ++e) {
      int64_t src = 0;
      for (int64_t d = 0; d < r; ++d)
        src += ((e / os[size_t(d)]) % out[size_t(d)]) * is[size_t(perm[size_t(d)])];
      appendElement(k, *x.known, src);
    }
    define(node, 0, knownVal(std::move(k)));
    return llvm::Error::success();
  }
  Value init = tensor::EmptyOp::create(b, loc, out, b.getF32Type());
  Value y = linalg::TransposeOp::create(b, loc, materialize(x), init, perm).getResult()[0];
  define(node, 0, runtime(y));
  return llvm::Error::success();
}

llvm::Error Importer::lowerGather(const onnx::NodeProto &node) {
  Val *xp, *ip;
  if (llvm::Error e = inputs(node, {&xp, &ip}))
    return e;
  Val &x = *xp, &idx = *ip;
  if (!idx.known || idx.known->isFloat)
    return fail("indices must be known integers");
  int64_t r = x.rank();
  int64_t axis = normAxis(intAttr(node, "axis", 0), r);
  if (axis < 0 || axis >= r)
    return fail("axis out of range");
  int64_t dim = x.shape[size_t(axis)];
  std::vector<int64_t> ids = idx.known->i;
  for (int64_t &i : ids) {
    if (i < -dim || i >= dim)
      return fail("index out of range");
    if (i < 0)
      i += dim;
  }
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), idx.known->shape.begin(), idx.known->shape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  if (llvm::Error e = checkSize(out, x.known.has_value()))
    return e;
  int64_t outer = numElements(llvm::ArrayRef(x.shape).take_front(size_t(axis)));
  int64_t inner = numElements(llvm::ArrayRef(x.shape).drop_front(size_t(axis) + 1));
  if (x.known) {
    Known k;
    k.isFloat = x.known->isFloat;
    k.shape = out;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : ids)
        for (int64_t j = 0; j < inner; ++j) {
          appendElement(k, *x.known, (o * dim + i) * inner + j);
        }
    define(node, 0, knownVal(std::move(k)));
    return llvm::Error::success();
  }
  // Computed data, known indices: one slice per index, concatenated.
  Value xs = materialize(x);
  Shape sliceShape = x.shape;
  sliceShape[size_t(axis)] = 1;
  Shape cat = x.shape;
  cat[size_t(axis)] = int64_t(ids.size());
  Value acc = tensor::EmptyOp::create(b, loc, cat, b.getF32Type());
  for (size_t j = 0; j < ids.size(); ++j) {
    SmallVector<int64_t> off(size_t(r), 0), dst(size_t(r), 0), ones(size_t(r), 1);
    off[size_t(axis)] = ids[j];
    dst[size_t(axis)] = int64_t(j);
    Value s = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(sliceShape, b.getF32Type()),
                                             xs, ValueRange{}, ValueRange{}, ValueRange{}, off,
                                             sliceShape, ones);
    acc = tensor::InsertSliceOp::create(b, loc, s, acc, ValueRange{}, ValueRange{}, ValueRange{},
                                        dst, sliceShape, ones);
  }
  define(node, 0, runtime(reshape(acc, out)));
  return llvm::Error::success();
}

llvm::Error Importer::lowerCast(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  Val &x = **xv;
  int64_t to = intAttr(node, "to", 0);
  bool toFloat = to == 1 || to == 11; // float, double
  bool toInt = to == 6 || to == 7 || to == 3 || to == 2 || to == 9;
  if (!toFloat && !toInt)
    return fail("Cast to type " + llvm::Twine(to) + " is not supported");
  if (!x.known) {
    if (toFloat) {
      define(node, 0, x);
      return llvm::Error::success();
    }
    return fail("Cast of a computed tensor to an integer type is not supported");
  }
  Known k = *x.known;
  if (toFloat && !k.isFloat) {
    for (int64_t v : k.i)
      k.f.push_back(float(v));
    k.i.clear();
    k.isFloat = true;
  } else if (toInt && k.isFloat) {
    for (float v : k.f)
      k.i.push_back(int64_t(std::trunc(v)));
    k.f.clear();
    k.isFloat = false;
  }
  define(node, 0, knownVal(std::move(k)));
  return llvm::Error::success();
}
