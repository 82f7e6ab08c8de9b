"""lowbit in PyTorch: quantized linear layers run by lowbit's kernels.

    import torch, lowbit.torch
    layer = lowbit.torch.QuantLinear.from_linear(torch.nn.Linear(4096, 4096), "gptq_u4_g128")
    y = layer(x)                                    # x: float32, (..., 4096)
    model = lowbit.torch.quantize_linears(model, "mxfp4")   # every nn.Linear swapped

The weights are quantized once, when the layer is made (lowbit.quantize: the
Numerics library, bit-exact with the compiler); the layer's product is one
lowbit.mpgemm with the codes, scales and zero points as run-time arguments,
compiled once per layer shape and scheme (the compile is cached in the
process and on disk: docs/embedding.md). forward passes the activations to
the compiled function through DLPack (no copy of a contiguous float32 CPU
tensor) and wraps the result as a torch tensor without copying it. Only
inference: no gradients flow through the product.
"""

import threading as _threading

import numpy as _np
import torch as _torch

import lowbit as _lowbit

__all__ = ["QuantLinear", "quantize_linears"]

# Compiled products by (source, target, threads): layers of one shape and
# scheme share one module.
_modules = {}
_modules_lock = _threading.Lock()


def _tensor_type(shape, element):
    return "tensor<%sx%s>" % ("x".join("?" if d is None else str(d) for d in shape), element) \
        if shape else "tensor<%s>" % element


def _linear_source(q, in_features, out_features):
    """The MLIR of y = x W^T for the QuantizedTensor q of W (out x in), its
    scales (and zero points, NVFP4's tensor scale) passed at run time."""
    t = q.mlir_types
    args = ["%%x: %s" % _tensor_type([None, in_features], "f32"),
            "%%w: %s" % _tensor_type([out_features, in_features], t["element"]),
            "%%s: %s" % _tensor_type(list(q.scales.shape), t["scale"])]
    params, param_types = ["%s"], [_tensor_type(list(q.scales.shape), t["scale"])]
    if q.zero_points is not None:
        args.append("%%z: %s" % _tensor_type(list(q.zero_points.shape), t["zero"]))
        params.append("%z")
        param_types.append(_tensor_type(list(q.zero_points.shape), t["zero"]))
    if q.tensor_scale is not None:
        args.append("%t: tensor<f32>")
        params.append("%t")
        param_types.append("tensor<f32>")
    x_type = _tensor_type([None, in_features], "f32")
    w_type = _tensor_type([out_features, in_features], t["element"])
    y_type = _tensor_type([None, out_features], "f32")
    return ("func.func @linear(%s) -> %s {\n"
            "  %%y = lowbit.mpgemm %%x, %%w [%s] {b_scheme = %s, acc_type = f32, transpose_b}\n"
            "      : %s, %s [%s] -> %s\n"
            "  return %%y : %s\n"
            "}\n") % (", ".join(args), y_type, ", ".join(params), t["scheme"], x_type, w_type,
                      ", ".join(param_types), y_type, y_type)


def _compiled(source, target, threads):
    key = (source, target, threads)
    with _modules_lock:
        m = _modules.get(key)
    if m is None:
        m = _lowbit.compile(source, target=target, threads=threads)
        with _modules_lock:
            m = _modules.setdefault(key, m)
    return m["linear"]


class QuantLinear(_torch.nn.Module):
    """A linear layer y = x W^T + b whose weights W are stored quantized by
    a lowbit scheme ("gptq_u4_g128", "awq_u4_g128", "mxfp4", "nvfp4",
    "mxfp8_e4m3", "int8_per_channel", or any #lowbit.scheme text with
    `element`), computed by lowbit's kernel for `target`."""

    def __init__(self, weight, bias=None, scheme="gptq_u4_g128", element=None,
                 target="host", threads=0):
        super().__init__()
        w = _np.ascontiguousarray(weight.detach().to(_torch.float32).cpu().numpy())
        if w.ndim != 2:
            raise ValueError("QuantLinear takes a 2-D weight (out_features x in_features), got "
                             "shape %s" % (tuple(w.shape),))
        self.out_features, self.in_features = w.shape
        self.scheme = scheme
        self.target = target
        self.quantized = _lowbit.quantize(w, scheme, element=element)
        self.source = _linear_source(self.quantized, self.in_features, self.out_features)
        self._function = _compiled(self.source, target, threads)
        q = self.quantized
        self._weights = [q.codes, q.scales]
        if q.zero_points is not None:
            self._weights.append(q.zero_points)
        if q.tensor_scale is not None:
            self._weights.append(_np.array(q.tensor_scale, dtype=_np.float32))
        if bias is not None:
            self.register_buffer("bias", bias.detach().to(_torch.float32).cpu().clone())
        else:
            self.bias = None

    @classmethod
    def from_linear(cls, linear, scheme="gptq_u4_g128", element=None, target="host", threads=0):
        """The QuantLinear of an nn.Linear's weight and bias."""
        return cls(linear.weight, linear.bias, scheme=scheme, element=element, target=target,
                   threads=threads)

    def dequantized_weight(self):
        """W as the kernel sees it (float32, out_features x in_features)."""
        return _torch.from_numpy(_lowbit.dequantize(self.quantized))

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError("QuantLinear(%d -> %d) got input of shape %s"
                             % (self.in_features, self.out_features, tuple(x.shape)))
        lead = x.shape[:-1]
        with _torch.no_grad():
            x2 = x.detach().reshape(-1, self.in_features)
            if x2.dtype != _torch.float32 or x2.device.type != "cpu" or not x2.is_contiguous():
                x2 = x2.to(device="cpu", dtype=_torch.float32).contiguous()
            y = _torch.from_numpy(self._function(x2, *self._weights))
            if self.bias is not None:
                y += self.bias
        return y.reshape(*lead, self.out_features)

    def extra_repr(self):
        return "in_features=%d, out_features=%d, scheme=%s, target=%s" % (
            self.in_features, self.out_features, self.scheme, self.target)


def quantize_linears(model, scheme="gptq_u4_g128", element=None, target="host", threads=0,
                     skip=()):
    """Replaces every nn.Linear of `model` (in place; returns it) by the
    QuantLinear of its weights, except those whose qualified name is in
    `skip` (e.g. an output head kept in float)."""
    for name, child in list(model.named_modules()):
        for attr, sub in list(child.named_children()):
            qualified = "%s.%s" % (name, attr) if name else attr
            if isinstance(sub, _torch.nn.Linear) and qualified not in skip:
                setattr(child, attr, QuantLinear.from_linear(sub, scheme, element, target, threads))
    return model
