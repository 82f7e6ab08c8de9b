func.func @vnni(%acc: vector<16xi32>, %u: vector<64xi8>, %a: vector<64xi8>) -> vector<16xi32> {
  %d = lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %u, %a) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  return %d : vector<16xi32>
}
func.func @zmm_shuffle(%t: vector<64xi8>, %i: vector<64xi8>) -> vector<64xi8> {
  %d = llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%t, %i) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
  return %d : vector<64xi8>
}
func.func @bf16_dot(%acc: vector<16xf32>, %w: vector<32xbf16>, %a: vector<32xbf16>) -> vector<16xf32> {
  %d = lowbit.pure_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%acc, %w, %a) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
  return %d : vector<16xf32>
}
