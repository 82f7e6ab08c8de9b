#!/usr/bin/env bash
# Builds lowbit and runs every test suite (lit + FileCheck, GoogleTest),
# counting cases individually. Ends with `lowbit: N passed, N failed[, N skipped]`
# and exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lowbit_setup
lowbit_log "building"
lowbit_build all LowbitUnitTests

results="$LOWBIT_BUILD/test-results.json"
rm -f "$results"
lowbit_log "running lit and GoogleTest suites"
# lit exits non-zero when a test fails; the summary below decides.
set +e
"$LLVM_BIN/lit" -q -j2 --order=lexical -o "$results" \
  "$LOWBIT_BUILD/test" "$LOWBIT_BUILD/unittests"
lit_status=$?
set -e
if [ ! -s "$results" ]; then
  echo "lowbit: lit produced no results (exit $lit_status)" >&2
  echo "lowbit: 0 passed, 1 failed"
  exit 1
fi

/usr/bin/python3 - "$results" "$lit_status" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
lit_status = int(sys.argv[2])
passed = failed = skipped = 0
failures, skips = [], []
for t in data.get("tests", []):
    code = t["code"]
    if code in ("PASS", "XFAIL", "FLAKYPASS"):
        passed += 1
    elif code in ("UNSUPPORTED", "SKIPPED"):
        skipped += 1
        skips.append(t["name"])
    else:
        failed += 1
        failures.append((t["name"], code, t.get("output", "")))
for name, code, out in failures:
    print(f"---- {code}: {name}")
    print("\n".join(out.splitlines()[-40:]))
if skips:
    print(f"skipped ({len(skips)}):")
    for s in skips:
        print(f"  {s}")
if lit_status != 0 and not failed:
    failed = 1
    print("lit itself failed (exit %d)" % lit_status)
line = f"lowbit: {passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
PY
