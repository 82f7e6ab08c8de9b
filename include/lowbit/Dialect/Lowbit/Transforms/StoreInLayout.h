//===- StoreInLayout.h - Matrix weights stored in a bit layout --*- C++ -*-===//
//
// What lowbit-fold-repack and lowbit-bitplane-decompose do to one product:
// its weights go through a pack into a bit layout and an unpack back, so
// that a lowering can read them in that layout.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_DIALECT_LOWBIT_TRANSFORMS_STOREINLAYOUT_H
#define LOWBIT_DIALECT_LOWBIT_TRANSFORMS_STOREINLAYOUT_H

#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

namespace mlir::lowbit {

/// Replaces B of `op` by unpack(pack(B)) through `layout` (bytes in
/// between): a constant B is repacked now (the pack folds to a byte
/// constant), another gets a pack at run time. Fails with an error at the
/// op when the layout does not fit B.
LogicalResult storeWeightsInLayout(MpGemmOp op, LayoutAttr layout);

} // namespace mlir::lowbit

#endif
