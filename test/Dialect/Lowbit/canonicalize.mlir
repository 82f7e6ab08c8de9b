// RUN: lowbit-opt %s --canonicalize --split-input-file | FileCheck %s

// quantize of a constant folds to constant codes and scales, computed by
// the Numerics library: amax 8 gives the MX scale 2^(3 - 2) (E8M0 code 128)
// and 1..8 / 2 round to the e2m1 codes 1..6; -8 / 2 = -4 is code 0b1110.
// CHECK-LABEL: func.func @fold_mx
// CHECK-NOT: lowbit.quantize
// CHECK-DAG: lowbit.constant dense<{{\[}}[1, 2, 3, 4, 4, 5, 6, 6, {{.*}}, 6, 14]]> : tensor<1x32xui4> -> tensor<1x32xf4E2M1FN>
// CHECK-DAG: lowbit.constant dense<128> : tensor<1x1xui8> -> tensor<1x1xf8E8M0FNU>
func.func @fold_mx() -> (tensor<1x32xf4E2M1FN>, tensor<1x1xf8E8M0FNU>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, -8.0]]> : tensor<1x32xf32>
  %c, %s = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<1x32xf32> -> tensor<1x32xf4E2M1FN>, tensor<1x1xf8E8M0FNU>
  return %c, %s : tensor<1x32xf4E2M1FN>, tensor<1x1xf8E8M0FNU>
}

// -----

// Integer group rules: f16 scales fold to a float constant, zero points to
// codes. Range [-1, 2] over 15 steps: scale 0.2, zero round(1 / 0.2) = 5.
// CHECK-LABEL: func.func @fold_gptq
// CHECK-DAG: lowbit.constant dense<{{\[}}[0, 5, 10, 15]]> : tensor<1x4xui4> -> tensor<1x4x!lowbit.int<4, unsigned>>
// CHECK-DAG: arith.constant dense<1.999510e-01> : tensor<1x1xf16>
// CHECK-DAG: lowbit.constant dense<5> : tensor<1x1xui4> -> tensor<1x1x!lowbit.int<4, unsigned>>
func.func @fold_gptq() -> (tensor<1x4x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>) {
  %w = arith.constant dense<[[-1.0, 0.0, 1.0, 2.0]]> : tensor<1x4xf32>
  %q:3 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = gptq, group = 4, scale = f16, zero = !lowbit.int<4, unsigned>>} : tensor<1x4xf32> -> tensor<1x4x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>
  return %q#0, %q#1, %q#2 : tensor<1x4x!lowbit.int<4, unsigned>>, tensor<1x1xf16>, tensor<1x1x!lowbit.int<4, unsigned>>
}

// -----

// cast of a constant folds under its policy; posit<8,0> saturates 100 to
// maxpos 64 and 0.001 to minpos 1/64.
// CHECK-LABEL: func.func @fold_cast
// CHECK: lowbit.constant dense<[64, 237, 127, 1]> : tensor<4xui8> -> tensor<4x!lowbit.posit<8, 0>>
// CHECK: arith.constant dense<[1.000000e+00, -2.968750e-01, 6.400000e+01, 1.562500e-02]> : tensor<4xf16>
func.func @fold_cast() -> (tensor<4x!lowbit.posit<8, 0>>, tensor<4xf16>) {
  %w = arith.constant dense<[1.0, -0.3, 100.0, 0.001]> : tensor<4xf32>
  %p = lowbit.cast %w : tensor<4xf32> to tensor<4x!lowbit.posit<8, 0>>
  %h = lowbit.cast %p : tensor<4x!lowbit.posit<8, 0>> to tensor<4xf16>
  return %p, %h : tensor<4x!lowbit.posit<8, 0>>, tensor<4xf16>
}

// -----

// dequantize(quantize(x)) is not folded to x: it is not exact.
// CHECK-LABEL: func.func @no_roundtrip_fold
// CHECK: lowbit.quantize
// CHECK: lowbit.dequantize
func.func @no_roundtrip_fold(%x: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %c, %s = lowbit.quantize %x {scheme = #lowbit.scheme<mxfp4>} : tensor<1x32xf32> -> tensor<1x32xf4E2M1FN>, tensor<1x1xf8E8M0FNU>
  %y = lowbit.dequantize %c, %s {scheme = #lowbit.scheme<mxfp4>} : tensor<1x32xf4E2M1FN>, tensor<1x1xf8E8M0FNU> -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// A splat stays a splat, whatever its size (10^10 elements).
// CHECK-LABEL: func.func @cast_huge_splat
// CHECK: lowbit.constant dense<2> : tensor<100000x100000xui4> -> tensor<100000x100000x!lowbit.int<4>>
// CHECK-NOT: lowbit.cast
func.func @cast_huge_splat() -> tensor<100000x100000x!lowbit.int<4>> {
  %x = arith.constant dense<1.7> : tensor<100000x100000xf32>
  %q = lowbit.cast %x : tensor<100000x100000xf32> to tensor<100000x100000x!lowbit.int<4>>
  return %q : tensor<100000x100000x!lowbit.int<4>>
}

// Quantizing more than 2^28 elements is left to run-time code rather than
// materialized at compile time.
// CHECK-LABEL: func.func @quantize_huge
// CHECK: lowbit.quantize
func.func @quantize_huge() -> (tensor<100000x100000xf4E2M1FN>, tensor<100000x3125xf8E8M0FNU>) {
  %x = arith.constant dense<1.0> : tensor<100000x100000xf32>
  %q, %s = lowbit.quantize %x {scheme = #lowbit.scheme<mxfp4>} : tensor<100000x100000xf32> -> tensor<100000x100000xf4E2M1FN>, tensor<100000x3125xf8E8M0FNU>
  return %q, %s : tensor<100000x100000xf4E2M1FN>, tensor<100000x3125xf8E8M0FNU>
}

// A tensor whose storage is itself: to_storage folds to its operand.
// CHECK-LABEL: func.func @to_storage_identity
// CHECK-NEXT: return %arg0
func.func @to_storage_identity(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %s = lowbit.to_storage %x : tensor<4x8xf16> -> tensor<4x8xf16>
  return %s : tensor<4x8xf16>
}
