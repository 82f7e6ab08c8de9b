#!/usr/bin/env python3
"""The Python package's cost per call over the compiled code.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/python-overhead.py \
        --out docs/benchmarks/python-overhead.md

For a small product (M = 1, 64 x 256 int4 run-time weights) and a 4096 x
4096 one, interleaved rounds of: many calls from Python on existing numpy
arrays, and the same call timed inside lowbit-run (the C++ JIT's invoke,
no Python). Median and min..max of the rounds' per-call medians; the
difference is what Python adds (argument checks, result allocation, the
GIL release)."""

import argparse
import os
import re
import statistics
import subprocess
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
    text = ("# Python call overhead\n\n"
            "Command: `PYTHONPATH=build/python /usr/bin/python3 benchmarks/python-overhead.py "
            "--out docs/benchmarks/python-overhead.md` (one thread, M = 1, int4 run-time "
            "weights as numpy arrays; %d interleaved rounds, median (min..max) of the rounds' "
            "per-call medians).\n\n"
            "| N x K | calls per round | Python call us | C++ invoke us (lowbit-run) | "
            "Python adds us |\n|---|---|---|---|---|\n" % args.rounds + "\n".join(rows) + "\n\n"
            "The target of issue 12 is at most 5 us added per call.\n")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
