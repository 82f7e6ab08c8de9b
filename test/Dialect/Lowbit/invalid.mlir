// RUN: lowbit-opt %s -split-input-file -verify-diagnostics

// One case per parameter diagnostic of the lowbit element types. The error is
// reported at the offending parameter.

// expected-error @below {{integer width N must be in 1..32, got 0}}
func.func private @f(!lowbit.int<0>)

// -----

// expected-error @below {{integer width N must be in 1..32, got 33}}
func.func private @f(!lowbit.int<33, unsigned>)

// -----

// expected-error @below {{unknown integer encoding 'offset' (expected signed, unsigned or bipolar)}}
func.func private @f(!lowbit.int<4, offset>)

// -----

// expected-error @below {{expected 'eEmM' (for example e4m3), got 'e4'}}
func.func private @f(!lowbit.float<e4>)

// -----

// expected-error @below {{exponent width E must be in 0..8, got 9}}
func.func private @f(!lowbit.float<e9m2>)

// -----

// expected-error @below {{mantissa width M must be in 0..23, got 24}}
func.func private @f(!lowbit.float<e1m24>)

// -----

// expected-error @below {{a float needs at least one exponent or mantissa bit (E+M >= 1)}}
func.func private @f(!lowbit.float<e0m0>)

// -----

// expected-error @below {{kind 'ieee' needs an exponent field (E >= 1); E = 0 (fixed point) allows only 'finite'}}
func.func private @f(!lowbit.float<e0m3, ieee>)

// -----

// expected-error @below {{E = 0 (fixed point) has only subnormal codes; 'nosubnormal' is not allowed}}
func.func private @f(!lowbit.float<e0m3, nosubnormal>)

// -----

// expected-error @below {{bias must be in -255..255, got 256}}
func.func private @f(!lowbit.float<e4m3, bias = 256>)

// -----

// expected-error @below {{bias must be in -255..255, got -256}}
func.func private @f(!lowbit.float<e4m3, fn, bias = -256>)

// -----

// expected-error @below {{unknown float parameter 'saturating' (expected finite, ieee, fn, fnuz, unsigned, bias = B or nosubnormal)}}
func.func private @f(!lowbit.float<e4m3, saturating>)

// -----

// expected-error @below {{posit width N must be in 2..32, got 1}}
func.func private @f(!lowbit.posit<1, 0>)

// -----

// expected-error @below {{posit width N must be in 2..32, got 64}}
func.func private @f(!lowbit.posit<64, 2>)

// -----

// expected-error @below {{posit exponent size ES must be in 0..4, got 5}}
func.func private @f(!lowbit.posit<16, 5>)

// -----

//===----------------------------------------------------------------------===//
// Scheme attribute
//===----------------------------------------------------------------------===//

// expected-error @below {{unknown scheme preset 'mxfp5'}}
func.func private @f() attributes {s = #lowbit.scheme<mxfp5>}

// -----

// expected-error @below {{unknown scale rule 'minmax'; expected mx, nvfp4, absmax, gptq, awq or min_offset}}
func.func private @f() attributes {s = #lowbit.scheme<rule = minmax, group = 4>}

// -----

// expected-error @below {{rule 'mx' needs f8E8M0FNU scales, not 'f32'}}
func.func private @f() attributes {s = #lowbit.scheme<rule = mx, group = 32, scale = f32>}

// -----

// expected-error @below {{rule 'gptq' needs a zero-point format (zero = T)}}
func.func private @f() attributes {s = #lowbit.scheme<rule = gptq, group = 32>}

// -----

// expected-error @below {{rule 'nvfp4' uses blocks of 16, not 32}}
func.func private @f() attributes {s = #lowbit.scheme<rule = nvfp4, group = 32>}

// -----

// expected-error @below {{unknown scheme entry 'size'}}
func.func private @f() attributes {s = #lowbit.scheme<rule = absmax, size = 3>}

// -----

// expected-error @below {{scheme needs a rule}}
func.func private @f() attributes {s = #lowbit.scheme<group = 32>}

// -----

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

func.func @f(%w: tensor<4x100xf32>) {
  // expected-error @below {{codes: axis 1 has 100 elements, not a multiple of the group extent 128 (rule 'gptq' needs whole groups)}}
  %q:3 = lowbit.quantize %w {scheme = #lowbit.scheme<gptq_u4_g128>} : tensor<4x100xf32> -> tensor<4x100x!lowbit.int<4, unsigned>>, tensor<4x1xf16>, tensor<4x1x!lowbit.int<4, unsigned>>
  return
}

// -----

func.func @f(%w: tensor<4x64xf32>) {
  // expected-error @below {{codes: scales must be 'tensor<4x2xf8E8M0FNU>', got 'tensor<4x1xf8E8M0FNU>'}}
  %q:2 = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<4x64xf32> -> tensor<4x64xf4E2M1FN>, tensor<4x1xf8E8M0FNU>
  return
}

// -----

func.func @f(%w: tensor<4x64xf32>) {
  // expected-error @below {{codes: the scheme is made for float<e2m1> codes, not float<e4m3, fn>}}
  %q:2 = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>
  return
}

// -----

func.func @f(%w: tensor<4x64xi32>) {
  // expected-error @below {{'lowbit.quantize' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x64xi32>'}}
  %q:2 = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<4x64xi32> -> tensor<4x64xf4E2M1FN>, tensor<4x2xf8E8M0FNU>
  return
}

// -----

func.func @f(%w: tensor<4x64xf32>) {
  // expected-error @below {{codes: scheme needs 2 parameter tensors (scales, tensor scale), got 1}}
  %q:2 = lowbit.quantize %w {scheme = #lowbit.scheme<nvfp4>} : tensor<4x64xf32> -> tensor<4x64xf4E2M1FN>, tensor<4x4xf8E4M3FN>
  return
}

// -----

func.func @f(%w: tensor<4x64xf32>) {
  // expected-error @below {{codes: the symmetric absmax rule needs a signed format, not int<4, unsigned>}}
  %q:2 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = absmax, channel>} : tensor<4x64xf32> -> tensor<4x64x!lowbit.int<4, unsigned>>, tensor<4x1xf32>
  return
}

// -----

func.func @f(%c: tensor<16x!lowbit.posit<8, 0>>, %s: tensor<1xf32>) {
  // expected-error @below {{codes has scale operands but no scheme}}
  %y = lowbit.dequantize %c, %s : tensor<16x!lowbit.posit<8, 0>>, tensor<1xf32> -> tensor<16xf32>
  return
}

// -----

func.func @f(%c: tensor<16x!lowbit.posit<8, 0>>) {
  // expected-error @below {{'lowbit.dequantize' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<16xi32>'}}
  %y = lowbit.dequantize %c : tensor<16x!lowbit.posit<8, 0>> -> tensor<16xi32>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // Stochastic rounding needs random bits per element: it is not a cast.
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'rounding' [rne, rtz, ru, rd, rna]}}
  %y = lowbit.cast %x rounding stochastic : tensor<8xf32> to tensor<8xf8E4M3FN>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'rounding' [rne, rtz, ru, rd, rna]}}
  %y = lowbit.cast %x rounding nearest : tensor<8xf32> to tensor<8xf8E4M3FN>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'overflow' [saturate, inf, nan]}}
  %y = lowbit.cast %x overflow wrap : tensor<8xf32> to tensor<8xf8E4M3FN>
  return
}

// -----

func.func @f(%a: tensor<2x32xf32>, %b: tensor<16x31xf4E2M1FN>) {
  // expected-error @below {{K differs: A is 2x32, B is 16x31 (N x K)}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<2x32xf32>, tensor<16x31xf4E2M1FN> -> tensor<2x16xf32>
  return
}

// -----

func.func @f(%a: tensor<2x32xf32>, %b: tensor<16x32xf4E2M1FN>) {
  // expected-error @below {{C must be 2x16, got 2x8}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<2x32xf32>, tensor<16x32xf4E2M1FN> -> tensor<2x8xf32>
  return
}

// -----

func.func @f(%a: tensor<2x32xf32>, %b: tensor<16x32x!lowbit.int<4>>) {
  // expected-error @below {{an i32 accumulator needs integer codes on both sides, got 'f32' and '!lowbit.int<4>'}}
  %c = lowbit.mpgemm %a, %b {acc_type = i32, transpose_b} : tensor<2x32xf32>, tensor<16x32x!lowbit.int<4>> -> tensor<2x16xi32>
  return
}

// -----

func.func @f(%a: tensor<2x64xi8>, %b: tensor<16x64xi8>, %s: tensor<16x2xf8E8M0FNU>) {
  // expected-error @below {{with an i32 accumulator scales must be constant along K (per tensor or per channel)}}
  %c = lowbit.mpgemm %a, %b [%s] {acc_type = i32, b_scheme = #lowbit.scheme<mxint8>, transpose_b} : tensor<2x64xi8>, tensor<16x64xi8> [tensor<16x2xf8E8M0FNU>] -> tensor<2x16xf32>
  return
}

// -----

func.func @f(%a: tensor<2x32xf32>, %b: tensor<16x32xf4E2M1FN>) {
  // expected-error @below {{accumulator must be f32, f64 or i32, got 'f16'}}
  %c = lowbit.mpgemm %a, %b {acc_type = f16, transpose_b} : tensor<2x32xf32>, tensor<16x32xf4E2M1FN> -> tensor<2x16xf32>
  return
}

// -----

func.func @f(%q: tensor<4x9x!lowbit.int<3>>) {
  // expected-error @below {{codes 4x9 of 3 bits pack into 4x4 bytes, not 4x5}}
  %p = lowbit.pack %q order lsb_first : tensor<4x9x!lowbit.int<3>> -> tensor<4x5xi8>
  return
}

// -----

func.func @f(%q: tensor<4x9x!lowbit.posit<32, 2>>) {
  // expected-error @below {{packing handles codes of at most 16 bits, got 32}}
  %p = lowbit.pack %q order lsb_first : tensor<4x9x!lowbit.posit<32, 2>> -> tensor<4x36xi8>
  return
}

// -----

func.func @f() {
  // expected-error @below {{codes of '!lowbit.int<4>' are i4, got 'i8'}}
  %k = lowbit.constant dense<[1, 2]> : tensor<2xi8> -> tensor<2x!lowbit.int<4>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Layout attribute and layout packing
//===----------------------------------------------------------------------===//

// expected-error @below {{invalid layout '(4,(2,2)):(2,(1))': shape (4,(2,2)) and stride (2,(1)) are not congruent}}
func.func private @f() attributes {a = #lowbit.layout<(4,(2,2)):(2,(1))>}

// -----

// expected-error @below {{unknown bit layout 'bitplanes'; expected lsb_first, msb_first, interleaved, planes, planes_tiled, nibble_planes or nibble_lanes}}
func.func private @f() attributes {a = #lowbit.layout<bits<bitplanes, 4>>}

// -----

// expected-error @below {{planes_tiled needs a positive word size: bits<planes_tiled, W, T>}}
func.func private @f() attributes {a = #lowbit.layout<bits<planes_tiled, 4>>}

// -----

// expected-error @below {{nibble_planes needs a block of a positive multiple of 32 k: bits<nibble_planes, W, B>}}
func.func private @f() attributes {a = #lowbit.layout<bits<nibble_planes, 4, 48>>}

// -----

// expected-error @below {{nibble_lanes needs a block of a positive multiple of 32 k: bits<nibble_lanes, W, B>}}
func.func private @f() attributes {a = #lowbit.layout<bits<nibble_lanes, 2>>}

// -----

// expected-error @below {{the layout #lowbit.layout<bits<nibble_lanes, 2, 64>> does not fit the shape: k = 96 is not a multiple of the block 64, a multiple of 32}}
func.func private @f(tensor<16x96x!lowbit.int<2>, #lowbit.layout<bits<nibble_lanes, 2, 64>>>)

// -----

// A nibble-plane encoding needs rows in 16-row tiles and K in whole blocks.
// expected-error @below {{the layout #lowbit.layout<bits<nibble_planes, 4, 32>> does not fit the shape: rows = 20 is not a multiple of the 16-row tile}}
func.func private @f(tensor<20x64x!lowbit.int<4>, #lowbit.layout<bits<nibble_planes, 4, 32>>>)

// -----

// expected-error @below {{unknown layout form 'tile'; expected a CuTe layout, swizzle<B, M, S> or bits<...>}}
func.func private @f() attributes {a = #lowbit.layout<tile<4>>}

// -----

// expected-error @below {{invalid interleave}}
func.func private @f() attributes {a = #lowbit.layout<bits<interleaved, 4, [0, 0, 1, 2]>>}

// -----

func.func @f(%q: tensor<4x9x!lowbit.int<3>>) {
  // expected-error @below {{needs exactly one of a bit order or a layout}}
  %p = lowbit.pack %q order lsb_first {layout = #lowbit.layout<bits<lsb_first, 3>>} : tensor<4x9x!lowbit.int<3>> -> tensor<4x4xi8>
  return
}

// -----

func.func @f(%q: tensor<4x9x!lowbit.int<3>>) {
  // expected-error @below {{the layout is for 4-bit codes, not 3-bit ones}}
  %p = lowbit.pack %q {layout = #lowbit.layout<bits<lsb_first, 4>>} : tensor<4x9x!lowbit.int<3>> -> tensor<18xi8>
  return
}

// -----

func.func @f(%q: tensor<4x48x!lowbit.int<4>>) {
  // expected-error @below {{layout does not fit codes 4x48}}
  %p = lowbit.pack %q {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<4x48x!lowbit.int<4>> -> tensor<96xi8>
  return
}

// -----

func.func @f(%q: tensor<4x64x!lowbit.int<4>>) {
  // expected-error @below {{codes 4x64 take 128 bytes in this layout, not 4x32}}
  %p = lowbit.pack %q {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<4x64x!lowbit.int<4>> -> tensor<4x32xi8>
  return
}

// -----

func.func @f(%q: tensor<4x64x!lowbit.int<4>>) {
  // expected-error @below {{packing needs a bit layout (#lowbit.layout<bits<...>>), got #lowbit.layout<(4,8):(8,1)>}}
  %p = lowbit.pack %q {layout = #lowbit.layout<(4,8):(8,1)>} : tensor<4x64x!lowbit.int<4>> -> tensor<128xi8>
  return
}

// -----

func.func @f(%a: tensor<2x64xf32>, %w: tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<planes, 4>>>) {
  // expected-error @below {{B is stored in a layout (#lowbit.layout<bits<planes, 4>>); lowbit.unpack it first}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<planes, 4>>> -> tensor<2x8xf32>
  return
}

// -----

func.func @f(%q: tensor<4x64x!lowbit.int<4>>) {
  // expected-error @below {{a layout-encoded tensor carries its layout; give no order or layout attribute}}
  %p = lowbit.pack %q order lsb_first : tensor<4x64x!lowbit.int<4>> -> tensor<4x64x!lowbit.int<4>, #lowbit.layout<bits<planes, 4>>>
  return
}

// -----

func.func @f() {
  // expected-error @below {{the layout #lowbit.layout<bits<planes_tiled, 4, 32>> does not fit the shape}}
  %k = lowbit.constant dense<0> : tensor<2x48xui4> -> tensor<2x48x!lowbit.int<4>, #lowbit.layout<bits<planes_tiled, 4, 32>>>
  return
}

// -----

func.func @pure_intrinsic_not_llvm(%t: vector<32xi8>) -> vector<32xi8> {
  // expected-error @+1 {{'lowbit.pure_intrinsic' op 'x86.pshufb' is not an LLVM intrinsic name (llvm.*)}}
  %d = lowbit.pure_intrinsic "x86.pshufb"(%t) : (vector<32xi8>) -> vector<32xi8>
  return %d : vector<32xi8>
}

// -----

func.func @ternary_reserved_code() -> tensor<4x!lowbit.ternary> {
  // expected-error @below {{code 2 (0b10) at element 2 is reserved in !lowbit.ternary (codes: 0 = 0, 1 = +1, 3 = -1)}}
  %k = lowbit.constant dense<[0, 1, 2, 3]> : tensor<4xui2> -> tensor<4x!lowbit.ternary>
  return %k : tensor<4x!lowbit.ternary>
}

// -----

// A CuTe layout is no tensor encoding (it says nothing about bits).
// expected-error @below {{a tensor encoding must be a bit layout (bits<...>), got #lowbit.layout<4:1>}}
func.func @cute_encoding(%x: tensor<4x!lowbit.int<4>, #lowbit.layout<4:1>>) {
  return
}

// -----

// expected-error @below {{the layout #lowbit.layout<bits<planes_tiled, 4, 32>> is for 4-bit codes, not 'f32'}}
func.func @bits_on_f32(%x: tensor<8x64xf32, #lowbit.layout<bits<planes_tiled, 4, 32>>>) {
  return
}

// -----

func.func @cute_b_layout(%a: tensor<2x32xf32>, %b: tensor<8x32x!lowbit.int<4>>) -> tensor<2x8xf32> {
  // expected-error @below {{b_layout: a tensor encoding must be a bit layout (bits<...>), got #lowbit.layout<8:1>}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b, b_layout = #lowbit.layout<8:1>} : tensor<2x32xf32>, tensor<8x32x!lowbit.int<4>> -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

func.func @empty_k(%a: tensor<2x0xf32>, %b: tensor<16x0xf4E2M1FN>) -> tensor<2x16xf32> {
  // expected-error @below {{A has an empty dimension (2x0); mpgemm needs M, K and N of at least 1}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<2x0xf32>, tensor<16x0xf4E2M1FN> -> tensor<2x16xf32>
  return %c : tensor<2x16xf32>
}

// -----

// expected-error @below {{float kind 'ieee' conflicts with 'fn' given before (a float has one kind)}}
func.func private @conflicting_kinds(!lowbit.float<e4m3, fn, ieee>)

// -----

// expected-error @below {{float parameter 'bias' is given twice}}
func.func private @bias_twice(!lowbit.float<e4m3, bias = 1, bias = 3>)

// -----

// expected-error @below {{scheme granularity 'group' conflicts with 'group' given before (a scheme has one)}}
func.func private @granularity_twice() attributes {s = #lowbit.scheme<rule = absmax, group = 4, group = 8>}

// -----

// expected-error @below {{scheme granularity 'tensor' conflicts with 'channel' given before (a scheme has one)}}
func.func private @granularity_conflict() attributes {s = #lowbit.scheme<rule = absmax, channel, tensor>}

// -----

// expected-error @below {{scheme entry 'scale' is given twice}}
func.func private @scale_twice() attributes {s = #lowbit.scheme<rule = absmax, channel, scale = f32, scale = f16>}

// -----

func.func @not_matrices(%a: tensor<64xf32>, %b: tensor<8x64x!lowbit.int<4>>) -> tensor<8xf32> {
  // expected-error @+1 {{'lowbit.mpgemm' op A, B and C must be matrices (rank 2)}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

// expected-error @+1 {{group size must be positive, got 0}}
func.func private @group_zero() attributes {s = #lowbit.scheme<rule = absmax, group = 0, scale = f32>}

// -----

// expected-error @+1 {{block must be two positive extents [B0, B1]}}
func.func private @block_one() attributes {s = #lowbit.scheme<rule = absmax, block = [4], scale = f32>}

// -----

// expected-error @+1 {{scheme needs a rule (rule = mx|nvfp4|absmax|gptq|awq|min_offset)}}
func.func private @no_rule() attributes {s = #lowbit.scheme<group = 32, scale = f32>}

// -----

// expected-error @+1 {{rule 'nvfp4' needs f8E4M3FN scales, not 'f16'}}
func.func private @nvfp4_scale() attributes {s = #lowbit.scheme<rule = nvfp4, group = 16, scale = f16>}

// -----

// expected-error @+1 {{zero points must be an integer format, not 'f16'}}
func.func private @zero_float() attributes {s = #lowbit.scheme<rule = gptq, group = 32, scale = f16, zero = f16>}

// -----

// expected-error @+1 {{swizzle<B, M, S> needs B, M >= 0 and an integer S}}
func.func private @swz() attributes {l = #lowbit.layout<swizzle<-1, 2, 3>>}

// -----

// expected-error @+1 {{bit layouts hold codes of 1 to 16 bits}}
func.func private @bits_wide() attributes {l = #lowbit.layout<bits<lsb_first, 17>>}

// -----

// expected-error @+1 {{interleaved needs the slot order: bits<interleaved, W, [...]>}}
func.func private @interleave() attributes {l = #lowbit.layout<bits<interleaved, 4>>}

// -----

func.func @float_codes() -> tensor<4x!lowbit.int<4>> {
  // expected-error @+1 {{'lowbit.constant' op value must be a dense integer attribute of codes}}
  %k = lowbit.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> -> tensor<4x!lowbit.int<4>>
  return %k : tensor<4x!lowbit.int<4>>
}

// -----

func.func @pack_rank(%q: tensor<4x64x!lowbit.int<4>>) -> tensor<128xi8> {
  // expected-error @+1 {{'lowbit.pack' op codes and bytes must have the same rank}}
  %p = lowbit.pack %q order lsb_first : tensor<4x64x!lowbit.int<4>> -> tensor<128xi8>
  return %p : tensor<128xi8>
}

// -----

func.func @pack_not_i8(%q: tensor<4x64x!lowbit.int<4>>) -> tensor<4x32xi16> {
  // expected-error @+1 {{'lowbit.pack' op packed bytes must be i8 (or the codes with a layout encoding), got 'i16'}}
  %p = lowbit.pack %q order lsb_first : tensor<4x64x!lowbit.int<4>> -> tensor<4x32xi16>
  return %p : tensor<4x32xi16>
}

// -----

// Only M may be dynamic.
func.func @mpgemm_dynamic_k(%a: tensor<4x?xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'lowbit.mpgemm' op only M (dimension 0 of A and C) may be dynamic; got 4x?, 16x64, 4x16}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<4x?xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// -----

func.func @mpgemm_dynamic_m_in_c_only(%a: tensor<4x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'lowbit.mpgemm' op M must be dynamic in A and C alike, got 4x64 and ?x16}}
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<4x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %c : tensor<?x16xf32>
}

// -----

// A group of fixed size along a dynamic axis: its size is the caller's.
func.func @groups_along_dynamic_axis(%q: tensor<?x64x!lowbit.int<4>>, %s: tensor<?x64xf16>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'lowbit.dequantize' op codes: scale groups of 32 elements along the dynamic axis 0 are not supported (one scale per element or per whole axis there)}}
  %e = lowbit.dequantize %q, %s {scheme = #lowbit.scheme<rule = absmax, group = 32, axis = 0, scale = f16>} : tensor<?x64x!lowbit.int<4>>, tensor<?x64xf16> -> tensor<?x64xf32>
  return %e : tensor<?x64xf32>
}

// -----

// Per-row scales of a dynamic M are dynamic too.
func.func @static_scales_of_dynamic_rows(%q: tensor<?x64x!lowbit.int<4>>, %s: tensor<4x2xf16>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'lowbit.dequantize' op codes: scales must be 'tensor<?x2xf16>', got 'tensor<4x2xf16>'}}
  %e = lowbit.dequantize %q, %s {scheme = #lowbit.scheme<rule = absmax, group = 32, axis = 1, scale = f16>} : tensor<?x64x!lowbit.int<4>>, tensor<4x2xf16> -> tensor<?x64xf32>
  return %e : tensor<?x64xf32>
}

// -----

// A cast keeps the shape, dynamic dimensions included.
func.func @cast_fixes_dynamic(%a: tensor<?x64xf32>) -> tensor<4x64xf16> {
  // expected-error @+1 {{'lowbit.cast' op result shape 4x64 differs from the input shape ?x64}}
  %f = lowbit.cast %a : tensor<?x64xf32> to tensor<4x64xf16>
  return %f : tensor<4x64xf16>
}

// -----

// Quantizing per tensor would reduce over rows only the caller knows.
func.func @quantize_spanning_dynamic(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'lowbit.quantize' op codes: a scale group spanning the dynamic axis 0 is not supported here (one scale per element along it)}}
  %q, %s = lowbit.quantize %x {scheme = #lowbit.scheme<rule = absmax, tensor, scale = f32>} : tensor<?x64xf32> -> tensor<?x64x!lowbit.int<8>>, tensor<1x1xf32>
  return
}

// -----

func.func @prefetch_rank(%t: tensor<4x8xi8>, %i: index) {
  // expected-error @+1 {{'lowbit.prefetch' op takes 2 indices, got 1}}
  lowbit.prefetch %t[%i] : tensor<4x8xi8>
  return
}

// -----

func.func @to_storage_wrong_type(%w: tensor<16x64x!lowbit.int<4>>) {
  // expected-error @+1 {{'lowbit.to_storage' op result must be the storage type of 'tensor<16x64x!lowbit.int<4>>', 'tensor<16x64xi8>', not 'tensor<16x32xi8>'}}
  %a = lowbit.to_storage %w : tensor<16x64x!lowbit.int<4>> -> tensor<16x32xi8>
  return
}

// -----

func.func @to_storage_no_storage(%w: tensor<4xcomplex<f32>>) {
  // expected-error @+1 {{'lowbit.to_storage' op operand #0 must be ranked tensor of type with a number format values, but got 'tensor<4xcomplex<f32>>'}}
  %a = lowbit.to_storage %w : tensor<4xcomplex<f32>> -> tensor<4xi8>
  return
}

// -----

// Code tensors are a named type constraint (Lowbit_CodeTensor): an element
// type without a number format is refused by every op that takes codes.
func.func @constant_no_format() -> tensor<2xindex> {
  // expected-error @+1 {{'lowbit.constant' op result #0 must be ranked tensor of type with a number format values, but got 'tensor<2xindex>'}}
  %c = lowbit.constant dense<1> : tensor<2xi64> -> tensor<2xindex>
  return %c : tensor<2xindex>
}

// -----

func.func @cast_no_format(%x: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{'lowbit.cast' op result #0 must be ranked tensor of type with a number format values, but got 'tensor<4xf64>'}}
  %y = lowbit.cast %x : tensor<4xf32> to tensor<4xf64>
  return %y : tensor<4xf64>
}

// -----

func.func @cast_from_no_format(%x: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{'lowbit.cast' op operand #0 must be ranked tensor of type with a number format values, but got 'tensor<4xi64>'}}
  %y = lowbit.cast %x : tensor<4xi64> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @mpgemm_no_format(%a: tensor<2x64xf64>, %b: tensor<64x8x!lowbit.int<4>>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'lowbit.mpgemm' op operand #0 must be ranked tensor of type with a number format values, but got 'tensor<2x64xf64>'}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32} : tensor<2x64xf64>, tensor<64x8x!lowbit.int<4>> -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

func.func @dequantize_no_format(%c: tensor<4xindex>) -> tensor<4xf32> {
  // expected-error @+1 {{'lowbit.dequantize' op operand #0 must be ranked tensor of type with a number format values, but got 'tensor<4xindex>'}}
  %y = lowbit.dequantize %c : tensor<4xindex> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @pack_no_format(%c: tensor<8xi64>) -> tensor<8xi8> {
  // expected-error @+1 {{'lowbit.pack' op operand #0 must be ranked tensor of type with a number format values, but got 'tensor<8xi64>'}}
  %p = lowbit.pack %c order lsb_first : tensor<8xi64> -> tensor<8xi8>
  return %p : tensor<8xi8>
}

// -----

func.func @unpack_no_format(%p: tensor<8xi8>) -> tensor<8xindex> {
  // expected-error @+1 {{'lowbit.unpack' op result #0 must be ranked tensor of type with a number format values, but got 'tensor<8xindex>'}}
  %c = lowbit.unpack %p order lsb_first : tensor<8xi8> -> tensor<8xindex>
  return %c : tensor<8xindex>
}

// -----

// Verifier messages that had no test.
func.func @constant_shape() -> tensor<4x!lowbit.int<4>> {
  // expected-error @+1 {{'lowbit.constant' op value shape 2 differs from the result shape 4}}
  %c = lowbit.constant dense<1> : tensor<2xi4> -> tensor<4x!lowbit.int<4>>
  return %c : tensor<4x!lowbit.int<4>>
}

// -----

func.func @quantize_codes_shape(%w: tensor<4x64xf32>) {
  // expected-error @+1 {{'lowbit.quantize' op codes shape 4x32 differs from the input shape 4x64}}
  %q:2 = lowbit.quantize %w {scheme = #lowbit.scheme<rule = absmax, channel>} : tensor<4x64xf32> -> tensor<4x32x!lowbit.int<4>>, tensor<4x1xf32>
  return
}

// -----

func.func @i32_acc_result(%a: tensor<2x64xi8>, %b: tensor<16x64xi8>) {
  // expected-error @+1 {{'lowbit.mpgemm' op with an i32 accumulator the result is i32 (unscaled), got 'f32'}}
  %c = lowbit.mpgemm %a, %b {acc_type = i32, transpose_b} : tensor<2x64xi8>, tensor<16x64xi8> -> tensor<2x16xf32>
  return
}

// -----

func.func @float_acc_result(%a: tensor<2x64xf32>, %b: tensor<16x64x!lowbit.int<4>>) {
  // expected-error @+1 {{'lowbit.mpgemm' op result must be f32, f16 or bf16 with a float accumulator, got 'i32'}}
  %c = lowbit.mpgemm %a, %b {acc_type = f32, transpose_b} : tensor<2x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<2x16xi32>
  return
}

// -----

func.func @pack_dynamic(%q: tensor<?x8x!lowbit.int<4>>) {
  // expected-error @+1 {{'lowbit.pack' op codes and bytes must have static shapes of rank >= 1}}
  %p = lowbit.pack %q order lsb_first : tensor<?x8x!lowbit.int<4>> -> tensor<?x4xi8>
  return
}

// -----

func.func @unpack_encoded_shape(%p: tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>>) {
  // expected-error @+1 {{'lowbit.unpack' op the layout-encoded tensor must have the codes' shape and element type}}
  %q = lowbit.unpack %p : tensor<8x64x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>> -> tensor<8x32x!lowbit.int<4>>
  return
}

// -----

func.func @pack_rank3(%q: tensor<2x4x8x!lowbit.int<4>>) {
  // expected-error @+1 {{'lowbit.pack' op a layout packs a vector or a matrix of codes}}
  %p = lowbit.pack %q {layout = #lowbit.layout<bits<lsb_first, 4>>} : tensor<2x4x8x!lowbit.int<4>> -> tensor<32xi8>
  return
}

// -----

// expected-error @+1 {{a layout encodes a static vector or matrix of codes}}
func.func private @encoding_rank3(tensor<2x4x8x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>>)

// -----

// expected-error @+1 {{rule 'min_offset' needs an offset format (offset = T)}}
func.func private @min_offset_no_offset() attributes {s = #lowbit.scheme<rule = min_offset, group = 32, scale = f16>}

// -----

// expected-error @+1 {{rule 'min_offset' needs f32, f16 or bf16 offsets, not '!lowbit.int<4, unsigned>'}}
func.func private @min_offset_int_offset() attributes {s = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = !lowbit.int<4, unsigned>>}

// -----

// expected-error @+1 {{rule 'min_offset' stores a float offset (offset = T), not a zero point}}
func.func private @min_offset_zero() attributes {s = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, zero = f16>}

// -----

// expected-error @+1 {{only rule 'min_offset' has an offset (offset = T)}}
func.func private @gptq_offset() attributes {s = #lowbit.scheme<rule = gptq, group = 32, scale = f16, offset = f16>}

// -----

// expected-error @+1 {{a scheme has a zero point or an offset, not both}}
func.func private @zero_and_offset() attributes {s = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16, zero = f16>}

// -----

func.func @min_offset_offsets_type(%q: tensor<4x64x!lowbit.int<4, unsigned>>, %s: tensor<4x2xf16>, %o: tensor<4x2xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{offsets}}
  %e = lowbit.dequantize %q, %s, %o {scheme = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>} : tensor<4x64x!lowbit.int<4, unsigned>>, tensor<4x2xf16>, tensor<4x2xf32> -> tensor<4x64xf32>
  return %e : tensor<4x64xf32>
}

// -----

func.func @min_offset_i32_acc(%a: tensor<?x64xi8>, %sa: tensor<?x1xf32>, %w: tensor<16x64x!lowbit.int<4, unsigned>>, %s: tensor<16x1xf16>, %o: tensor<16x1xf16>) -> tensor<?x16xf32> {
  // expected-error @+1 {{an i32 accumulator cannot hold B's values: rule 'min_offset' adds a float offset to every code}}
  %d = lowbit.mpgemm %a [%sa], %w [%s, %o] {a_scheme = #lowbit.scheme<rule = absmax, channel, axis = 1, scale = f32>, b_scheme = #lowbit.scheme<rule = min_offset, channel, axis = 1, scale = f16, offset = f16>, acc_type = i32, transpose_b} : tensor<?x64xi8> [tensor<?x1xf32>], tensor<16x64x!lowbit.int<4, unsigned>> [tensor<16x1xf16>, tensor<16x1xf16>] -> tensor<?x16xf32>
  return %d : tensor<?x16xf32>
}
