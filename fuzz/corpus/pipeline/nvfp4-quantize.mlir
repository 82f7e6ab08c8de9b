func.func @q(%w: tensor<1x16xf32>) -> (tensor<1x16xf4E2M1FN>, tensor<1x1xf8E4M3FN>, tensor<f32>) {
  %c, %s, %t = lowbit.quantize %w {scheme = #lowbit.scheme<nvfp4>}
      : tensor<1x16xf32> -> tensor<1x16xf4E2M1FN>, tensor<1x1xf8E4M3FN>, tensor<f32>
  return %c, %s, %t : tensor<1x16xf4E2M1FN>, tensor<1x1xf8E4M3FN>, tensor<f32>
}
