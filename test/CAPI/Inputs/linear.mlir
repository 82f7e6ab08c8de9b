func.func @linear(%x: tensor<?x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<?x16xf32> {
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
