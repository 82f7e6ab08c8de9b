//===- LowbitDialect.h - The lowbit dialect ---------------------*- C++ -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITDIALECT_H
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITDIALECT_H

#include "mlir/IR/Dialect.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h.inc"

#endif
