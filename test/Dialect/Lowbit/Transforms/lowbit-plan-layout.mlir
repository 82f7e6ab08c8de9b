// RUN: lowbit-opt %s --lowbit-plan-layout | FileCheck %s --check-prefix=DENSE
// RUN: lowbit-opt %s --lowbit-plan-layout=target=bitplane | FileCheck %s --check-prefix=PLANES
// RUN: not lowbit-opt %s --lowbit-plan-layout=target=tpu 2>&1 | FileCheck %s --check-prefix=BAD

// DENSE-LABEL: func.func @int4_nk
// DENSE: b_layout = #lowbit.layout<bits<lsb_first, 4>>
// PLANES-LABEL: func.func @int4_nk
// PLANES: b_layout = #lowbit.layout<bits<planes_tiled, 4, 32>>
func.func @int4_nk(%a: tensor<1x64xf32>, %w: tensor<8x64x!lowbit.int<4>>) -> tensor<1x8xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<1x8xf32>
  return %c : tensor<1x8xf32>
}

// K = 45 is not a multiple of the 32-bit plane word: dense for both targets.
// DENSE-LABEL: func.func @odd_k
// DENSE: b_layout = #lowbit.layout<bits<lsb_first, 2>>
// PLANES-LABEL: func.func @odd_k
// PLANES: b_layout = #lowbit.layout<bits<lsb_first, 2>>
func.func @odd_k(%a: tensor<2x45xf16>, %w: tensor<8x45x!lowbit.int<2, bipolar>>) -> tensor<2x8xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<2x45xf16>, tensor<8x45x!lowbit.int<2, bipolar>> -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// B stored K x N: no planes along K.
// PLANES-LABEL: func.func @kn
// PLANES: b_layout = #lowbit.layout<bits<lsb_first, 4>>
func.func @kn(%a: tensor<1x64xf32>, %w: tensor<64x8xf4E2M1FN>) -> tensor<1x8xf32> {
  %c = lowbit.mpgemm %a, %w {acc_type = f32} : tensor<1x64xf32>, tensor<64x8xf4E2M1FN> -> tensor<1x8xf32>
  return %c : tensor<1x8xf32>
}

// f32 weights and already planned ones are left alone.
// DENSE-LABEL: func.func @untouched
// DENSE-NOT: b_layout = #lowbit.layout<bits<lsb_first
// DENSE: b_layout = #lowbit.layout<bits<msb_first, 4>>
func.func @untouched(%a: tensor<1x64xf32>, %w: tensor<8x64xf32>, %q: tensor<8x64x!lowbit.int<4>>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : tensor<1x64xf32>, tensor<8x64xf32> -> tensor<1x8xf32>
  %d = lowbit.mpgemm %a, %q {acc_type = f32, transpose_b, b_layout = #lowbit.layout<bits<msb_first, 4>>} : tensor<1x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<1x8xf32>
  return %c, %d : tensor<1x8xf32>, tensor<1x8xf32>
}

// The option is an enum: a value it does not have is refused by the parser.
// BAD: for the --target option: Cannot find option named 'tpu'!
