// Errors of lowbit-assign-precision: missing or malformed calibration
// statistics (on the product), a budget below the cheapest choice, and
// candidates that are not schemes (on the module).
// RUN: lowbit-opt %s --split-input-file --verify-diagnostics --lowbit-assign-precision="budget=8 candidates=int8_per_channel"
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget=4 candidates=int8_per_channel sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="candidates=int8_per_channel,bogus sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=CAND
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="candidates=rule=absmax sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=ELEMENT

// BUDGET: error: lowbit-assign-precision: budget 4 bits per weight is below the cheapest allocation of the candidates (9.0000 bits per weight, 72 bytes)
// CAND: error: lowbit-assign-precision: candidate 'bogus' is not a lowbit scheme
// ELEMENT: error: lowbit-assign-precision: candidate 'rule=absmax' names no element format

func.func @f(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[2.04092, -2.55567, 0.418099, -0.56777, -0.452649, -0.215597, -2.01999, -0.231932, -0.865213, 3.323, 0.225787, -0.352631, -0.281287, -0.668046, -1.05515, -0.390801, 0.481945, -0.238554, 0.957759, -0.199802, 0.0242596, 1.54582, 0.545106, -0.505229, -0.182839, 0.540525, 1.93509, -0.26962, -0.243559, 1.00231, -0.88646, -0.29172], [0.882539, 0.58035, 0.0915167, 0.670104, -2.82816, 1.02131, -0.959645, -1.66862, 0.276446, 0.700545, -0.444767, -1.07641, 0.0261248, -0.0527473, 1.4056, 0.747408, 0.193816, 1.11163, -0.205523, -0.9259, 0.584058, 0.582538, -0.214829, -0.782809, 0.229154, -2.49389, 0.690125, 0.491368, -1.63886, 0.0613535, -0.9641, 0.757221]]> : tensor<2x32xf32>
  // expected-error @+1 {{no lowbit.hessian on this product}}
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @g(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[2.04092, -2.55567, 0.418099, -0.56777, -0.452649, -0.215597, -2.01999, -0.231932, -0.865213, 3.323, 0.225787, -0.352631, -0.281287, -0.668046, -1.05515, -0.390801, 0.481945, -0.238554, 0.957759, -0.199802, 0.0242596, 1.54582, 0.545106, -0.505229, -0.182839, 0.540525, 1.93509, -0.26962, -0.243559, 1.00231, -0.88646, -0.29172], [0.882539, 0.58035, 0.0915167, 0.670104, -2.82816, 1.02131, -0.959645, -1.66862, 0.276446, 0.700545, -0.444767, -1.07641, 0.0261248, -0.0527473, 1.4056, 0.747408, 0.193816, 1.11163, -0.205523, -0.9259, 0.584058, 0.582538, -0.214829, -0.782809, 0.229154, -2.49389, 0.690125, 0.491368, -1.63886, 0.0613535, -0.9641, 0.757221]]> : tensor<2x32xf32>
  // expected-error @+1 {{lowbit.hessian is 'tensor<16x16xf32>', expected 32x32 (K x K)}}
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b, lowbit.hessian = dense<1.0> : tensor<16x16xf32>}
      : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @h(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[2.04092, -2.55567, 0.418099, -0.56777, -0.452649, -0.215597, -2.01999, -0.231932, -0.865213, 3.323, 0.225787, -0.352631, -0.281287, -0.668046, -1.05515, -0.390801, 0.481945, -0.238554, 0.957759, -0.199802, 0.0242596, 1.54582, 0.545106, -0.505229, -0.182839, 0.540525, 1.93509, -0.26962, -0.243559, 1.00231, -0.88646, -0.29172], [0.882539, 0.58035, 0.0915167, 0.670104, -2.82816, 1.02131, -0.959645, -1.66862, 0.276446, 0.700545, -0.444767, -1.07641, 0.0261248, -0.0527473, 1.4056, 0.747408, 0.193816, 1.11163, -0.205523, -0.9259, 0.584058, 0.582538, -0.214829, -0.782809, 0.229154, -2.49389, 0.690125, 0.491368, -1.63886, 0.0613535, -0.9641, 0.757221]]> : tensor<2x32xf32>
  // expected-error @+1 {{lowbit.sensitivity_scale must be a non-negative float}}
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b, lowbit.sensitivity_scale = -1.0 : f64}
      : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
