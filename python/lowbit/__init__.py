"""lowbit: a compiler for low-precision tensor programs.

    import numpy as np, lowbit
    m = lowbit.compile(open("linear.mlir").read(), target="host", threads=2)
    y = m["linear"](x, w)          # numpy arrays or objects with __dlpack__

Arguments are passed in storage form (docs/embedding.md): float tensors as
float32/float16 arrays (bfloat16 as uint16 bit patterns), codes of lowbit
formats one per integer (int8/uint8 for formats of at most 8 bits).
"""

import os as _os

import numpy as _np

from ._lowbit import CompileError, Format, __version__
from . import _lowbit

__all__ = ["compile", "load", "Module", "Function", "Format", "CompileError", "quantize",
           "dequantize", "QuantizedTensor", "__version__"]


def _as_array(x):
    """A C-contiguous numpy view of `x`: numpy arrays as they are, other
    objects with __dlpack__ (torch, jax, ...) through numpy.from_dlpack
    (no copy); non-contiguous arrays are refused by the call."""
    if isinstance(x, _np.ndarray):
        return x
    if hasattr(x, "__dlpack__"):
        return _np.from_dlpack(x)
    return _np.asarray(x)


class Function:
    """One function of a compiled module; call it with its arguments."""

    def __init__(self, module, name):
        self._module = module
        self.name = name

    @property
    def signature(self):
        """{'inputs': [...], 'outputs': [...]}: each tensor's MLIR type,
        element type, storage type, shape (None for dynamic sizes), layout."""
        return self._module._impl.signature(self.name)

    def __call__(self, *args):
        outputs = self._module._impl.call(self.name, [_as_array(a) for a in args])
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def __repr__(self):
        return "<lowbit.Function @%s>" % self.name


class Module:
    """A compiled module: `functions` lists the names, `m[name]` is one."""

    def __init__(self, impl):
        self._impl = impl

    @property
    def functions(self):
        return list(self._impl.functions)

    @property
    def diagnostics(self):
        """Remarks of the compile (report_fallbacks=True), or ''."""
        return self._impl.diagnostics

    def __getitem__(self, name):
        if name not in self._impl.functions:
            raise KeyError("no function @%s (the module has %s)"
                           % (name, ", ".join("@" + f for f in self._impl.functions) or "none"))
        return Function(self, name)

    def __repr__(self):
        return "<lowbit.Module %s>" % ", ".join("@" + f for f in self.functions)


def compile(source, target="host", threads=0, opt_level=3, report_fallbacks=False):
    """Compiles MLIR text of lowbit IR, or the file at the path `source`.

    target: "host", "generic" (the reference path), "x86-64-v3",
    "x86-64-v4", "znver4" ("aarch64", "aarch64+i8mm" on an AArch64 host); threads: kernel threads (0: LOWBIT_NUM_THREADS,
    else every core). Raises CompileError with the diagnostics."""
    name = "<input>"
    if isinstance(source, _os.PathLike) or (
            isinstance(source, str) and "\n" not in source and _os.path.exists(source)):
        name = _os.fspath(source)
        with open(name, "rb") as f:
            source = f.read()
    return Module(_lowbit.compile_source(source, target, threads, opt_level,
                                         report_fallbacks, name))


class QuantizedTensor:
    """Codes and scales of a tensor quantized by a scheme, in the storage
    form calls take: `codes` (uint8 for formats of at most 8 bits, else
    uint16/uint32), `scales` over the scale grid (float16/float32 for f16/f32
    scales, uint8 codes for E8M0/E4M3), `zero_points` (codes; for rule
    min_offset its float offsets, stored as the scales are; or None) and
    `tensor_scale` (NVFP4's, or None); `mlir_types` the MLIR spelling of
    the scheme attribute and of the element, scale and zero-point types
    ({'scheme', 'element', 'scale', 'zero'}), for programs that take them
    as arguments."""

    def __init__(self, scheme, element, codes, scales, zero_points=None, tensor_scale=None,
                 mlir_types=None):
        self.scheme = scheme
        self.element = Format(element)
        self.codes = codes
        self.scales = scales
        self.zero_points = zero_points
        self.tensor_scale = tensor_scale
        self.mlir_types = mlir_types

    def __repr__(self):
        return "<lowbit.QuantizedTensor %s %s codes%s scales%s>" % (
            self.scheme, self.element, self.codes.shape, self.scales.shape)


def quantize(x, scheme, element=None):
    """Quantizes a float array with a scheme, as lowbit.quantize does (the
    Numerics library, bit-exact with the compiler's constant folding):
    `scheme` is a preset ("mxfp4", "nvfp4", "mxfp8_e4m3", "gptq_u4_g128",
    "int8_per_channel", ...) or the #lowbit.scheme syntax inside the angle
    brackets ("rule = absmax, channel, axis = 1, scale = f32"), `element`
    the code format where the scheme fixes none."""
    d = _lowbit.quantize_array(_np.asarray(_as_array(x), dtype=_np.float32), scheme, element or "")
    return QuantizedTensor(d["scheme"], d["element"], d["codes"], d["scales"],
                           d["zero_points"], d["tensor_scale"], d["mlir_types"])


def dequantize(q):
    """The float32 values of a QuantizedTensor (lowbit.dequantize)."""
    return _lowbit.dequantize_array(q.scheme, str(q.element), q.codes, q.scales,
                                    q.zero_points, q.tensor_scale)


def load(path):
    """Loads a shared object written by lowbit-compile: a Module whose
    functions run the ahead-of-time code (nothing is compiled)."""
    return Module(_lowbit.load_object(_os.fspath(path)))
