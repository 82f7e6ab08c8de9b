//===- LoweringPatterns.h - The reference lowering's pattern files -*- C++ -*-===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOLINALG_LOWERINGPATTERNS_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOLINALG_LOWERINGPATTERNS_H

#include "lowbit/Conversion/LowbitCommon/LoweringHelpers.h"
#include "lowbit/Conversion/LowbitCommon/OperandReaders.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::lowbit {
namespace num = ::lowbit::num;

/// The patterns of the larger ops, one file each.
void populateQuantizeLoweringPatterns(TypeConverter &converter, RewritePatternSet &patterns);
void populateMpGemmLoweringPatterns(TypeConverter &converter, RewritePatternSet &patterns);
void populatePackingLoweringPatterns(TypeConverter &converter, RewritePatternSet &patterns);

} // namespace mlir::lowbit

#endif
