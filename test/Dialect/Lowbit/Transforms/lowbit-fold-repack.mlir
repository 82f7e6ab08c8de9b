// RUN: lowbit-opt %s --lowbit-fold-repack | FileCheck %s
// End to end: plan, repack, compile and run; the result still equals the
// Numerics library's evaluation of the repacked program.
// RUN: lowbit-opt %s --canonicalize --lowbit-plan-layout=target=bitplane --lowbit-fold-repack -o %t.mlir
// RUN: lowbit-run %t.mlir --function runtime_weights --check | FileCheck %s --check-prefix=EXEC
// RUN: lowbit-run %t.mlir --function constant_weights --check | FileCheck %s --check-prefix=EXEC
// RUN: lowbit-run %t.mlir --function quantized_weights --check | FileCheck %s --check-prefix=EXEC
// RUN: lowbit-opt %s --canonicalize --lowbit-plan-layout=target=bitplane --lowbit-fold-repack | FileCheck %s --check-prefix=PLANNED
// RUN: : 'the repacked program computes what the original does (bit for bit: the reference path)'
// RUN: lowbit-run %s --function constant_weights --target=generic --print | tail -1 > %t.before
// RUN: lowbit-run %t.mlir --function constant_weights --target=generic --print | tail -1 > %t.after
// RUN: diff %t.before %t.after
// RUN: lowbit-run %s --function quantized_weights --target=generic --print | tail -1 > %t.qbefore
// RUN: lowbit-run %t.mlir --function quantized_weights --target=generic --print | tail -1 > %t.qafter
// RUN: diff %t.qbefore %t.qafter
// RUN: not lowbit-opt %S/Inputs/bad-layout.mlir --lowbit-fold-repack 2>&1 | FileCheck %s --check-prefix=BAD
// EXEC: check: output 0: 0 of {{[0-9]+}} elements mismatch
// BAD: error: 'lowbit.mpgemm' op b_layout: the layout #lowbit.layout<bits<planes_tiled, 4, 32>> does not fit the shape: k = 48 is not a multiple of the word size 32

// A runtime weight gets an explicit repack (pack, then the kernel's unpack).
// CHECK-LABEL: func.func @runtime_weights
// CHECK: %[[P:.*]] = lowbit.pack %arg1 {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<8x64x!lowbit.int<4>> -> tensor<256xi8>
// CHECK: %[[U:.*]] = lowbit.unpack %[[P]] {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<256xi8> -> tensor<8x64x!lowbit.int<4>>
// CHECK: lowbit.mpgemm %arg0, %[[U]] {acc_type = f32, transpose_b}
// CHECK-NOT: b_layout
func.func @runtime_weights(%a: tensor<2x64xf32>, %w: tensor<8x64x!lowbit.int<4>>) -> tensor<2x8xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, b_layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<2x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// A constant weight is repacked at compile time: the pack is gone and the
// stored bytes are a constant (bit plane 0 of row 0 first: codes 1, 3, 5,
// 7, ... have bit 0 set).
// CHECK-LABEL: func.func @constant_weights
// CHECK-NOT: lowbit.pack
// CHECK: %[[B:.*]] = arith.constant dense<{{.*}}> : tensor<256xi8>
// CHECK: lowbit.unpack %[[B]] {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>}
func.func @constant_weights(%a: tensor<2x64xf32>) -> tensor<2x8xf32> {
  %w = lowbit.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2], [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7], [9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0]]> : tensor<8x64xui4> -> tensor<8x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, b_layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<2x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// Weights quantized from a constant: canonicalize folds the quantize, then
// the plan and the repack store the codes as bit planes.
// PLANNED-LABEL: func.func @quantized_weights
// PLANNED-NOT: lowbit.quantize
// PLANNED-NOT: lowbit.pack
// PLANNED: lowbit.unpack %{{.*}} {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<128xi8> -> tensor<4x64x!lowbit.int<4>>
func.func @quantized_weights(%a: tensor<1x64xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<[[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 1.3, -1.4, 1.5, 1.6, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 1.3, -1.4, 1.5, 1.6, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 1.3, -1.4, 1.5, 1.6, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 1.3, -1.4, 1.5, 1.6], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<4x64xf32>
  %q, %s = lowbit.quantize %w {scheme = #lowbit.scheme<rule = absmax, channel, scale = f32>} : tensor<4x64xf32> -> tensor<4x64x!lowbit.int<4>>, tensor<4x1xf32>
  %c = lowbit.mpgemm %a, %q [%s] {b_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32>, acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<4x64x!lowbit.int<4>> [tensor<4x1xf32>] -> tensor<1x4xf32>
  return %c : tensor<1x4xf32>
}

