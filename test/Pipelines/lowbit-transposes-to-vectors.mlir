// RUN: lowbit-opt %s --lowbit-transposes-to-vectors --canonicalize | FileCheck %s
// Execution: NHWC -> NCHW of 1x12x83x37 (blocks of 16 x 16 and both
// rests: 37 = 32 + 5 channels, 83 = 80 + 3 columns) gives the bits of the
// same transpose as a linalg.generic, which the pass leaves alone.
// RUN: lowbit-run %S/Inputs/transpose.mlir --seed=3 --write-npy=0=%t.named.npy
// RUN: lowbit-opt %S/Inputs/transpose.mlir --linalg-generalize-named-ops -o %t.generic.mlir
// RUN: lowbit-run %t.generic.mlir --seed=3 --write-npy=0=%t.generic.npy
// RUN: cmp %t.named.npy %t.generic.npy

// 16 loads along the input's channels, a 16 x 16 transpose in registers
// (MLIR's shuffle16x16 lowering: 64 shuffles),
// 16 stores along the output's columns; the 4 columns past 32 and the 2
// channels past 16 as linalg.transpose of subviews.
// CHECK-LABEL: func.func @nhwc_to_nchw
// CHECK: scf.for
// CHECK-COUNT-16: vector.transfer_read %arg0{{.*}} {in_bounds = [true]} : memref<1x8x36x18xf32>, vector<16xf32>
// CHECK-COUNT-64: vector.shuffle %{{.*}} : vector<16xf32>, vector<16xf32>
// CHECK-COUNT-16: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xf32>, memref<1x18x8x36xf32>
// CHECK: linalg.transpose ins(%{{.*}} : memref<1x8x4x16xf32, strided<[5184, 648, 18, 1], offset: 576>>) outs(%{{.*}} : memref<1x16x8x4xf32, strided<[5184, 288, 36, 1], offset: 32>>) permutation = [0, 3, 1, 2]
// CHECK: linalg.transpose ins(%{{.*}} : memref<1x8x36x2xf32, strided<[5184, 648, 18, 1], offset: 16>>) outs(%{{.*}} : memref<1x2x8x36xf32, strided<[5184, 288, 36, 1], offset: 4608>>) permutation = [0, 3, 1, 2]
func.func @nhwc_to_nchw(%in: memref<1x8x36x18xf32>, %out: memref<1x18x8x36xf32>) {
  linalg.transpose ins(%in : memref<1x8x36x18xf32>) outs(%out : memref<1x18x8x36xf32>) permutation = [0, 3, 1, 2]
  return
}

// The innermost dimension stays innermost: rows are copied whole already.
// CHECK-LABEL: func.func @rows
// CHECK-NEXT: linalg.transpose
func.func @rows(%in: memref<4x16x32xf32>, %out: memref<16x4x32xf32>) {
  linalg.transpose ins(%in : memref<4x16x32xf32>) outs(%out : memref<16x4x32xf32>) permutation = [1, 0, 2]
  return
}

// Fewer than 16 along either innermost dimension: left alone.
// CHECK-LABEL: func.func @narrow
// CHECK-NEXT: linalg.transpose
func.func @narrow(%in: memref<40x8xf32>, %out: memref<8x40xf32>) {
  linalg.transpose ins(%in : memref<40x8xf32>) outs(%out : memref<8x40xf32>) permutation = [1, 0]
  return
}
