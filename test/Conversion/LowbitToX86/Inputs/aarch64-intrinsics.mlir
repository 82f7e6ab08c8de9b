// An i8mm intrinsic, for lowbit-check-target-features-aarch64.mlir.
func.func @usdot(%acc: vector<4xi32>, %u: vector<16xi8>, %a: vector<16xi8>) -> vector<4xi32> {
  %d = lowbit.pure_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"(%acc, %u, %a) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
  return %d : vector<4xi32>
}
