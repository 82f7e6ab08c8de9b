//===- ONNXElementwise.cpp - Elementwise ONNX operators and Cast ---===//
//
// linalg.generic ops with numpy broadcasting in their indexing maps, or,
// on known values, the operation evaluated here in the graph's precision.
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
