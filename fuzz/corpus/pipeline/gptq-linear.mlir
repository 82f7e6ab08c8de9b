// A linear layer with GPTQ-style uint4 weights: the f32 weight is an
// argument here, quantized at run time; with a constant weight the
// quantize folds away at compile time.
//   lowbit-run docs/examples/gptq-linear.mlir --check
func.func @linear(%x: tensor<4x256xf16>, %w: tensor<32x256xf32>) -> tensor<4x32xf32> {
  %q, %s, %z = lowbit.quantize %w {scheme = #lowbit.scheme<gptq_u4_g128>}
      : tensor<32x256xf32> -> tensor<32x256x!lowbit.int<4, unsigned>>,
        tensor<32x2xf16>, tensor<32x2x!lowbit.int<4, unsigned>>
  %y = lowbit.mpgemm %x, %q [%s, %z]
      {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b}
      : tensor<4x256xf16>, tensor<32x256x!lowbit.int<4, unsigned>>
        [tensor<32x2xf16>, tensor<32x2x!lowbit.int<4, unsigned>>] -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}
