// RUN: lowbit-opt %s --lowbit-reference-pipeline | FileCheck %s

// Results become caller-allocated out-parameters and memrefs bare pointers.
// CHECK: llvm.func @gemv(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: llvm.return %
// CHECK-NOT: lowbit.
// CHECK-NOT: linalg.
func.func @gemv(%a: tensor<1x64xf32>, %b: tensor<16x64x!lowbit.int<4>>, %s: tensor<16x1xf32>) -> tensor<1x16xf32> {
  %c = lowbit.mpgemm %a, %b [%s] {b_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32>, acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4>> [tensor<16x1xf32>] -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
