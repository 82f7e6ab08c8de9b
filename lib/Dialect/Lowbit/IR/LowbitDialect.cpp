//===- LowbitDialect.cpp - The lowbit dialect -----------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::lowbit;

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.cpp.inc"

void LowbitDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.cpp.inc"
      >();
}
