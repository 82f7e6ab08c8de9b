func.func @int4_bytes(%a: tensor<3x128xf32>, %w: tensor<37x128x!lowbit.int<4>>) -> tensor<3x37xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<3x128xf32>, tensor<37x128x!lowbit.int<4>> -> tensor<3x37xf32>
  return %c : tensor<3x37xf32>
}
func.func @gptq_packed(%a: tensor<?x256xf16>, %wp: tensor<48x128xi8>, %s: tensor<48x2xf16>, %z: tensor<48x2x!lowbit.int<4, unsigned>>) -> tensor<?x48xf32> {
  %w = lowbit.unpack %wp order lsb_first : tensor<48x128xi8> -> tensor<48x256x!lowbit.int<4, unsigned>>
  %c = lowbit.mpgemm %a, %w [%s, %z] {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b} : tensor<?x256xf16>, tensor<48x256x!lowbit.int<4, unsigned>> [tensor<48x2xf16>, tensor<48x2x!lowbit.int<4, unsigned>>] -> tensor<?x48xf32>
  return %c : tensor<?x48xf32>
}
