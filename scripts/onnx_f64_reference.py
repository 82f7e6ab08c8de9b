"""A float64 evaluation of an ONNX graph in numpy: the accuracy oracle of the
OCR demo (scripts/ocr-demo.py). Neither lowbit nor onnxruntime is exact in
f32; this evaluates the same graph with every float tensor in float64 (the
weights widened exactly), so that both can be measured against the same
truth. It knows the operators of PP-OCRv4's recognition graph with their
opset 9..12 attribute forms (Clip's min/max, Slice's starts/ends/axes and
Squeeze's axes as attributes) and stops with the name of any other.

Usage: Reference(path).run(x) -> {output name: array}, x of shape (1, C, H, W).
Needs python3-onnx and python3-numpy (Debian)."""

import numpy as np
import onnx
from onnx import numpy_helper


def _widen(a):
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, bias, at):
    """2-D convolution of one image (N = 1): a sum over kernel offsets of
    (Og x Cg) . (Cg x OH x OW) products per group; depthwise as a sum of
    scaled windows."""
    strides = at.get("strides", [1, 1])
    pads = at.get("pads", [0, 0, 0, 0])
    group = at.get("group", 1)
    if at.get("dilations", [1, 1]) != [1, 1] or x.shape[0] != 1:
        raise SystemExit("onnx_f64_reference: Conv with dilations or batch > 1")
    x = np.pad(x[0], ((0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    og = o // group

    def window(xs, i, j):
        return xs[:, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]

    out = np.zeros((o, oh, ow))
    if cg == 1 and og == 1:
        for i in range(kh):
            for j in range(kw):
                out += w[:, 0, i, j][:, None, None] * window(x, i, j)
    else:
        for g in range(group):
            xs = x[g * cg:(g + 1) * cg]
            cols = np.stack([window(xs, i, j) for i in range(kh) for j in range(kw)], axis=1)
            ws = w[g * og:(g + 1) * og].reshape(og, cg, kh * kw)
            out[g * og:(g + 1) * og] = np.tensordot(ws, cols, axes=([1, 2], [0, 1]))
    if bias is not None:
        out += bias[:, None, None]
    return out[None]


def _avg_pool(x, at):
    k, s = at["kernel_shape"], at.get("strides", [1, 1])
    if any(at.get("pads", [0, 0, 0, 0])):
        raise SystemExit("onnx_f64_reference: AveragePool with padding")
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            out += x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]]
    return out / (k[0] * k[1])


def _softmax(x, axis):
    # Opset < 13: x seen as 2-D [prod(shape[:axis]), rest].
    axis = axis if axis >= 0 else axis + x.ndim
    flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def _slice(x, at):
    index = [slice(None)] * x.ndim
    axes = at.get("axes", list(range(len(at["starts"]))))
    for axis, start, end in zip(axes, at["starts"], at["ends"]):
        index[axis] = slice(start, end)
    return x[tuple(index)]


def _reshape(x, shape):
    shape = [x.shape[k] if int(v) == 0 else int(v) for k, v in enumerate(shape)]
    return x.reshape(shape)


_CAST = {1: np.float64, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}

_OPS = {
    "Conv": lambda i, a: _conv(i[0], i[1], i[2] if len(i) > 2 else None, a),
    "BatchNormalization": lambda i, a: (
        (i[0] - i[3].reshape(1, -1, *([1] * (i[0].ndim - 2))))
        / np.sqrt(i[4].reshape(1, -1, *([1] * (i[0].ndim - 2))) + a.get("epsilon", 1e-5))
        * i[1].reshape(1, -1, *([1] * (i[0].ndim - 2)))
        + i[2].reshape(1, -1, *([1] * (i[0].ndim - 2)))),
    "Add": lambda i, a: i[0] + i[1],
    "Sub": lambda i, a: i[0] - i[1],
    "Mul": lambda i, a: i[0] * i[1],
    "Div": lambda i, a: i[0] / i[1] if "f" in (i[0].dtype.kind, i[1].dtype.kind) else i[0] // i[1],
    "Pow": lambda i, a: np.power(i[0], i[1]),
    "Sqrt": lambda i, a: np.sqrt(i[0]),
    "Relu": lambda i, a: np.maximum(i[0], 0),
    "Sigmoid": lambda i, a: 1 / (1 + np.exp(-i[0])),
    "HardSigmoid": lambda i, a: np.clip(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1),
    "Clip": lambda i, a: np.clip(i[0], a.get("min", -np.inf), a.get("max", np.inf)),
    "MatMul": lambda i, a: np.matmul(i[0], i[1]),
    "Softmax": lambda i, a: _softmax(i[0], a.get("axis", 1)),
    "ReduceMean": lambda i, a: i[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1))),
    "GlobalAveragePool": lambda i, a: i[0].mean(axis=(2, 3), keepdims=True),
    "AveragePool": lambda i, a: _avg_pool(i[0], a),
    "Cast": lambda i, a: i[0].astype(_CAST[a["to"]]),
    "Shape": lambda i, a: np.array(i[0].shape, dtype=np.int64),
    "Slice": lambda i, a: _slice(i[0], a),
    "Concat": lambda i, a: np.concatenate(i, axis=a["axis"]),
    "Squeeze": lambda i, a: np.squeeze(i[0], axis=tuple(a["axes"])),
    "Transpose": lambda i, a: np.transpose(i[0], a.get("perm")),
    "Reshape": lambda i, a: _reshape(i[0], i[1]),
}


class Reference:
    def __init__(self, path):
        self.graph = onnx.load(path).graph
        self.constants = {t.name: _widen(numpy_helper.to_array(t)) for t in self.graph.initializer}
        for node in self.graph.node:
            if node.op_type == "Constant":
                self.constants[node.output[0]] = _widen(numpy_helper.to_array(_attrs(node)["value"]))
            elif node.op_type not in _OPS:
                raise SystemExit("onnx_f64_reference: operator %s (node %s) is not known"
                                 % (node.op_type, node.name))

    def run(self, x):
        env = dict(self.constants)
        env[self.graph.input[0].name] = np.asarray(x, dtype=np.float64)
        for node in self.graph.node:
            if node.op_type == "Constant":
                continue
            inputs = [env[name] if name else None for name in node.input]
            env[node.output[0]] = _OPS[node.op_type](inputs, _attrs(node))
        return {o.name: env[o.name] for o in self.graph.output}
