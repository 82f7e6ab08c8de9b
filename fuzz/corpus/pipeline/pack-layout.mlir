#planes = #lowbit.layout<bits<planes_tiled, 4, 32>>
func.func @f(%q: tensor<8x64x!lowbit.int<4>>) -> tensor<8x64x!lowbit.int<4>> {
  %p = lowbit.pack %q : tensor<8x64x!lowbit.int<4>> -> tensor<8x64x!lowbit.int<4>, #planes>
  %u = lowbit.unpack %p : tensor<8x64x!lowbit.int<4>, #planes> -> tensor<8x64x!lowbit.int<4>>
  return %u : tensor<8x64x!lowbit.int<4>>
}
