//===- ONNXConvolution.cpp - Conv, BatchNormalization and pooling ---===//
//
// Conv with group 1 as im2col + lowbit.mpgemm, depthwise Conv as
// linalg.depthwise_conv_2d_nchw_chw; a BatchNormalization read only by a
// Conv folded into its weights; pooling as linalg pooling ops.
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
  const QuantizedCodes *quantized = (*wv)->quantized.get();
  std::shared_ptr<QuantizedCodes> foldedCodes; // with a BatchNormalization's factors
  if ((*xv)->rank() != 4 || w.shape.size() != 4)
    return fail("only 2-D convolutions (NCHW, 4-D weights) are supported");
  if (numElements((*xv)->shape) == 0 || w.size() == 0)
    return fail("a convolution of an empty tensor (a dimension of 0) is not supported");
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
      std::vector<float> factor(static_cast<size_t>(M));
      if (!hasBias) {
        bias.shape = {M};
        bias.f.assign(size_t(M), 0.0f);
        hasBias = true;
      }
      int64_t per = Cg * kh * kw;
      for (int64_t m = 0; m < M; ++m) {
        float a = float(p[0]->at(m)) / std::sqrt(float(p[3]->at(m)) + eps);
        factor[size_t(m)] = a;
        for (int64_t j = 0; j < per; ++j)
          w.f[size_t(m * per + j)] *= a;
        bias.f[size_t(m)] = (bias.f[size_t(m)] - float(p[2]->at(m))) * a + float(p[1]->at(m));
      }
      // Codes with one scale per output channel (or per tensor) keep their
      // codes, the factor going into the scales (as into the f32 weights:
      // the same rounding policy); any other grid reads the f32 weights.
      if (quantized) {
        const ScaleLayout &l = quantized->layout;
        if (l.axis < 0 || (l.axis == 0 && l.block == 0)) {
          auto q = std::make_shared<QuantizedCodes>(*quantized);
          q->layout = {0, 0};
          q->scaleShape = {M};
          q->scales.resize(size_t(M));
          if (!q->zeros.empty()) {
            int64_t z0 = q->zeros[0]; // per tensor: the same for all channels
            q->zeros.resize(size_t(M), z0);
          }
          for (int64_t m = 0; m < M; ++m)
            q->scales[size_t(m)] = quantized->scales[size_t(l.axis < 0 ? 0 : m)] * factor[size_t(m)];
          foldedCodes = std::move(q);
          quantized = foldedCodes.get();
        } else {
          quantized = nullptr;
        }
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
    Value patches;
    if (kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1) {
      // A pointwise convolution's patches are x in NHWC: a linalg.transpose,
      // which the CPU pipeline moves in 16 x 16 register blocks
      // (lowbit-transposes-to-vectors) where the generic's loops gather.
      Value init = tensor::EmptyOp::create(b, loc, Shape{N, OH, OW, C}, b.getF32Type());
      patches = linalg::TransposeOp::create(b, loc, x, init, ArrayRef<int64_t>{0, 2, 3, 1})
                    .getResult()[0];
    } else {
      Value init = tensor::EmptyOp::create(b, loc, ps, b.getF32Type());
      patches = linalg::GenericOp::create(
                    b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
                    ArrayRef<AffineMap>{inMap, outMap},
                    SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
                    [](OpBuilder &nb, Location l, ValueRange a) {
                      linalg::YieldOp::create(nb, l, a[0]);
                    })
                    .getResult(0);
    }
    patches = reshape(patches, {N * OH * OW, C * kh * kw});
    Known w2 = w;
    w2.shape = {M, C * kh * kw};
    int64_t K = C * kh * kw;
    llvm::Expected<Value> p = linear(patches, w2, "Conv", quantized,
                                     [K](int64_t n, int64_t k) { return n * K + k; });
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
