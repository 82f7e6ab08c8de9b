// RUN: lowbit-opt %s --one-shot-bufferize="bufferize-function-boundaries" --canonicalize | FileCheck %s

// lowbit.prefetch reads its tensor's buffer: memref.prefetch of the
// clamped index (an index past the end asks for the last element), and it
// survives cleanup although it has no results.
// CHECK-LABEL: func.func @prefetch
// CHECK-SAME: (%[[M:.*]]: memref<1024xi8
// CHECK: %[[I:.*]] = arith.minui %{{.*}}, %c1023
// CHECK: memref.prefetch %[[M]][%[[I]]], read, locality<3>, data
func.func @prefetch(%t: tensor<1024xi8>, %i: index) -> tensor<1024xi8> {
  %c4096 = arith.constant 4096 : index
  %j = arith.addi %i, %c4096 : index
  lowbit.prefetch %t[%j] : tensor<1024xi8>
  return %t : tensor<1024xi8>
}
