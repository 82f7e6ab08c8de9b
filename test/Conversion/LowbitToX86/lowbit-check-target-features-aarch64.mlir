// RUN: lowbit-opt %s --split-input-file --lowbit-check-target-features=target=aarch64 -verify-diagnostics
// The i8mm target has usdot; an x86 target has no AArch64 intrinsic:
// RUN: lowbit-opt %S/Inputs/aarch64-intrinsics.mlir --lowbit-check-target-features=target=aarch64+i8mm | FileCheck %s --check-prefix=I8MM
// RUN: not lowbit-opt %S/Inputs/aarch64-intrinsics.mlir --lowbit-check-target-features=target=znver4 2>&1 | FileCheck %s --check-prefix=X86
// I8MM: lowbit.pure_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"
// X86: error: 'llvm.aarch64.neon.usdot.v4i32.v16i8' is an AArch64 intrinsic, and target 'znver4' is not AArch64

func.func @usdot(%acc: vector<4xi32>, %u: vector<16xi8>, %a: vector<16xi8>) -> vector<4xi32> {
  // expected-error @+1 {{'llvm.aarch64.neon.usdot.v4i32.v16i8' needs i8mm, which target 'aarch64' lacks}}
  %d = lowbit.pure_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"(%acc, %u, %a) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
  return %d : vector<4xi32>
}

// -----

func.func @x86_on_arm(%acc: vector<16xi32>, %u: vector<64xi8>, %a: vector<64xi8>) -> vector<16xi32> {
  // expected-error @+1 {{'llvm.x86.avx512.vpdpbusd.512' is an x86 intrinsic, and target 'aarch64' is not x86}}
  %d = lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %u, %a) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  return %d : vector<16xi32>
}

// -----

func.func @unknown(%a: vector<16xi8>) -> vector<16xi8> {
  // expected-error @+1 {{'llvm.aarch64.neon.cnt.v16i8' is an AArch64 intrinsic whose target features lowbit does not know}}
  %d = llvm.call_intrinsic "llvm.aarch64.neon.cnt.v16i8"(%a) : (vector<16xi8>) -> vector<16xi8>
  return %d : vector<16xi8>
}

// -----

func.func @dotprod_and_tbl_ok(%acc: vector<4xi32>, %t: vector<16xi8>, %i: vector<16xi8>) -> vector<4xi32> {
  %l = lowbit.pure_intrinsic "llvm.aarch64.neon.tbl1.v16i8"(%t, %i) : (vector<16xi8>, vector<16xi8>) -> vector<16xi8>
  %m = lowbit.pure_intrinsic "llvm.aarch64.neon.tbl4.v16i8"(%t, %t, %t, %t, %l) : (vector<16xi8>, vector<16xi8>, vector<16xi8>, vector<16xi8>, vector<16xi8>) -> vector<16xi8>
  %d = lowbit.pure_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%acc, %m, %i) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
  return %d : vector<4xi32>
}
