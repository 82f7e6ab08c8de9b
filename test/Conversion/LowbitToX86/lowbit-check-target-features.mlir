// RUN: lowbit-opt %s --split-input-file --lowbit-check-target-features=target=x86-64-v3 -verify-diagnostics
// A target with the features passes the same intrinsics through:
// RUN: lowbit-opt %S/Inputs/avx512-intrinsics.mlir --lowbit-check-target-features=target=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: not lowbit-opt %S/Inputs/avx512-intrinsics.mlir --lowbit-check-target-features=target=generic 2>&1 | FileCheck %s --check-prefix=GENERIC
// ZEN4: lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// ZEN4: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// ZEN4: lowbit.pure_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// GENERIC: error: 'llvm.x86.avx512.vpdpbusd.512' needs avx512vnni, which target 'generic' lacks

func.func @vnni(%acc: vector<16xi32>, %u: vector<64xi8>, %a: vector<64xi8>) -> vector<16xi32> {
  // expected-error @+1 {{'llvm.x86.avx512.vpdpbusd.512' needs avx512vnni, which target 'x86-64-v3' lacks}}
  %d = lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %u, %a) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  return %d : vector<16xi32>
}

// -----

func.func @zmm_shuffle(%t: vector<64xi8>, %i: vector<64xi8>) -> vector<64xi8> {
  // expected-error @+1 {{'llvm.x86.avx512.pshuf.b.512' needs avx512bw, which target 'x86-64-v3' lacks}}
  %d = llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%t, %i) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
  return %d : vector<64xi8>
}

// -----

func.func @bf16_dot(%acc: vector<16xf32>, %w: vector<32xbf16>, %a: vector<32xbf16>) -> vector<16xf32> {
  // expected-error @+1 {{'llvm.x86.avx512bf16.dpbf16ps.512' needs avx512bf16, which target 'x86-64-v3' lacks}}
  %d = lowbit.pure_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%acc, %w, %a) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
  return %d : vector<16xf32>
}

// -----

func.func @ymm_ok(%t: vector<32xi8>, %i: vector<32xi8>) -> vector<32xi8> {
  %d = lowbit.pure_intrinsic "llvm.x86.avx2.pshuf.b"(%t, %i) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
  return %d : vector<32xi8>
}

// -----

func.func @unknown(%a: vector<4xf32>) -> vector<4xf32> {
  // expected-error @+1 {{'llvm.x86.sse.rcp.ps' is an x86 intrinsic whose target features lowbit does not know}}
  %d = lowbit.pure_intrinsic "llvm.x86.sse.rcp.ps"(%a) : (vector<4xf32>) -> vector<4xf32>
  return %d : vector<4xf32>
}
