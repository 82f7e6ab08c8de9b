// MXFP4 quantization of a tensor and back, plus the codes packed two per
// byte (LSB first, as llama.cpp and DLPack store 4-bit codes).
//   lowbit-run docs/examples/mxfp4-roundtrip.mlir --check --print
func.func @roundtrip(%x: tensor<2x64xf32>)
    -> (tensor<2x64xf4E2M1FN>, tensor<2x2xf8E8M0FNU>, tensor<2x64xf32>, tensor<2x32xi8>) {
  %c, %s = lowbit.quantize %x {scheme = #lowbit.scheme<mxfp4>}
      : tensor<2x64xf32> -> tensor<2x64xf4E2M1FN>, tensor<2x2xf8E8M0FNU>
  %y = lowbit.dequantize %c, %s {scheme = #lowbit.scheme<mxfp4>}
      : tensor<2x64xf4E2M1FN>, tensor<2x2xf8E8M0FNU> -> tensor<2x64xf32>
  %p = lowbit.pack %c order lsb_first : tensor<2x64xf4E2M1FN> -> tensor<2x32xi8>
  return %c, %s, %y, %p : tensor<2x64xf4E2M1FN>, tensor<2x2xf8E8M0FNU>, tensor<2x64xf32>, tensor<2x32xi8>
}
