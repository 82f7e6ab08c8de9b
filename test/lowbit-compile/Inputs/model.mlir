// A small model for the AOT tests: run-time int4 weights with GPTQ-style
// scales and a dynamic M, and a product with constant MXFP4 weights.
func.func @linear(%x: tensor<?x256xf32>, %wp: tensor<32x128xi8>, %s: tensor<32x2xf16>, %z: tensor<32x2x!lowbit.int<4, unsigned>>) -> tensor<?x32xf32> {
  %w = lowbit.unpack %wp order lsb_first : tensor<32x128xi8> -> tensor<32x256x!lowbit.int<4, unsigned>>
  %y = lowbit.mpgemm %x, %w [%s, %z] {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b} : tensor<?x256xf32>, tensor<32x256x!lowbit.int<4, unsigned>> [tensor<32x2xf16>, tensor<32x2x!lowbit.int<4, unsigned>>] -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

func.func @project(%x: tensor<2x64xf32>) -> tensor<2x16xf32> {
  %wf = arith.constant dense<0.375> : tensor<16x64xf32>
  %q, %sc = lowbit.quantize %wf {scheme = #lowbit.scheme<mxfp4>} : tensor<16x64xf32> -> tensor<16x64xf4E2M1FN>, tensor<16x2xf8E8M0FNU>
  %y = lowbit.mpgemm %x, %q [%sc] {b_scheme = #lowbit.scheme<mxfp4>, acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<16x64xf4E2M1FN> [tensor<16x2xf8E8M0FNU>] -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}
