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
        gamma, beta, mean, var = f32(6), f32(6), f32(6), rng.uniform(0.5, 2, 6).astype(np.float32)
        nodes += [helper.make_node("Conv", ["x", const("w", w), const("b", b)], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
                  helper.make_node("BatchNormalization", ["c", const("g", gamma), const("be", beta),
                                                          const("mu", mean), const("var", var)], ["bn"], epsilon=1e-5),
                  helper.make_node("Relu", ["bn"], ["r"]),
                  helper.make_node("Conv", ["r", const("dw", dw), const("db", db)], ["d"], pads=[1, 1, 1, 1], group=6),
                  helper.make_node("HardSigmoid", ["d"], ["hs"], alpha=0.2, beta=0.5),
                  helper.make_node("Mul", ["d", "hs"], ["y0"]),
                  helper.make_node("Clip", ["y0", const("lo", np.float32(-0.3)), const("hi", np.float32(0.4))], ["y"])]
        c = conv2d(x.astype(np.float64), w, b, (2, 2), (1, 1, 1, 1), 1)
        bn = (c - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-5) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
        d = conv2d(np.maximum(bn, 0), dw, db, (1, 1), (1, 1, 1, 1), 6)
        y = np.clip(d * np.clip(0.2 * d + 0.5, 0, 1), -0.3, 0.4)
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
    else:
        sys.exit("unknown case " + case)
    graph = helper.make_graph(nodes, case, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
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
