func.func @gptq(%w: tensor<1x128xf32>) -> (tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>) {
  %q, %s, %z = lowbit.quantize %w {scheme = #lowbit.scheme<gptq_u4_g128>}
      : tensor<1x128xf32> -> tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>
  return %q, %s, %z : tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>
}
func.func @awq(%w: tensor<1x128xf32>) -> (tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>) {
  %q, %s, %z = lowbit.quantize %w {scheme = #lowbit.scheme<awq_u4_g128>}
      : tensor<1x128xf32> -> tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>
  return %q, %s, %z : tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>
}
func.func @absmax(%w: tensor<1x128xf32>) -> (tensor<1x128x!lowbit.int<8>>, tensor<1x1xf32>, tensor<1x128xf32>) {
  %q, %s = lowbit.quantize %w {scheme = #lowbit.scheme<int8_per_channel>}
      : tensor<1x128xf32> -> tensor<1x128x!lowbit.int<8>>, tensor<1x1xf32>
  %d = lowbit.dequantize %q, %s {scheme = #lowbit.scheme<int8_per_channel>}
      : tensor<1x128x!lowbit.int<8>>, tensor<1x1xf32> -> tensor<1x128xf32>
  return %q, %s, %d : tensor<1x128x!lowbit.int<8>>, tensor<1x1xf32>, tensor<1x128xf32>
}
func.func @min_offset(%w: tensor<1x128xf32>) -> (tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x4xf16>, tensor<1x4xf16>, tensor<1x128xf32>) {
  %q, %s, %o = lowbit.quantize %w {scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>}
      : tensor<1x128xf32> -> tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x4xf16>, tensor<1x4xf16>
  %d = lowbit.dequantize %q, %s, %o {scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>}
      : tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x4xf16>, tensor<1x4xf16> -> tensor<1x128xf32>
  return %q, %s, %o, %d : tensor<1x128x!lowbit.int<4, unsigned>>, tensor<1x4xf16>, tensor<1x4xf16>, tensor<1x128xf32>
}
