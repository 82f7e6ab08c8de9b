// Used by aot.test: formats wider than 16 bits (the runtime codec).
func.func @round_trip(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %p = lowbit.cast %x : tensor<4x64xf32> to tensor<4x64x!lowbit.posit<32, 2>>
  %y = lowbit.cast %p : tensor<4x64x!lowbit.posit<32, 2>> to tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
func.func @linear(%x: tensor<2x64xf32>, %w: tensor<8x64x!lowbit.float<e8m20>>) -> tensor<2x8xf32> {
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<2x64xf32>, tensor<8x64x!lowbit.float<e8m20>> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
