//===- StorageTypeConverter.cpp - Tensors of codes to their storage -------===//

#include "lowbit/Conversion/LowbitCommon/StorageTypeConverter.h"
#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"

using namespace mlir;
using namespace mlir::lowbit;

LowbitStorageTypeConverter::LowbitStorageTypeConverter() {
  addConversion([](Type t) -> std::optional<Type> { return t; });
  addConversion([](RankedTensorType t) -> std::optional<Type> {
    RankedTensorType s = getStorageTensorType(t);
    return s ? s : t;
  });
  // Values crossing from converted to unconverted ops (and back) meet in
  // unrealized casts, which the full conversion leaves none of.
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs, Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}
