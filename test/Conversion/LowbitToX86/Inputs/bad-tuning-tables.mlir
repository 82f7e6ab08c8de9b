// Used by lowbit-lower-to-lut-tables.mlir: a table kind that does not exist.
func.func @bad(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, lowbit.x86_tuning = {tables = "int16"}} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
