// Used by convert-lowbit-to-x86.mlir: a tuning entry out of range.
func.func @bad(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, lowbit.x86_tuning = {activation_block = 48 : i64}} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
