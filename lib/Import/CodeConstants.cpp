//===- CodeConstants.cpp - Code tensors as MLIR constants ------------------===//

#include "CodeConstants.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/Format.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace ::lowbit::import;

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Types whose tensors arith.constant holds as they are; every other code
/// type goes through lowbit.constant as raw patterns.
bool isPlainBuiltin(Type t) {
  return t.isF32() || t.isF16() || t.isBF16() || t.isSignlessInteger(8) ||
         t.isSignlessInteger(16) || t.isSignlessInteger(32);
}

} // namespace

namespace lowbit::import {
llvm::Expected<Value> buildCodeConstant(OpBuilder &fb, Location loc, const CodeTensor &c,
                                        llvm::StringRef tensor) {
  MLIRContext &ctx = *fb.getContext();
  Type et = parseType(c.type, &ctx);
  if (!et)
    return err("tensor '" + tensor + "': '" + c.type + "' is not a type");
  auto tt = RankedTensorType::get(c.shape, et);
  ArrayRef<char> raw(reinterpret_cast<const char *>(c.data.data()), c.data.size());
  if (isPlainBuiltin(et)) {
    bool splat = false;
    if (!DenseElementsAttr::isValidRawBuffer(tt, raw, splat))
      return err("tensor '" + tensor + "': " + llvm::Twine(c.data.size()) +
                 " bytes do not match its shape");
    return arith::ConstantOp::create(fb, loc, tt, DenseElementsAttr::getFromRawBuffer(tt, raw))
        .getResult();
  }
  std::optional<::lowbit::num::Format> f = mlir::lowbit::getFormat(et);
  if (!f)
    return err("tensor '" + tensor + "': '" + c.type + "' has no number format");
  unsigned bytes = (f->bits() + 7) / 8;
  if (c.bytes != bytes || int64_t(c.data.size()) != c.elements() * bytes)
    return err("tensor '" + tensor + "': codes of " + c.type + " must be " + llvm::Twine(bytes) +
               " bytes each");
  auto rawType = RankedTensorType::get(
      c.shape, IntegerType::get(&ctx, f->bits(), IntegerType::Unsigned));
  auto attr = DenseElementsAttr::getFromRawBuffer(rawType, raw);
  auto op = mlir::lowbit::ConstantOp::create(fb, loc, tt, attr);
  return op.getResult();
}
} // namespace lowbit::import
