// Codes stored in a bit layout as a tensor encoding: function arguments and
// results carry the packed bytes, constants are packed at compile time.
// RUN: lowbit-opt %s --convert-lowbit-to-linalg | FileCheck %s --check-prefix=LOWERED
// RUN: lowbit-run %s --function stored --check | FileCheck %s
// RUN: lowbit-run %s --function constant --check | FileCheck %s
// LOWERED: func.func @stored(%arg0: tensor<2x64xf32>, %arg1: tensor<256xi8>) -> (tensor<2x8xf32>, tensor<256xi8>)
// LOWERED-LABEL: func.func @constant
// LOWERED: arith.constant dense<{{.*}}> : tensor<64xi8>
// CHECK: check: output 0: 0 of {{[0-9]+}} elements mismatch

#planes = #lowbit.layout<bits<planes_tiled, 4, 32>>
func.func @stored(%a: tensor<2x64xf32>, %w: tensor<8x64x!lowbit.int<4>, #planes>) -> (tensor<2x8xf32>, tensor<8x64x!lowbit.int<4>, #planes>) {
  %codes = lowbit.unpack %w : tensor<8x64x!lowbit.int<4>, #planes> -> tensor<8x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %codes {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<2x8xf32>
  %back = lowbit.pack %codes : tensor<8x64x!lowbit.int<4>> -> tensor<8x64x!lowbit.int<4>, #planes>
  return %c, %back : tensor<2x8xf32>, tensor<8x64x!lowbit.int<4>, #planes>
}
func.func @constant(%a: tensor<1x64xf32>) -> tensor<1x2xf32> {
  %w = lowbit.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]]> : tensor<2x64xui4> -> tensor<2x64x!lowbit.int<4>, #planes>
  %codes = lowbit.unpack %w : tensor<2x64x!lowbit.int<4>, #planes> -> tensor<2x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %codes {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<2x64x!lowbit.int<4>> -> tensor<1x2xf32>
  return %c : tensor<1x2xf32>
}
