//===- LowbitToLinalg.h - The reference lowering of lowbit ops -*- C++ -*-===//
//
// Every lowbit op to linalg/tensor/arith on storage types: the oracle of
// every faster lowering and the fallback for what they do not cover. The
// patterns are public (as upstream's ArithToLLVM.h), so that a pipeline can
// run them after its own, with the same type converter.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITTOLINALG_LOWBITTOLINALG_H
#define LOWBIT_CONVERSION_LOWBITTOLINALG_LOWBITTOLINALG_H

#include "lowbit/Conversion/LowbitCommon/StorageTypeConverter.h"

namespace mlir {
class RewritePatternSet;
namespace lowbit {

/// The patterns of lowbit.constant, quantize, dequantize, cast, pack,
/// unpack and mpgemm, converting operand and result tensors with
/// `converter` (a LowbitStorageTypeConverter).
void populateLowbitToLinalgConversionPatterns(TypeConverter &converter,
                                              RewritePatternSet &patterns);

} // namespace lowbit
} // namespace mlir

#endif
