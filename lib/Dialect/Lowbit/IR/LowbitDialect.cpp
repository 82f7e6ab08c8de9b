//===- LowbitDialect.cpp - The lowbit dialect -----------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"

using namespace mlir;
using namespace mlir::lowbit;

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.cpp.inc"

void LowbitDialect::initialize() { registerTypes(); }
