// RUN: lowbit-opt %s --lowbit-lower-to-lut=target=znver4 | FileCheck %s
// RUN: lowbit-opt %s --lowbit-lower-to-lut="target=znver4 report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: lowbit-opt %s --lowbit-lower-to-lut="target=x86-64-v4 report-fallbacks" 2>&1 | FileCheck %s --check-prefix=V4
// RUN: lowbit-opt %s --lowbit-lower-to-lut="target=x86-64-v3" 2>&1 | FileCheck %s --check-prefix=V3
// RUN: lowbit-opt %s --lowbit-lower-to-lut="target=x86-64-v3 report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=znver4 | FileCheck %s --check-prefix=AUTO
// RUN: lowbit-opt %s --convert-lowbit-to-x86="target=znver4 report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ASKED
// RUN: not lowbit-opt %S/Inputs/bad-tuning-kernel.mlir --convert-lowbit-to-x86=target=znver4 2>&1 | FileCheck %s --check-prefix=BADKIND
// RUN: not lowbit-opt %s --lowbit-lower-to-lut=activation-block=16 2>&1 | FileCheck %s --check-prefix=BLOCK

// BADKIND: bad-tuning-kernel.mlir:4:8: error: 'lowbit.mpgemm' op lowbit.x86_tuning: 'kernel' must be one of "auto", "byte-dot", "lut"
// BLOCK: error: lowbit-lower-to-lut: activation-block must be a power of two from 32 to 256, got 16

// 1-bit bipolar weights: per row and 16 k, 64 int8 entries of +-1 sums of
// 4 activations (negated where a bit is clear), rounded with one scale per
// block, stored 64 bytes per 16 k (M x 4 cols); one 1-bit plane of
// nibbles, looked up by vpermb and summed with weight 1 by vpdpbusd.
// CHECK-LABEL: func.func @bipolar
// CHECK: vector.shuffle
// CHECK: arith.negf
// CHECK: vector.reduction <maximumf>
// CHECK: math.roundeven
// CHECK: vector.transfer_write {{.*}} : vector<64xi8>, tensor<3x256xi8>
// CHECK: %[[NIB:.*]] = vector.transfer_read {{.*}} : tensor<128xi8>, vector<64xi8>
// CHECK-DAG: %[[LO:.*]] = arith.andi %[[NIB]]
// CHECK-DAG: %[[HI:.*]] = arith.shrui %[[NIB]]
// CHECK-DAG: %[[ILO:.*]] = arith.ori %[[LO]], %[[GROUPS:.*]] :
// CHECK-DAG: arith.ori %[[HI]], %[[GROUPS]] :
// CHECK: %[[T:.*]] = vector.transfer_read {{.*}} : tensor<3x256xi8>, vector<64xi8>
// CHECK: %[[ONE:.*]] = arith.constant dense<1> : vector<64xi8>
// CHECK: %[[L:.*]] = lowbit.pure_intrinsic "llvm.x86.avx512.permvar.qi.512"(%[[T]], %[[ILO]])
// CHECK: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[ONE]], %[[L]])
// CHECK-NOT: lowbit.mpgemm
// AUTO-LABEL: func.func @bipolar
// AUTO: llvm.x86.avx512.permvar.qi.512
func.func @bipolar(%a: tensor<3x64xf32>) -> tensor<3x16xf32> {
  %w = lowbit.constant dense<1> : tensor<16x64xui1> -> tensor<16x64x!lowbit.int<1, bipolar>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<3x64xf32>, tensor<16x64x!lowbit.int<1, bipolar>> -> tensor<3x16xf32>
  return %c : tensor<3x16xf32>
}

// 3-bit GPTQ weights: three 1-bit planes, summed with weights 1, 2, 4.
// CHECK-LABEL: func.func @gptq3
// CHECK-DAG: arith.constant dense<1> : vector<64xi8>
// CHECK-DAG: arith.constant dense<2> : vector<64xi8>
// CHECK-DAG: arith.constant dense<4> : vector<64xi8>
// CHECK: llvm.x86.avx512.permvar.qi.512
// CHECK-NOT: lowbit.mpgemm
// convert-lowbit-to-x86's cost model keeps the byte-dot kernel for it.
// AUTO-LABEL: func.func @gptq3
// AUTO-NOT: permvar
// AUTO: llvm.x86.avx512.vpdpbusd.512
// AUTO-NOT: permvar
// AUTO-LABEL: func.func @e2m1
func.func @gptq3(%a: tensor<2x128xf16>) -> tensor<2x16xf32> {
  %w = lowbit.constant dense<5> : tensor<16x128xui3> -> tensor<16x128x!lowbit.int<3, unsigned>>
  %s = arith.constant dense<0.5> : tensor<16x1xf16>
  %z = lowbit.constant dense<3> : tensor<16x1xui3> -> tensor<16x1x!lowbit.int<3, unsigned>>
  %c = lowbit.mpgemm %a, %w [%s, %z] {b_scheme = #lowbit.scheme<rule = gptq, group = 128, scale = f16, zero = !lowbit.int<3, unsigned>>, acc_type = f32, transpose_b} : tensor<2x128xf16>, tensor<16x128x!lowbit.int<3, unsigned>> [tensor<16x1xf16>, tensor<16x1x!lowbit.int<3, unsigned>>] -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}

// e2m1 is a codebook (its values are not evenly spaced): no tables of sums.
// The product stays for convert-lowbit-to-x86.
// CHECK-LABEL: func.func @e2m1
// CHECK: lowbit.mpgemm
// REMARK: remark: mpgemm is not lowered to lookup tables on target 'znver4': the lookup-table kernel needs weight values evenly spaced (integer formats), not a codebook
// Asked for by its tuning, the request is reported and the cost model chooses.
// ASKED: remark: mpgemm asks for kernel 'lut' on target 'znver4', which cannot take it: the lookup-table kernel needs weight values evenly spaced (integer formats), not a codebook (the cost model chooses)
func.func @e2m1(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64xf4E2M1FN>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, lowbit.x86_tuning = {kernel = "lut"}} : tensor<1x64xf32>, tensor<16x64xf4E2M1FN> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// Run-time weights are not repacked into planes.
// REMARK: remark: mpgemm is not lowered to lookup tables on target 'znver4': the lookup-table kernel needs constant weights
func.func @runtime(%a: tensor<1x64xf32>, %w: tensor<16x64x!lowbit.int<1, bipolar>>) -> tensor<1x16xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<1, bipolar>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// Without VBMI: vpshufb tables (one group per 128-bit lane) summed by
// vpmaddubsw into int16, on zmm with AVX-512BW (64 lookups), on ymm with
// AVX2; run-time weights are not repacked into planes.
// V4: remark: mpgemm is not lowered to lookup tables on target 'x86-64-v4': the lookup-table kernel needs weight values evenly spaced
// V4: remark: mpgemm is not lowered to lookup tables on target 'x86-64-v4': the lookup-table kernel needs constant weights
// V4-LABEL: func.func @bipolar
// V4: lowbit.pure_intrinsic "llvm.x86.avx512.pshuf.b.512"
// V4: vector.shuffle
// V4: lowbit.pure_intrinsic "llvm.x86.avx512.pmaddubs.w.512"
// V4-NOT: permvar
// V4-NOT: avx2
// V3-LABEL: func.func @bipolar
// V3: lowbit.pure_intrinsic "llvm.x86.avx2.pshuf.b"
// V3: vector.shuffle
// V3: lowbit.pure_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// V3-NOT: avx512

// Weights stored in nibble lanes whose block overflows the ymm tables'
// int16 sums (6-bit operands: at most 32 k) are not read so on AVX2.
// LANES: remark: mpgemm is not lowered to lookup tables on target 'x86-64-v3': the lookup-table kernel reads weights in nibble lanes of blocks of 64 k, whose int16 sums overflow for 6-bit operands (at most 32 k on this target)
func.func @lanes_block(%a: tensor<1x64xf32>, %w: tensor<16x64x!lowbit.int<6>, #lowbit.layout<bits<nibble_lanes, 6, 64>>>) -> tensor<1x16xf32> {
  %u = lowbit.unpack %w : tensor<16x64x!lowbit.int<6>, #lowbit.layout<bits<nibble_lanes, 6, 64>>> -> tensor<16x64x!lowbit.int<6>>
  %c = lowbit.mpgemm %a, %u {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.int<6>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
