//===- StorageTypes.cpp - How lowered code stores each element type -------===//

#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;

Type mlir::lowbit::getStorageElementType(Type t) {
  MLIRContext *ctx = t.getContext();
  if (isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(t))
    return t;
  if (auto it = dyn_cast<IntegerType>(t)) {
    unsigned w = it.getWidth();
    if (w == 8 || w == 16 || w == 32 || w == 64)
      return IntegerType::get(ctx, w);
  }
  std::optional<num::Format> f = getFormat(t);
  if (!f)
    return {};
  unsigned bits = f->bits();
  return IntegerType::get(ctx, bits <= 8 ? 8 : bits <= 16 ? 16 : 32);
}

RankedTensorType mlir::lowbit::getStorageTensorType(RankedTensorType t) {
  if (LayoutAttr layout = getLayoutEncoding(t)) {
    int64_t rows = t.getRank() == 2 ? t.getDimSize(0) : 1;
    auto bits = layout.getBitLayout(rows, t.getShape().back());
    if (!bits)
      return {};
    return RankedTensorType::get({bits->storageBytes()}, IntegerType::get(t.getContext(), 8));
  }
  Type s = getStorageElementType(t.getElementType());
  return s ? RankedTensorType::get(t.getShape(), s) : RankedTensorType();
}

