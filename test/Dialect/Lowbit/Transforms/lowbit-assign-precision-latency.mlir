// budget-kind=latency: option costs are estimated times from a cost table
// (measured shapes answered by their median, others by the fitted model).
// Layer a's Gaussian weight loses at 4 bits, b's is exact at 4 bits: with
// 30.1 us for both (a little over 30: the cost-resolution policy rounds
// costs up), the one int8 goes to a; with 25.1 us both are int4; with
// two threads f32 fits 60 us; u4_g32's time comes from its fit.
// RUN: lowbit-opt %s --lowbit-assign-precision="budget-kind=latency budget=0.0301 cost-table=%S/Inputs/cost-table.csv candidates=i4_channel,int8_per_channel sensitivity=weight" | FileCheck %s --check-prefix=MIXED
// RUN: lowbit-opt %s --lowbit-assign-precision="budget-kind=latency budget=0.0251 cost-table=%S/Inputs/cost-table.csv candidates=i4_channel,int8_per_channel sensitivity=weight" | FileCheck %s --check-prefix=INT4
// RUN: lowbit-opt %s --lowbit-assign-precision="budget-kind=latency budget=0.0601 cost-table=%S/Inputs/cost-table.csv cost-threads=2 candidates=f32 sensitivity=weight" | FileCheck %s --check-prefix=THREADS
// RUN: lowbit-opt %s --lowbit-assign-precision="budget-kind=latency budget=1 cost-table=%S/Inputs/cost-table.csv candidates=u4_g32 sensitivity=weight config-file=%t.txt" | FileCheck %s --check-prefix=FIT
// RUN: FileCheck %s --check-prefix=CONFIG --input-file=%t.txt

// MIXED-LABEL: func.func @two
// MIXED: lowbit.mpgemm {{.*}}b_scheme = #lowbit.scheme<int8_per_channel>, lowbit.estimated_time_us = 2.000000e+01 : f64
// MIXED: lowbit.mpgemm {{.*}}b_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32, element = !lowbit.int<4>>, lowbit.estimated_time_us = 1.000000e+01 : f64

// INT4-COUNT-2: lowbit.mpgemm {{.*}}b_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32, element = !lowbit.int<4>>, lowbit.estimated_time_us = 1.000000e+01 : f64

// THREADS-COUNT-2: lowbit.mpgemm {{.*}}{acc_type = f32, lowbit.estimated_time_us = 2.500000e+01 : f64, lowbit.sensitivity = 0.000000e+00 : f64, transpose_b}

// FIT-COUNT-2: lowbit.estimated_time_us = 1.6400000{{[0-9]*}} : f64
// CONFIG: # lowbit-assign-precision: 2 layers, 4.6250 bits per weight, estimated 0.0033 ms per run of the products, summed sensitivity

// CHECK: lowbit.mpgemm {{.*}}b_scheme = #lowbit.scheme<int8_per_channel>
// CHECK: lowbit.mpgemm {{.*}}b_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32, element = !lowbit.int<4>>, lowbit.sensitivity = 0.000000e+00 : f64

func.func @two(%x: tensor<4x32xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %wa = arith.constant dense<[[2.04092, -2.55567, 0.418099, -0.56777, -0.452649, -0.215597, -2.01999, -0.231932, -0.865213, 3.323, 0.225787, -0.352631, -0.281287, -0.668046, -1.05515, -0.390801, 0.481945, -0.238554, 0.957759, -0.199802, 0.0242596, 1.54582, 0.545106, -0.505229, -0.182839, 0.540525, 1.93509, -0.26962, -0.243559, 1.00231, -0.88646, -0.29172], [0.882539, 0.58035, 0.0915167, 0.670104, -2.82816, 1.02131, -0.959645, -1.66862, 0.276446, 0.700545, -0.444767, -1.07641, 0.0261248, -0.0527473, 1.4056, 0.747408, 0.193816, 1.11163, -0.205523, -0.9259, 0.584058, 0.582538, -0.214829, -0.782809, 0.229154, -2.49389, 0.690125, 0.491368, -1.63886, 0.0613535, -0.9641, 0.757221]]> : tensor<2x32xf32>
  %wb = arith.constant dense<[[0.875, -0.5, -0.5, 0.625, 0.125, -0.625, 0.75, 0.875, 0.875, 0.25, 0.875, 0.25, 0.0, 0.875, 0.25, 0.5, -0.25, 0.5, 0.875, -0.875, 0.125, -0.25, -0.875, -0.75, -0.375, -0.625, 0.375, -0.5, 0.25, 0.625, 0.0, -0.75], [-0.875, -0.375, -0.125, 0.0, -0.375, 0.625, 0.125, 0.875, 0.875, 0.375, -0.875, -0.5, 0.5, 0.125, 0.875, 0.375, 0.625, -0.875, -0.375, 0.375, 0.25, -0.25, -0.625, 0.125, -0.75, 0.375, 0.625, 0.375, -0.875, 0.0, -0.375, 0.125]]> : tensor<2x32xf32>
  %ya = lowbit.mpgemm %x, %wa {acc_type = f32, transpose_b}
      : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<4x2xf32> loc("a")
  %yb = lowbit.mpgemm %x, %wb {acc_type = f32, transpose_b}
      : tensor<4x32xf32>, tensor<2x32xf32> -> tensor<4x2xf32> loc("b")
  return %ya, %yb : tensor<4x2xf32>, tensor<4x2xf32>
}
