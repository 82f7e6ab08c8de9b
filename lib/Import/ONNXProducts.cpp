//===- ONNXProducts.cpp - MatMul, Gemm, Softmax and ReduceMean ---===//
//
// Products with constant weights as lowbit.mpgemm, between computed
// tensors as linalg.batch_matmul; reductions as linalg.generic.
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
// Products
//===----------------------------------------------------------------------===//

llvm::Error Importer::lowerMatMul(const onnx::NodeProto &node) {
  Val *a, *bp;
  if (llvm::Error e = inputs(node, {&a, &bp}))
    return e;
  Val &A = *a, &B = *bp;
  if (A.rank() < 2 || B.rank() < 2)
    return fail("1-D MatMul operands are not supported");
  if (numElements(A.shape) == 0 || numElements(B.shape) == 0)
    return fail("a product of an empty tensor (a dimension of 0) is not supported");
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
    llvm::Expected<Value> y = linear(x2d, wt, "MatMul", B.quantized.get(),
                                     [N](int64_t n, int64_t k) { return k * N + n; });
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
  if (numElements(A.shape) == 0 || numElements(B.shape) == 0)
    return fail("a product of an empty tensor (a dimension of 0) is not supported");
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
  llvm::Expected<Value> y =
      linear(materialize(A), wt, "Gemm", B.quantized.get(), [transB, N, K](int64_t n, int64_t k) {
        return transB ? n * K + k : k * N + n;
      });
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

Value Importer::sumInF64(Value x, ArrayRef<AffineMap> maps,
                         ArrayRef<utils::IteratorType> iters, llvm::ArrayRef<int64_t> outShape) {
  Value e = tensor::EmptyOp::create(b, loc, outShape, b.getF64Type());
  Value init = linalg::FillOp::create(
                   b, loc, ValueRange{arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0))},
                   ValueRange{e})
                   .getResult(0);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init}, maps, iters,
             [](OpBuilder &nb, Location l, ValueRange a) {
               Value v = arith::ExtFOp::create(nb, l, nb.getF64Type(), a[0]);
               linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, v, a[1])});
             })
      .getResult(0);
}

llvm::Error Importer::lowerSoftmax(const onnx::NodeProto &node) {
  llvm::Expected<Val *> xv = input(node, 0);
  if (!xv)
    return xv.takeError();
  int64_t rank = (*xv)->rank();
  int64_t axis = normAxis(intAttr(node, "axis", opset < 13 ? 1 : -1), rank);
  if (axis < 0 || axis >= rank)
    return fail("axis out of range");
  Shape shape = (*xv)->shape;
  if (numElements(shape) == 0)
    return fail("Softmax of an empty tensor (a dimension of 0) is not supported");
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
  // The row sum in f64 (named policy, docs/importing.md): summed in order
  // in f32, the small terms of a peaked row (6624 classes near 1e-8 beside
  // one near 1) fall below half an ulp of the running sum and are lost,
  // a bias of up to 1e-4 in the probabilities.
  Value sum = sumInF64(ex, {full, row}, red, Shape{rows});
  Value y = linalg::GenericOp::create(
                b, loc, TypeRange{x.getType()}, ValueRange{ex, sum},
                ValueRange{tensor::EmptyOp::create(b, loc, Shape{rows, cols}, b.getF32Type())},
                ArrayRef<AffineMap>{full, row, full}, par,
                [](OpBuilder &nb, Location l, ValueRange a) {
                  Value e = arith::ExtFOp::create(nb, l, nb.getF64Type(), a[0]);
                  Value q = arith::DivFOp::create(nb, l, e, a[1]);
                  linalg::YieldOp::create(nb, l, ValueRange{arith::TruncFOp::create(nb, l, nb.getF32Type(), q)});
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
  // Summed in f64 as Softmax's rows are (a layer norm's mean over 120
  // channels, a pool over hundreds of pixels), divided and rounded once.
  Value sum = sumInF64(x,
                       {AffineMap::getMultiDimIdentityMap(unsigned(rank), &ctx),
                        AffineMap::get(unsigned(rank), 0, outExprs, &ctx)},
                       iters, outShape);
  double n = double(count);
  Value mean = elementwise({sum}, outShape, [n](OpBuilder &nb, Location l, ValueRange a) {
    Value q = arith::DivFOp::create(nb, l, a[0], arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(n)));
    return arith::TruncFOp::create(nb, l, nb.getF32Type(), q).getResult();
  });
  define(node, 0, runtime(keep ? reshape(mean, keepShape) : mean));
  return llvm::Error::success();
}
