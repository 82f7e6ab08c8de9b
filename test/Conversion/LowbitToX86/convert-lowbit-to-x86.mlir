// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=znver4 | FileCheck %s --check-prefix=VNNI
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=x86-64-v4 | FileCheck %s --check-prefix=BW
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=x86-64-v3 | FileCheck %s --check-prefix=AVX2
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=generic | FileCheck %s --check-prefix=GENERIC
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=aarch64 | FileCheck %s --check-prefix=NEON
// RUN: lowbit-opt %s --convert-lowbit-to-x86=target=aarch64+i8mm | FileCheck %s --check-prefix=I8MM
// RUN: not lowbit-opt %s --convert-lowbit-to-x86=activation-block=24 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: lowbit-opt %s --convert-lowbit-to-x86="target=znver4 prefetch-distance=0" | FileCheck %s --check-prefix=NOPF
// RUN: not lowbit-opt %s --convert-lowbit-to-x86=prefetch-distance=100 2>&1 | FileCheck %s --check-prefix=BADPF
// RUN: not lowbit-opt %S/Inputs/bad-tuning.mlir --convert-lowbit-to-x86=target=znver4 2>&1 | FileCheck %s --check-prefix=BADTUNE

// Constant int4 weights: activations quantized per 32 k, weights read as
// 64-byte vectors of 16 rows x 4 k, two nibble planes per vector.
// VNNI-LABEL: func.func @int4
// VNNI: vector.reduction <maximumf>
// VNNI: math.roundeven
// VNNI: arith.constant dense<"0x{{[0-9A-F]+}}"> : tensor<1024xi8>
// VNNI: %[[V:.*]] = vector.transfer_read %[[W:.*]][%[[O:.*]]], %{{.*}} {in_bounds = [true]} : tensor<1024xi8>, vector<64xi8>
// The weight stream is prefetched 8 KiB ahead, one line per vector.
// VNNI: %[[P:.*]] = arith.addi %[[O]], %c8192
// VNNI: lowbit.prefetch %[[W]][%[[P]]] : tensor<1024xi8>
// VNNI: arith.andi
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: arith.shrui
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: lowbit.mpgemm
// BW-LABEL: func.func @int4
// BW: lowbit.pure_intrinsic "llvm.x86.avx512.pmaddubs.w.512"
// BW: lowbit.pure_intrinsic "llvm.x86.avx512.pmaddw.d.512"
// AVX2-LABEL: func.func @int4
// AVX2: lowbit.pure_intrinsic "llvm.x86.avx2.pmadd.ub.sw"{{.*}}(vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2: lowbit.pure_intrinsic "llvm.x86.avx2.pmadd.wd"
// GENERIC-LABEL: func.func @int4
// GENERIC: lowbit.mpgemm
// AArch64: the same 64-byte vectors, as four q registers: sdot on each
// (operands of at most 4 bits fit its signed bytes), usdot with i8mm.
// NEON-LABEL: func.func @int4
// NEON: vector.extract_strided_slice %{{.*}} {offsets = [16], sizes = [16], strides = [1]} : vector<64xi8> to vector<16xi8>
// NEON: lowbit.pure_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"{{.*}}(vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// NEON-NOT: llvm.x86
// NEON-NOT: lowbit.mpgemm
// I8MM-LABEL: func.func @int4
// I8MM: lowbit.pure_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"
func.func @int4(%a: tensor<1x64xf32>) -> tensor<1x20xf32> {
  %w = lowbit.constant dense<3> : tensor<20x64xui4> -> tensor<20x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<20x64x!lowbit.int<4>> -> tensor<1x20xf32>
  return %c : tensor<1x20xf32>
}

// e2m1 values are integers times 1/2 but not evenly spaced: a byte shuffle
// maps each code to its operand.
// VNNI-LABEL: func.func @e2m1
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.pshuf.b.512"
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// AVX2-LABEL: func.func @e2m1
// AVX2: lowbit.pure_intrinsic "llvm.x86.avx2.pshuf.b"
// NEON-LABEL: func.func @e2m1
// NEON: lowbit.pure_intrinsic "llvm.aarch64.neon.tbl1.v16i8"
// NEON: lowbit.pure_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
func.func @e2m1(%a: tensor<2x32xf16>) -> tensor<2x16xf32> {
  %w = lowbit.constant dense<5> : tensor<16x32xui4> -> tensor<16x32xf4E2M1FN>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x32xf16>, tensor<16x32xf4E2M1FN> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}

// BLOCK: activation-block must be a power of two from 8 to 256, got 24

// A dynamic M: read from A, full passes of 8 rows (2 on AVX2), then the
// rest in passes of 4, 2 and 1 rows, each under an scf.if.
// VNNI-LABEL: func.func @dynamic_rows
// VNNI: %[[M:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x64xf32>
// VNNI: tensor.empty(%[[M]]) : tensor<?x16xi32>
// VNNI: arith.divui %[[M]], %c8
// VNNI: scf.forall
// VNNI: scf.if
// VNNI: scf.if
// VNNI: scf.if
// VNNI: tensor.parallel_insert_slice {{.*}} [%[[M]], 16]
// VNNI-NOT: lowbit.mpgemm
// AVX2-LABEL: func.func @dynamic_rows
// AVX2: arith.divui %{{.*}}, %c2
// AVX2: scf.if
// AVX2-NOT: scf.if
// AVX2: return
func.func @dynamic_rows(%a: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x64xui4> -> tensor<16x64x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %c : tensor<?x16xf32>
}

// Without prefetches (the pass option; @tuned sets its own).
// NOPF-LABEL: func.func @int4
// NOPF-NOT: lowbit.prefetch
// NOPF-LABEL: func.func @e2m1
// BADPF: convert-lowbit-to-x86: prefetch-distance must be a multiple of 64 from 0 to 1048576, got 100

// A product's own tuning (as the autotuner writes it) overrides the pass
// options: prefetches 4 KiB ahead, blocks of 64 k, one row per pass.
// VNNI-LABEL: func.func @tuned
// Two activation blocks per row (K = 128), two passes of one row each:
// VNNI: -> (tensor<2x32xi32>, tensor<2x2xf32>, tensor<2x2xf32>)
// VNNI: scf.forall
// VNNI: scf.for %{{.*}} = %{{.*}} to %c2{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(%{{.*}}) -> (tensor<2x16xf32>)
// VNNI: arith.addi %{{.*}}, %c4096
// VNNI: lowbit.prefetch
// VNNI-NOT: lowbit.mpgemm
func.func @tuned(%a: tensor<2x128xf32>) -> tensor<2x16xf32> {
  %w = lowbit.constant dense<3> : tensor<16x128xui4> -> tensor<16x128x!lowbit.int<4>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b, lowbit.x86_tuning = {activation_block = 64 : i64, prefetch_distance = 4096 : i64, rows_per_pass = 1 : i64}} : tensor<2x128xf32>, tensor<16x128x!lowbit.int<4>> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}
// BADTUNE: bad-tuning.mlir:4:8: error: 'lowbit.mpgemm' op lowbit.x86_tuning: activation-block must be a power of two from 8 to 256, got 48

// 6-bit e2m3 codes (MXFP6): integers times 1/8, 64 codes: the raw code is
// stored in two planes (4 + 2 bits), or-ed back into one byte and mapped by
// vpermb (AVX-512 VBMI); without VBMI the f32 kernel takes it: each lane's
// codes decoded to f32 by shifts, an integer add and a select (no table),
// multiplied with the f32 activations by FMA.
// VNNI-LABEL: func.func @e2m3
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.permvar.qi.512"
// VNNI-NOT: lowbit.mpgemm
// BW-LABEL: func.func @e2m3
// BW: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// BW: arith.select
// BW: math.fma %{{.*}} : vector<16xf32>
// BW-NOT: lowbit.mpgemm
func.func @e2m3(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<9> : tensor<16x64xui6> -> tensor<16x64xf6E2M3FN>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64xf6E2M3FN> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// 8-bit e4m3 codes: no byte operand holds their values, so the bf16 kernel
// takes them where the target has AVX-512 BF16 and VBMI: activation rows
// scaled by a power of two and rounded to bf16, the codes' bf16 looked up
// in two 128-entry byte tables (vpermi2b; sign-magnitude: the sign bit
// or-ed in), interleaved into words and multiplied by vdpbf16ps; the
// scaling undone on the result. Without BF16 the f32 kernel, its NaN codes
// (0x7f, 0xff) selected to NaN.
// VNNI-LABEL: func.func @e4m3
// VNNI: arith.truncf %{{.*}} : vector<32xf32> to vector<32xbf16>
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"
// VNNI: arith.ori
// VNNI: vector.shuffle
// VNNI: vector.bitcast %{{.*}} : vector<64xi8> to vector<32xbf16>
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"{{.*}} : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// VNNI-NOT: lowbit.mpgemm
// BW-LABEL: func.func @e4m3
// BW: arith.constant dense<127> : vector<16xi32>
// BW: arith.cmpi eq
// BW: math.fma
// BW-NOT: lowbit.mpgemm
func.func @e4m3(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<57> : tensor<16x64xui8> -> tensor<16x64xf8E4M3FN>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64xf8E4M3FN> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// Posits are two's complement, not sign-magnitude: 256-entry tables, two
// vpermi2b per byte and a select on the code's top bit.
// VNNI-LABEL: func.func @posit8
// BW-LABEL: func.func @posit8
// BW: lowbit.mpgemm
// VNNI-COUNT-4: lowbit.pure_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"
// VNNI: arith.select
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
func.func @posit8(%a: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = lowbit.constant dense<200> : tensor<16x64xui8> -> tensor<16x64x!lowbit.posit<8, 0>>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<16x64x!lowbit.posit<8, 0>> -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}

// Run-time weights (an argument, one code per byte): 16 row reads per
// block through lowbit.to_storage, transposed in registers (concatenation,
// then two-source permutes), the sign bit of each two's-complement code
// flipped into its operand; the next row tile prefetched.
// VNNI-LABEL: func.func @runtime_weights
// VNNI: lowbit.to_storage %{{.*}} : tensor<32x64x!lowbit.int<4>> -> tensor<32x64xi8>
// VNNI: vector.transfer_read %{{.*}} : tensor<32x64xi8>, vector<32xi8>
// VNNI: vector.shuffle
// VNNI: arith.andi
// VNNI: arith.xori
// VNNI: lowbit.prefetch %{{.*}} : tensor<32x64xi8>
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: lowbit.mpgemm
// AVX2-LABEL: func.func @runtime_weights
// AVX2: lowbit.pure_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
func.func @runtime_weights(%a: tensor<2x64xf32>, %w: tensor<32x64x!lowbit.int<4>>) -> tensor<2x32xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<32x64x!lowbit.int<4>> -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// Packed run-time weights (two 4-bit codes per byte, lsb_first rows) and
// run-time GPTQ scales: the bytes are read as they are (no unpacking), the
// activations of each 8 k reordered to the slots' order, the scales and
// zero points of 16 rows read once per group.
// VNNI-LABEL: func.func @runtime_packed_gptq
// VNNI: lowbit.to_storage %{{.*}} : tensor<16x2x!lowbit.int<4, unsigned>> -> tensor<16x2xi8>
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 1, 3, 5, 7,
// VNNI: scf.for
// VNNI: tensor.extract %{{.*}} : tensor<16x2xf16>
// VNNI: vector.from_elements
// VNNI: vector.transfer_read %{{.*}} : tensor<16x128xi8>, vector<16xi8>
// VNNI: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: lowbit.mpgemm
func.func @runtime_packed_gptq(%a: tensor<1x256xf32>, %wp: tensor<16x128xi8>, %s: tensor<16x2xf16>, %z: tensor<16x2x!lowbit.int<4, unsigned>>) -> tensor<1x16xf32> {
  %w = lowbit.unpack %wp order lsb_first : tensor<16x128xi8> -> tensor<16x256x!lowbit.int<4, unsigned>>
  %c = lowbit.mpgemm %a, %w [%s, %z] {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b} : tensor<1x256xf32>, tensor<16x256x!lowbit.int<4, unsigned>> [tensor<16x2xf16>, tensor<16x2x!lowbit.int<4, unsigned>>] -> tensor<1x16xf32>
  return %c : tensor<1x16xf32>
}
