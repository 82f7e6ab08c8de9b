// Errors of budget-kind=latency: no cost table, one that cannot be read
// or is malformed (file and line), a candidate it has no rows for, a shape
// it can neither look up nor fit, a budget below the fastest allocation,
// and a product whose row count is not static.
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=1 candidates=i4_channel sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=NOTABLE
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=1 cost-table=%S/Inputs/missing.csv candidates=i4_channel sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=1 cost-table=%S/Inputs/cost-table-bad.csv candidates=i4_channel sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=1 cost-table=%S/Inputs/cost-table.csv candidates=i4_channel,u3_g32 sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=NOROWS
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=1 cost-table=%S/Inputs/cost-table.csv cost-threads=2 candidates=f32,i4_channel sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=1 cost-table=%S/Inputs/cost-table.csv candidates=f32 sensitivity=weight cost-threads=2" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not lowbit-opt %s --split-input-file --lowbit-assign-precision="budget-kind=latency budget=0.001 cost-table=%S/Inputs/cost-table.csv candidates=u4_g32 sensitivity=weight" 2>&1 | FileCheck %s --check-prefix=BUDGET

// NOTABLE: error: lowbit-assign-precision: budget-kind=latency needs cost-table=FILE
// MISSING: error: lowbit-assign-precision: cannot read cost table '{{.*}}missing.csv': No such file or directory
// BAD: error: lowbit-assign-precision: cost table '{{.*}}cost-table-bad.csv', line 3: expected 6 fields (candidate,threads,m,n,k,us), found 4
// NOROWS: error: lowbit-assign-precision: cost table '{{.*}}cost-table.csv' has no rows for candidate 'u3_g32' at 1 thread(s) (measure it: lowbit-bench-cpu-cost --candidates u3_g32)
// THREADS: error: lowbit-assign-precision: cost table '{{.*}}' has no rows for candidate 'i4_channel' at 2 thread(s)
// SHAPE: :[[@LINE+6]]:8: error: lowbit-assign-precision: cost table '{{.*}}cost-table.csv' has too few rows of candidate 'f32' for a fit and none of this product's shape (m = 8, n = 2, k = 32)
// SHAPE: :[[@LINE+14]]:8: error: lowbit-assign-precision: budget-kind=latency needs the product's row count, and A ('tensor<?x32xf32>') is not static
// BUDGET: error: lowbit-assign-precision: budget 0.001 ms is below the fastest allocation of the candidates (0.0016 ms estimated from '{{.*}}cost-table.csv')

func.func @f(%x: tensor<8x32xf32>) -> tensor<8x2xf32> {
  %w = arith.constant dense<[[2.04092, -2.55567, 0.418099, -0.56777, -0.452649, -0.215597, -2.01999, -0.231932, -0.865213, 3.323, 0.225787, -0.352631, -0.281287, -0.668046, -1.05515, -0.390801, 0.481945, -0.238554, 0.957759, -0.199802, 0.0242596, 1.54582, 0.545106, -0.505229, -0.182839, 0.540525, 1.93509, -0.26962, -0.243559, 1.00231, -0.88646, -0.29172], [0.882539, 0.58035, 0.0915167, 0.670104, -2.82816, 1.02131, -0.959645, -1.66862, 0.276446, 0.700545, -0.444767, -1.07641, 0.0261248, -0.0527473, 1.4056, 0.747408, 0.193816, 1.11163, -0.205523, -0.9259, 0.584058, 0.582538, -0.214829, -0.782809, 0.229154, -2.49389, 0.690125, 0.491368, -1.63886, 0.0613535, -0.9641, 0.757221]]> : tensor<2x32xf32>
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<8x32xf32>, tensor<2x32xf32> -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}

// -----

func.func @g(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[2.04092, -2.55567, 0.418099, -0.56777, -0.452649, -0.215597, -2.01999, -0.231932, -0.865213, 3.323, 0.225787, -0.352631, -0.281287, -0.668046, -1.05515, -0.390801, 0.481945, -0.238554, 0.957759, -0.199802, 0.0242596, 1.54582, 0.545106, -0.505229, -0.182839, 0.540525, 1.93509, -0.26962, -0.243559, 1.00231, -0.88646, -0.29172], [0.882539, 0.58035, 0.0915167, 0.670104, -2.82816, 1.02131, -0.959645, -1.66862, 0.276446, 0.700545, -0.444767, -1.07641, 0.0261248, -0.0527473, 1.4056, 0.747408, 0.193816, 1.11163, -0.205523, -0.9259, 0.584058, 0.582538, -0.214829, -0.782809, 0.229154, -2.49389, 0.690125, 0.491368, -1.63886, 0.0613535, -0.9641, 0.757221]]> : tensor<2x32xf32>
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
