#!/usr/bin/env python3
"""Writes a small ONNX model of one test case, its input and the expected
output (numpy, float64), for lowbit-import's lit tests:

  make_onnx.py CASE OUT_PREFIX    -> OUT_PREFIX.onnx, .input.npy, .expected.npy
  make_onnx.py --compare GOT.npy EXPECTED.npy [TOL]

The models are built with the onnx package (Debian's python3-onnx); the
expected values come from the definitions of the operators written here
with numpy, independently of the importer.
"""
import sys

import numpy as np


def conv2d(x, w, b, stride, pads, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - kh) // stride[0] + 1
    ow = (xp.shape[3] - kw) // stride[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i:i + stride[0] * oh:stride[0], j:j + stride[1] * ow:stride[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w[g * mg:(g + 1) * mg, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def quantize(x, scale, zero, lo, hi):
    """ONNX QuantizeLinear: saturate(round(x / scale) + zero), the quotient
    in f32, ties to even; NaN gives the lowest code (onnxruntime on x86)."""
    t = np.rint(np.float32(x) / np.float32(scale)) + zero
    return np.where(np.isnan(t), lo, np.clip(t, lo, hi))


def dequantize(q, scale, zero):
    """ONNX DequantizeLinear: (q - zero) * scale in f32."""
    return (q.astype(np.float64) - zero).astype(np.float32) * np.float32(scale)


def int4_tensor(name, codes, signed):
    """An INT4 (22) / UINT4 (21) initializer: two codes per byte, the first
    in the low nibble (onnx 1.12's helpers predate the types)."""
    from onnx import TensorProto
    flat = (codes.reshape(-1).astype(np.int64) & 15).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    t = TensorProto()
    t.name = name
    t.data_type = 22 if signed else 21
    t.dims.extend(codes.shape)
    t.raw_data = (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()
    return t


def e4m3fn_values(codes):
    """The values of OCP E4M3FN codes (no NaN among them)."""
    c = codes.astype(np.int64)
    sign = np.where(c & 0x80, -1.0, 1.0)
    e, m = (c >> 3) & 15, c & 7
    mag = np.where(e == 0, m / 8.0 * 2.0 ** -6, (1 + m / 8.0) * 2.0 ** (e - 7))
    return sign * mag


def pack_bits(codes, bits):
    """Codes packed LSB first, 8 / bits per byte (MatMulNBits' blobs)."""
    per = 8 // bits
    c = codes.reshape(-1, per).astype(np.uint16)
    out = np.zeros(c.shape[0], np.uint16)
    for i in range(per):
        out |= c[:, i] << (i * bits)
    return out.astype(np.uint8)


def build(case, rng):
    from onnx import TensorProto, helper, numpy_helper
    f32 = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)
    nodes, inits = [], []
    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name
    opset = 13
    if case == "conv":
        x = f32(1, 4, 9, 11)
        w, b = f32(6, 4, 3, 3), f32(6)
        dw, db = f32(6, 1, 3, 3), f32(6)
        pw, pb = f32(5, 6, 1, 1), f32(5)
        gamma, beta, mean, var = f32(6), f32(6), f32(6), rng.uniform(0.5, 2, 6).astype(np.float32)
        nodes += [helper.make_node("Conv", ["x", const("w", w), const("b", b)], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
                  helper.make_node("BatchNormalization", ["c", const("g", gamma), const("be", beta),
                                                          const("mu", mean), const("var", var)], ["bn"], epsilon=1e-5),
                  helper.make_node("Relu", ["bn"], ["r"]),
                  helper.make_node("Conv", ["r", const("dw", dw), const("db", db)], ["d"], pads=[1, 1, 1, 1], group=6),
                  helper.make_node("HardSigmoid", ["d"], ["hs"], alpha=0.2, beta=0.5),
                  helper.make_node("Mul", ["d", "hs"], ["y0"]),
                  helper.make_node("Clip", ["y0", const("lo", np.float32(-0.3)), const("hi", np.float32(0.4))], ["y1"]),
                  # Pointwise, padded along w: its patches are a transpose.
                  helper.make_node("Conv", ["y1", const("pw", pw), const("pb", pb)], ["y"], pads=[0, 1, 0, 1])]
        c = conv2d(x.astype(np.float64), w, b, (2, 2), (1, 1, 1, 1), 1)
        bn = (c - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-5) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
        d = conv2d(np.maximum(bn, 0), dw, db, (1, 1), (1, 1, 1, 1), 6)
        y1 = np.clip(d * np.clip(0.2 * d + 0.5, 0, 1), -0.3, 0.4)
        y = conv2d(y1, pw, pb, (1, 1), (0, 1, 0, 1), 1)
    elif case == "linear":
        x = f32(2, 5, 16)
        w, b = f32(16, 24), f32(24)
        gw, gb = f32(7, 24), f32(7)
        nodes += [helper.make_node("MatMul", ["x", const("w", w)], ["m"]),
                  helper.make_node("Add", ["m", const("b", b)], ["a"]),
                  helper.make_node("Reshape", ["a", const("s", np.array([10, 24], np.int64))], ["a2"]),
                  helper.make_node("Gemm", ["a2", const("gw", gw), const("gb", gb)], ["g"], transB=1, alpha=0.5),
                  helper.make_node("Softmax", ["g"], ["y"], axis=-1)]
        a = (x.astype(np.float64) @ w + b).reshape(10, 24)
        y = softmax(0.5 * a @ gw.T.astype(np.float64) + gb, -1)
    elif case == "layernorm":
        x = f32(1, 6, 12)
        g, bt = f32(12), f32(12)
        nodes += [helper.make_node("ReduceMean", ["x"], ["mu"], axes=[-1]),
                  helper.make_node("Sub", ["x", "mu"], ["d"]),
                  helper.make_node("Pow", ["d", const("two", np.float32(2))], ["d2"]),
                  helper.make_node("ReduceMean", ["d2"], ["v"], axes=[-1]),
                  helper.make_node("Add", ["v", const("eps", np.float32(1e-5))], ["ve"]),
                  helper.make_node("Sqrt", ["ve"], ["sd"]),
                  helper.make_node("Div", ["d", "sd"], ["n"]),
                  helper.make_node("Mul", ["n", const("g", g)], ["ng"]),
                  helper.make_node("Add", ["ng", const("bt", bt)], ["y0"]),
                  helper.make_node("Sigmoid", ["y0"], ["y"])]
        opset = 11
        xd = x.astype(np.float64)
        mu = xd.mean(-1, keepdims=True)
        v = ((xd - mu) ** 2).mean(-1, keepdims=True)
        y = 1 / (1 + np.exp(-((xd - mu) / np.sqrt(v + 1e-5) * g + bt)))
    elif case == "shapes":
        x = f32(2, 3, 4, 5)
        nodes += [helper.make_node("Shape", ["x"], ["sh"]),
                  helper.make_node("Gather", ["sh", const("i0", np.array(0, np.int64))], ["n"], axis=0),
                  helper.make_node("Unsqueeze", ["n", const("ax0", np.array([0], np.int64))], ["n1"]),
                  helper.make_node("Concat", ["n1", const("rest", np.array([-1, 5], np.int64))], ["tgt"], axis=0),
                  helper.make_node("Reshape", ["x", "tgt"], ["r"]),                  # 2 x 12 x 5
                  helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),        # 2 x 5 x 12
                  helper.make_node("Slice", ["t", const("st", np.array([1, 2], np.int64)), const("en", np.array([4, 100], np.int64)),
                                             const("axs", np.array([1, 2], np.int64))], ["s"]),  # 2 x 3 x 10
                  helper.make_node("Concat", ["s", "s"], ["c"], axis=1),             # 2 x 6 x 10
                  helper.make_node("Unsqueeze", ["c", const("ax1", np.array([1], np.int64))], ["u"]),
                  helper.make_node("Squeeze", ["u", const("ax2", np.array([1], np.int64))], ["q"]),
                  helper.make_node("Flatten", ["q"], ["y"], axis=1)]
        t = x.reshape(2, 12, 5).transpose(0, 2, 1)[:, 1:4, 2:]
        y = np.concatenate([t, t], axis=1).reshape(2, -1)
    elif case == "pool":
        x = f32(1, 3, 8, 10)
        nodes += [helper.make_node("AveragePool", ["x"], ["a"], kernel_shape=[2, 2], strides=[2, 2]),
                  helper.make_node("MaxPool", ["a"], ["m"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 2]),
                  helper.make_node("GlobalAveragePool", ["m"], ["g"]),
                  helper.make_node("Mul", ["m", "g"], ["y"])]
        a = x.astype(np.float64).reshape(1, 3, 4, 2, 5, 2).mean(axis=(3, 5))
        ap = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
        m = np.stack([np.stack([ap[:, :, i:i + 3, j:j + 3].max(axis=(2, 3)) for j in range(0, 5, 2)], -1)
                      for i in range(4)], -2)
        y = m * m.mean(axis=(2, 3), keepdims=True)
    elif case == "attention":
        x = f32(1, 4, 8)
        nodes += [helper.make_node("Reshape", ["x", const("s", np.array([1, 4, 2, 4], np.int64))], ["h"]),
                  helper.make_node("Transpose", ["h"], ["q"], perm=[0, 2, 1, 3]),   # 1 x 2 x 4 x 4
                  helper.make_node("Transpose", ["h"], ["k"], perm=[0, 2, 3, 1]),   # 1 x 2 x 4 x 4
                  helper.make_node("MatMul", ["q", "k"], ["a"]),
                  helper.make_node("Softmax", ["a"], ["p"], axis=3),
                  helper.make_node("MatMul", ["p", "q"], ["y"])]
        opset = 9
        h = x.astype(np.float64).reshape(1, 4, 2, 4)
        q, k = h.transpose(0, 2, 1, 3), h.transpose(0, 2, 3, 1)
        y = softmax(q @ k, 3) @ q
    elif case == "qdq":
        # Quantized activations (Q -> DQ) and weights in every DequantizeLinear
        # form: per axis, per tensor with a zero point, int4 blocks, uint4
        # blocks that do not divide K, per input row with int8 zero points,
        # fp8 per tensor.
        opset = 21
        x = f32(3, 16)
        ri = lambda lo, hi, s, t: rng.integers(lo, hi + 1, s).astype(t)
        pos = lambda *s: rng.uniform(0.01, 0.1, s).astype(np.float32)
        w1, s1 = ri(-128, 127, (16, 24), np.int8), pos(24)
        w2, s2, z2 = ri(0, 255, (10, 24), np.uint8), np.float32(0.02), np.uint8(7)
        w3, s3 = ri(-8, 7, (24, 8), np.int8), pos(3, 8)
        w4, s4, z4 = ri(0, 15, (24, 8), np.uint8), pos(2, 8), ri(0, 15, (2, 8), np.uint8)
        w5, s5, z5 = ri(-128, 127, (24, 8), np.int8), pos(24), ri(-20, 20, (24,), np.int8)
        w6 = rng.choice([c for c in range(256) if c & 0x7f != 0x7f], (24, 4)).astype(np.uint8)
        s6 = np.float32(0.5)
        w7, s7 = f32(24, 4), pos(4)  # an f32 weight quantized in the graph
        from onnx import TensorProto as TP
        fp8 = TP()
        fp8.name, fp8.data_type, fp8.raw_data = "w6", 17, w6.tobytes()
        fp8.dims.extend(w6.shape)
        inits += [int4_tensor("w3", w3, True), int4_tensor("w4", w4, False), int4_tensor("z4", z4, False), fp8]
        nodes += [helper.make_node("QuantizeLinear", ["x", const("xs", np.float32(0.01)), const("xz", np.uint8(128))], ["xq"]),
                  helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
                  helper.make_node("DequantizeLinear", [const("w1", w1), const("s1", s1)], ["d1"], axis=1),
                  helper.make_node("MatMul", ["xd", "d1"], ["m1"], name="mm1"),
                  helper.make_node("DequantizeLinear", [const("w2", w2), const("s2", s2), const("z2", z2)], ["d2"]),
                  helper.make_node("Gemm", ["m1", "d2"], ["g"], transB=1, name="gemm2"),
                  helper.make_node("DequantizeLinear", ["w3", const("s3", s3)], ["d3"], axis=0, block_size=8),
                  helper.make_node("MatMul", ["m1", "d3"], ["m3"], name="mm3"),
                  helper.make_node("DequantizeLinear", ["w4", const("s4", s4), "z4"], ["d4"], axis=0, block_size=16),
                  helper.make_node("MatMul", ["m1", "d4"], ["m4"], name="mm4"),
                  helper.make_node("DequantizeLinear", [const("w5", w5), const("s5", s5), const("z5", z5)], ["d5"], axis=0),
                  helper.make_node("MatMul", ["m1", "d5"], ["m5"], name="mm5"),
                  helper.make_node("DequantizeLinear", ["w6", const("s6", s6)], ["d6"]),
                  helper.make_node("MatMul", ["m1", "d6"], ["m6"], name="mm6"),
                  helper.make_node("QuantizeLinear", [const("w7", w7), const("s7", s7), const("z7", np.zeros(4, np.int8))], ["q7"], axis=1),
                  helper.make_node("DequantizeLinear", ["q7", "s7", "z7"], ["d7"], axis=1),
                  helper.make_node("MatMul", ["m1", "d7"], ["m7"], name="mm7"),
                  helper.make_node("Concat", ["g", "m3", "m4", "m5", "m6", "m7"], ["y"], axis=1)]
        xd = dequantize(quantize(x, 0.01, 128, 0, 255), np.float32(0.01), 128).astype(np.float64)
        m1 = xd @ dequantize(w1, s1, 0)
        g = m1 @ dequantize(w2, s2, z2).T
        m3 = m1 @ dequantize(w3, np.repeat(s3, 8, axis=0), 0)
        m4 = m1 @ dequantize(w4, np.repeat(s4, 16, axis=0)[:24], np.repeat(z4, 16, axis=0)[:24])
        m5 = m1 @ dequantize(w5, s5[:, None], z5[:, None].astype(np.float64))
        m6 = m1 @ (e4m3fn_values(w6).astype(np.float32) * s6)
        m7 = m1 @ dequantize(quantize(w7, s7, 0, -128, 127), s7, 0)
        y = np.concatenate([g, m3, m4, m5, m6, m7], axis=1)
    elif case == "qruntime":
        # QuantizeLinear of a computed tensor to int16 and to uint4 (per
        # axis), read back by DequantizeLinear; saturation, ties, NaN.
        opset = 21
        x = np.concatenate([f32(2, 6) * 3, np.array([[1e6, -1e6, 0.375, 0.125, np.nan, 0.625]], np.float32)])
        s16, z16 = np.float32(0.25), np.int16(-5)
        s4 = rng.uniform(0.1, 0.3, 6).astype(np.float32)
        z4 = rng.integers(0, 16, 6).astype(np.uint8)
        inits.append(int4_tensor("z4", z4, False))
        nodes += [helper.make_node("QuantizeLinear", ["x", const("s16", s16), const("z16", z16)], ["q16"]),
                  helper.make_node("DequantizeLinear", ["q16", "s16", "z16"], ["d16"]),
                  helper.make_node("QuantizeLinear", ["x", const("s4", s4), "z4"], ["q4"], axis=1),
                  helper.make_node("DequantizeLinear", ["q4", "s4", "z4"], ["d4"], axis=1),
                  helper.make_node("Concat", ["d16", "d4"], ["y"], axis=1)]
        d16 = dequantize(quantize(x, s16, z16, -32768, 32767), s16, z16)
        d4 = dequantize(quantize(x, s4, z4, 0, 15), s4, z4.astype(np.float64))
        y = np.concatenate([d16, d4], axis=1)
    elif case == "qdqconv":
        x = f32(1, 4, 7, 9)
        w = rng.integers(-128, 128, (6, 4, 3, 3)).astype(np.int8)
        ws, b = rng.uniform(0.005, 0.02, 6).astype(np.float32), f32(6)
        w2 = rng.integers(0, 256, (5, 6, 1, 1)).astype(np.uint8)
        gamma, beta, mean = f32(5), f32(5), f32(5)
        var = rng.uniform(0.5, 2, 5).astype(np.float32)
        nodes += [helper.make_node("QuantizeLinear", ["x", const("xs", np.float32(0.008)), const("xz", np.int8(-3))], ["xq"]),
                  helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
                  helper.make_node("DequantizeLinear", [const("w", w), const("ws", ws)], ["wd"], axis=0),
                  helper.make_node("Conv", ["xd", "wd", const("b", b)], ["c"], pads=[1, 1, 1, 1], name="conv"),
                  helper.make_node("Relu", ["c"], ["r"]),
                  # uint8 codes per tensor with a zero point, then a
                  # BatchNormalization that folds into the scales.
                  helper.make_node("DequantizeLinear", [const("w2", w2), const("ws2", np.float32(0.01)), const("wz2", np.uint8(120))], ["wd2"]),
                  helper.make_node("Conv", ["r", "wd2"], ["c2"], name="conv_bn"),
                  helper.make_node("BatchNormalization", ["c2", const("g", gamma), const("be", beta), const("mu", mean),
                                                          const("var", var)], ["y"], epsilon=1e-5)]
        xd = dequantize(quantize(x, 0.008, -3, -128, 127), np.float32(0.008), -3).astype(np.float64)
        r = np.maximum(conv2d(xd, dequantize(w, ws.reshape(-1, 1, 1, 1), 0), b, (1, 1), (1, 1, 1, 1), 1), 0)
        c2 = conv2d(r, dequantize(w2, np.float32(0.01), 120), np.zeros(5), (1, 1), (0, 0, 0, 0), 1)
        y = (c2 - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-5) * gamma.reshape(1, -1, 1, 1) \
            + beta.reshape(1, -1, 1, 1)
    elif case == "nbits":
        # com.microsoft.MatMulNBits: 4-bit with packed zero points, 8-bit
        # without (zero 128) and a bias.
        x = f32(2, 3, 64)
        N, K, bs = 12, 64, 32
        q4 = rng.integers(0, 16, (N, K)).astype(np.uint8)
        s4 = rng.uniform(0.01, 0.1, (N, K // bs)).astype(np.float32)
        z4 = rng.integers(0, 16, (N, K // bs)).astype(np.uint8)
        q8 = rng.integers(0, 256, (N, N)).astype(np.uint8)
        s8, b8 = rng.uniform(0.001, 0.01, (N, 1)).astype(np.float32), f32(N)
        blob4 = pack_bits(q4, 4).reshape(N, K // bs, bs // 2)
        zp4 = pack_bits(z4, 4).reshape(N)  # two blocks per row: one byte
        nodes += [helper.make_node("MatMulNBits", ["x", const("b4", blob4), const("s4", s4.reshape(-1)), const("z4", zp4)],
                                   ["h"], domain="com.microsoft", K=K, N=N, bits=4, block_size=bs, name="nb4"),
                  helper.make_node("MatMulNBits", ["h", const("b8", q8.reshape(N, 1, N)), const("s8", s8.reshape(-1)), "", "",
                                                   const("bias", b8)],
                                   ["y"], domain="com.microsoft", K=N, N=N, bits=8, block_size=16, name="nb8")]
        # K = 12 in blocks of 16: one block, padded (the f32 path).
        q8p = np.zeros((N, 16), np.uint8)
        q8p[:, :N] = q8
        inits[-3] = numpy_helper.from_array(q8p.reshape(N, 1, 16), "b8")
        h = x.astype(np.float64) @ dequantize(q4, np.repeat(s4, bs, axis=1), np.repeat(z4, bs, axis=1).astype(np.float64)).T
        y = h @ dequantize(q8, s8, 128).T + b8
    else:
        sys.exit("unknown case " + case)
    graph = helper.make_graph(nodes, case, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    opsets = [helper.make_opsetid("", opset)]
    if any(n.domain == "com.microsoft" for n in nodes):
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets)
    return model, x, y


def main(argv):
    if argv[0] == "--compare":
        got, want = np.load(argv[1]), np.load(argv[2])
        tol = float(argv[3]) if len(argv) > 3 else 1e-5
        if got.shape != want.shape:
            sys.exit("shape %s, expected %s" % (got.shape, want.shape))
        err = np.abs(got - want).max()
        scale = max(1.0, np.abs(want).max())
        print("max abs error %.3g (tolerance %.3g)" % (err, tol * scale))
        sys.exit(0 if err <= tol * scale else 1)
    import onnx
    model, x, y = build(argv[0], np.random.default_rng(1))
    onnx.save(model, argv[1] + ".onnx")
    np.save(argv[1] + ".input.npy", x)
    np.save(argv[1] + ".expected.npy", y)


if __name__ == "__main__":
    main(sys.argv[1:])
