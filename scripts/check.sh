#!/usr/bin/env bash
# Builds lowbit and runs every test suite (lit + FileCheck, GoogleTest),
# counting cases individually. Ends with `lowbit: N passed, N failed[, N skipped]`
# and exits non-zero on any failure.
#
#   scripts/check.sh              the release build in build/, then the short fuzz runs
#   scripts/check.sh --sanitize   the same suites built with AddressSanitizer and
#                                 UndefinedBehaviorSanitizer in build-sanitize/ (the
#                                 `sanitize` preset); any report fails its case
#   scripts/check.sh --tsan       the concurrency tests (JIT compiles and calls from
#                                 8 threads, kernel thread counts) built with
#                                 ThreadSanitizer in build-tsan/ (the `tsan` preset)
set -euo pipefail
case "${1:-}" in
  "") ;;
  --tsan)
    export LOWBIT_PRESET=tsan LOWBIT_BUILD="$(cd "$(dirname "$0")/.." && pwd)/build-tsan"
    export LOWBIT_FUZZ_SECONDS=0 LOWBIT_TESTS_ONLY=LowbitRuntimeTests
    export LOWBIT_GTEST_FILTER='JIT.Concurrent*:X86KernelPolicy.ThreadCountsGiveIdenticalBits'
    # libMLIR, libLLVM and libomp are not instrumented: their own accesses
    # are ignored (TSan's advice for OpenMP, whose pool synchronizes with
    # atomics it cannot see), ours are checked. One kernel thread by
    # default; ThreadCountsGiveIdenticalBits asks for 2, 3 and 7.
    export LOWBIT_NUM_THREADS=1
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1}
    ;;
  --sanitize)
    export LOWBIT_PRESET=sanitize LOWBIT_BUILD="$(cd "$(dirname "$0")/.." && pwd)/build-sanitize"
    # The fuzz targets are sanitized builds already.
    export LOWBIT_FUZZ_SECONDS=0
    # Leaks: LLVM's and MLIR's process-lifetime singletons are not ours to
    # free, so only errors of memory use and undefined behaviour count.
    # Manual poisoning off: LLVM's BumpPtrAllocator poisons its slabs where
    # its inline code is compiled with ASan (ours) but not where it is not
    # (libMLIR), which reports uses of memory libMLIR allocated correctly.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allow_user_poisoning=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ;;
  *) echo "usage: scripts/check.sh [--sanitize | --tsan]" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"
case "$LOWBIT_PRESET" in
  sanitize | tsan) LOWBIT_APT_PACKAGES+=(libclang-rt-22-dev) ;;
  # lowbit.torch's tests (the Python package is not built when sanitized).
  *) LOWBIT_APT_PACKAGES+=(python3-torch) ;;
esac

lowbit_setup
# ggml's own dequantization (the npm package @node-llama-cpp/linux-x64) is
# the importer's second oracle (LowbitImportTests GGMLOracle): fetched where
# npm reaches its registry; without it those cases check lowbit against
# itself and report skipped.
if [ -z "${LOWBIT_LLAMA_CPP_DIR:-}" ] && command -v npm >/dev/null; then
  if dir=$("$LOWBIT_ROOT/scripts/fetch-llama-cpp.sh" 2>/dev/null); then
    export LOWBIT_LLAMA_CPP_DIR=$dir
  fi
fi
# onnxruntime-node is the ONNX importer's second oracle (lit's onnxruntime
# feature); fetched the same way, with the main job's model.
if [ -z "${LOWBIT_ONNXRUNTIME_DIR:-}" ] && command -v npm >/dev/null; then
  if dir=$("$LOWBIT_ROOT/scripts/fetch-ocr-model.sh" 2>/dev/null) &&
     [ -d "$dir/node_modules/onnxruntime-node" ]; then
    export LOWBIT_ONNXRUNTIME_DIR=$dir
  fi
fi
lowbit_log "building"
if [ -n "${LOWBIT_TESTS_ONLY:-}" ]; then
  lowbit_build "$LOWBIT_TESTS_ONLY"
else
  lowbit_build all LowbitUnitTests
fi

results="$LOWBIT_BUILD/test-results"
rm -rf "$results"
mkdir -p "$results"
# The JIT's disk caches (compiled modules, autotuning) start empty for each
# run, apart from the user's ~/.cache/lowbit.
export LOWBIT_CACHE_DIR="$LOWBIT_BUILD/test-cache"
rm -rf "$LOWBIT_CACHE_DIR"
# Exit statuses are not trusted alone: the summary below reads the results.
set +e
lit_status=0
if [ -z "${LOWBIT_TESTS_ONLY:-}" ]; then
  lowbit_log "running the lit suite"
  "$LLVM_BIN/lit" -q -j2 --order=lexical -o "$results/lit.json" "$LOWBIT_BUILD/test"
  lit_status=$?
fi
# GoogleTest binaries run directly: lit's GoogleTest format drops cases that
# call GTEST_SKIP from its results, and skips must be reported as skips.
# Each binary runs as LOWBIT_TEST_JOBS (default 2, the cores) GoogleTest
# shards at once, each with its own JIT cache, so one long binary (the
# runtime's, with its emulated kernels) does not hold a core idle.
lowbit_log "running the GoogleTest suites"
gtest_status=0
test_jobs=${LOWBIT_TEST_JOBS:-2}
for bin in $(find "$LOWBIT_BUILD/unittests" -type f -name "${LOWBIT_TESTS_ONLY:-*Tests}" -perm -u+x | sort); do
  for ((shard = 0; shard < test_jobs; ++shard)); do
    out="$results/$(basename "$bin").shard$shard"
    GTEST_TOTAL_SHARDS=$test_jobs GTEST_SHARD_INDEX=$shard LOWBIT_CACHE_DIR="$LOWBIT_CACHE_DIR/$(basename "$out")" \
      LOWBIT_SOURCE_DIR="$LOWBIT_ROOT" "$bin" --gtest_brief=1 --gtest_filter="${LOWBIT_GTEST_FILTER:-*}" \
      --gtest_output="json:$out.json" >"$out.log" 2>&1 &
  done
  for ((shard = 0; shard < test_jobs; ++shard)); do
    wait -n || gtest_status=1
  done
done
# The Python package's tests (pytest, Debian's python3-pytest), on the
# build tree's package; the sanitize preset builds no Python package.
if [ "$LOWBIT_PRESET" = default ] && [ -d "$LOWBIT_BUILD/python/lowbit" ]; then
  lowbit_log "running the Python tests"
  PYTHONPATH="$LOWBIT_BUILD/python" LOWBIT_TOOLS_DIR="$LOWBIT_BUILD/bin" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$results/pytest.xml" "$LOWBIT_ROOT/python/tests" >"$results/pytest.log" 2>&1
  echo $? >"$results/pytest.status"
fi
# Short fuzzing runs (libFuzzer with ASan + UBSan): each target is one
# case, passed when the fuzzer found nothing. LOWBIT_FUZZ_SECONDS=0 skips.
fuzz_seconds=${LOWBIT_FUZZ_SECONDS:-15}
if [ "$fuzz_seconds" -gt 0 ]; then
  for target in layout format npy mlir pipeline capi gguf safetensors onnx; do
    lowbit_log "fuzzing $target for ${fuzz_seconds} s"
    # A fixed seed: the routine run repeats one exploration (a new finding
    # comes from scripts/fuzz.sh campaigns, not from a random CI failure).
    LOWBIT_FUZZ_SEED=${LOWBIT_FUZZ_SEED:-1} "$LOWBIT_ROOT/scripts/fuzz.sh" "$target" \
      "$fuzz_seconds" >"$results/fuzz-$target.log" 2>&1
    echo $? >"$results/fuzz-$target.status"
  done
fi
set -e

/usr/bin/python3 - "$results" "$lit_status" "$gtest_status" <<'PY'
import glob, json, os, sys
results, lit_status, gtest_status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
passed = failed = skipped = 0
failures, skips = [], []

lit_json = os.path.join(results, "lit.json")
if os.environ.get("LOWBIT_TESTS_ONLY"):
    pass  # one GoogleTest binary only (--tsan)
elif os.path.exists(lit_json):
    for t in json.load(open(lit_json)).get("tests", []):
        code = t["code"]
        if code in ("PASS", "XFAIL", "FLAKYPASS"):
            passed += 1
        elif code in ("UNSUPPORTED", "SKIPPED"):
            skipped += 1
            skips.append(t["name"])
        else:
            failed += 1
            failures.append((t["name"], code, t.get("output", "")))
else:
    failed += 1
    failures.append(("lit", "NO RESULTS", "lit wrote no results (exit %d)" % lit_status))

binaries = sorted(glob.glob(os.path.join(results, "*Tests.shard*.json")))
if not binaries:
    failed += 1
    failures.append(("GoogleTest", "NO RESULTS", "no GoogleTest binary reported"))
for path in binaries:
    binary = os.path.basename(path).split(".shard")[0]
    for suite in json.load(open(path)).get("testsuites", []):
        for case in suite.get("testsuite", []):
            name = f"{binary} :: {suite['name']}.{case['name']}"
            if case.get("failures"):
                failed += 1
                msg = "\n".join(f["failure"] for f in case["failures"])
                failures.append((name, "FAIL", msg))
            elif case.get("result") == "SKIPPED":
                skipped += 1
                skips.append(name)
            elif case.get("result") == "COMPLETED":
                passed += 1
# A binary that crashed leaves a partial or no JSON file: count it.
for log in sorted(glob.glob(os.path.join(results, "*Tests.shard*.log"))):
    if not os.path.exists(log[:-4] + ".json"):
        failed += 1
        failures.append((os.path.basename(log)[:-4], "CRASH", open(log).read()[-4000:]))

# pytest: one case per test function (and parameter set), from JUnit XML.
pytest_xml = os.path.join(results, "pytest.xml")
if os.path.exists(os.path.join(results, "pytest.status")):
    import xml.etree.ElementTree as ET
    if not os.path.exists(pytest_xml):
        failed += 1
        failures.append(("pytest", "NO RESULTS", open(os.path.join(results, "pytest.log")).read()[-4000:]))
    else:
        for case in ET.parse(pytest_xml).iter("testcase"):
            name = f"pytest :: {case.get('classname')}.{case.get('name')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                node = case.find("failure") if case.find("failure") is not None else case.find("error")
                failures.append((name, "FAIL", (node.text or node.get("message") or "")))
            elif case.find("skipped") is not None:
                skipped += 1
                skips.append(name + ": " + (case.find("skipped").get("message") or ""))
            else:
                passed += 1

for status in sorted(glob.glob(os.path.join(results, "fuzz-*.status"))):
    name = "fuzz :: " + os.path.basename(status)[5:-7]
    if open(status).read().strip() == "0":
        passed += 1
    else:
        failed += 1
        failures.append((name, "FUZZ", open(status[:-7] + ".log").read()[-4000:]))

for name, code, out in failures:
    print(f"---- {code}: {name}")
    print("\n".join(out.splitlines()[-40:]))
if skips:
    print(f"skipped ({len(skips)}):")
    for s in skips:
        print(f"  {s}")
if (lit_status or gtest_status) and not failed:
    failed = 1
    print("a test runner failed without reporting a failing case "
          f"(lit exit {lit_status}, gtest exit {gtest_status})")
line = f"lowbit: {passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
PY
