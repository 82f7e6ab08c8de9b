// RUN: lowbit-opt %s --convert-lowbit-to-linalg --split-input-file --verify-diagnostics | FileCheck %s

// Codes become their storage (one per byte here); decoding reads a table of
// every code's value.
// CHECK-LABEL: func.func @dequantize_posit
// CHECK-SAME: (%[[ARG:.*]]: tensor<16xi8>) -> tensor<16xf32>
// CHECK: %[[TABLE:.*]] = arith.constant dense<{{.*}}> : tensor<256xf32>
// CHECK: linalg.generic {{.*}} ins(%[[ARG]] : tensor<16xi8>)
// CHECK: arith.andi %{{.*}}, %c255_i32
// CHECK: tensor.extract %[[TABLE]]
func.func @dequantize_posit(%p: tensor<16x!lowbit.posit<8, 0>>) -> tensor<16xf32> {
  %y = lowbit.dequantize %p : tensor<16x!lowbit.posit<8, 0>> -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// -----

// Encoding searches the f64 patterns where the code changes (padded to a
// power of two: 32 entries for e3m2 under rtz), then reads the code.
// CHECK-LABEL: func.func @cast_e3m2
// CHECK-SAME: -> tensor<8xi8>
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<{{[0-9]+}}xi64>
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<{{[0-9]+}}xi32>
// CHECK: linalg.generic
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.bitcast %{{.*}} : f64 to i64
// CHECK: arith.cmpi ule
func.func @cast_e3m2(%x: tensor<8xf32>) -> tensor<8x!lowbit.float<e3m2>> {
  %y = lowbit.cast %x rounding rtz : tensor<8xf32> to tensor<8x!lowbit.float<e3m2>>
  return %y : tensor<8x!lowbit.float<e3m2>>
}

// -----

// mpgemm: blocks of rows (here both rows, M = 2) summed together over k in
// registers, so each code of B is decoded once per block; scales read at
// k / 32; a reassociable f32 sum; no epilogue when the accumulator is the
// result type.
// CHECK-LABEL: func.func @mpgemm_mxfp4
// CHECK: %[[C:.*]] = scf.for {{.*}} -> (tensor<2x8xf32>)
// CHECK: scf.for {{.*}} -> (tensor<2x8xf32>)
// CHECK: %[[S:.*]]:2 = scf.for %[[K:.*]] = %{{.*}} to %c64 step %{{.*}} iter_args({{.*}}) -> (f32, f32)
// CHECK: arith.divui %[[K]], %c32 : index
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.addf %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: tensor.insert %[[S]]#0
// CHECK: tensor.insert %[[S]]#1
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
func.func @mpgemm_mxfp4(%a: tensor<2x64xf32>, %b: tensor<8x64xf4E2M1FN>, %s: tensor<8x2xf8E8M0FNU>) -> tensor<2x8xf32> {
  %c = lowbit.mpgemm %a, %b [%s] {b_scheme = #lowbit.scheme<mxfp4>, acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<8x64xf4E2M1FN> [tensor<8x2xf8E8M0FNU>] -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

// M = 1 (and M without a divisor up to 8): one row per point of a
// linalg.generic over (m, n).
// CHECK-LABEL: func.func @gemv
// CHECK: linalg.generic {indexing_maps = [#{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK: scf.for {{.*}} -> (f32)
func.func @gemv(%a: tensor<1x64xf32>, %b: tensor<8x64x!lowbit.int<4>>) -> tensor<1x8xf32> {
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<1x8xf32>
  return %c : tensor<1x8xf32>
}

// -----

// Runtime quantize: statistics over the input reshaped to (groups, extent),
// padded to whole MX blocks.
// CHECK-LABEL: func.func @quantize_mx
// CHECK: tensor.pad %{{.*}} low[0, 0] high[0, 24]
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2, 3]] output_shape [4, 1, 2, 32]
// CHECK: iterator_types = ["parallel", "reduction", "parallel", "reduction"]
// CHECK: arith.maxui
// CHECK: math.ctlz
func.func @quantize_mx(%w: tensor<4x40xf32>) -> (tensor<4x40xf4E2M1FN>, tensor<4x2xf8E8M0FNU>) {
  %c, %s = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<4x40xf32> -> tensor<4x40xf4E2M1FN>, tensor<4x2xf8E8M0FNU>
  return %c, %s : tensor<4x40xf4E2M1FN>, tensor<4x2xf8E8M0FNU>
}

// -----

// Constants of codes become byte constants.
// CHECK-LABEL: func.func @constant
// CHECK: arith.constant dense<[1, 15, 8, 0]> : tensor<4xi8>
func.func @constant() -> tensor<4x!lowbit.int<4>> {
  %k = lowbit.constant dense<[1, 15, 8, 0]> : tensor<4xi4> -> tensor<4x!lowbit.int<4>>
  return %k : tensor<4x!lowbit.int<4>>
}

// -----

// Formats wider than 16 bits other than integers have too many codes for
// tables: their codes go through the runtime's Numerics codec.
// CHECK-LABEL: func.func private @lowbit_rt_decode(i64, i64) -> f64
// CHECK-LABEL: func.func @wide
// CHECK: linalg.generic
// CHECK: %[[CODE:.*]] = arith.andi %{{.*}}, %c4294967295_i64 : i64
// CHECK: func.call @lowbit_rt_decode(%{{.*}}, %[[CODE]]) : (i64, i64) -> f64
func.func @wide(%p: tensor<4x!lowbit.posit<32, 2>>) -> tensor<4xf32> {
  %y = lowbit.dequantize %p : tensor<4x!lowbit.posit<32, 2>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
