
// K = 48 is not a multiple of the 32-bit plane word.
func.func @bad(%a: tensor<2x48xf32>, %w: tensor<8x48x!lowbit.int<4>>) -> tensor<2x8xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, b_layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<2x48xf32>, tensor<8x48x!lowbit.int<4>> -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}
