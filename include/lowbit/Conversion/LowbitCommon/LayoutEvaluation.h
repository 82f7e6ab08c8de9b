//===- LayoutEvaluation.h - Layout functions in generated code -*- C++ -*-===//
//
// A layout of the layout algebra (lowbit/Layout/Layout.h) evaluated by
// generated code: the index arithmetic of its shape:stride function, so
// that packing, unpacking and the kernels' operand readers place codes
// where the algebra says, with no packing code of their own.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_LOWBITCOMMON_LAYOUTEVALUATION_H
#define LOWBIT_CONVERSION_LOWBITCOMMON_LAYOUTEVALUATION_H

#include "lowbit/Layout/Layout.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::lowbit {

/// The offset `layout` gives the index `x` (an index value), as index
/// arithmetic: sum_i ((x / prod_{j<i} s_j) mod s_i) * d_i over the
/// flattened modes (modes of size 1 or stride 0 emit nothing).
Value emitLayoutEval(OpBuilder &b, Location l, const ::lowbit::layout::Layout &layout, Value x);

} // namespace mlir::lowbit

#endif
