// Weights passed at run time (function arguments) take the x86 kernels and
// match the evaluator within the CPU policy's bound: one code per byte, and
// packed lsb_first rows (two 4-bit codes per byte) with run-time GPTQ
// scales and zero points (e4m3 run-time weights: mpgemm-bf16-kernel.mlir).
// RUN: lowbit-run %s --function=int4_bytes --target=x86-64-v3 --report-fallbacks --check 2>&1 | FileCheck %s --check-prefixes=FAST,BYTES
// RUN: lowbit-run %s --function=gptq_packed --target=x86-64-v3 --report-fallbacks --check --dynamic-sizes=5 2>&1 | FileCheck %s --check-prefixes=FAST,GPTQ
// RUN: %if host-x86-64-v4 %{ lowbit-run %s --function=gptq_packed --target=x86-64-v4 --report-fallbacks --check --dynamic-sizes=9 2>&1 | FileCheck %s --check-prefixes=FAST,GPTQ9 %}
// RUN: %if host-znver4 %{ lowbit-run %s --function=gptq_packed --target=znver4 --report-fallbacks --check --dynamic-sizes=1 2>&1 | FileCheck %s --check-prefixes=FAST,GPTQ1 %}

// FAST-NOT: reference path
// BYTES: check: output 0: 0 of 111 elements mismatch
// GPTQ: check: output 0: 0 of 240 elements mismatch
// GPTQ9: check: output 0: 0 of 432 elements mismatch
// GPTQ1: check: output 0: 0 of 48 elements mismatch

func.func @int4_bytes(%a: tensor<3x128xf32>, %w: tensor<37x128x!lowbit.int<4>>) -> tensor<3x37xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<3x128xf32>, tensor<37x128x!lowbit.int<4>> -> tensor<3x37xf32>
  return %c : tensor<3x37xf32>
}

func.func @gptq_packed(%a: tensor<?x256xf16>, %wp: tensor<48x128xi8>, %s: tensor<48x2xf16>, %z: tensor<48x2x!lowbit.int<4, unsigned>>) -> tensor<?x48xf32> {
  %w = lowbit.unpack %wp order lsb_first : tensor<48x128xi8> -> tensor<48x256x!lowbit.int<4, unsigned>>
  %c = lowbit.mpgemm %a, %w [%s, %z] {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b} : tensor<?x256xf16>, tensor<48x256x!lowbit.int<4, unsigned>> [tensor<48x2xf16>, tensor<48x2x!lowbit.int<4, unsigned>>] -> tensor<?x48xf32>
  return %c : tensor<?x48xf32>
}
