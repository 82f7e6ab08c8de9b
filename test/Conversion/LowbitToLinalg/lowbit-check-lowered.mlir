// RUN: lowbit-opt %s --split-input-file --lowbit-check-lowered -verify-diagnostics
// RUN: not lowbit-opt %s --split-input-file --lowbit-reference-pipeline 2>&1 | FileCheck %s --check-prefix=PIPELINE

// An LLVM-dialect module (OpenMP's ops included) passes.
llvm.func @f(%x: i32) -> i32 {
  omp.parallel {
    omp.terminator
  }
  llvm.return %x : i32
}

// -----

// Found by the pipeline fuzzer: func-to-llvm cannot convert this signature
// and, being a partial conversion, leaves the function; the reference
// pipeline used to succeed with it.
// PIPELINE: error: 'func.func' op was not lowered to the LLVM dialect
// expected-error @+1 {{'func.func' op was not lowered to the LLVM dialect (a type of it has no LLVM equivalent, or no conversion handles it)}}
func.func private @w(%a: vector<4x!lowbit.float<e2m1>>)

// -----

// One error per unlowered op, not one per op nested in it.
// expected-error @+1 {{'func.func' op was not lowered to the LLVM dialect}}
func.func @g(%x: i32) -> i32 {
  %y = arith.addi %x, %x : i32
  return %y : i32
}
