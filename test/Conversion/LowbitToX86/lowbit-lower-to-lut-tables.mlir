// The `tables` option of lowbit-lower-to-lut (and the tuning entry
// `tables`): exact int16 tables of the byte-dot kernel's int8 activations,
// looked up as a table of low bytes and one of high bytes.
// RUN: lowbit-opt %s --lowbit-lower-to-lut="target=znver4 tables=exact" | FileCheck %s
// RUN: lowbit-opt %s --lowbit-lower-to-lut=target=znver4 | FileCheck %s --check-prefix=INT8
// RUN: lowbit-opt %s --lowbit-lower-to-lut="target=x86-64-v4 tables=exact report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=V4
// RUN: not lowbit-opt %s --lowbit-lower-to-lut="tables=int16" 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not lowbit-opt %S/Inputs/bad-tuning-tables.mlir --convert-lowbit-to-x86=target=znver4 2>&1 | FileCheck %s --check-prefix=BADTUNING

// BADOPT: for the --tables option: Cannot find option named 'int16'!
// BADTUNING: bad-tuning-tables.mlir:4:8: error: 'lowbit.mpgemm' op lowbit.x86_tuning: 'tables' must be one of "int8", "exact"

// Float activations: quantized per block as for the byte-dot kernel
// (amax / 127, nearest even), then per 16 k the +-1 sums of 4 int8 values
// in int16, split into low and high bytes (128 bytes per 16 k: M x 8 cols);
// per plane two vpermb lookups, the low bytes summed as vpdpbusd's
// unsigned operand times 2^p, the high bytes as its signed one; per block
// low + 256 high, plus 3 times the block sum (2 planes), halved.
// CHECK-LABEL: func.func @gptq2
// CHECK: math.roundeven
// CHECK: arith.extsi {{.*}} : vector<16xi8> to vector<16xi16>
// CHECK: arith.subi {{.*}} : vector<64xi16>
// CHECK: %[[LOW:.*]] = arith.trunci {{.*}} : vector<64xi16> to vector<64xi8>
// CHECK: %[[SHIFTED:.*]] = arith.shrsi
// CHECK: %[[HIGH:.*]] = arith.trunci %[[SHIFTED]] : vector<64xi16> to vector<64xi8>
// CHECK: vector.transfer_write %[[LOW]], {{.*}} : vector<64xi8>, tensor<2x1024xi8>
// CHECK: vector.transfer_write %[[HIGH]], {{.*}} : vector<64xi8>, tensor<2x1024xi8>
// CHECK: %[[TL:.*]] = vector.transfer_read {{.*}} : tensor<2x1024xi8>, vector<64xi8>
// CHECK: %[[TH:.*]] = vector.transfer_read {{.*}} : tensor<2x1024xi8>, vector<64xi8>
// CHECK: %[[L:.*]] = lowbit.pure_intrinsic "llvm.x86.avx512.permvar.qi.512"(%[[TL]],
// CHECK: %[[H:.*]] = lowbit.pure_intrinsic "llvm.x86.avx512.permvar.qi.512"(%[[TH]],
// CHECK: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %[[H]])
// CHECK: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[L]], %{{.*}})
// CHECK: arith.shli
// CHECK: arith.constant dense<3> : vector<16xi32>
// CHECK: arith.shrsi
// CHECK-NOT: lowbit.mpgemm
// Without the option the same product takes the int8 tables: the f32
// sums rounded (one roundeven, of the entries), no high-byte table.
// INT8-LABEL: func.func @gptq2
// INT8: arith.negf
// INT8: math.roundeven
// INT8-NOT: vector<64xi16>
// INT8-LABEL: func.func @int8_i32
// V4: remark: mpgemm is not lowered to lookup tables on target 'x86-64-v4': the lookup-table kernel with exact (int16) tables (int8 activations, or tables = "exact") needs vpermb and vpdpbusd (AVX-512 VBMI and VNNI), which the target lacks
func.func @gptq2(%a: tensor<2x128xf32>) -> tensor<2x16xf32> {
  %w = lowbit.constant dense<2> : tensor<16x128xui2> -> tensor<16x128x!lowbit.int<2, unsigned>>
  %s = arith.constant dense<0.5> : tensor<16x1xf16>
  %z = lowbit.constant dense<1> : tensor<16x1xui2> -> tensor<16x1x!lowbit.int<2, unsigned>>
  %c = lowbit.mpgemm %a, %w [%s, %z] {b_scheme = #lowbit.scheme<rule = gptq, group = 128, scale = f16, zero = !lowbit.int<2, unsigned>>, acc_type = f32, transpose_b} : tensor<2x128xf32>, tensor<16x128x!lowbit.int<2, unsigned>> [tensor<16x1xf16>, tensor<16x1x!lowbit.int<2, unsigned>>] -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}

// int8 activations take the exact tables whatever the option: no
// quantization, the i32 sums added to the i32 result.
// CHECK-LABEL: func.func @int8_i32
// CHECK-NOT: math.roundeven
// CHECK: llvm.x86.avx512.permvar.qi.512
// CHECK: arith.shrsi
// CHECK-NOT: lowbit.mpgemm
// INT8: arith.extsi {{.*}} : vector<16xi8> to vector<16xi16>
// INT8: llvm.x86.avx512.permvar.qi.512
// INT8-NOT: math.roundeven
// V4: remark: mpgemm is not lowered to lookup tables on target 'x86-64-v4': the lookup-table kernel with exact (int16) tables
func.func @int8_i32(%a: tensor<3x64xi8>) -> tensor<3x16xi32> {
  %w = lowbit.constant dense<5> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = i32, transpose_b} : tensor<3x64xi8>, tensor<16x64x!lowbit.int<4>> -> tensor<3x16xi32>
  return %c : tensor<3x16xi32>
}
