func.func @f(%a: tensor<4x40xf32>) -> tensor<4x40xf32> {
  %q:3 = lowbit.quantize %a {scheme = #lowbit.scheme<gptq_u4_g128>} : tensor<4x40xf32> -> tensor<4x40x!lowbit.int<4, unsigned>>, tensor<4x1xf16>, tensor<4x1x!lowbit.int<4, unsigned>>
  return %a : tensor<4x40xf32>
}
