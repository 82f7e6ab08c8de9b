func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %p = lowbit.cast %x rounding rtz overflow inf : tensor<4x8xf32> to tensor<4x8x!lowbit.posit<8, 1>>
  %y = lowbit.cast %p : tensor<4x8x!lowbit.posit<8, 1>> to tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
