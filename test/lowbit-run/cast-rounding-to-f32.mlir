// Casts to f32 under every deterministic rounding: nearest-even is a
// truncation of the exact f64 value, the others go through the runtime
// codec (they used to be refused by the lowering). --check compares every
// element with the Numerics library bit for bit.
// RUN: lowbit-run %s --function=posit --check | FileCheck %s
// RUN: lowbit-run %s --function=wide --check | FileCheck %s
// CHECK-COUNT-4: elements mismatch, max error 0.000000e+00 (tolerance exact)

func.func @posit(%x: tensor<64x!lowbit.posit<32, 2>>) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %a = lowbit.cast %x rounding rtz : tensor<64x!lowbit.posit<32, 2>> to tensor<64xf32>
  %b = lowbit.cast %x rounding ru : tensor<64x!lowbit.posit<32, 2>> to tensor<64xf32>
  %c = lowbit.cast %x rounding rd : tensor<64x!lowbit.posit<32, 2>> to tensor<64xf32>
  %d = lowbit.cast %x rounding rna : tensor<64x!lowbit.posit<32, 2>> to tensor<64xf32>
  return %a, %b, %c, %d : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

func.func @wide(%x: tensor<64xi32>) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %a = lowbit.cast %x rounding rtz : tensor<64xi32> to tensor<64xf32>
  %b = lowbit.cast %x rounding ru : tensor<64xi32> to tensor<64xf32>
  %c = lowbit.cast %x rounding rd : tensor<64xi32> to tensor<64xf32>
  %d = lowbit.cast %x : tensor<64xi32> to tensor<64xf32>
  return %a, %b, %c, %d : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}
