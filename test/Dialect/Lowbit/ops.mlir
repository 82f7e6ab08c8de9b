// RUN: lowbit-opt %s | lowbit-opt | FileCheck %s
// RUN: lowbit-opt %s --mlir-print-op-generic | lowbit-opt | FileCheck %s

// Every op and the scheme attribute round-trip; presets print by name and
// custom schemes in the canonical entry order.

// CHECK-LABEL: func.func @quantize
func.func @quantize(%w: tensor<64x128xf32>, %h: tensor<3x256xf16>) {
  // CHECK: lowbit.quantize %{{.*}} {scheme = #lowbit.scheme<mxfp4>} : tensor<64x128xf32> -> tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU>
  %c, %s = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<64x128xf32> -> tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU>
  // CHECK: lowbit.quantize %{{.*}} {scheme = #lowbit.scheme<nvfp4>} : tensor<64x128xf32> -> tensor<64x128xf4E2M1FN>, tensor<64x8xf8E4M3FN>, tensor<f32>
  %n:3 = lowbit.quantize %w {scheme = #lowbit.scheme<nvfp4>} : tensor<64x128xf32> -> tensor<64x128xf4E2M1FN>, tensor<64x8xf8E4M3FN>, tensor<f32>
  // CHECK: {scheme = #lowbit.scheme<gptq_u4_g128>} : tensor<3x256xf16> -> tensor<3x256x!lowbit.int<4, unsigned>>, tensor<3x2xf16>, tensor<3x2x!lowbit.int<4, unsigned>>
  %g:3 = lowbit.quantize %h {scheme = #lowbit.scheme<gptq_u4_g128>} : tensor<3x256xf16> -> tensor<3x256x!lowbit.int<4, unsigned>>, tensor<3x2xf16>, tensor<3x2x!lowbit.int<4, unsigned>>
  // The preset spelled out prints as the preset.
  // CHECK: {scheme = #lowbit.scheme<awq_u4_g128>}
  %a:3 = lowbit.quantize %h {scheme = #lowbit.scheme<rule = awq, group = 128, scale = f16, zero = !lowbit.int<4, unsigned>, element = !lowbit.int<4, unsigned>>} : tensor<3x256xf16> -> tensor<3x256x!lowbit.int<4, unsigned>>, tensor<3x2xf16>, tensor<3x2x!lowbit.int<4, unsigned>>
  // CHECK: {scheme = #lowbit.scheme<rule = absmax, block = [32, 32], scale = bf16>}
  %b:2 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = absmax, block = [32, 32], scale = bf16>} : tensor<64x128xf32> -> tensor<64x128x!lowbit.int<8>>, tensor<2x4xbf16>
  // CHECK: {scheme = #lowbit.scheme<rule = absmax, channel, axis = 0, scale = f32>}
  %p:2 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = absmax, channel, axis = 0>} : tensor<64x128xf32> -> tensor<64x128x!lowbit.int<3>>, tensor<1x128xf32>
  // CHECK: {scheme = #lowbit.scheme<rule = absmax, tensor, scale = f32>}
  %t:2 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = absmax, tensor>} : tensor<64x128xf32> -> tensor<64x128x!lowbit.int<4>>, tensor<1x1xf32>
  // CHECK: {scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>} : tensor<64x128xf32> -> tensor<64x128x!lowbit.int<4, unsigned>>, tensor<64x4xf16>, tensor<64x4xf16>
  %m:3 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>} : tensor<64x128xf32> -> tensor<64x128x!lowbit.int<4, unsigned>>, tensor<64x4xf16>, tensor<64x4xf16>
  // CHECK: {scheme = #lowbit.scheme<mxint8>}
  %i:2 = lowbit.quantize %w {scheme = #lowbit.scheme<mxint8>} : tensor<64x128xf32> -> tensor<64x128xi8>, tensor<64x4xf8E8M0FNU>
  return
}

// CHECK-LABEL: func.func @dequantize
func.func @dequantize(%c: tensor<64x128xf4E2M1FN>, %s: tensor<64x4xf8E8M0FNU>, %p: tensor<16x!lowbit.posit<8, 0>>) {
  // CHECK: lowbit.dequantize %{{.*}}, %{{.*}} {scheme = #lowbit.scheme<mxfp4>} : tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU> -> tensor<64x128xbf16>
  %x = lowbit.dequantize %c, %s {scheme = #lowbit.scheme<mxfp4>} : tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU> -> tensor<64x128xbf16>
  // CHECK: lowbit.dequantize %{{.*}} : tensor<16x!lowbit.posit<8, 0>> -> tensor<16xf32>
  %y = lowbit.dequantize %p : tensor<16x!lowbit.posit<8, 0>> -> tensor<16xf32>
  return
}

// CHECK-LABEL: func.func @cast
func.func @cast(%x: tensor<8xf32>, %t: tensor<8x!lowbit.ternary>) {
  // CHECK: lowbit.cast %{{.*}} rounding rtz overflow inf : tensor<8xf32> to tensor<8x!lowbit.float<e3m2, ieee>>
  %a = lowbit.cast %x rounding rtz overflow inf : tensor<8xf32> to tensor<8x!lowbit.float<e3m2, ieee>>
  // CHECK: lowbit.cast %{{.*}} : tensor<8x!lowbit.ternary> to tensor<8xf8E4M3FN>
  %b = lowbit.cast %t : tensor<8x!lowbit.ternary> to tensor<8xf8E4M3FN>
  return
}

// CHECK-LABEL: func.func @mpgemm
func.func @mpgemm(%a: tensor<8x256xf16>, %q: tensor<64x256x!lowbit.int<4, unsigned>>, %s: tensor<64x2xf16>, %z: tensor<64x2x!lowbit.int<4, unsigned>>,
                  %ai: tensor<1x32xi8>, %b: tensor<32x16x!lowbit.int<2, bipolar>>) {
  // CHECK: lowbit.mpgemm %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] {acc_type = f32, b_scheme = #lowbit.scheme<gptq_u4_g128>, transpose_b} : tensor<8x256xf16>, tensor<64x256x!lowbit.int<4, unsigned>>[tensor<64x2xf16>, tensor<64x2x!lowbit.int<4, unsigned>>] -> tensor<8x64xf32>
  %c = lowbit.mpgemm %a, %q [%s, %z] {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b} : tensor<8x256xf16>, tensor<64x256x!lowbit.int<4, unsigned>> [tensor<64x2xf16>, tensor<64x2x!lowbit.int<4, unsigned>>] -> tensor<8x64xf32>
  // CHECK: lowbit.mpgemm %{{.*}}, %{{.*}} {acc_type = i32} : tensor<1x32xi8>, tensor<32x16x!lowbit.int<2, bipolar>> -> tensor<1x16xi32>
  %d = lowbit.mpgemm %ai, %b {acc_type = i32} : tensor<1x32xi8>, tensor<32x16x!lowbit.int<2, bipolar>> -> tensor<1x16xi32>
  return
}

// A dynamic M (the batch or token dimension): in mpgemm's A and C and in
// per-row scales; dequantize and cast keep any dynamic dimension.
// CHECK-LABEL: func.func @dynamic_rows
func.func @dynamic_rows(%a: tensor<?x64xf32>, %w: tensor<16x64x!lowbit.int<4>>,
                        %ai: tensor<?x64xi8>, %sa: tensor<?x1xf32>, %wi: tensor<16x64xi8>,
                        %q: tensor<?x64x!lowbit.int<4>>, %s: tensor<?x2xf16>) {
  // CHECK: lowbit.mpgemm {{.*}} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  // CHECK: lowbit.mpgemm {{.*}} : tensor<?x64xi8>[tensor<?x1xf32>], tensor<16x64xi8> -> tensor<?x16xf32>
  %d = lowbit.mpgemm %ai [%sa], %wi {a_scheme = #lowbit.scheme<rule = absmax, channel, axis = 1, scale = f32>, acc_type = i32, transpose_b} : tensor<?x64xi8> [tensor<?x1xf32>], tensor<16x64xi8> -> tensor<?x16xf32>
  // CHECK: lowbit.dequantize {{.*}} : tensor<?x64x!lowbit.int<4>>, tensor<?x2xf16> -> tensor<?x64xf32>
  %e = lowbit.dequantize %q, %s {scheme = #lowbit.scheme<rule = absmax, group = 32, axis = 1, scale = f16>} : tensor<?x64x!lowbit.int<4>>, tensor<?x2xf16> -> tensor<?x64xf32>
  // CHECK: lowbit.cast {{.*}} : tensor<?x64xf32> to tensor<?x64xf8E4M3FN>
  %f = lowbit.cast %a : tensor<?x64xf32> to tensor<?x64xf8E4M3FN>
  // CHECK: lowbit.quantize {{.*}} : tensor<?x64xf32> -> tensor<?x64xf4E2M1FN>, tensor<?x2xf8E8M0FNU>
  %g, %gs = lowbit.quantize %a {scheme = #lowbit.scheme<mxfp4>} : tensor<?x64xf32> -> tensor<?x64xf4E2M1FN>, tensor<?x2xf8E8M0FNU>
  return
}

// CHECK-LABEL: func.func @packing
func.func @packing(%q: tensor<4x9x!lowbit.int<3>>) {
  // CHECK: lowbit.pack %{{.*}} order lsb_first : tensor<4x9x!lowbit.int<3>> -> tensor<4x4xi8>
  %p = lowbit.pack %q order lsb_first : tensor<4x9x!lowbit.int<3>> -> tensor<4x4xi8>
  // CHECK: lowbit.unpack %{{.*}} order msb_first : tensor<4x4xi8> -> tensor<4x9x!lowbit.int<3>>
  %u = lowbit.unpack %p order msb_first : tensor<4x4xi8> -> tensor<4x9x!lowbit.int<3>>
  // CHECK: lowbit.constant dense<[1, -1, -8, 0]> : tensor<4xi4> -> tensor<4x!lowbit.int<4>>
  %k = lowbit.constant dense<[1, 15, 8, 0]> : tensor<4xi4> -> tensor<4x!lowbit.int<4>>
  return
}

// The layout attribute: CuTe (canonical form), swizzle and bit layouts;
// pack/unpack through a bit layout.
// CHECK-LABEL: func.func @layouts
// CHECK-SAME: a = #lowbit.layout<(4,(2,2)):(2,(1,8))>
// CHECK-SAME: b = #lowbit.layout<(4,8):(1,4)>
// CHECK-SAME: i = #lowbit.layout<bits<interleaved, 4, [0, 2, 4, 6, 1, 3, 5, 7]>>
// CHECK-SAME: l = #lowbit.layout<bits<nibble_lanes, 2, 32>>
// CHECK-SAME: n = #lowbit.layout<bits<nibble_planes, 3, 64>>
// CHECK-SAME: p = #lowbit.layout<bits<planes_tiled, 4, 32>>
// CHECK-SAME: s = #lowbit.layout<swizzle<3, 4, 3>>
// CHECK: lowbit.pack %{{.*}} {layout = #lowbit.layout<bits<planes, 2>>} : tensor<3x40x!lowbit.int<2>> -> tensor<30xi8>
// CHECK: lowbit.unpack %{{.*}} {layout = #lowbit.layout<bits<planes, 2>>} : tensor<30xi8> -> tensor<3x40x!lowbit.int<2>>
// CHECK: b_layout = #lowbit.layout<bits<msb_first, 2>>
func.func @layouts(%q: tensor<3x40x!lowbit.int<2>>, %a: tensor<1x40xf32>) attributes {
    a = #lowbit.layout<(4,(2,2)):(2,(1,8))>, b = #lowbit.layout<(4,8)>,
    s = #lowbit.layout<swizzle<3, 4, 3>>, p = #lowbit.layout<bits<planes_tiled, 4, 32>>,
    i = #lowbit.layout<bits<interleaved, 4, [0, 2, 4, 6, 1, 3, 5, 7]>>,
    n = #lowbit.layout<bits<nibble_planes, 3, 64>>, l = #lowbit.layout<bits<nibble_lanes, 2, 32>>} {
  %p = lowbit.pack %q {layout = #lowbit.layout<bits<planes, 2>>} : tensor<3x40x!lowbit.int<2>> -> tensor<30xi8>
  %u = lowbit.unpack %p {layout = #lowbit.layout<bits<planes, 2>>} : tensor<30xi8> -> tensor<3x40x!lowbit.int<2>>
  %c = lowbit.mpgemm %a, %u {acc_type = f32, transpose_b, b_layout = #lowbit.layout<bits<msb_first, 2>>} : tensor<1x40xf32>, tensor<3x40x!lowbit.int<2>> -> tensor<1x3xf32>
  return
}

// Codes with a layout encoding, packed into and unpacked from.
// CHECK-LABEL: func.func @encoded
// CHECK: lowbit.pack %{{.*}} : tensor<8x64x!lowbit.int<4>> -> tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<planes_tiled, 4, 32>>>
// CHECK: lowbit.unpack %{{.*}} : tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<planes_tiled, 4, 32>>> -> tensor<8x64x!lowbit.int<4>>
func.func @encoded(%q: tensor<8x64x!lowbit.int<4>>) {
  %p = lowbit.pack %q : tensor<8x64x!lowbit.int<4>> -> tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<planes_tiled, 4, 32>>>
  %u = lowbit.unpack %p : tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<planes_tiled, 4, 32>>> -> tensor<8x64x!lowbit.int<4>>
  return
}

// CHECK-LABEL: func.func @pure_intrinsic
// CHECK: lowbit.pure_intrinsic "llvm.x86.avx2.pshuf.b"(%{{.*}}, %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
func.func @pure_intrinsic(%t: vector<32xi8>, %i: vector<32xi8>) -> vector<32xi8> {
  %d = lowbit.pure_intrinsic "llvm.x86.avx2.pshuf.b"(%t, %i) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
  return %d : vector<32xi8>
}

// CHECK-LABEL: func.func @prefetch
func.func @prefetch(%t: tensor<1024xi8>, %i: index) {
  // CHECK: lowbit.prefetch %{{.*}}[%{{.*}}] : tensor<1024xi8>
  lowbit.prefetch %t[%i] : tensor<1024xi8>
  return
}

// CHECK-LABEL: func.func @to_storage
func.func @to_storage(%w: tensor<16x64x!lowbit.int<4>>, %v: tensor<16x64x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>>, %s: tensor<16x2xf8E8M0FNU>) -> (tensor<16x64xi8>, tensor<512xi8>, tensor<16x2xi8>) {
  // CHECK: lowbit.to_storage %{{.*}} : tensor<16x64x!lowbit.int<4>> -> tensor<16x64xi8>
  %a = lowbit.to_storage %w : tensor<16x64x!lowbit.int<4>> -> tensor<16x64xi8>
  // CHECK: lowbit.to_storage %{{.*}} : tensor<16x64x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>> -> tensor<512xi8>
  %b = lowbit.to_storage %v : tensor<16x64x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>> -> tensor<512xi8>
  // CHECK: lowbit.to_storage %{{.*}} : tensor<16x2xf8E8M0FNU> -> tensor<16x2xi8>
  %c = lowbit.to_storage %s : tensor<16x2xf8E8M0FNU> -> tensor<16x2xi8>
  return %a, %b, %c : tensor<16x64xi8>, tensor<512xi8>, tensor<16x2xi8>
}
