#!/usr/bin/env bash
# Builds lowbit and runs the main job on built-in example data: a
# transformer feed-forward block with seeded f32 weights, compiled once per
# weight scheme (weights quantized at compile time), JIT-run on seeded
# inputs on the reference path and on the CPU fast path (x86 kernels), with
# a table of bits per weight, weight bytes, error against the f32 model and
# run time of both paths. Then one example from docs/ checked against the
# Numerics library, and a short tour of the number-format and layout tools.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lowbit_setup
lowbit_log "building"
lowbit_build lowbit-demo lowbit-run lowbit-num lowbit-layout

echo "== main job: a quantized feed-forward block (lowbit-demo)"
"$LOWBIT_BUILD/bin/lowbit-demo"

echo
echo "== lowbit-run --check on docs/examples/gptq-linear.mlir (JIT vs the Numerics library)"
"$LOWBIT_BUILD/bin/lowbit-run" "$LOWBIT_ROOT/docs/examples/gptq-linear.mlir" --check

echo
echo "== formats (exact facts from lowbit-num)"
"$LOWBIT_BUILD/bin/lowbit-num" facts \
  'int<4, unsigned>' 'int<2, bipolar>' 'ternary' 'float<e2m1>' \
  'float<e4m3, fn>' 'float<e8m0, unsigned>' 'posit<8, 0>' 'posit<16, 1>'

echo
echo "== a 2x2 block tiled 3x4 times (CuTe blocked product), drawn by lowbit-layout"
product=$("$LOWBIT_BUILD/bin/lowbit-layout" blocked-product '(2,2):(1,2)' '(3,4):(4,1)')
"$LOWBIT_BUILD/bin/lowbit-layout" show "$product"
