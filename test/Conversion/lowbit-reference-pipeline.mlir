// RUN: lowbit-opt %s --lowbit-reference-pipeline | FileCheck %s

// Results become caller-allocated out-parameters, and each memref its
// descriptor's fields: pointers, offset, sizes, strides (MLIR's default
// calling convention).
// CHECK: llvm.func @gemv(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: i64, %arg6: i64, %arg7: !llvm.ptr,
// CHECK-SAME: %arg27: i64)
// CHECK-NOT: llvm.return %
// CHECK-NOT: lowbit.
// CHECK-NOT: linalg.
func.func @gemv(%a: tensor<1x64xf32>, %b: tensor<16x64x!lowbit.int<4>>, %s: tensor<16x1xf32>) -> tensor<1x16xf32> {
  %c = lowbit.mpgemm %a, %b [%s] {b_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32>, acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4>> [tensor<16x1xf32>] -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// A dynamic M: the sizes come with the descriptors, and the result is the
// caller's buffer too (no copy).
// CHECK-LABEL: llvm.func @batch(
// CHECK-NOT: memcpy
// CHECK: llvm.return
func.func @batch(%a: tensor<?x64xf32>, %b: tensor<16x64x!lowbit.int<4>>) -> tensor<?x16xf32> {
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %c : tensor<?x16xf32>
}
