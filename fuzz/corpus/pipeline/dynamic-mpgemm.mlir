func.func @f(%a: tensor<?x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<?x16xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %c : tensor<?x16xf32>
}
