// Dynamic dimensions: sizes from --dynamic-sizes or from --input files,
// checked against each other; the fast path and the reference path both
// take any M.
// RUN: rm -rf %t && mkdir -p %t
// RUN: lowbit-run %s --function=batch --dynamic-sizes=3 --check | FileCheck %s --check-prefix=M3
// M3: output 0: tensor<?x40xf32> of shape (3, 40)
// M3: check: output 0: 0 of 120 elements mismatch
// RUN: lowbit-run %s --function=batch --dynamic-sizes=17 --target=generic --check | FileCheck %s --check-prefix=M17
// M17: check: output 0: 0 of 680 elements mismatch

// The size from an input file (5 rows written by @rows).
// RUN: lowbit-run %s --function=rows --write-npy 0=%t/x5.npy
// RUN: lowbit-run %s --function=batch --input 0=%t/x5.npy --check | FileCheck %s --check-prefix=FILE
// FILE: output 0: tensor<?x40xf32> of shape (5, 40)
// FILE: check: output 0: 0 of 200 elements mismatch

// Codes and their per-row scales share one size; two independent sizes.
// RUN: lowbit-run %s --function=dequant --dynamic-sizes=6 --check | FileCheck %s --check-prefix=DQ
// DQ: output 0: tensor<?x64xbf16> of shape (6, 64)
// DQ: check: output 0: 0 of 384 elements mismatch, max error 0.000000e+00 (tolerance exact)
// RUN: lowbit-run %s --function=two --dynamic-sizes=2,5 --check | FileCheck %s --check-prefix=TWO
// TWO: output 0: tensor<?x8xf16> of shape (2, 8)
// TWO: output 1: tensor<?x8xf16> of shape (5, 8)

// Activations quantized per row in the function (W8A8: int8 per token x
// int8 per channel, i32 sums, the x86 kernel), and the block and group
// schemes, bit for bit.
// RUN: lowbit-run %s --function=w8a8 --dynamic-sizes=5 --check --report-fallbacks 2>&1 | FileCheck %s --check-prefix=INT8
// INT8-NOT: reference path
// INT8: check: output 0: 0 of 200 elements mismatch, max error 0.000000e+00 (tolerance exact)
// RUN: lowbit-run %s --function=schemes --dynamic-sizes=3 --check | FileCheck %s --check-prefix=SCHEMES
// SCHEMES-COUNT-8: elements mismatch, max error 0.000000e+00 (tolerance exact)

// Errors: no size, a zero size, the wrong count, a file of another size.
// RUN: not lowbit-run %s --function=batch 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: lowbit-run: @batch has 1 dynamic dimension size(s): give them with --dynamic-sizes=N[,N...] or through --input files
// RUN: not lowbit-run %s --function=batch --dynamic-sizes=0 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: dynamic size 0 is 0; sizes must be at least 1 (--dynamic-sizes)
// RUN: not lowbit-run %s --function=two --dynamic-sizes=2 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: function 'two' has 2 dynamic dimension sizes to give, got 1
// RUN: not lowbit-run %s --function=batch --dynamic-sizes=4 --input 0=%t/x5.npy 2>&1 | FileCheck %s --check-prefix=MISMATCH
// MISMATCH: x5.npy' (dtype '<f4', shape (5, 64)) does not hold tensor<?x64xf32> in storage form (f32, '<f4', shape (4, 64))

func.func @batch(%x: tensor<?x64xf32>) -> tensor<?x40xf32> {
  %wf = arith.constant dense<0.25> : tensor<40x64xf32>
  %q, %s, %z = lowbit.quantize %wf {scheme = #lowbit.scheme<group = 32, axis = 1, rule = gptq, scale = f16, zero = !lowbit.int<4, unsigned>>} : tensor<40x64xf32> -> tensor<40x64x!lowbit.int<4, unsigned>>, tensor<40x2xf16>, tensor<40x2x!lowbit.int<4, unsigned>>
  %y = lowbit.mpgemm %x, %q [%s, %z] {b_scheme = #lowbit.scheme<group = 32, axis = 1, rule = gptq, scale = f16, zero = !lowbit.int<4, unsigned>>, acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<40x64x!lowbit.int<4, unsigned>> [tensor<40x2xf16>, tensor<40x2x!lowbit.int<4, unsigned>>] -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

func.func @rows(%x: tensor<5x64xf32>) -> tensor<5x64xf32> {
  %y = lowbit.cast %x : tensor<5x64xf32> to tensor<5x64xf32>
  return %y : tensor<5x64xf32>
}

func.func @dequant(%q: tensor<?x64x!lowbit.int<4>>, %s: tensor<?x2xf16>) -> tensor<?x64xbf16> {
  %e = lowbit.dequantize %q, %s {scheme = #lowbit.scheme<rule = absmax, group = 32, axis = 1, scale = f16>} : tensor<?x64x!lowbit.int<4>>, tensor<?x2xf16> -> tensor<?x64xf32>
  %f = lowbit.cast %e : tensor<?x64xf32> to tensor<?x64xbf16>
  return %f : tensor<?x64xbf16>
}

func.func @two(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> (tensor<?x8xf16>, tensor<?x8xf16>) {
  %c = lowbit.cast %a : tensor<?x8xf32> to tensor<?x8xf16>
  %d = lowbit.cast %b : tensor<?x8xf32> to tensor<?x8xf16>
  return %c, %d : tensor<?x8xf16>, tensor<?x8xf16>
}

func.func @w8a8(%x: tensor<?x64xf32>) -> tensor<?x40xf32> {
  %wf = arith.constant dense<0.25> : tensor<40x64xf32>
  %w, %sw = lowbit.quantize %wf {scheme = #lowbit.scheme<int8_per_channel>} : tensor<40x64xf32> -> tensor<40x64xi8>, tensor<40x1xf32>
  %a, %sa = lowbit.quantize %x {scheme = #lowbit.scheme<rule = absmax, channel, axis = 1, scale = f32>} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
  %y = lowbit.mpgemm %a [%sa], %w [%sw] {a_scheme = #lowbit.scheme<rule = absmax, channel, axis = 1, scale = f32>, b_scheme = #lowbit.scheme<int8_per_channel>, acc_type = i32, transpose_b} : tensor<?x64xi8> [tensor<?x1xf32>], tensor<40x64xi8> [tensor<40x1xf32>] -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

func.func @schemes(%x: tensor<?x256xf32>) -> (tensor<?x256xf4E2M1FN>, tensor<?x8xf8E8M0FNU>, tensor<?x256x!lowbit.int<4, unsigned>>, tensor<?x2xf16>, tensor<?x2x!lowbit.int<4, unsigned>>, tensor<?x256xf4E2M1FN>, tensor<?x16xf8E4M3FN>, tensor<f32>) {
  %q, %s = lowbit.quantize %x {scheme = #lowbit.scheme<mxfp4>} : tensor<?x256xf32> -> tensor<?x256xf4E2M1FN>, tensor<?x8xf8E8M0FNU>
  %g, %gs, %gz = lowbit.quantize %x {scheme = #lowbit.scheme<gptq_u4_g128>} : tensor<?x256xf32> -> tensor<?x256x!lowbit.int<4, unsigned>>, tensor<?x2xf16>, tensor<?x2x!lowbit.int<4, unsigned>>
  %n, %ns, %nt = lowbit.quantize %x {scheme = #lowbit.scheme<nvfp4>} : tensor<?x256xf32> -> tensor<?x256xf4E2M1FN>, tensor<?x16xf8E4M3FN>, tensor<f32>
  return %q, %s, %g, %gs, %gz, %n, %ns, %nt : tensor<?x256xf4E2M1FN>, tensor<?x8xf8E8M0FNU>, tensor<?x256x!lowbit.int<4, unsigned>>, tensor<?x2xf16>, tensor<?x2x!lowbit.int<4, unsigned>>, tensor<?x256xf4E2M1FN>, tensor<?x16xf8E4M3FN>, tensor<f32>
}
