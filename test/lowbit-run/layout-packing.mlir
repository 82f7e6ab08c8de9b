// Packing through bit layouts, compiled and run, against the library
// (BitLayout::pack/unpack through the reference evaluator).
// RUN: lowbit-run %s --function planes_tiled --check | FileCheck %s
// RUN: lowbit-run %s --function planes --check | FileCheck %s
// RUN: lowbit-run %s --function interleaved --check | FileCheck %s
// RUN: lowbit-run %s --function msb_first_int3 --check | FileCheck %s
// RUN: lowbit-run %s --function lsb_first_vector --check | FileCheck %s
// CHECK: check: output 0: 0 of {{[0-9]+}} elements mismatch, max error 0.000000e+00 (tolerance exact)
// CHECK: check: output 1: 0 of {{[0-9]+}} elements mismatch, max error 0.000000e+00 (tolerance exact)

func.func @planes_tiled(%c: tensor<6x64x!lowbit.int<4>>) -> (tensor<192xi8>, tensor<6x64x!lowbit.int<4>>) {
  %p = lowbit.pack %c {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<6x64x!lowbit.int<4>> -> tensor<192xi8>
  %u = lowbit.unpack %p {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : tensor<192xi8> -> tensor<6x64x!lowbit.int<4>>
  return %p, %u : tensor<192xi8>, tensor<6x64x!lowbit.int<4>>
}

func.func @planes(%c: tensor<3x40x!lowbit.int<2, bipolar>>) -> (tensor<30xi8>, tensor<3x40x!lowbit.int<2, bipolar>>) {
  %p = lowbit.pack %c {layout = #lowbit.layout<bits<planes, 2>>} : tensor<3x40x!lowbit.int<2, bipolar>> -> tensor<30xi8>
  %u = lowbit.unpack %p {layout = #lowbit.layout<bits<planes, 2>>} : tensor<30xi8> -> tensor<3x40x!lowbit.int<2, bipolar>>
  return %p, %u : tensor<30xi8>, tensor<3x40x!lowbit.int<2, bipolar>>
}

func.func @interleaved(%c: tensor<2x16xf4E2M1FN>) -> (tensor<16xi8>, tensor<2x16xf4E2M1FN>) {
  %p = lowbit.pack %c {layout = #lowbit.layout<bits<interleaved, 4, [0, 2, 4, 6, 1, 3, 5, 7]>>} : tensor<2x16xf4E2M1FN> -> tensor<16xi8>
  %u = lowbit.unpack %p {layout = #lowbit.layout<bits<interleaved, 4, [0, 2, 4, 6, 1, 3, 5, 7]>>} : tensor<16xi8> -> tensor<2x16xf4E2M1FN>
  return %p, %u : tensor<16xi8>, tensor<2x16xf4E2M1FN>
}

func.func @msb_first_int3(%c: tensor<5x7x!lowbit.int<3>>) -> (tensor<14xi8>, tensor<5x7x!lowbit.int<3>>) {
  %p = lowbit.pack %c {layout = #lowbit.layout<bits<msb_first, 3>>} : tensor<5x7x!lowbit.int<3>> -> tensor<14xi8>
  %u = lowbit.unpack %p {layout = #lowbit.layout<bits<msb_first, 3>>} : tensor<14xi8> -> tensor<5x7x!lowbit.int<3>>
  return %p, %u : tensor<14xi8>, tensor<5x7x!lowbit.int<3>>
}

func.func @lsb_first_vector(%c: tensor<9x!lowbit.posit<6, 1>>) -> (tensor<7xi8>, tensor<9x!lowbit.posit<6, 1>>) {
  %p = lowbit.pack %c {layout = #lowbit.layout<bits<lsb_first, 6>>} : tensor<9x!lowbit.posit<6, 1>> -> tensor<7xi8>
  %u = lowbit.unpack %p {layout = #lowbit.layout<bits<lsb_first, 6>>} : tensor<7xi8> -> tensor<9x!lowbit.posit<6, 1>>
  return %p, %u : tensor<7xi8>, tensor<9x!lowbit.posit<6, 1>>
}
