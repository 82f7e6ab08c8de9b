// RUN: lowbit-opt %s --lowbit-strided-copies-to-loops | FileCheck %s

// A write into the interior of a padded buffer (tensor.pad's copy): not
// contiguous, so a linalg.copy (loops) instead of a memrefCopy call.
// CHECK-LABEL: func.func @into_padded
// CHECK: linalg.copy ins(%{{.*}} : memref<4x6xf32>) outs(%{{.*}} : memref<4x6xf32, strided<[8, 1], offset: 9>>)
// CHECK-NOT: memref.copy
func.func @into_padded(%src: memref<4x6xf32>, %padded: memref<6x8xf32>) {
  %view = memref.subview %padded[1, 1] [4, 6] [1, 1] : memref<6x8xf32> to memref<4x6xf32, strided<[8, 1], offset: 9>>
  memref.copy %src, %view : memref<4x6xf32> to memref<4x6xf32, strided<[8, 1], offset: 9>>
  return
}

// Contiguous on both sides (whole rows of a buffer): one llvm.memcpy
// later, left as it is.
// CHECK-LABEL: func.func @rows
// CHECK: memref.copy
// CHECK-NOT: linalg.copy
func.func @rows(%src: memref<2x8xf32>, %dst: memref<6x8xf32>) {
  %view = memref.subview %dst[2, 0] [2, 8] [1, 1] : memref<6x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 16>>
  memref.copy %src, %view : memref<2x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 16>>
  return
}

// CHECK-LABEL: func.func @identity
// CHECK: memref.copy
func.func @identity(%src: memref<?x8xf32>, %dst: memref<?x8xf32>) {
  memref.copy %src, %dst : memref<?x8xf32> to memref<?x8xf32>
  return
}
