//===- ONNXShapes.cpp - Shape, Reshape, Slice, Concat, Transpose, Gather ---===//
//
// On known values evaluated here (shape arithmetic); on computed tensors
// collapse/expand, extract_slice, insert_slice and linalg.transpose.
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
