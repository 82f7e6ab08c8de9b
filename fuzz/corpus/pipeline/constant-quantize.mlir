func.func @f(%a: tensor<2x32xf32>) -> tensor<2x8xf32> {
  %wf = arith.constant dense<0.5> : tensor<8x32xf32>
  %q, %s = lowbit.quantize %wf {scheme = #lowbit.scheme<mxfp4>} : tensor<8x32xf32> -> tensor<8x32xf4E2M1FN>, tensor<8x1xf8E8M0FNU>
  %c = lowbit.mpgemm %a, %q [%s] {b_scheme = #lowbit.scheme<mxfp4>, acc_type = f32, transpose_b} : tensor<2x32xf32>, tensor<8x32xf4E2M1FN> [tensor<8x1xf8E8M0FNU>] -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}
