//===- StorageTypeConverter.h - Tensors of codes to their storage -*- C++ -*-===//
//
// The type conversion every lowering of lowbit ops shares: a tensor of
// codes becomes its storage (StorageTypes.h), every other type stays.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITCOMMON_STORAGETYPECONVERTER_H
#define LOWBIT_CONVERSION_LOWBITCOMMON_STORAGETYPECONVERTER_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::lowbit {

/// Converts tensors of lowbit element types (and bit-layout encodings) to
/// their storage tensors, with unrealized-cast materializations.
class LowbitStorageTypeConverter : public TypeConverter {
public:
  LowbitStorageTypeConverter();
};

} // namespace mlir::lowbit

#endif
