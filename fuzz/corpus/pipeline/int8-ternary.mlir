// int8 activations times ternary weights, summed exactly in int32 (the
// BitNet b1.58 product), and a posit<8,0> cast with round-toward-zero.
//   lowbit-run docs/examples/int8-ternary.mlir --check
func.func @bitnet(%a: tensor<1x100xi8>, %w: tensor<16x100x!lowbit.ternary>) -> tensor<1x16xi32> {
  %y = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b}
      : tensor<1x100xi8>, tensor<16x100x!lowbit.ternary> -> tensor<1x16xi32>
  return %y : tensor<1x16xi32>
}

func.func @to_posit(%x: tensor<64xf32>) -> tensor<64x!lowbit.posit<8, 0>> {
  %p = lowbit.cast %x rounding rtz : tensor<64xf32> to tensor<64x!lowbit.posit<8, 0>>
  return %p : tensor<64x!lowbit.posit<8, 0>>
}
