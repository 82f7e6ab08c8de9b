//===- WeightModule.cpp - Imported tensors as a lowbit module --------------===//

#include "lowbit/Import/Import.h"

#include "CodeConstants.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Import/GGMLTypes.h"
#include "lowbit/Import/GGUF.h"
#include "lowbit/Import/Safetensors.h"
#include "lowbit/Numerics/Format.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace ::lowbit::import;

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

class WeightBuilder {
public:
  WeightBuilder(MLIRContext &ctx, ModuleOp module, llvm::StringRef source)
      : ctx(ctx), b(&ctx), module(module), source(source.str()) {
    b.setInsertionPointToEnd(module.getBody());
  }

  llvm::Error add(const ImportedTensor &t);

private:
  /// out[i, j] = in[i, perm[j]]: a linalg.generic reading `in` at the
  /// columns a constant index table gives.
  Value permuteColumns(OpBuilder &fb, Location loc, Value in, llvm::ArrayRef<int64_t> perm);

  MLIRContext &ctx;
  OpBuilder b;
  ModuleOp module;
  std::string source;
};

Value WeightBuilder::permuteColumns(OpBuilder &fb, Location loc, Value in, llvm::ArrayRef<int64_t> perm) {
  auto inType = cast<RankedTensorType>(in.getType());
  int64_t k = static_cast<int64_t>(perm.size());
  auto idxType = RankedTensorType::get({k}, fb.getIndexType());
  Value table = arith::ConstantOp::create(fb, loc, idxType, DenseElementsAttr::get(idxType, perm));
  SmallVector<OpFoldResult> sizes;
  SmallVector<Value> dyn;
  if (inType.isDynamicDim(0))
    dyn.push_back(tensor::DimOp::create(fb, loc, in, 0));
  Value init = tensor::EmptyOp::create(fb, loc, inType.getShape(), inType.getElementType(), dyn);
  MLIRContext *c = fb.getContext();
  AffineMap colMap = AffineMap::get(2, 0, {getAffineDimExpr(1, c)}, c);
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, c);
  auto gen = linalg::GenericOp::create(
      fb, loc, TypeRange{inType}, ValueRange{table}, ValueRange{init}, ArrayRef<AffineMap>{colMap, id},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value i = linalg::IndexOp::create(nb, l, 0);
        Value v = tensor::ExtractOp::create(nb, l, in, ValueRange{i, args[0]});
        linalg::YieldOp::create(nb, l, v);
      });
  return gen.getResult(0);
}

llvm::Error WeightBuilder::add(const ImportedTensor &t) {
  Location fileLoc = FileLineColLoc::get(&ctx, source, 0, 0);
  Location loc = NameLoc::get(StringAttr::get(&ctx, t.name), fileLoc);
  const std::vector<int64_t> &shape = t.codes.shape;
  auto f32 = Float32Type::get(&ctx);
  Type codeType = parseType(t.codes.type, &ctx);
  if (!codeType)
    return err("tensor '" + t.name + "': '" + t.codes.type + "' is not a type");
  mlir::lowbit::SchemeAttr scheme;
  if (!t.scheme.empty()) {
    Attribute a = parseAttribute("#lowbit.scheme<" + t.scheme + ">", &ctx);
    scheme = dyn_cast_or_null<mlir::lowbit::SchemeAttr>(a);
    if (!scheme)
      return err("tensor '" + t.name + "': '" + t.scheme + "' is not a scheme");
  }
  bool isInteger = codeType.isSignlessInteger() && !scheme;
  bool linear = shape.size() == 2 && !isInteger && shape[0] > 0 && shape[1] > 0;

  // Builds the weight's constants in a function body: codes, then params.
  auto weights = [&](OpBuilder &fb) -> llvm::Expected<SmallVector<Value>> {
    SmallVector<Value> v;
    llvm::Expected<Value> codes = buildCodeConstant(fb, loc, t.codes, t.name);
    if (!codes)
      return codes.takeError();
    v.push_back(*codes);
    for (const CodeTensor *p : {&t.scales, &t.zeros}) {
      if (!scheme || p->type.empty())
        continue;
      llvm::Expected<Value> c = buildCodeConstant(fb, loc, *p, t.name);
      if (!c)
        return c.takeError();
      v.push_back(*c);
    }
    return v;
  };

  auto makeFunc = [&](const std::string &name, FunctionType ft) {
    auto fn = func::FuncOp::create(b, loc, name, ft);
    OpBuilder fb(fn.addEntryBlock()->getParentOp()->getContext());
    fb.setInsertionPointToStart(&fn.getBody().front());
    return std::make_pair(fn, fb);
  };

  if (linear) {
    int64_t n = shape[0], k = shape[1];
    auto xType = RankedTensorType::get({ShapedType::kDynamic, k}, f32);
    auto yType = RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    auto [fn, fb] = makeFunc(t.name, FunctionType::get(&ctx, {xType}, {yType}));
    llvm::Expected<SmallVector<Value>> w = weights(fb);
    if (!w)
      return w.takeError();
    Value x = fn.getArgument(0);
    if (!t.inputPermutation.empty())
      x = permuteColumns(fb, loc, x, t.inputPermutation);
    SmallVector<Value> params(w->begin() + 1, w->end());
    auto mm = mlir::lowbit::MpGemmOp::create(
        fb, loc, yType, x, ValueRange{}, (*w)[0], params, mlir::lowbit::SchemeAttr(), scheme,
        fb.getUnitAttr(), TypeAttr::get(f32), mlir::lowbit::LayoutAttr());
    func::ReturnOp::create(fb, loc, mm.getResult());
  }

  // The accessor: the values as f32 (integers as they are).
  Type valueElem = isInteger ? codeType : Type(f32);
  auto vType = RankedTensorType::get(shape, valueElem);
  auto [fn, fb] = makeFunc(t.name + ".dequantized", FunctionType::get(&ctx, {}, {vType}));
  llvm::Expected<SmallVector<Value>> w = weights(fb);
  if (!w)
    return w.takeError();
  Value v = (*w)[0];
  if (codeType.isF32() || isInteger) {
    // already the values
  } else if (codeType.isF16() || codeType.isBF16()) {
    v = arith::ExtFOp::create(fb, loc, vType, v);
  } else {
    SmallVector<Value> params(w->begin() + 1, w->end());
    v = mlir::lowbit::DequantizeOp::create(fb, loc, vType, v, params, scheme).getResult();
  }
  if (!t.inputPermutation.empty()) {
    std::vector<int64_t> inverse(t.inputPermutation.size());
    for (size_t j = 0; j < inverse.size(); ++j)
      inverse[size_t(t.inputPermutation[j])] = int64_t(j);
    v = permuteColumns(fb, loc, v, inverse);
  }
  func::ReturnOp::create(fb, loc, v);
  return llvm::Error::success();
}
} // namespace

namespace lowbit::import {

void registerImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect, mlir::lowbit::LowbitDialect>();
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildWeightModule(MLIRContext &ctx, llvm::ArrayRef<ImportedTensor> tensors,
                                  llvm::StringRef source) {
  for (llvm::StringRef d : {"arith", "func", "linalg", "tensor", "lowbit"})
    if (!ctx.getOrLoadDialect(d))
      return err("the context lacks the " + d + " dialect (registerImportDialects)");
  OwningOpRef<ModuleOp> module = ModuleOp::create(FileLineColLoc::get(&ctx, source, 0, 0));
  WeightBuilder builder(ctx, *module, source);
  for (const ImportedTensor &t : tensors)
    if (llvm::Error e = builder.add(t))
      return std::move(e);
  return std::move(module);
}

llvm::Expected<FileFormat> detectFormat(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path) || path.ends_with(".json"))
    return FileFormat::Safetensors;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb =
      llvm::MemoryBuffer::getFileSlice(path, 8, 0);
  if (!mb)
    return err(path + ": " + mb.getError().message());
  llvm::StringRef head = (*mb)->getBuffer();
  if (head.starts_with("GGUF"))
    return FileFormat::GGUF;
  if (path.ends_with(".safetensors"))
    return FileFormat::Safetensors;
  return err(path + ": not a GGUF file (no 'GGUF' magic) and not named *.safetensors");
}

llvm::Expected<std::vector<ImportedTensor>> readWeights(llvm::StringRef path,
                                                                        FileFormat format) {
  if (format == FileFormat::Auto) {
    llvm::Expected<FileFormat> f = detectFormat(path);
    if (!f)
      return f.takeError();
    format = *f;
  }
  if (format == FileFormat::Safetensors) {
    llvm::Expected<SafetensorsCheckpoint> c = SafetensorsCheckpoint::open(path);
    if (!c)
      return c.takeError();
    return importSafetensors(*c);
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!mb)
    return err(path + ": " + mb.getError().message());
  llvm::StringRef buf = (*mb)->getBuffer();
  llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(buf.data()), buf.size());
  llvm::Expected<GGUFFile> g = GGUFFile::parse(bytes, path);
  if (!g)
    return g.takeError();
  std::vector<ImportedTensor> out;
  for (const GGUFTensor &t : g->tensors) {
    llvm::Expected<ImportedTensor> it = decodeGGMLTensor(t.name, t.type, t.dims, g->tensorData(t));
    if (!it)
      return err(path + ": " + llvm::toString(it.takeError()));
    out.push_back(std::move(*it));
  }
  return out;
}

llvm::Expected<OwningOpRef<ModuleOp>> importFile(MLIRContext &ctx,
                                                                 llvm::StringRef path,
                                                                 FileFormat format) {
  llvm::Expected<std::vector<ImportedTensor>> t = readWeights(path, format);
  if (!t)
    return t.takeError();
  return buildWeightModule(ctx, *t, path);
}

} // namespace lowbit::import
