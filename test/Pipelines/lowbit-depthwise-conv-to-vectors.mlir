// RUN: lowbit-opt %s --lowbit-depthwise-conv-to-vectors --canonicalize | FileCheck %s
// Execution: the rewritten convolution (through lowbit-run's pipeline)
// gives the bits of the same convolution as a linalg.generic, which the
// pass leaves to lowbit-vectorizable-loop-order: stride 2 along h,
// dilation 3 along w, OW = 31 (a whole vector and a masked one).
// RUN: lowbit-run %S/Inputs/depthwise-conv.mlir --seed=5 --write-npy=0=%t.named.npy
// RUN: lowbit-opt %S/Inputs/depthwise-conv.mlir --linalg-generalize-named-ops -o %t.generic.mlir
// RUN: lowbit-run %t.generic.mlir --seed=5 --write-npy=0=%t.generic.npy
// RUN: cmp %t.named.npy %t.generic.npy
// RUN: lowbit-opt %S/Inputs/depthwise-conv.mlir --lowbit-cpu-pipeline | FileCheck %s --check-prefix=PIPELINE
// PIPELINE-NOT: linalg.depthwise_conv_2d_nchw_chw

// OW = 80: chunks of 4 vectors of 16 (64 ow), then one whole vector; the
// sums stay in registers over the 3 x 3 window, a multiply then an add
// per tap (never fused: the op's own order, so the same bits).
// CHECK-LABEL: func.func @depthwise
// CHECK-COUNT-4: vector.transfer_read %arg2{{.*}} {in_bounds = [true]} : memref<1x8x10x80xf32>, vector<16xf32>
// CHECK: memref.load %arg1
// CHECK: vector.broadcast
// CHECK: vector.transfer_read %arg0{{.*}} {in_bounds = [true]} : memref<1x8x12x82xf32>, vector<16xf32>
// CHECK: arith.mulf %{{.*}} : vector<16xf32>
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK-NOT: math.fma
// CHECK-COUNT-4: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xf32>, memref<1x8x10x80xf32>
// The last 16 ow: one vector.
// CHECK: vector.transfer_read %arg2[%c0, %arg3, %arg4, %c64]
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
func.func @depthwise(%in: memref<1x8x12x82xf32>, %w: memref<8x3x3xf32>, %out: memref<1x8x10x80xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x12x82xf32>, memref<8x3x3xf32>) outs(%out : memref<1x8x10x80xf32>)
  return
}

// Stride 2 along w (not contiguous): left to lowbit-vectorizable-loop-order.
// CHECK-LABEL: func.func @strided
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @strided(%in: memref<1x8x10x21xf32>, %w: memref<8x3x3xf32>, %out: memref<1x8x8x10xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x10x21xf32>, memref<8x3x3xf32>) outs(%out : memref<1x8x8x10xf32>)
  return
}

// On tensors (before bufferization): left alone.
// CHECK-LABEL: func.func @on_tensors
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @on_tensors(%in: tensor<1x8x12x82xf32>, %w: tensor<8x3x3xf32>, %out: tensor<1x8x10x80xf32>) -> tensor<1x8x10x80xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : tensor<1x8x12x82xf32>, tensor<8x3x3xf32>) outs(%out : tensor<1x8x10x80xf32>) -> tensor<1x8x10x80xf32>
  return %r : tensor<1x8x10x80xf32>
}
