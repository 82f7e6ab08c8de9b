#!/usr/bin/env python3
"""The Python package's cost per call over the compiled code, and of a
compile plus first call.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/python-overhead.py \
        --out docs/benchmarks/python-overhead.md

Calls: for a small product (M = 1, 64 x 256 int4 run-time weights) and a
4096 x 4096 one, interleaved rounds of: many calls from Python on existing
numpy arrays, and the same call timed inside lowbit-run (the C++ JIT's
invoke, no Python). Median and min..max of the rounds' per-call medians;
the difference is what Python adds (argument checks, result allocation, the
GIL release).

Compile + first call: a 4096 x 4096 product with constant int4 weights
(repacked at compile time by the x86 kernels), in a fresh process each
round with the disk cache off (LOWBIT_CACHE=0: the JIT compiles in
process): lowbit.compile and the first call from Python against lowbit-run
--timing (the C++ JIT's compile and first invoke), interleaved."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import lowbit

SOURCE = """
func.func @linear(%x: tensor<1xKxf32>, %w: tensor<NxKx!lowbit.int<4>>) -> tensor<1xNxf32> {
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<1xKxf32>, tensor<NxKx!lowbit.int<4>> -> tensor<1xNxf32>
  return %y : tensor<1xNxf32>
}
"""


def python_call_us(f, x, w, calls):
    f(x, w)
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        f(x, w)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def native_call_us(tool, path, calls):
    out = subprocess.run([tool, path, "--num-threads=1", "--target=host", "--repeat=%d" % calls],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"median ([0-9.e+-]+) ms", out)
    return float(m.group(1)) * 1e3


CONSTANT_SOURCE = """
func.func @linear(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %w = lowbit.constant dense<"0xHEX"> : tensor<4096x4096xui4> -> tensor<4096x4096x!lowbit.int<4>>
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<1x4096xf32>, tensor<4096x4096x!lowbit.int<4>> -> tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}
"""

PYTHON_FIRST_CALL = """
import sys, time
import numpy as np
import lowbit
source = open(sys.argv[1]).read()
x = np.random.default_rng(0).uniform(-1, 1, (1, 4096)).astype(np.float32)
t0 = time.perf_counter()
f = lowbit.compile(source, target="host", threads=1)["linear"]
t1 = time.perf_counter()
f(x)
t2 = time.perf_counter()
print("%f %f" % ((t1 - t0) * 1e3, (t2 - t1) * 1e3))
"""


def first_call_ms(tool, path, env):
    """(compile ms, first call ms) from Python and from lowbit-run, each a fresh process."""
    out = subprocess.run([sys.executable, "-c", PYTHON_FIRST_CALL, path], check=True,
                         capture_output=True, text=True, env=env).stdout.split()
    py = (float(out[0]), float(out[1]))
    err = subprocess.run([tool, path, "--num-threads=1", "--target=host", "--timing"], check=True,
                         capture_output=True, text=True, env=env).stderr
    m = re.search(r"timing: compile ([0-9.]+) ms, first call ([0-9.]+) ms", err)
    return py, (float(m.group(1)), float(m.group(2)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(lowbit.__file__))
    tool = os.path.join(here, "..", "..", "bin", "lowbit-run")
    rows = []
    for n, k, calls in [(64, 256, 2000), (4096, 4096, 50)]:
        src = SOURCE.replace("N", str(n)).replace("K", str(k))
        with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
            f.write(src)
            path = f.name
        mod = lowbit.compile(src, target="host", threads=1)
        x = np.random.default_rng(0).uniform(-1, 1, (1, k)).astype(np.float32)
        w = np.random.default_rng(1).integers(0, 16, (n, k), dtype=np.uint8)
        py, native = [], []
        for _ in range(args.rounds):
            py.append(python_call_us(mod["linear"], x, w, calls))
            native.append(native_call_us(tool, path, calls))
        os.unlink(path)
        diff = [p - q for p, q in zip(py, native)]
        fmt = lambda v: "%.1f (%.1f..%.1f)" % (statistics.median(v), min(v), max(v))
        rows.append("| %dx%d | %d | %s | %s | %s |" % (n, k, calls, fmt(py), fmt(native), fmt(diff)))
        print(rows[-1], flush=True)
    codes = np.random.default_rng(2).integers(0, 16, 4096 * 4096, dtype=np.uint8)
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(CONSTANT_SOURCE.replace("HEX", codes.tobytes().hex().upper()))
        path = f.name
    env = dict(os.environ, LOWBIT_CACHE="0")
    py_total, cc_total = [], []
    first_rows = []
    for _ in range(args.rounds):
        (pc, pf), (cc, cf) = first_call_ms(tool, path, env)
        py_total.append(pc + pf)
        cc_total.append(cc + cf)
        first_rows.append((pc, pf, cc, cf))
    os.unlink(path)
    ratio = [p / c for p, c in zip(py_total, cc_total)]
    fmtms = lambda v: "%.1f (%.1f..%.1f)" % (statistics.median(v), min(v), max(v))
    first = ("| 4096x4096 int4, constant | %s | %s | %s | %s | %.2f (%.2f..%.2f) |" % (
        fmtms([r[0] for r in first_rows]), fmtms([r[1] for r in first_rows]),
        fmtms([r[2] for r in first_rows]), fmtms([r[3] for r in first_rows]),
        statistics.median(ratio), min(ratio), max(ratio)))
    print(first, flush=True)
    text = ("# Python call overhead\n\n"
            "Command: `PYTHONPATH=build/python /usr/bin/python3 benchmarks/python-overhead.py "
            "--out docs/benchmarks/python-overhead.md` (one thread, M = 1, int4 run-time "
            "weights as numpy arrays; %d interleaved rounds, median (min..max) of the rounds' "
            "per-call medians).\n\n"
            "| N x K | calls per round | Python call us | C++ invoke us (lowbit-run) | "
            "Python adds us |\n|---|---|---|---|---|\n" % args.rounds + "\n".join(rows) + "\n\n"
            "The target of issue 12 is at most 5 us added per call.\n\n"
            "## Compile and first call\n\n"
            "A fresh process per round, the disk cache off (LOWBIT_CACHE=0), one thread, "
            "%d interleaved rounds, median (min..max) in ms; the ratio is Python's compile + "
            "first call over lowbit-run's (`--timing`), per round.\n\n"
            "| product | Python compile ms | Python first call ms | C++ compile ms | "
            "C++ first call ms | Python / C++ |\n|---|---|---|---|---|---|\n%s\n\n"
            "The target of issue 12 is at most 1.2x.\n" % (args.rounds, first))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
