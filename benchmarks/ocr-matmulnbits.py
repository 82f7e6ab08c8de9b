#!/usr/bin/env python3
"""PP-OCRv4 with 4-bit MatMulNBits weights: lowbit and onnxruntime on one file.

Rewrites every MatMul of PP-OCRv4 whose weight is a constant 2-D tensor as
com.microsoft.MatMulNBits (4-bit codes in blocks of BLOCK along K,
asymmetric min/max with the range widened to include 0, packed uint8 zero
points: the format onnxruntime's matmul_4bits_quantizer writes by default),
then runs the file through lowbit-import + the lowbit JIT and through
onnxruntime-node on the main job's rendered lines (scripts/ocr-demo.py's
rendering, preprocessing and decoding), and prints (and with --out writes)
accuracy, bits per weight and time per image of both. PP-OCRv4's K = 120 to
480 are not multiples of 32: every weight has a short last block, which
lowbit pads (docs/importing.md).

  PYTHONPATH=build/python python3 benchmarks/ocr-matmulnbits.py \\
      --models $(scripts/fetch-ocr-model.sh) --tools build/bin --out docs/benchmarks/ocr-matmulnbits.md
"""
import argparse
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np


def load_demo():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "ocr-demo.py")
    spec = importlib.util.spec_from_file_location("ocr_demo", path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def to_matmulnbits(src, dst, block):
    """Writes `src` with its constant-weight MatMuls as 4-bit MatMulNBits."""
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(src)
    consts = {n.output[0]: n for n in m.graph.node if n.op_type == "Constant"}
    inits = {t.name: t for t in m.graph.initializer}
    nodes, count = [], 0
    for n in m.graph.node:
        w = None
        if n.op_type == "MatMul" and len(n.input) == 2:
            if n.input[1] in consts:
                w = numpy_helper.to_array(consts[n.input[1]].attribute[0].t)
            elif n.input[1] in inits:
                w = numpy_helper.to_array(inits[n.input[1]])
        if w is None or w.ndim != 2:
            nodes.append(n)
            continue
        K, N = w.shape
        blocks = -(-K // block)
        wt = np.zeros((N, blocks * block), np.float32)
        wt[:, :K] = w.T
        wb = wt.reshape(N, blocks, block)
        lo, hi = np.minimum(wb.min(-1), 0), np.maximum(wb.max(-1), 0)
        scale = (hi - lo) / 15
        scale[scale == 0] = 1
        zero = np.clip(np.rint(-lo / scale), 0, 15).astype(np.uint8)
        q = np.clip(np.rint(wb / scale[..., None]) + zero[..., None], 0, 15).astype(np.uint8)
        blob = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        if blocks % 2:
            zero = np.concatenate([zero, np.zeros((N, 1), np.uint8)], axis=1)
        zpacked = (zero[:, 0::2] | (zero[:, 1::2] << 4)).reshape(-1).astype(np.uint8)
        base = n.name or n.output[0]
        m.graph.initializer.extend([numpy_helper.from_array(blob, base + ".B"),
                                    numpy_helper.from_array(scale.reshape(-1).astype(np.float32), base + ".scales"),
                                    numpy_helper.from_array(zpacked, base + ".zero_points")])
        nodes.append(helper.make_node("MatMulNBits", [n.input[0], base + ".B", base + ".scales", base + ".zero_points"],
                                      list(n.output), name=n.name, domain="com.microsoft",
                                      K=K, N=N, bits=4, block_size=block))
        count += 1
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(m, dst)
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", required=True, help="folder holding node_modules (scripts/fetch-ocr-model.sh)")
    ap.add_argument("--tools", required=True, help="folder of lowbit-import")
    ap.add_argument("--lines", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--block", type=int, default=32)
    ap.add_argument("--out", help="also write the table (Markdown) here")
    args = ap.parse_args()
    import lowbit
    demo = load_demo()
    assets = os.path.join(args.models, "node_modules", "@gutenye", "ocr-models", "assets")
    with open(os.path.join(assets, "ppocr_keys_v1.txt"), encoding="utf-8") as f:
        chars = [l.rstrip("\n") for l in f]
    rng = random.Random(args.seed)
    texts = demo.make_texts(rng, args.lines, set(chars))
    inputs = [demo.preprocess(demo.render(rng, t)) for t in texts]
    work = tempfile.mkdtemp(prefix="lowbit-nbits-")
    model = os.path.join(work, "pp-ocrv4-matmulnbits.onnx")
    count = to_matmulnbits(os.path.join(assets, "ch_PP-OCRv4_rec_infer.onnx"), model, args.block)
    mlir = os.path.join(work, "model.mlir")
    t0 = time.time()
    imp = subprocess.run([os.path.join(args.tools, "lowbit-import"), model, "--input-shape=x:1x3x48x320",
                          "--weight-stats", "-o", mlir], capture_output=True, text=True)
    if imp.returncode != 0:
        sys.exit("lowbit-import failed:\n" + imp.stderr)
    stats = [l for l in imp.stderr.splitlines() if "MatMul" in l]
    total = imp.stderr.strip().splitlines()[-1]
    mod = lowbit.compile(mlir, threads=1)
    compile_s = time.time() - t0
    probs, preds, exact, cer, times = demo.run_lines(mod["main"], inputs, texts, chars)
    ort, ort_ms = demo.run_onnxruntime(args.models, model, inputs, 1, work)
    rows = ["| runtime | exact match | CER | ms/image |", "|---|---|---|---|",
            "| lowbit (compile %.1f s) | %.1f%% | %.2f%% | %.2f |" % (compile_s, 100 * exact, 100 * cer,
                                                                1000 * float(np.median(times)))]
    extra = ""
    if ort is not None:
        ort_preds = [demo.ctc_greedy(p, chars) for p in ort]
        ort_exact = sum(p == t for p, t in zip(ort_preds, texts)) / len(texts)
        ort_cer = sum(demo.edit_distance(p, t) for p, t in zip(ort_preds, texts)) / sum(len(t) for t in texts)
        rows.append("| onnxruntime | %.1f%% | %.2f%% | %.2f |" % (100 * ort_exact, 100 * ort_cer, ort_ms))
        extra = ("lowbit vs onnxruntime on this file: max |p - p_ort| = %.3g, %d of %d strings equal "
                 "(lowbit's fast path rounds activations to int8 blocks, docs/cpu-kernels.md)."
                 % (float(np.abs(ort - probs).max()), sum(a == b for a, b in zip(ort_preds, preds)), len(texts)))
    text = ["%d MatMuls as 4-bit MatMulNBits, block %d; %d lines rendered with seed %d, batch 1, 1 thread."
            % (count, args.block, len(texts), args.seed), "", "\n".join(rows), ""]
    if extra:
        text += [extra, ""]
    text += ["lowbit-import --weight-stats:", "", "```"] + stats + [total, "```"]
    print("\n".join(text))
    if args.out:
        with open(args.out, "w") as f:
            f.write("# PP-OCRv4 with 4-bit MatMulNBits weights: lowbit and onnxruntime\n\n")
            f.write("`%s`\n\n" % " ".join(["benchmarks/ocr-matmulnbits.py"] + sys.argv[1:]))
            f.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
