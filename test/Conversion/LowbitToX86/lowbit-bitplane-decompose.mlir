// RUN: lowbit-opt %s --lowbit-bitplane-decompose="target=znver4 all" | FileCheck %s
// RUN: lowbit-opt %s --lowbit-bitplane-decompose=target=znver4 | FileCheck %s --check-prefix=AUTO
// RUN: lowbit-opt %s --lowbit-bitplane-decompose="target=znver4 all report-fallbacks" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: lowbit-opt %s --lowbit-bitplane-decompose="target=znver4 all" --canonicalize --convert-lowbit-to-x86=target=znver4 | FileCheck %s --check-prefix=KERNEL
// RUN: lowbit-opt %s --lowbit-bitplane-decompose="target=x86-64-v4 all" | FileCheck %s --check-prefix=V4
// RUN: lowbit-opt %s --lowbit-bitplane-decompose="target=x86-64-v4 all" --canonicalize --convert-lowbit-to-x86=target=x86-64-v4 | FileCheck %s --check-prefix=V4KERNEL

// Run-time int4 weights: packed into nibble planes at run time, the
// product reading the planes.
// CHECK-LABEL: func.func @runtime_int4
// CHECK: %[[P:.*]] = lowbit.pack %{{.*}} {layout = #lowbit.layout<bits<nibble_planes, 4, 32>>} : tensor<64x256x!lowbit.int<4>> -> tensor<8192xi8>
// CHECK: %[[U:.*]] = lowbit.unpack %[[P]] {layout = #lowbit.layout<bits<nibble_planes, 4, 32>>} : tensor<8192xi8> -> tensor<64x256x!lowbit.int<4>>
// CHECK: lowbit.mpgemm %{{.*}}, %[[U]]
// Without `all` the cost model keeps the byte-dot kernel for 4 bits.
// AUTO-LABEL: func.func @runtime_int4
// AUTO-NOT: lowbit.pack
// AUTO: lowbit.mpgemm
// The kernel reads the stored planes (no transposes of run-time rows) and
// inverts the sign plane of the two's-complement codes (the packed
// bytes are their own storage).
// KERNEL-LABEL: func.func @runtime_int4
// KERNEL: %[[ONES:.*]] = arith.constant dense<-1> : vector<64xi8>
// KERNEL: arith.xori %{{.*}}, %[[ONES]] : vector<64xi8>
// KERNEL: llvm.x86.avx512.permvar.qi.512
// KERNEL-NOT: lowbit.mpgemm
// Without vpermb (x86-64-v3, x86-64-v4) the planes take the vpshufb
// tables' order, and the zmm vpshufb kernel reads them as they are.
// V4-LABEL: func.func @runtime_int4
// V4: lowbit.pack %{{.*}} {layout = #lowbit.layout<bits<nibble_lanes, 4, 32>>} : tensor<64x256x!lowbit.int<4>> -> tensor<8192xi8>
// V4: lowbit.unpack %{{.*}} {layout = #lowbit.layout<bits<nibble_lanes, 4, 32>>}
// V4KERNEL-LABEL: func.func @runtime_int4
// V4KERNEL: arith.xori %{{.*}}, %{{.*}} : vector<64xi8>
// V4KERNEL: llvm.x86.avx512.pshuf.b.512
// V4KERNEL-NOT: lowbit.mpgemm
func.func @runtime_int4(%a: tensor<3x256xf32>, %w: tensor<64x256x!lowbit.int<4>>) -> tensor<3x64xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<3x256xf32>, tensor<64x256x!lowbit.int<4>> -> tensor<3x64xf32>
  return %c : tensor<3x64xf32>
}

// Constant 1-bit weights: the pack folds to bytes at compile time (the
// cost model takes the tables for them, with or without `all`).
// CHECK-LABEL: func.func @constant_bipolar
// CHECK: %[[B:.*]] = arith.constant dense<-1> : tensor<128xi8>
// CHECK: lowbit.unpack %[[B]] {layout = #lowbit.layout<bits<nibble_planes, 1, 32>>} : tensor<128xi8> -> tensor<16x64x!lowbit.int<1, bipolar>>
// AUTO-LABEL: func.func @constant_bipolar
// KERNEL-LABEL: func.func @constant_bipolar
// AUTO: lowbit.unpack {{.*}}nibble_planes, 1, 32
// V4-LABEL: func.func @constant_bipolar
// V4KERNEL-LABEL: func.func @constant_bipolar
// V4: lowbit.unpack {{.*}}nibble_lanes, 1, 32
func.func @constant_bipolar(%a: tensor<2x64xf32>) -> tensor<2x16xf32> {
  %w = lowbit.constant dense<1> : tensor<16x64xui1> -> tensor<16x64x!lowbit.int<1, bipolar>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<16x64x!lowbit.int<1, bipolar>> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}

// Left as they are: N not a multiple of the 16-row tile; ternary (its
// reserved code has no value, so its operand is not its code xor a
// constant).
// CHECK-LABEL: func.func @odd_rows
// CHECK-NOT: lowbit.pack
// CHECK-LABEL: func.func @ternary
// CHECK-NOT: lowbit.pack
// REMARK: remark: mpgemm weights are not decomposed into bit planes on target 'znver4': the lookup-table kernel in nibble planes needs N x K weights, N a multiple of 16, K of the block, whose operands are their codes xor a constant (every code with a value)
// REMARK: remark: mpgemm weights are not decomposed into bit planes on target 'znver4': the lookup-table kernel in nibble planes needs
func.func @odd_rows(%a: tensor<2x64xf32>, %w: tensor<20x64x!lowbit.int<4>>) -> tensor<2x20xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<20x64x!lowbit.int<4>> -> tensor<2x20xf32>
  return %c : tensor<2x20xf32>
}
func.func @ternary(%a: tensor<2x64xf32>, %w: tensor<16x64x!lowbit.ternary>) -> tensor<2x16xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<16x64x!lowbit.ternary> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}
