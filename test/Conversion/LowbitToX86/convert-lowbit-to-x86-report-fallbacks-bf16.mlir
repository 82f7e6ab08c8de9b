// RUN: lowbit-opt %s --split-input-file --convert-lowbit-to-x86="target=znver4 report-fallbacks" -verify-diagnostics -o /dev/null

// What the bf16 kernel (formats no byte operand holds, on a target with
// AVX-512 BF16 and VBMI) does not take, each with a remark saying why.
func.func @int8_activations(%a: tensor<1x64xi8>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<57> : tensor<16x64xui8> -> tensor<16x64xf8E4M3FN>
  // expected-remark @+1 {{the bf16 kernel takes f32, f16 or bf16 activations with f32 accumulation}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xi8>, tensor<16x64xf8E4M3FN> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

// Powers of two from 2^-127 to 2^127: vdpbf16ps flushes subnormals, and
// values this far from 1 could lose more to flushes than the bound allows.
func.func @e8m0_weights(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<127> : tensor<16x64xui8> -> tensor<16x64xf8E8M0FNU>
  // expected-remark @+1 {{bf16 kernel: the value 5.87747e-39 (code 0) lies outside [2^-64, 2^64], where the bf16 kernel's flushes stay in bound}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64xf8E8M0FNU> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
