func.func @e4m3(%a: tensor<2x64xf32>) -> tensor<2x16xf32> {
  %w = lowbit.constant dense<57> : tensor<16x64xui8> -> tensor<16x64xf8E4M3FN>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<16x64xf8E4M3FN> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}
func.func @int8(%a: tensor<1x64xi8>) -> tensor<1x16xi32> {
  %w = lowbit.constant dense<1> : tensor<16x64xi2> -> tensor<16x64x!lowbit.int<2>>
  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b} : tensor<1x64xi8>, tensor<16x64x!lowbit.int<2>> -> tensor<1x16xi32>
  return %c : tensor<1x16xi32>
}
func.func @bipolar(%a: tensor<?x128xbf16>) -> tensor<?x32xf32> {
  %w = lowbit.constant dense<1> : tensor<32x128xi1> -> tensor<32x128x!lowbit.int<1, bipolar>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, lowbit.x86_tuning = {kernel = "lut"}} : tensor<?x128xbf16>, tensor<32x128x!lowbit.int<1, bipolar>> -> tensor<?x32xf32>
  return %c : tensor<?x32xf32>
}
