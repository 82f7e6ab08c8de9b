#!/usr/bin/env bash
# Installs llama.cpp's CPU kernels (the npm package @node-llama-cpp/linux-x64,
# which ships libggml-base.so and libggml-cpu-*.so) into a cache folder for
# the CPU benchmark's baseline column, and prints the folder of the
# libraries. lowbit never links or builds it: lowbit-bench-cpu-mpgemm loads
# it with dlopen (LOWBIT_LLAMA_CPP_DIR, default: the folder printed here).
set -euo pipefail
version=${LOWBIT_LLAMA_CPP_VERSION:-3.22.1}
cache=${LOWBIT_CACHE:-$HOME/.cache/lowbit}/llama-cpp-$version
lib="$cache/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -f "$lib/libggml-base.so" ]; then
  command -v npm >/dev/null || { echo "fetch-llama-cpp: npm is missing (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$cache"
  npm install --silent --no-save --ignore-scripts --no-audit --no-fund --prefix "$cache" \
    "@node-llama-cpp/linux-x64@$version" >&2
fi
echo "$lib"
