// RUN: lowbit-opt %s --split-input-file --convert-lowbit-to-x86="target=x86-64-v3 report-fallbacks" -verify-diagnostics -o /dev/null


// Products the kernels do not cover stay for the reference lowering, each
// with a remark saying why.
func.func @runtime_weights_k_by_n(%a: tensor<1x64xf32>, %w: tensor<64x16x!lowbit.int<4>>) -> tensor<1x16xf32> {
  // expected-remark @+1 {{mpgemm takes the reference path on target 'x86-64-v3': run-time weights must be stored N x K (transpose_b)}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32} : tensor<1x64xf32>, tensor<64x16x!lowbit.int<4>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

// Ternary's code 0b10 has no value: run-time weights could hold it, and the
// byte kernels have no NaN to give for it.
func.func @runtime_ternary(%a: tensor<1x64xf32>, %w: tensor<16x64x!lowbit.ternary>) -> tensor<1x16xf32> {
  // expected-remark @+1 {{the format has codes without a finite value, which run-time weights could hold}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.ternary> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

func.func @runtime_weights_odd_k(%a: tensor<1x70xf32>, %w: tensor<16x70x!lowbit.int<4>>) -> tensor<1x16xf32> {
  // expected-remark @+1 {{run-time weights need K (70) to be a multiple of a power-of-two activation block from 4 k that divides the scale group}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x70xf32>, tensor<16x70x!lowbit.int<4>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

func.func @f64_accumulator(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4>>
  // expected-remark @+1 {{the kernels accumulate in f32 or i32 and write f32 (or i32)}}
  %c = lowbit.mpgemm %a, %w {acc_type = f64, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

func.func @int8_without_vnni(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui8> -> tensor<16x64xi8>
  // expected-remark @+1 {{weight operands reach 255, and vpmaddubsw saturates above 129 (the target has no AVX-512 VNNI)}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64xi8> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

func.func @wide_codes(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui8> -> tensor<16x64x!lowbit.posit<8, 0>>
  // expected-remark @+1 {{values of this 8-bit format are not evenly spaced, and a byte-shuffle codebook holds at most 64 entries; the bf16 kernel needs AVX-512 BF16 and VBMI; f32 kernel: its values are not a sign, exponent and mantissa that f32 holds (no exact shift-and-bias decode; posits need a table of all codes)}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.posit<8, 0>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

func.func @fp8_activations(%a: tensor<1x64xf8E4M3FN>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4>>
  // expected-remark @+1 {{activations must be f32, f16, bf16 or i8}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf8E4M3FN>, tensor<16x64x!lowbit.int<4>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

// min_offset weights take the kernels through the zero point -offset / scale,
// computed at compile time: run-time scales or offsets cannot give one.
func.func @min_offset_runtime_offsets(%a: tensor<1x64xf32>, %s: tensor<16x2xf16>, %o: tensor<16x2xf16>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4, unsigned>>
  // expected-remark @+1 {{min_offset weights need constant scales and offsets (their zero point, -offset / scale, is computed at compile time)}}
  %c = lowbit.mpgemm %a, %w [%s, %o] {b_scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>, acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4, unsigned>> [tensor<16x2xf16>, tensor<16x2xf16>] -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// -----

// A group of scale 0 has no zero point (its values are the offset).
func.func @min_offset_zero_scale(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4, unsigned>>
  %s = arith.constant dense<0.0> : tensor<16x2xf16>
  %o = arith.constant dense<1.0> : tensor<16x2xf16>
  // expected-remark @+1 {{a min_offset group with a zero or non-finite scale or offset has no zero point}}
  %c = lowbit.mpgemm %a, %w [%s, %o] {b_scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>, acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4, unsigned>> [tensor<16x2xf16>, tensor<16x2xf16>] -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
