//===- ONNX.cpp - ONNX graphs to lowbit IR --------------------------------===//
//
// One pass over the graph's nodes (they are topologically sorted, as the
// ONNX spec requires), each node turned into ops on tensors with static
// shapes. A value is either an MLIR value or, where the importer can
// compute it (constants, shapes and everything computed from them only),
// a Known tensor evaluated here; Known tensors become arith.constant ops
// where an MLIR op reads them. Lowerings of the operators are in
// ONNXOps.cpp; this file holds the graph walk, constants and attributes.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporter.h"

#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MemoryBuffer.h"

#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Format.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace ::lowbit::import;
using namespace ::lowbit::import::onnximport;

bool lowbit::import::haveONNX() { return true; }

//===----------------------------------------------------------------------===//
// Known tensors
//===----------------------------------------------------------------------===//

int64_t onnximport::numElements(llvm::ArrayRef<int64_t> shape) {
  // Saturating: a malformed model's dimensions must not overflow here (the
  // callers refuse sizes above kMaxElements).
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return -1;
    if (d && n > (int64_t(1) << 50) / d)
      return int64_t(1) << 50;
    n *= d;
  }
  return n;
}

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// ONNX TensorProto data types the importer reads.
enum DataType {
  FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, BOOL = 9, DOUBLE = 11,
  FLOAT8E4M3FN = 17, FLOAT8E4M3FNUZ = 18, FLOAT8E5M2 = 19, FLOAT8E5M2FNUZ = 20, UINT4 = 21, INT4 = 22
};

/// The fp8 formats of the ONNX data types 17..20.
::lowbit::num::BuiltinFloat fp8Format(int32_t dataType) {
  using ::lowbit::num::BuiltinFloat;
  switch (dataType) {
  case FLOAT8E4M3FN: return BuiltinFloat::F8E4M3FN;
  case FLOAT8E4M3FNUZ: return BuiltinFloat::F8E4M3FNUZ;
  case FLOAT8E5M2: return BuiltinFloat::F8E5M2;
  default: return BuiltinFloat::F8E5M2FNUZ;
  }
}


template <class T> bool readRaw(const std::string &raw, size_t n, std::vector<T> &out) {
  if (raw.size() != n * sizeof(T))
    return false;
  out.resize(n);
  if (n)
    std::memcpy(out.data(), raw.data(), raw.size());
  return true;
}

/// One byte per element (raw), or one per entry of int32_data.
bool readBytes(const onnx::TensorProto &t, size_t n, std::vector<uint8_t> &out) {
  if (!t.raw_data().empty() || t.int32_data_size() == 0)
    return readRaw(t.raw_data(), n, out);
  if (uint64_t(t.int32_data_size()) != n)
    return false;
  out.assign(t.int32_data().begin(), t.int32_data().end());
  return true;
}
} // namespace

llvm::Expected<Known> onnximport::knownFromProto(const onnx::TensorProto &t) {
  Known k;
  uint64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d && n > (uint64_t(1) << 40) / uint64_t(d)))
      return err("tensor '" + t.name() + "' has a negative or too large dimension");
    n *= uint64_t(d);
    k.shape.push_back(d);
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return err("tensor '" + t.name() + "' keeps its data in an external file (not supported)");
  const std::string &raw = t.raw_data();
  bool ok = true;
  switch (t.data_type()) {
  case FLOAT:
    k.isFloat = true;
    if (!raw.empty() || t.float_data_size() == 0)
      ok = readRaw(raw, n, k.f);
    else if ((ok = uint64_t(t.float_data_size()) == n))
      k.f.assign(t.float_data().begin(), t.float_data().end());
    break;
  case DOUBLE: {
    k.isFloat = true;
    std::vector<double> d;
    if (!raw.empty() || t.double_data_size() == 0)
      ok = readRaw(raw, n, d);
    else if ((ok = uint64_t(t.double_data_size()) == n))
      d.assign(t.double_data().begin(), t.double_data().end());
    k.f.assign(d.begin(), d.end());
    break;
  }
  case INT64:
    k.isFloat = false;
    if (!raw.empty() || t.int64_data_size() == 0)
      ok = readRaw(raw, n, k.i);
    else if ((ok = uint64_t(t.int64_data_size()) == n))
      k.i.assign(t.int64_data().begin(), t.int64_data().end());
    break;
  case INT32: case INT8: case UINT8: case BOOL: {
    k.isFloat = false;
    if (!raw.empty()) {
      if (t.data_type() == INT32) {
        std::vector<int32_t> v;
        ok = readRaw(raw, n, v);
        k.i.assign(v.begin(), v.end());
      } else if (t.data_type() == INT8) {
        std::vector<int8_t> v;
        ok = readRaw(raw, n, v);
        k.i.assign(v.begin(), v.end());
      } else {
        std::vector<uint8_t> v;
        ok = readRaw(raw, n, v);
        k.i.assign(v.begin(), v.end());
      }
    } else if ((ok = uint64_t(t.int32_data_size()) == n)) {
      k.i.assign(t.int32_data().begin(), t.int32_data().end());
    }
    break;
  }
  case INT16: case UINT16: {
    k.isFloat = false;
    if (!raw.empty()) {
      std::vector<uint16_t> v;
      ok = readRaw(raw, n, v);
      for (uint16_t x : v)
        k.i.push_back(t.data_type() == INT16 ? int64_t(int16_t(x)) : int64_t(x));
    } else if ((ok = uint64_t(t.int32_data_size()) == n)) {
      k.i.assign(t.int32_data().begin(), t.int32_data().end());
    }
    break;
  }
  case INT4: case UINT4: {
    // Two codes per byte, the first in the low nibble (raw_data, or one
    // byte per entry of int32_data).
    k.isFloat = false;
    std::vector<uint8_t> bytes;
    if ((ok = readBytes(t, size_t((n + 1) / 2), bytes)))
      for (uint64_t e = 0; e < n; ++e) {
        int64_t v = (bytes[size_t(e / 2)] >> (4 * (e % 2))) & 15;
        k.i.push_back(t.data_type() == INT4 && v >= 8 ? v - 16 : v);
      }
    break;
  }
  case FLOAT8E4M3FN: case FLOAT8E4M3FNUZ: case FLOAT8E5M2: case FLOAT8E5M2FNUZ: {
    // Kept as their (exact) f32 values; DequantizeLinear encodes them back.
    k.isFloat = true;
    std::vector<uint8_t> bytes;
    if ((ok = readBytes(t, size_t(n), bytes))) {
      auto f = ::lowbit::num::Format::builtin(fp8Format(t.data_type()));
      for (uint8_t c : bytes)
        k.f.push_back(::lowbit::num::decodeToF32(f, c));
    }
    break;
  }
  default:
    return err("tensor '" + t.name() + "' has data type " + llvm::Twine(t.data_type()) +
               " (float, double, int64, int32, int16, uint16, int8, uint8, int4, uint4, fp8 "
               "and bool are supported)");
  }
  k.dataType = t.data_type();
  if (!ok)
    return err("tensor '" + t.name() + "': its data does not match its shape");
  return k;
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

Importer::Importer(MLIRContext &ctx, llvm::StringRef file, const ONNXImportOptions &options,
                   std::vector<WeightStat> &stats)
    : ctx(ctx), b(&ctx), file(file.str()), options(options), loc(UnknownLoc::get(&ctx)),
      stats(stats) {}

void Importer::recordWeight(int64_t elements, int64_t bits, const std::string &scheme) {
  stats.push_back({nodeName, scheme, elements, bits});
}

llvm::Error Importer::fail(const llvm::Twine &msg) const {
  return err(file + ": node '" + nodeName + "' (" + opType + "): " + msg);
}

Value Importer::materialize(Val &v) {
  if (v.value) {
    // QuantizeLinear's codes: only DequantizeLinear reads them (and not
    // through here).
    if (!cast<RankedTensorType>(v.value.getType()).getElementType().isF32())
      integerOperand = true;
    return v.value;
  }
  const Known &k = *v.known;
  if (k.isFloat) {
    auto t = RankedTensorType::get(k.shape, b.getF32Type());
    v.value = arith::ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, llvm::ArrayRef(k.f)));
  } else {
    // Computed tensors are f32: an operator handed an integer tensor it
    // would compute with fails once it returns (see run()).
    integerOperand = true;
    auto t = RankedTensorType::get(k.shape, b.getI64Type());
    v.value = arith::ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, llvm::ArrayRef(k.i)));
  }
  return v.value;
}

llvm::Expected<Val *> Importer::input(const onnx::NodeProto &node, int i) {
  if (i >= node.input_size() || node.input(i).empty())
    return fail("input " + llvm::Twine(i) + " is missing");
  auto it = values.find(node.input(i));
  if (it == values.end())
    return fail("input '" + node.input(i) + "' is not defined before the node");
  return &it->second;
}

llvm::Error Importer::inputs(const onnx::NodeProto &node, std::initializer_list<Val **> out) {
  int i = 0;
  for (Val **v : out) {
    llvm::Expected<Val *> in = input(node, i++);
    if (!in)
      return in.takeError();
    *v = *in;
  }
  return llvm::Error::success();
}

bool Importer::hasInput(const onnx::NodeProto &node, int i) const {
  return i < node.input_size() && !node.input(i).empty();
}

void Importer::define(const onnx::NodeProto &node, int i, Val v) {
  if (i < node.output_size() && !node.output(i).empty())
    values[node.output(i)] = std::move(v);
}

llvm::Error Importer::checkSize(llvm::ArrayRef<int64_t> shape, bool known) const {
  int64_t n = numElements(shape);
  int64_t limit = known ? kMaxKnownElements : kMaxElements;
  if (n < 0)
    return fail("a negative dimension");
  if (n > limit)
    return fail("a tensor of " + llvm::Twine(n) + " elements (more than " + llvm::Twine(limit) +
                (known ? " for a value computed at import)" : ")"));
  return llvm::Error::success();
}

Val Importer::runtime(Value v) {
  Val r;
  r.value = v;
  r.shape.assign(cast<RankedTensorType>(v.getType()).getShape().begin(),
                 cast<RankedTensorType>(v.getType()).getShape().end());
  return r;
}

Val Importer::knownVal(Known k) {
  Val r;
  r.shape.assign(k.shape.begin(), k.shape.end());
  r.known = std::move(k);
  return r;
}

const onnx::AttributeProto *Importer::attr(const onnx::NodeProto &node, llvm::StringRef name) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::intAttr(const onnx::NodeProto &node, llvm::StringRef name, int64_t dflt) {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->i() : dflt;
}

float Importer::floatAttr(const onnx::NodeProto &node, llvm::StringRef name, float dflt) {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->f() : dflt;
}

std::optional<std::vector<int64_t>> Importer::intsAttr(const onnx::NodeProto &node,
                                                       llvm::StringRef name) {
  const onnx::AttributeProto *a = attr(node, name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::string Importer::stringAttr(const onnx::NodeProto &node, llvm::StringRef name,
                                 llvm::StringRef dflt) {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->s() : dflt.str();
}

/// Conv outputs whose only reader is a BatchNormalization with constant
/// parameters: the importer folds the normalization into the weights.
static std::map<std::string, const onnx::NodeProto *>
foldableBatchNorms(const onnx::GraphProto &g) {
  std::map<std::string, int> uses;
  for (const onnx::NodeProto &n : g.node())
    for (const std::string &in : n.input())
      ++uses[in];
  for (const onnx::ValueInfoProto &o : g.output())
    ++uses[o.name()];
  std::map<std::string, const onnx::NodeProto *> convOutputs, out;
  for (const onnx::NodeProto &n : g.node())
    if (n.op_type() == "Conv" && n.output_size() == 1)
      convOutputs[n.output(0)] = &n;
  for (const onnx::NodeProto &n : g.node())
    if (n.op_type() == "BatchNormalization" && n.input_size() == 5 && n.output_size() >= 1 &&
        convOutputs.count(n.input(0)) && uses[n.input(0)] == 1)
      out[n.input(0)] = &n;
  return out;
}

/// Moves the body of `main` into private functions of about `chunk` ops
/// each, called in order: LLVM's optimizer is superlinear in the size of one
/// function (dominator-tree and SCEV updates over hundreds of loop nests), so
/// a model compiles several times faster as a chain of small functions.
/// Constants are cloned where they are used instead of passed.
static void outlineSegments(ModuleOp module, func::FuncOp main, size_t chunk) {
  Block &body = main.getBody().front();
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    if (!op.hasTrait<OpTrait::ConstantLike>())
      ops.push_back(&op);
  if (ops.size() <= chunk)
    return;
  OpBuilder b(module.getContext());
  unsigned part = 0;
  for (size_t start = 0; start < ops.size(); start += chunk) {
    llvm::ArrayRef<Operation *> seg = llvm::ArrayRef(ops).slice(start, std::min(chunk, ops.size() - start));
    llvm::SmallPtrSet<Operation *, 32> inSeg(seg.begin(), seg.end());
    llvm::SetVector<Value> args, results;
    auto topOf = [&](Operation *o) {
      while (o && o->getBlock() != &body)
        o = o->getParentOp();
      return o;
    };
    for (Operation *op : seg) {
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands()) {
          if (auto arg = dyn_cast<BlockArgument>(v)) {
            if (arg.getOwner() == &body)
              args.insert(v); // an argument of main
            continue;         // else a region argument inside the segment
          }
          Operation *def = v.getDefiningOp();
          if (def->hasTrait<OpTrait::ConstantLike>())
            continue; // cloned into the segment
          if (!inSeg.count(topOf(def)))
            args.insert(v);
        }
      });
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers()) {
          if (!inSeg.count(topOf(user))) {
            results.insert(r);
            break;
          }
        }
    }
    SmallVector<Type> argTypes, resultTypes;
    for (Value v : args)
      argTypes.push_back(v.getType());
    for (Value v : results)
      resultTypes.push_back(v.getType());
    b.setInsertionPoint(main);
    auto fn = func::FuncOp::create(b, main.getLoc(), "main.part" + std::to_string(part++),
                                   b.getFunctionType(argTypes, resultTypes));
    fn.setPrivate();
    Block *fb = fn.addEntryBlock();
    IRMapping map;
    for (auto [v, a] : llvm::zip(args, fb->getArguments()))
      map.map(v, a);
    OpBuilder inner = OpBuilder::atBlockEnd(fb);
    for (Operation *op : seg) {
      // Constants the segment reads: cloned in front of their first use.
      op->walk([&](Operation *o) {
        for (Value v : o->getOperands())
          if (Operation *def = v.getDefiningOp())
            if (def->hasTrait<OpTrait::ConstantLike>() && !map.contains(v))
              map.map(v, inner.clone(*def)->getResult(0));
      });
      inner.clone(*op, map);
    }
    SmallVector<Value> rets;
    for (Value v : results)
      rets.push_back(map.lookup(v));
    func::ReturnOp::create(inner, main.getLoc(), rets);
    // The call replaces the segment in main.
    b.setInsertionPoint(seg.front());
    auto call = func::CallOp::create(b, seg.front()->getLoc(), fn, args.getArrayRef());
    for (size_t i = 0; i < results.size(); ++i) {
      Value v = results[i];
      v.replaceAllUsesWith(call.getResult(unsigned(i)));
    }
    for (Operation *op : llvm::reverse(seg))
      op->erase();
  }
  // Constants no longer read in main.
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
    if (op.hasTrait<OpTrait::ConstantLike>() && op.use_empty())
      op.erase();
}

llvm::Expected<OwningOpRef<ModuleOp>> Importer::run(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 9 || opset > 21)
    return err(file + ": opset " + llvm::Twine(opset) + " (9 to 21 are supported)");
  const onnx::GraphProto &g = model.graph();
  Location fileLoc = FileLineColLoc::get(&ctx, file, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());

  for (const onnx::TensorProto &t : g.initializer()) {
    llvm::Expected<Known> k = knownFromProto(t);
    if (!k)
      return err(file + ": initializer: " + llvm::toString(k.takeError()));
    values[t.name()] = knownVal(std::move(*k));
  }
  // Arguments: the inputs that are not initializers.
  SmallVector<Type> argTypes;
  std::vector<std::string> argNames;
  for (const onnx::ValueInfoProto &in : g.input()) {
    if (values.count(in.name()))
      continue;
    const onnx::TypeProto_Tensor &tt = in.type().tensor_type();
    if (tt.elem_type() != FLOAT)
      return err(file + ": graph input '" + in.name() + "' is not float (only f32 inputs are supported)");
    std::vector<int64_t> shape;
    auto given = options.inputShapes.find(in.name());
    if (given != options.inputShapes.end()) {
      shape = given->second;
      if (int(shape.size()) != tt.shape().dim_size())
        return err(file + ": --input-shape for '" + in.name() + "' has " +
                   llvm::Twine(shape.size()) + " dimensions, the graph's " +
                   llvm::Twine(tt.shape().dim_size()));
    } else {
      for (const auto &d : tt.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() <= 0)
          return err(file + ": graph input '" + in.name() + "' has a symbolic dimension ('" +
                     d.dim_param() + "'): give its shape with --input-shape=" + in.name() +
                     ":AxBx...");
        shape.push_back(d.dim_value());
      }
    }
    if (numElements(shape) > kMaxElements)
      return err(file + ": graph input '" + in.name() + "' is too large");
    argTypes.push_back(RankedTensorType::get(shape, b.getF32Type()));
    argNames.push_back(in.name());
  }
  auto fn = func::FuncOp::create(b, fileLoc, "main", FunctionType::get(&ctx, argTypes, {}));
  Block *body = fn.addEntryBlock();
  mainBody = body;
  b.setInsertionPointToStart(body);
  for (size_t i = 0; i < argNames.size(); ++i)
    values[argNames[i]] = runtime(body->getArgument(unsigned(i)));

  foldedBatchNorms = foldableBatchNorms(g);
  unsigned index = 0;
  for (const onnx::NodeProto &node : g.node()) {
    nodeName = node.name().empty() ? (node.output_size() ? node.output(0) : "?") : node.name();
    opType = node.op_type();
    // The node's name, around file:N:1 with N its position in the graph (1
    // first): diagnostics that print file locations only still say which.
    loc = NameLoc::get(StringAttr::get(&ctx, nodeName), FileLineColLoc::get(&ctx, file, ++index, 1));
    if (!node.domain().empty() && node.domain() != "ai.onnx" && node.domain() != "com.microsoft")
      return fail("operator domain '" + node.domain() + "' is not supported");
    integerOperand = false;
    if (llvm::Error e = lowerNode(node))
      return std::move(e);
    if (integerOperand)
      return fail("an integer tensor as the operand of a computation: integer tensors are "
                  "supported as known values (shape arithmetic) and as codes DequantizeLinear reads");
    // Computed tensors are never empty (slices, concatenations and
    // reshapes of empty tensors are not supported); known ones may be.
    for (const std::string &out : node.output()) {
      auto it = values.find(out);
      if (it != values.end() && it->second.value && !it->second.known &&
          numElements(it->second.shape) == 0)
        return fail("output '" + out + "' is an empty tensor (a dimension of 0), which is not "
                    "supported");
    }
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &o : g.output()) {
    auto it = values.find(o.name());
    if (it == values.end())
      return err(file + ": graph output '" + o.name() + "' is never computed");
    loc = NameLoc::get(StringAttr::get(&ctx, o.name()), fileLoc);
    Value v = materialize(it->second);
    if (!cast<RankedTensorType>(v.getType()).getElementType().isF32())
      return err(file + ": graph output '" + o.name() + "' is not float");
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  // Calibration taps after the graph's outputs.
  for (WeightStat &st : stats)
    if (st.tap >= 0)
      st.tap += int(g.output_size());
  for (Value t : taps) {
    results.push_back(t);
    resultTypes.push_back(t.getType());
  }
  func::ReturnOp::create(b, fileLoc, results);
  fn.setType(FunctionType::get(&ctx, body->getArgumentTypes(), resultTypes));
  if (options.segmentOps)
    outlineSegments(*module, fn, options.segmentOps);
  return std::move(module);
}

llvm::Expected<OwningOpRef<ModuleOp>>
lowbit::import::importONNXBuffer(MLIRContext &ctx, llvm::StringRef buf, llvm::StringRef name,
                                 const ONNXImportOptions &options, std::vector<WeightStat> *stats) {
  for (llvm::StringRef d : {"arith", "func", "linalg", "tensor", "math", "lowbit"})
    if (!ctx.getOrLoadDialect(d))
      return err("the context lacks the " + d + " dialect (registerImportDialects)");
  onnx::ModelProto model;
  if (buf.size() > size_t(INT32_MAX) || !model.ParseFromArray(buf.data(), int(buf.size())))
    return err(name + ": not an ONNX model (the protobuf does not parse)");
  std::vector<WeightStat> local;
  Importer importer(ctx, name, options, stats ? *stats : local);
  return importer.run(model);
}

llvm::Expected<OwningOpRef<ModuleOp>>
lowbit::import::importONNX(MLIRContext &ctx, llvm::StringRef path, const ONNXImportOptions &options,
                           std::vector<WeightStat> *stats) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!mb)
    return err(path + ": " + mb.getError().message());
  return importONNXBuffer(ctx, (*mb)->getBuffer(), path, options, stats);
}
