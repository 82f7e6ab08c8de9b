#!/usr/bin/env python3
"""Per-layer precision allocation on PP-OCRv4: accuracy against bits per weight
for the uniform formats, the hand-written config and lowbit-quantize-model's
allocation at several budgets, with round-to-nearest and with GPTQ, on held-out
rendered text lines (scripts/ocr-demo.py renders them; docs/precision.md
explains the method).

  assign-precision-bench.py --model-dir DIR --tools BUILD/bin [--budgets 3,4,5,6,8]
        [--calib-lines 64] [--lines 200] [--quantizers rtn,gptq] [--no-uniform]
        [--out docs/benchmarks/assign-precision.md]

Calibration lines are rendered with seed 1234, the held-out ones with seed 7
(those of the main job), so no test image is ever a calibration image. With
--out, the table goes there and a plot (SVG) beside it.
"""
import argparse
import html
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ocr_demo", os.path.join(HERE, "ocr-demo.py"))
ocr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ocr)

CALIB_SEED = 1234

UNIFORM = [
    ("f32", []),
    ("int8 per channel", ["--quantize=int8_per_channel"]),
    ("uint4 GPTQ-style g128 (RTN)", ["--quantize=gptq_u4_g128"]),
    ("MXFP4", ["--quantize=mxfp4"]),
    ("NVFP4", ["--quantize=nvfp4"]),
    ("hand config: convs and head int8, MatMuls uint4 g128", ["--quantize-config={mixed}"]),
]


def evaluate(mlir, inputs, texts, chars, threads):
    import lowbit
    t0 = time.time()
    mod = lowbit.compile(mlir, threads=threads)
    compile_s = time.time() - t0
    _, _, exact, cer, times = ocr.run_lines(mod["main"], inputs, texts, chars)
    return exact, cer, compile_s, 1000 * float(np.median(times))


def weight_stats(tools, model, flags, work):
    mlir = os.path.join(work, "stats.mlir")
    imp = subprocess.run([os.path.join(tools, "lowbit-import"), model, "--input-shape=x:1x3x48x320",
                          "--weight-stats", "-o", mlir] + flags, capture_output=True, text=True)
    if imp.returncode != 0:
        sys.exit("lowbit-import failed:\n" + imp.stderr)
    stats = imp.stderr.strip().splitlines()[-1].split()
    return mlir, int(stats[stats.index("bytes,") - 1]), float(stats[stats.index("bits/weight") - 1])


def svg_plot(rows, path):
    """Exact match against bits per weight, one marker style per family."""
    W, H, L, B = 640, 400, 60, 50
    # f32 (32 bits) is drawn as a reference line, not a point.
    ref = [r for r in rows if r["bits"] > 16]
    rows = [r for r in rows if r["bits"] <= 16]
    xmax = max([9.0] + [r["bits"] + 0.5 for r in rows])
    def px(b):
        return L + (W - L - 20) * b / xmax
    def py(a):
        return H - B - (H - B - 20) * a
    colors = {"uniform": "#888888", "hand": "#d62728", "rtn": "#1f77b4", "gptq": "#2ca02c",
              "rtn-abs": "#9ecae1", "gptq-abs": "#a1d99b"}
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, H - B, W - 20, H - B),
           '<line x1="%d" y1="20" x2="%d" y2="%d" stroke="black"/>' % (L, L, H - B)]
    for r in ref:
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888888" stroke-dasharray="4 3"/>'
                   '<text x="%d" y="%.1f">%s (%.0f bits): %.1f%%</text>'
                   % (L, py(r["exact"]), W - 20, py(r["exact"]), L + 5, py(r["exact"]) - 4,
                      html.escape(r["name"]), r["bits"], 100 * r["exact"]))
    for t in range(0, int(xmax) + 1):
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (px(t), H - B + 15, t))
    for a in range(0, 101, 20):
        out.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>' % (L - 5, py(a / 100) + 4, a))
    out.append('<text x="%d" y="%d" text-anchor="middle">bits per weight (all weights)</text>'
               % ((L + W) // 2, H - 12))
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">exact match '
               '(held-out lines)</text>' % (H // 2, H // 2))
    for fam in ("rtn", "gptq", "rtn-abs", "gptq-abs"):
        pts = sorted((r["bits"], r["exact"]) for r in rows if r["family"] == fam)
        if len(pts) > 1:
            out.append('<polyline fill="none" stroke="%s" points="%s"/>' % (
                colors[fam], " ".join("%.1f,%.1f" % (px(b), py(a)) for b, a in pts)))
    for r in rows:
        c = colors[r["family"]]
        out.append('<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %.1f%% at %.3f bits</title>'
                   '</circle>' % (px(r["bits"]), py(r["exact"]), c, html.escape(r["name"]), 100 * r["exact"],
                                 r["bits"]))
    legend = [("uniform", "uniform formats"), ("hand", "hand config"),
              ("rtn", "allocation, RTN, relative"), ("gptq", "allocation, GPTQ, relative"),
              ("rtn-abs", "allocation, RTN, absolute"), ("gptq-abs", "allocation, GPTQ, absolute")]
    for i, (fam, label) in enumerate(legend):
        y = H - B - 20 - 16 * (len(legend) - 1 - i)
        out.append('<circle cx="%d" cy="%d" r="4" fill="%s"/><text x="%d" y="%d">%s</text>'
                   % (W - 210, y, colors[fam], W - 200, y + 4, label))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def family(name):
    if not name.startswith("allocation"):
        return "hand" if name.startswith("hand") else "uniform"
    q = "gptq" if "GPTQ" in name else "rtn"
    return q + "-abs" if "absolute" in name else q


def replot(md):
    rows = []
    for line in open(md):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[1].endswith("%") and cells[0] != "setting":
            rows.append(dict(name=cells[0], family=family(cells[0]), exact=float(cells[1][:-1]) / 100,
                             bits=float(cells[3])))
    svg_plot(rows, os.path.splitext(md)[0] + ".svg")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--tools", required=True, help="folder of lowbit-import and lowbit-quantize-model")
    ap.add_argument("--budgets", default="3,4,5,6,8")
    ap.add_argument("--quantizers", default="rtn,gptq")
    ap.add_argument("--budgets-ms", default="",
                    help="also allocate under these latency budgets (ms of matrix products per "
                         "image, lowbit-quantize-model --budget-ms), with --cost-table")
    ap.add_argument("--cost-table", help="lowbit-quantize-model --cost-table (for --budgets-ms)")
    ap.add_argument("--calib-lines", type=int, default=64)
    ap.add_argument("--lines", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-uniform", action="store_true", help="only the allocations")
    ap.add_argument("--candidates", help="lowbit-quantize-model --candidates (default: its own)")
    ap.add_argument("--measure-lines", type=int, default=0,
                    help="lowbit-quantize-model --measure-lines (measured sensitivities)")
    ap.add_argument("--sensitivities", default="absolute,relative",
                    help="absolute: tr(dW H dW^T); relative: over tr(W H W^T)")
    ap.add_argument("--out", help="write the table (Markdown) here and the plot beside it")
    ap.add_argument("--plot-only", action="store_true",
                    help="redraw the plot from the table already in --out (no runs)")
    args = ap.parse_args()
    if args.plot_only:
        replot(args.out)
        return

    model = os.path.join(args.model_dir, "ch_PP-OCRv4_rec_infer.onnx")
    with open(os.path.join(args.model_dir, "ppocr_keys_v1.txt"), encoding="utf-8") as f:
        chars = [l.rstrip("\n") for l in f]
    work = tempfile.mkdtemp(prefix="lowbit-precision-")
    calib_dir = os.path.join(work, "calib")
    os.makedirs(calib_dir)
    rng = random.Random(CALIB_SEED)
    calib_texts = ocr.make_texts(rng, args.calib_lines, set(chars))
    np.save(os.path.join(calib_dir, "lines.npy"),
            np.stack([ocr.preprocess(ocr.render(rng, t)) for t in calib_texts]).astype(np.float32))
    rng = random.Random(7)
    texts = ocr.make_texts(rng, args.lines, set(chars))
    inputs = [ocr.preprocess(ocr.render(rng, t)) for t in texts]
    held = set(texts)
    overlap = sum(t in held for t in calib_texts)
    print("== %d calibration lines (seed %d), %d held-out lines (seed 7); %d calibration strings "
          "also occur among the held-out ones (rendered differently)" % (len(calib_texts), CALIB_SEED,
                                                                           len(texts), overlap))
    mixed = os.path.join(work, "mixed.txt")
    with open(mixed, "w") as f:
        f.write(ocr.MIXED)

    rows = []
    def report(r):
        rows.append(r)
        print("  %-58s exact %5.1f%%  CER %5.2f%%  %6.3f bits/weight  %8d bytes  %7.2f ms/image%s"
              % (r["name"], 100 * r["exact"], 100 * r["cer"], r["bits"], r["bytes"], r["ms"],
                 "  (calibration %.1f s, sensitivity + allocation %.1f s)" % (r["calib_s"], r["alloc_s"])
                 if "alloc_s" in r else ""))
        sys.stdout.flush()

    if not args.no_uniform:
        for name, flags in UNIFORM:
            flags = [fl.format(mixed=mixed) for fl in flags]
            mlir, nbytes, bits = weight_stats(args.tools, model, flags, work)
            exact, cer, cs, ms = evaluate(mlir, inputs, texts, chars, args.threads)
            report(dict(name=name, family=family(name),
                        exact=exact, cer=cer, bits=bits, bytes=nbytes, ms=ms))

    if args.budgets_ms and not args.cost_table:
        sys.exit("--budgets-ms needs --cost-table")
    budgets = [("bits", b) for b in args.budgets.split(",") if b] + \
              [("ms", b) for b in args.budgets_ms.split(",") if b]
    for quantizer, sens in [(q, s) for s in args.sensitivities.split(",")
                            for q in args.quantizers.split(",")]:
        for kind, budget in budgets:
            tag = "%s-%s-%s%s" % (sens, quantizer, budget, kind)
            cfg = os.path.join(work, "alloc-%s.txt" % tag)
            mlir = os.path.join(work, "alloc-%s.mlir" % tag)
            q = subprocess.run([os.path.join(args.tools, "lowbit-quantize-model"), model,
                                "--input-shape=x:1x3x48x320", "--calib", calib_dir,
                                "--budget-" + kind, budget, "--quantizer", quantizer, "-o", cfg,
                                "--emit-mlir", mlir] + (["--relative"] if sens == "relative" else []) +
                               (["--measure-lines", str(args.measure_lines)] if args.measure_lines else []) +
                               (["--candidates=" + args.candidates] if args.candidates else []) +
                               (["--cost-table", args.cost_table] if kind == "ms" else []),
                               capture_output=True, text=True)
            if q.returncode != 0:
                sys.exit("lowbit-quantize-model failed:\n" + q.stderr)
            result = [l for l in q.stderr.splitlines() if l.startswith("result:")][0].split()
            bits, nbytes = float(result[1]), int(result[5])
            estimated = None
            if kind == "ms":  # "..., products estimated at X ms; calibration ..."
                estimated = float(result[result.index("estimated") + 2])
                result = result[:7] + ["bytes;"] + result[result.index("ms;") + 1:]
            calib_s, alloc_s = float(result[9]), float(result[14].rstrip(","))
            if args.measure_lines:
                alloc_s += float(result[-2])  # measuring is part of the sensitivity
            exact, cer, cs, ms = evaluate(mlir, inputs, texts, chars, args.threads)
            report(dict(name="allocation <= %s %s, %s, %s sensitivity" % (
                            budget, "bits" if kind == "bits" else "ms of products (estimated %.2f)" % estimated,
                            "GPTQ" if quantizer == "gptq" else "round to nearest",
                            "measured-scaled" if args.measure_lines else sens),
                        family=quantizer if sens == "relative" else quantizer + "-abs", exact=exact, cer=cer, bits=bits, bytes=nbytes, ms=ms,
                        calib_s=calib_s, alloc_s=alloc_s))

    table = ["| setting | exact match | CER | bits/weight | weight bytes | ms/image | calibration (s) "
             "| sensitivity + allocation (s) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append("| %s | %.1f%% | %.2f%% | %.3f | %d | %.2f | %s | %s |" % (
            r["name"], 100 * r["exact"], 100 * r["cer"], r["bits"], r["bytes"], r["ms"],
            "%.1f" % r["calib_s"] if "calib_s" in r else "", "%.1f" % r["alloc_s"] if "alloc_s" in r else ""))
    print()
    print("\n".join(table))
    if args.out:
        plot = os.path.splitext(args.out)[0] + ".svg"
        svg_plot(rows, plot)
        with open(args.out, "w") as f:
            f.write("# Per-layer precision allocation on PP-OCRv4\n\n")
            f.write("`%s`\n\n" % " ".join(["scripts/assign-precision-bench.py"] + sys.argv[1:]))
            f.write("%d calibration lines (seed %d), %d held-out lines (seed 7, those of the main job), "
                    "batch 1, %d kernel thread(s). Bits per weight count every constant weight of the "
                    "model as `lowbit-import --weight-stats` does (codes, scales, zero points; the "
                    "depthwise convolutions stay f32). Calibration time includes compiling the "
                    "tapped model. ![accuracy against bits per weight](%s)\n\n"
                    % (len(calib_texts), CALIB_SEED, len(texts), args.threads, os.path.basename(plot)))
            f.write("\n".join(table) + "\n")


if __name__ == "__main__":
    main()
