// f32 activations x constant f32 weights: the dense f32 kernel (weights
// packed at compile time as [N/16][K][16], one FMA chain per output in k
// order, R rows per pass: 8 with AVX-512, 4 with AVX2 and NEON).
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=znver4 --canonicalize | FileCheck %s --check-prefix=ZEN4
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=x86-64-v3 --canonicalize | FileCheck %s --check-prefix=AVX2
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=aarch64 --canonicalize | FileCheck %s --check-prefix=NEON
// RUN: lowbit-opt %s --convert-lowbit-to-x86="target=znver4 report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: lowbit-opt %s --convert-lowbit-to-x86="target=generic report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OLD

// ZEN4-LABEL: func.func @constant_weights
// ZEN4: arith.constant dense<{{.*}}> : tensor<2x3x16xf32>
// ZEN4: scf.forall
// ZEN4: scf.for
// ZEN4-COUNT-8: math.fma %{{.*}} : vector<16xf32>
// ZEN4-COUNT-8: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<20x16xf32>
// The 4 rows left of M = 20, in one pass.
// ZEN4: scf.for
// ZEN4-COUNT-4: math.fma %{{.*}} : vector<16xf32>
// ZEN4-NOT: math.fma
// ZEN4: tensor.extract_slice %{{.*}}[0, 0] [20, 18] [1, 1] : tensor<20x32xf32> to tensor<20x18xf32>
// ZEN4-NOT: lowbit.mpgemm
// AVX2-LABEL: func.func @constant_weights
// AVX2-COUNT-4: math.fma %{{.*}} : vector<16xf32>
// AVX2-NOT: math.fma
// AVX2-NOT: lowbit.mpgemm
// NEON-LABEL: func.func @constant_weights
// NEON-COUNT-4: math.fma %{{.*}} : vector<16xf32>
// NEON-NOT: lowbit.mpgemm
// OLD: remark: mpgemm takes the reference path on target 'generic': target 'generic' has no dense f32 kernel (needs AVX2 and FMA, or NEON)
func.func @constant_weights(%a: tensor<20x3xf32>) -> tensor<20x18xf32> {
  %w = arith.constant dense<0.25> : tensor<18x3xf32>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<20x3xf32>, tensor<18x3xf32> -> tensor<20x18xf32>
  return %c : tensor<20x18xf32>
}

// N a multiple of 32 with AVX-512: tiles of two vectors, 6 rows per pass.
// ZEN4-LABEL: func.func @wide_tiles
// ZEN4: arith.constant dense<{{.*}}> : tensor<2x3x32xf32>
// ZEN4-COUNT-12: math.fma %{{.*}} : vector<16xf32>
// ZEN4-NOT: math.fma
// ZEN4: scf.forall.in_parallel
// AVX2-LABEL: func.func @wide_tiles
// AVX2: arith.constant dense<{{.*}}> : tensor<4x3x16xf32>
func.func @wide_tiles(%a: tensor<6x3xf32>) -> tensor<6x64xf32> {
  %w = arith.constant dense<0.25> : tensor<64x3xf32>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<6x3xf32>, tensor<64x3xf32> -> tensor<6x64xf32>
  return %c : tensor<6x64xf32>
}

// N = 88 with AVX-512: two tiles of 32 columns (6 rows per pass), then two
// of 16 (8 rows, here all M = 6; 96 columns), each group its own scf.forall into the same
// result.
// ZEN4-LABEL: func.func @mixed_tiles
// ZEN4-DAG: arith.constant dense<{{.*}}> : tensor<2x3x32xf32>
// ZEN4-DAG: arith.constant dense<{{.*}}> : tensor<2x3x16xf32>
// ZEN4: %[[WIDE:.*]] = scf.forall
// ZEN4-COUNT-12: math.fma
// ZEN4: scf.forall {{.*}} shared_outs(%{{.*}} = %[[WIDE]])
// ZEN4-COUNT-6: math.fma
// ZEN4-NOT: math.fma
// ZEN4: tensor.extract_slice %{{.*}}[0, 0] [6, 88] [1, 1] : tensor<6x96xf32> to tensor<6x88xf32>
func.func @mixed_tiles(%a: tensor<6x3xf32>) -> tensor<6x88xf32> {
  %w = arith.constant dense<0.25> : tensor<88x3xf32>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<6x3xf32>, tensor<88x3xf32> -> tensor<6x88xf32>
  return %c : tensor<6x88xf32>
}

// K = 130 > 16: the first 16 k written, the later blocks (16 k each, the
// last 2 k) summed apart and added.
// ZEN4-LABEL: func.func @long_k
// ZEN4: scf.for %{{.*}} = %c0 to %c16 step %c1
// ZEN4: math.fma
// ZEN4: scf.for %[[K0:.*]] = %c16 to %c130 step %c16
// ZEN4: arith.minui %{{.*}}, %c130 : index
// ZEN4: scf.for %{{.*}} = %[[K0]] to
// ZEN4: math.fma
// ZEN4: vector.transfer_read
// ZEN4: arith.addf %{{.*}} : vector<16xf32>
func.func @long_k(%a: tensor<2x130xf32>) -> tensor<2x16xf32> {
  %w = arith.constant dense<0.25> : tensor<16x130xf32>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x130xf32>, tensor<16x130xf32> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}

// REMARK: remark: mpgemm takes the reference path on target 'znver4': the dense f32 kernel needs constant f32 weights (packed into column tiles at compile time)
// ZEN4-LABEL: func.func @runtime_weights
// AVX2-LABEL: func.func @runtime_weights
// NEON-LABEL: func.func @runtime_weights
// ZEN4: lowbit.mpgemm
func.func @runtime_weights(%a: tensor<2x3xf32>, %w: tensor<18x3xf32>) -> tensor<2x18xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x3xf32>, tensor<18x3xf32> -> tensor<2x18xf32>
  return %c : tensor<2x18xf32>
}

// REMARK: remark: mpgemm takes the reference path on target 'znver4': the dense f32 kernel (f32 weights) takes f32 activations without a scheme
func.func @bf16_activations(%a: tensor<2x3xbf16>) -> tensor<2x18xf32> {
  %w = arith.constant dense<0.25> : tensor<18x3xf32>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x3xbf16>, tensor<18x3xf32> -> tensor<2x18xf32>
  return %c : tensor<2x18xf32>
}
