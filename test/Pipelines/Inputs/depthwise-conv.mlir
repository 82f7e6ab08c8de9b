// The convolution of lowbit-depthwise-conv-to-vectors.mlir's execution check.
func.func @main(%a: tensor<1x24x16x37xf32>, %w: tensor<24x5x3xf32>) -> tensor<1x24x6x31xf32> {
  %z = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<1x24x6x31xf32>
  %1 = linalg.fill ins(%z : f32) outs(%0 : tensor<1x24x6x31xf32>) -> tensor<1x24x6x31xf32>
  %t = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<[1, 3]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>} ins(%a, %w : tensor<1x24x16x37xf32>, tensor<24x5x3xf32>) outs(%1 : tensor<1x24x6x31xf32>) -> tensor<1x24x6x31xf32>
  return %t : tensor<1x24x6x31xf32>
}
