// RUN: lowbit-opt %s --lowbit-vectorizable-loop-order | FileCheck %s

// A depthwise convolution (stride 2 along w): ow goes innermost, after the
// window's kh and kw, and the op becomes a linalg.generic.
// CHECK-LABEL: func.func @depthwise
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
func.func @depthwise(%in: memref<1x8x10x21xf32>, %w: memref<8x3x3xf32>, %out: memref<1x8x8x10xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x10x21xf32>, memref<8x3x3xf32>) outs(%out : memref<1x8x8x10xf32>)
  return
}

// batch_matmul: n innermost (C and B contiguous along it, A broadcast).
// CHECK-LABEL: func.func @bmm
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "parallel"]
func.func @bmm(%a: memref<2x5x7xf32>, %b: memref<2x7x6xf32>, %c: memref<2x5x6xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<2x5x7xf32>, memref<2x7x6xf32>) outs(%c : memref<2x5x6xf32>)
  return
}

// A reduction over the last dimension has no parallel loop on every
// operand's innermost dimension: unchanged.
// CHECK-LABEL: func.func @row_sum
// CHECK: iterator_types = ["parallel", "reduction"]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: memref<8x16xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x16xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// Every fourth element along the candidate loop (in[d0, d2, d1 * 4]): a
// gather, not moved.
// CHECK-LABEL: func.func @strided
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
#str_in = affine_map<(d0, d1, d2) -> (d0, d2, d1 * 4)>
#str_out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @strided(%x: memref<8x4x32xf32>, %s: memref<8x8xf32>) {
  linalg.generic {indexing_maps = [#str_in, #str_out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<8x4x32xf32>) outs(%s : memref<8x8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// Fewer than 4 iterations of the candidate loop: not worth a vector.
// CHECK-LABEL: func.func @short
// CHECK: linalg.batch_matmul
func.func @short(%a: memref<2x5x7xf32>, %b: memref<2x7x3xf32>, %c: memref<2x5x3xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<2x5x7xf32>, memref<2x7x3xf32>) outs(%c : memref<2x5x3xf32>)
  return
}

// Tensors (before bufferization) are left to the kernels' passes.
// CHECK-LABEL: func.func @on_tensors
// CHECK: linalg.batch_matmul
func.func @on_tensors(%a: tensor<2x5x7xf32>, %b: tensor<2x7x6xf32>, %c: tensor<2x5x6xf32>) -> tensor<2x5x6xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x5x7xf32>, tensor<2x7x6xf32>) outs(%c : tensor<2x5x6xf32>) -> tensor<2x5x6xf32>
  return %r : tensor<2x5x6xf32>
}
