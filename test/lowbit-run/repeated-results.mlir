// A function that returns one tensor twice, and a private function whose
// two results bufferize into one buffer, compile and run: each result gets
// its own buffer (upstream's buffer-results-to-out-params crashed on a
// buffer returned twice).
// RUN: lowbit-run %s --function=twice --print | FileCheck %s --check-prefix=TWICE
// RUN: lowbit-run %s --function=caller --print | FileCheck %s --check-prefix=CALLER

// TWICE: output 0: tensor<4xf32> {{.*}} sum [[S:.*]]
// TWICE-NEXT: {{^ +}}[[V:[-0-9].*]]
// TWICE-NEXT: output 1: tensor<4xf32> {{.*}} sum [[S]]
// TWICE-NEXT: {{^ +}}[[V]]
func.func @twice(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %x : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %r, %r : tensor<4xf32>, tensor<4xf32>
}

func.func private @pair(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = func.call @twice(%a) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// The product of the two results, each 2x: 4x^2 >= 0.
// CALLER: output 0: tensor<4xf32> min {{[0-9]}}
func.func @caller(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r:2 = func.call @pair(%a) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  %e = tensor.empty() : tensor<4xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} ins(%r#0, %r#1 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %z = arith.mulf %x, %y : f32
    linalg.yield %z : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}
