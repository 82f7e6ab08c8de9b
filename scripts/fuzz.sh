#!/usr/bin/env bash
# scripts/fuzz.sh TARGET SECONDS  -- runs a libFuzzer target (layout, format,
# npy, mlir, pipeline, capi, gguf, safetensors, onnx) for SECONDS, built with -fsanitize=fuzzer,address,undefined in
# build-fuzz/, starting from the seed corpus in fuzz/corpus/TARGET (copied:
# the repository's corpus is not changed). Ends with the fuzzer's figures
# and exits non-zero when it found a crash, a leak or a sanitizer report (the
# input is left in build-fuzz/crashes/TARGET). LOWBIT_FUZZ_SEED fixes the
# random seed (0, the default, lets libFuzzer choose one).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS (TARGET: layout, format, npy, mlir, pipeline, capi, gguf, safetensors, onnx)}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
case "$target" in layout|format|npy|mlir|pipeline|capi|gguf|safetensors|onnx) ;; *) echo "fuzz.sh: unknown target '$target' (layout, format, npy, mlir, pipeline, capi, gguf, safetensors, onnx)" >&2; exit 2;; esac

LOWBIT_APT_PACKAGES+=(libclang-rt-22-dev)
lowbit_ensure_packages
fuzzBuild=${LOWBIT_FUZZ_BUILD:-$LOWBIT_ROOT/build-fuzz}
export CCACHE_BASEDIR="$LOWBIT_ROOT"
if [ ! -f "$fuzzBuild/build.ninja" ]; then
  lowbit_log "configuring $fuzzBuild (fuzzer, address, undefined)"
  flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1"
  (cd "$LOWBIT_ROOT" && cmake --preset default -B "$fuzzBuild" -DLOWBIT_ENABLE_FUZZERS=ON \
     -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
     -DCMAKE_EXE_LINKER_FLAGS="-fuse-ld=lld -fsanitize=address,undefined" \
     >"$fuzzBuild.configure.log" 2>&1) || { cat "$fuzzBuild.configure.log" >&2; exit 1; }
fi
LOWBIT_BUILD=$fuzzBuild lowbit_build "lowbit-fuzz-$target"

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$LOWBIT_ROOT/fuzz/corpus/$target/"* "$corpus/" 2>/dev/null || true
crashes="$fuzzBuild/crashes/$target"
mkdir -p "$crashes"
extra=()
dict=$target
[ "$target" = pipeline ] && dict=mlir # the same language, the same keywords
[ -f "$LOWBIT_ROOT/fuzz/$dict.dict" ] && extra+=(-dict="$LOWBIT_ROOT/fuzz/$dict.dict")
lowbit_log "fuzzing $target for $seconds s"
# allow_user_poisoning=0: LLVM's allocator poisons slabs only where its
# inline code is instrumented (ours, not libMLIR's); see docs/fuzzing.md.
ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$fuzzBuild/bin/lowbit-fuzz-$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=4096 \
  -timeout=10 -max_len=4096 -seed="${LOWBIT_FUZZ_SEED:-0}" -artifact_prefix="$crashes/" \
  -print_final_stats=1 "${extra[@]}" 2>&1 |
  grep -E '^(#[0-9]+ *(DONE|INITED)|stat::number_of_executed_units|stat::peak_rss_mb|.*ERROR|.*SUMMARY|==[0-9]+==|artifact_prefix|Test unit written|cov:)' | tail -n 12
status=${PIPESTATUS[0]}
exit "$status"
