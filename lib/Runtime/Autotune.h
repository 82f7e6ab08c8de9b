//===- Autotune.h - Kernel tuning by measurement, cached on disk -*- C++ -*-===//
//
// CompileOptions::autotune: before the pipeline runs, every product the x86
// kernels take gets a `lowbit.x86_tuning` attribute (activation block, rows
// per pass, prefetch distance) chosen by timing candidates on this machine:
// the product alone, with its weights, compiled per candidate and run on
// cold weights. Choices are kept in a cache on disk, keyed by the compiler
// version, the CPU model and features, the target, the thread count and
// the product's types and attributes (shape, format, scheme), so a second
// compile of any module with a product of that kind searches nothing.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_RUNTIME_AUTOTUNE_H
#define LOWBIT_LIB_RUNTIME_AUTOTUNE_H

#include "lowbit/Runtime/JIT.h"

#include "mlir/IR/BuiltinOps.h"

namespace lowbit::rt::detail {

/// Sets lowbit.x86_tuning on every product of `module` that the x86
/// kernels of `options.target` take and that has no tuning yet; emits a
/// remark per product saying what was chosen and whether it came from the
/// cache. The cache lives in $LOWBIT_CACHE_DIR (else ~/.cache/lowbit) under
/// autotune/; LOWBIT_CACHE=0 turns it off. Fails only on an internal error
/// (reported at the product).
mlir::LogicalResult autotuneX86Kernels(mlir::ModuleOp module, const CompileOptions &options,
                                       unsigned threads);

} // namespace lowbit::rt::detail

#endif
