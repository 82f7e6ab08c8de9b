// RUN: lowbit-opt %s | FileCheck %s
// RUN: lowbit-opt %s | lowbit-opt | FileCheck %s
// RUN: lowbit-opt %s --mlir-print-op-generic | lowbit-opt | FileCheck %s

// Every type family and every parameter round-trips through print/parse.

// CHECK-LABEL: func.func private @integers
// CHECK-SAME: !lowbit.int<1>, !lowbit.int<3>, !lowbit.int<32>
// CHECK-SAME: !lowbit.int<4>
// CHECK-SAME: !lowbit.int<4, unsigned>, !lowbit.int<32, unsigned>
// CHECK-SAME: !lowbit.int<1, bipolar>, !lowbit.int<2, bipolar>
// CHECK-SAME: !lowbit.ternary
func.func private @integers(!lowbit.int<1>, !lowbit.int<3>, !lowbit.int<32>,
                            !lowbit.int<4, signed>,
                            !lowbit.int<4, unsigned>, !lowbit.int<32, unsigned>,
                            !lowbit.int<1, bipolar>, !lowbit.int<2, bipolar>,
                            !lowbit.ternary)

// CHECK-LABEL: func.func private @float_kinds
// CHECK-SAME: !lowbit.float<e2m1>, !lowbit.float<e2m1>
// CHECK-SAME: !lowbit.float<e5m2, ieee>
// CHECK-SAME: !lowbit.float<e4m3, fn>
// CHECK-SAME: !lowbit.float<e5m2, fnuz>
// CHECK-SAME: !lowbit.float<e8m0, unsigned>
// CHECK-SAME: !lowbit.float<e4m3, unsigned>
func.func private @float_kinds(!lowbit.float<e2m1>, !lowbit.float<e2m1, finite>,
                               !lowbit.float<e5m2, ieee>,
                               !lowbit.float<e4m3, fn>,
                               !lowbit.float<e5m2, fnuz>,
                               !lowbit.float<e8m0, unsigned>,
                               !lowbit.float<e4m3, unsigned>)

// CHECK-LABEL: func.func private @float_params
// CHECK-SAME: !lowbit.float<e3m3, ieee, bias = 4>
// CHECK-SAME: !lowbit.float<e4m3, fnuz, bias = 11>
// CHECK-SAME: !lowbit.float<e4m3, bias = -3>
// The default bias is not printed.
// CHECK-SAME: !lowbit.float<e4m3>
// CHECK-SAME: !lowbit.float<e2m3, nosubnormal>
// CHECK-SAME: !lowbit.float<e3m2, ieee, bias = 1, nosubnormal>
// With M = 0 there are no subnormals anyway: `nosubnormal` is implied.
// CHECK-SAME: !lowbit.float<e3m0>
// Fixed point (E = 0), the widest splits, and single-field formats.
// CHECK-SAME: !lowbit.float<e0m7>, !lowbit.float<e8m23, ieee>
// CHECK-SAME: !lowbit.float<e0m23>, !lowbit.float<e8m23>
// CHECK-SAME: !lowbit.float<e8m0>
func.func private @float_params(!lowbit.float<e3m3, ieee, bias = 4>,
                                !lowbit.float<e4m3, fnuz, bias = 11>,
                                !lowbit.float<e4m3, bias = -3>,
                                !lowbit.float<e4m3, bias = 7>,
                                !lowbit.float<e2m3, nosubnormal>,
                                !lowbit.float<e3m2, ieee, bias = 1, nosubnormal>,
                                !lowbit.float<e3m0, nosubnormal>,
                                !lowbit.float<e0m7>, !lowbit.float<e8m23, ieee>,
                                !lowbit.float<e0m23>, !lowbit.float<e8m23>,
                                !lowbit.float<e8m0>)

// CHECK-LABEL: func.func private @posits
// CHECK-SAME: !lowbit.posit<2, 0>, !lowbit.posit<8, 0>, !lowbit.posit<16, 1>
// CHECK-SAME: !lowbit.posit<32, 2>, !lowbit.posit<32, 4>
func.func private @posits(!lowbit.posit<2, 0>, !lowbit.posit<8,0>, !lowbit.posit<16, 1>,
                          !lowbit.posit<32, 2>, !lowbit.posit<32, 4>)

// Types nest in tensors and memrefs like any element type.
// CHECK-LABEL: func.func private @containers
// CHECK-SAME: tensor<4x128x!lowbit.int<4, unsigned>>
// CHECK-SAME: memref<?x!lowbit.posit<8, 0>>
// CHECK-SAME: vector<32x!lowbit.float<e2m1>>
func.func private @containers(tensor<4x128x!lowbit.int<4, unsigned>>,
                              memref<?x!lowbit.posit<8, 0>>,
                              vector<32x!lowbit.float<e2m1>>)
