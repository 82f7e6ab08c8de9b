# shellcheck shell=bash
# Shared set-up for scripts/demo.sh and scripts/check.sh: install what is
# missing (as root), configure once, build with at most two jobs.

LOWBIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOWBIT_BUILD=${LOWBIT_BUILD:-$LOWBIT_ROOT/build}
LOWBIT_PRESET=${LOWBIT_PRESET:-default} # CMakePresets.json
LLVM_BIN=/usr/lib/llvm-22/bin

# Debian 12 packages lowbit builds and tests with (see docs/getting-started.md).
LOWBIT_APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  cmake ninja-build ccache libgtest-dev python3 python3-dev pybind11-dev
  python3-numpy python3-pytest libopenblas-dev libomp-22-dev libdlpack-dev
  # The aarch64 targets' tests: cross C compiler and libc, and qemu-aarch64.
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # lowbit-import's ONNX reader (libonnx, protobuf) and its tests' model
  # writer (python3-onnx); the OCR demo's text rendering.
  libonnx-dev libprotobuf-dev python3-onnx python3-pil fonts-dejavu-core fonts-wqy-zenhei
)

lowbit_log() { printf '== %s\n' "$*" >&2; }

lowbit_ensure_packages() {
  local missing=() p
  for p in "${LOWBIT_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "lowbit: missing Debian packages: ${missing[*]}" >&2
    echo "lowbit: install them as root with:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  lowbit_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || { echo "lowbit: apt-get update failed" >&2; exit 1; }
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "lowbit: apt-get install ${missing[*]} failed" >&2; exit 1; }
}

lowbit_configure() {
  # Re-configure only when there is no build tree yet; later changes to
  # CMake files are picked up by the build itself.
  if [ ! -f "$LOWBIT_BUILD/build.ninja" ]; then
    lowbit_log "configuring $LOWBIT_BUILD"
    export CCACHE_BASEDIR="$LOWBIT_ROOT"
    (cd "$LOWBIT_ROOT" && cmake --preset "$LOWBIT_PRESET" -B "$LOWBIT_BUILD" >"$LOWBIT_BUILD.configure.log" 2>&1) || {
      cat "$LOWBIT_BUILD.configure.log" >&2
      echo "lowbit: cmake configure failed" >&2
      exit 1
    }
  fi
}

# lowbit_build TARGET... : builds with at most two jobs, quietly unless it fails.
lowbit_build() {
  export CCACHE_BASEDIR="$LOWBIT_ROOT"
  local log="$LOWBIT_BUILD/last-build.log"
  if ! ninja -C "$LOWBIT_BUILD" -j2 "$@" >"$log" 2>&1; then
    grep -E -B2 -A12 'error|FAILED' "$log" | head -n 200 >&2
    echo "lowbit: build failed (full log: $log)" >&2
    exit 1
  fi
}

lowbit_setup() {
  lowbit_ensure_packages
  lowbit_configure
}
