// Low-bit integer activation codes: the bit-serial kernel where the cost
// model prefers it (p q <= 2 with VNNI, <= 3 on AVX2, 1 on NEON), else the
// byte-dot kernel on the codes' values cast to i8; a product's
// lowbit.x86_tuning can ask for either.
// RUN: lowbit-opt %s --canonicalize --convert-lowbit-to-x86=target=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: lowbit-opt %s --canonicalize --convert-lowbit-to-x86=target=x86-64-v3 | FileCheck %s --check-prefix=AVX2
// RUN: lowbit-opt %s --canonicalize --convert-lowbit-to-x86=target=aarch64 | FileCheck %s --check-prefix=NEON
// RUN: lowbit-opt %s --canonicalize --convert-lowbit-to-x86="target=znver4 report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK

// Weight planes packed at compile time ([n][plane][word], N padded to 16),
// activation planes at run time (a compare and a mask bitcast per 64 k),
// then popcounts of 512-bit ANDs.
// ZEN4-LABEL: func.func @w1a1
// ZEN4: arith.cmpi ne, %{{.*}} : vector<64xi8>
// ZEN4: vector.bitcast %{{.*}} : vector<64xi1> to vector<1xi64>
// ZEN4: arith.constant dense<{{.*}}> : tensor<16x1x8xi64>
// ZEN4: scf.forall
// ZEN4: arith.andi %{{.*}} : vector<8xi64>
// ZEN4: math.ctpop %{{.*}} : vector<8xi64>
// ZEN4-NOT: lowbit.mpgemm
// NEON-LABEL: func.func @w1a1
// NEON: math.ctpop
func.func @w1a1(%a: tensor<3x300x!lowbit.int<1, bipolar>>) -> tensor<3x10xi32> {
  %wf = arith.constant dense<0.5> : tensor<10x300xf32>
  %w = lowbit.cast %wf : tensor<10x300xf32> to tensor<10x300x!lowbit.int<1, bipolar>>
  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b} : tensor<3x300x!lowbit.int<1, bipolar>>, tensor<10x300x!lowbit.int<1, bipolar>> -> tensor<3x10xi32>
  return %c : tensor<3x10xi32>
}

// W2A2 (p q = 4): vpdpbusd on i8 values with VNNI (the codes' storage
// mapped to their values, code xor 2 - 2, by one elementwise generic);
// byte-dot on AVX2 too (p q = 4 > 3); sdot on NEON.
// ZEN4-LABEL: func.func @w2a2
// ZEN4: %[[S:.*]] = lowbit.to_storage %{{.*}} : tensor<3x300x!lowbit.int<2>> -> tensor<3x300xi8>
// ZEN4: linalg.generic {{.*}} ins(%[[S]] : tensor<3x300xi8>)
// ZEN4: arith.xori
// ZEN4: arith.addi
// ZEN4-NOT: math.ctpop
// ZEN4: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// AVX2-LABEL: func.func @w2a2
// AVX2: lowbit.pure_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// NEON-LABEL: func.func @w2a2
// NEON: lowbit.pure_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
func.func @w2a2(%a: tensor<3x300x!lowbit.int<2>>) -> tensor<3x10xi32> {
  %wf = arith.constant dense<1.0> : tensor<10x300xf32>
  %w = lowbit.cast %wf : tensor<10x300xf32> to tensor<10x300x!lowbit.int<2>>
  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b} : tensor<3x300x!lowbit.int<2>>, tensor<10x300x!lowbit.int<2>> -> tensor<3x10xi32>
  return %c : tensor<3x10xi32>
}

// Asked for: the bit-serial kernel whatever the cost model says.
// ZEN4-LABEL: func.func @w2a2_asked
// ZEN4: math.ctpop
// ZEN4-NOT: vpdpbusd
func.func @w2a2_asked(%a: tensor<3x300x!lowbit.int<2>>) -> tensor<3x10xi32> {
  %wf = arith.constant dense<1.0> : tensor<10x300xf32>
  %w = lowbit.cast %wf : tensor<10x300xf32> to tensor<10x300x!lowbit.int<2>>
  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b, lowbit.x86_tuning = {kernel = "bit-serial"}} : tensor<3x300x!lowbit.int<2>>, tensor<10x300x!lowbit.int<2>> -> tensor<3x10xi32>
  return %c : tensor<3x10xi32>
}

// Unsigned 8-bit activations fit no i8 and the bit-serial kernel takes no
// scales: the reference path, with both reasons.
// REMARK: remark: mpgemm takes the reference path on target 'znver4': the bit-serial kernel (low-bit integer activations) takes i32 accumulation and results without scales
func.func @u8_scaled(%a: tensor<2x64x!lowbit.int<8, unsigned>>) -> tensor<2x16xf32> {
  %wf = arith.constant dense<1.0> : tensor<16x64xf32>
  %w = lowbit.cast %wf : tensor<16x64xf32> to tensor<16x64x!lowbit.int<2>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64x!lowbit.int<8, unsigned>>, tensor<16x64x!lowbit.int<2>> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}
