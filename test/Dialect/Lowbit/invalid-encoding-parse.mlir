// RUN: not lowbit-opt %s 2>&1 | FileCheck %s

// An element type that fails to parse, followed by a layout encoding: the
// parser still asks the encoding to verify itself, with a null element
// type (found by the mlir fuzz target; it used to read through a null
// pointer). One error, at the element type.
// CHECK: invalid-encoding-parse.mlir:[[# @LINE + 3]]:43: error: expected '>'
// CHECK-NOT: error
#planes = #lowbit.layout<bits<planes_tiled, 4, 32>>
func.func @f(%q: tensor<8x64x!lowbit.int<4 e>, #planes>) {
  return
}
