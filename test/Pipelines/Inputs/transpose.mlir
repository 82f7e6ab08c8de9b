// The transpose of lowbit-transposes-to-vectors.mlir's execution check.
func.func @main(%a: tensor<1x12x83x37xf32>) -> tensor<1x37x12x83xf32> {
  %0 = tensor.empty() : tensor<1x37x12x83xf32>
  %t = linalg.transpose ins(%a : tensor<1x12x83x37xf32>) outs(%0 : tensor<1x37x12x83xf32>) permutation = [0, 3, 1, 2]
  return %t : tensor<1x37x12x83xf32>
}
