"""The lowbit Python package: compile, call on numpy arrays and DLPack
objects, signatures, errors as exceptions, number formats. Run by
scripts/check.sh (pytest); the build tree's python/ must be on PYTHONPATH."""

import threading

import numpy as np
import pytest

import lowbit

LINEAR = """
func.func @linear(%x: tensor<?x64xf32>, %w: tensor<16x64x!lowbit.int<4>>) -> tensor<?x16xf32> {
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<?x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @two(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  return %x, %x : tensor<4xf32>, tensor<4xf32>
}
"""


def int4_values(codes):
    c = codes.astype(np.int64) & 15
    return np.where(c >= 8, c - 16, c).astype(np.float64)


@pytest.fixture(scope="module")
def module():
    return lowbit.compile(LINEAR, target="host", threads=1)


def test_version():
    assert lowbit.__version__ == "0.1.0"


def test_functions_and_signature(module):
    assert module.functions == ["linear", "two"]
    sig = module["linear"].signature
    assert sig["inputs"][0]["type"] == "tensor<?x64xf32>"
    assert sig["inputs"][0]["shape"] == (None, 64)
    assert sig["inputs"][1]["element_type"] == "!lowbit.int<4>"
    assert sig["inputs"][1]["storage"] == "i8"
    assert sig["outputs"][0]["shape"] == (None, 16)


@pytest.mark.parametrize("m", [1, 3, 17])
@pytest.mark.parametrize("target", ["generic", "host"])
def test_linear_matches_numpy(m, target):
    mod = lowbit.compile(LINEAR, target=target, threads=1)
    rng = np.random.default_rng(m)
    x = rng.uniform(-1, 1, size=(m, 64)).astype(np.float32)
    w = rng.integers(0, 16, size=(16, 64), dtype=np.uint8)
    y = mod["linear"](x, w)
    assert y.shape == (m, 16) and y.dtype == np.float32
    exact = x.astype(np.float64) @ int4_values(w).T
    # The x86 kernels round activations to int8 blocks (docs/cpu-kernels.md):
    # a relative L2 error of a few 1e-3; the reference path is f32-exact.
    err = np.linalg.norm(y - exact) / np.linalg.norm(exact)
    assert err < (1e-6 if target == "generic" else 1e-2)


def test_several_results_are_a_tuple(module):
    a, b = module["two"](np.arange(4, dtype=np.float32))
    assert np.array_equal(a, b) and np.array_equal(a, np.arange(4))


def test_dlpack_objects_are_accepted(module):
    class Wrapped:  # any object with __dlpack__ (torch.Tensor, jax.Array, ...)
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, stream=None):
            return self.a.__dlpack__()

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    x = np.ones((2, 64), np.float32)
    w = np.full((16, 64), 2, np.int8)
    assert np.allclose(module["linear"](Wrapped(x), Wrapped(w)), 128, rtol=1e-2)


def test_errors_are_exceptions(module):
    x = np.ones((2, 64), np.float32)
    w = np.zeros((16, 64), np.int8)
    with pytest.raises(ValueError, match="dtype float64, expected float32"):
        module["linear"](x.astype(np.float64), w)
    with pytest.raises(ValueError, match="not C-contiguous"):
        module["linear"](np.ones((64, 2), np.float32).T, w)
    with pytest.raises(ValueError, match=r"input 1 must be 16x64 .*, got 16x32"):
        module["linear"](x, np.zeros((16, 32), np.int8))
    with pytest.raises(TypeError, match="takes 2 arguments, got 1"):
        module["linear"](x)
    with pytest.raises(KeyError, match="no function @nope"):
        module["nope"]
    with pytest.raises(lowbit.CompileError, match=r"bad.mlir|<input>:2:\d+: error"):
        lowbit.compile("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                       "  %y = lowbit.cast %x : tensor<4xf32> to tensor<5x!lowbit.int<4>>\n"
                       "  return %x : tensor<4xf32>\n}\n")
    with pytest.raises(lowbit.CompileError, match="unknown target 'pentium'"):
        lowbit.compile(LINEAR, target="pentium")


def test_compile_from_a_file(tmp_path):
    path = tmp_path / "linear.mlir"
    path.write_text(LINEAR)
    assert lowbit.compile(path).functions == ["linear", "two"]
    assert lowbit.compile(str(path)).functions == ["linear", "two"]


def test_calls_release_the_gil(module):
    # Threads calling at once give the single-threaded results.
    x = np.random.default_rng(0).uniform(-1, 1, (8, 64)).astype(np.float32)
    w = np.random.default_rng(1).integers(0, 16, (16, 64), dtype=np.uint8)
    want = module["linear"](x, w)
    results = [None] * 4

    def run(i):
        results[i] = module["linear"](x, w)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, want) for r in results)


def test_format_decode_encode_facts():
    e2m1 = lowbit.Format("float<e2m1>")
    assert e2m1.bits == 4 and e2m1.max == 6.0 and not e2m1.has_inf
    codes = np.arange(16)
    values = e2m1.decode(codes)
    assert list(values[:8]) == [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    assert np.array_equal(e2m1.encode(values), codes)  # -0.0 is code 8
    assert list(e2m1.encode([0.7, 5.0, 100.0])) == [1, 6, 7]  # nearest even, saturating
    assert str(lowbit.Format("f8E4M3FN")) == "float<e4m3, fn>"
    assert np.isnan(lowbit.Format("f8E4M3FN").decode([0x7F]))[0]
    with pytest.raises(ValueError):
        lowbit.Format("float<e9m9")
    with pytest.raises(ValueError, match="more than 4 bits"):
        e2m1.decode([16])


MXFP4_LINEAR = """
func.func @linear(%x: tensor<?x128xf32>, %w: tensor<32x128xf4E2M1FN>, %s: tensor<32x4xf8E8M0FNU>)
    -> tensor<?x32xf32> {
  %y = lowbit.mpgemm %x, %w [%s] {b_scheme = #lowbit.scheme<mxfp4>, acc_type = f32, transpose_b}
      : tensor<?x128xf32>, tensor<32x128xf4E2M1FN> [tensor<32x4xf8E8M0FNU>] -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @quantize(%w: tensor<32x128xf32>) -> (tensor<32x128xf4E2M1FN>, tensor<32x4xf8E8M0FNU>) {
  %q, %s = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>}
      : tensor<32x128xf32> -> tensor<32x128xf4E2M1FN>, tensor<32x4xf8E8M0FNU>
  return %q, %s : tensor<32x128xf4E2M1FN>, tensor<32x4xf8E8M0FNU>
}
"""


MIN_OFFSET = "rule = min_offset, group = 32, scale = f16, offset = f16"


@pytest.mark.parametrize("scheme", ["mxfp4", "nvfp4", "mxfp8_e4m3", "gptq_u4_g128",
                                    "int8_per_channel", MIN_OFFSET])
def test_quantize_dequantize_round_trip(scheme):
    x = np.random.default_rng(3).uniform(-1, 1, (8, 256)).astype(np.float32)
    q = lowbit.quantize(x, scheme, "int<4, unsigned>" if scheme == MIN_OFFSET else None)
    assert q.codes.shape == x.shape and q.codes.dtype == np.uint8
    # Scales in the storage form a call takes: float16/float32 for f16/f32
    # scales (they were uint16/uint32 bit patterns), uint8 for E8M0/E4M3.
    assert q.scales.dtype == {"gptq_u4_g128": np.float16, "int8_per_channel": np.float32,
                              MIN_OFFSET: np.float16}.get(scheme, np.uint8)
    assert (q.zero_points is not None) == (scheme in ("gptq_u4_g128", MIN_OFFSET))
    if scheme == MIN_OFFSET:
        # The offsets are floats (the groups' minima, rounded to f16).
        assert q.zero_points.dtype == np.float16
        assert np.array_equal(q.zero_points, x.reshape(8, 8, 32).min(axis=2).astype(np.float16))
    assert (q.tensor_scale is not None) == (scheme == "nvfp4")
    y = lowbit.dequantize(q)
    assert y.dtype == np.float32 and y.shape == x.shape
    # Each value moves by at most half a step of its group's grid.
    assert np.abs(y - x).max() < 0.3
    assert np.linalg.norm(y - x) / np.linalg.norm(x) < 0.2


def test_quantize_is_the_compilers():
    # The Numerics library, as the compiled lowbit.quantize (reference path).
    w = np.random.default_rng(4).uniform(-2, 2, (32, 128)).astype(np.float32)
    codes, scales = lowbit.compile(MXFP4_LINEAR, target="generic")["quantize"](w)
    q = lowbit.quantize(w, "mxfp4")
    assert np.array_equal(q.codes, codes.view(np.uint8))
    assert np.array_equal(q.scales, scales.view(np.uint8))


@pytest.mark.parametrize("target", ["generic", "host"])
def test_quantized_weights_feed_a_kernel(target):
    rng = np.random.default_rng(5)
    w = rng.uniform(-1, 1, (32, 128)).astype(np.float32)
    x = rng.uniform(-1, 1, (5, 128)).astype(np.float32)
    q = lowbit.quantize(w, "mxfp4")
    y = lowbit.compile(MXFP4_LINEAR, target=target, threads=1)["linear"](x, q.codes, q.scales)
    exact = x.astype(np.float64) @ lowbit.dequantize(q).astype(np.float64).T
    assert np.linalg.norm(y - exact) / np.linalg.norm(exact) < (1e-6 if target == "generic" else 1e-2)


def test_quantize_errors():
    x = np.ones((4, 64), np.float32)
    with pytest.raises(ValueError, match="not a multiple of the group extent 128"):
        lowbit.quantize(x, "gptq_u4_g128")
    with pytest.raises(ValueError, match="fixes no element format"):
        lowbit.quantize(x, "rule = absmax, channel, axis = 1, scale = f32")
    with pytest.raises(ValueError, match="unknown scheme preset 'mxfp5'"):
        lowbit.quantize(x, "mxfp5")
    q = lowbit.quantize(x, "rule = absmax, channel, axis = 1, scale = f32", element="int<4>")
    assert str(q.element) == "int<4>" and q.scales.shape == (4, 1)
    assert np.allclose(lowbit.dequantize(q), 1)


def lowbit_compile_tool():
    import os
    here = os.path.dirname(os.path.dirname(os.path.abspath(lowbit.__file__)))
    for path in (os.environ.get("LOWBIT_TOOLS_DIR", ""), os.path.join(here, "..", "bin")):
        tool = os.path.join(path, "lowbit-compile")
        if os.path.exists(tool):
            return tool
    pytest.skip("lowbit-compile not found (set LOWBIT_TOOLS_DIR)")


def test_load_an_aot_object(tmp_path):
    import subprocess
    import time
    src = tmp_path / "linear.mlir"
    src.write_text(LINEAR)
    so = tmp_path / "linear.so"
    subprocess.run([lowbit_compile_tool(), str(src), "--target=x86-64-v3", "-o", str(so)],
                   check=True)
    start = time.perf_counter()
    aot = lowbit.load(so)
    assert time.perf_counter() - start < 0.5  # the target is 10 ms; a loaded CI machine
    assert aot.functions == ["linear", "two"]
    assert aot["linear"].signature["inputs"][1]["element_type"] == "!lowbit.int<4>"
    x = np.random.default_rng(6).uniform(-1, 1, (7, 64)).astype(np.float32)
    w = np.random.default_rng(7).integers(0, 16, (16, 64), dtype=np.uint8)
    jit = lowbit.compile(LINEAR, target="x86-64-v3", threads=1)
    assert np.array_equal(aot["linear"](x, w), jit["linear"](x, w))
    with pytest.raises(ValueError, match="cannot load"):
        lowbit.load(tmp_path / "missing.so")
    with pytest.raises(ValueError, match="not a lowbit-compile object"):
        import ctypes.util
        lowbit.load(ctypes.util.find_library("m") or "libm.so.6")


WIDE = """
func.func @round_trip(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %p = lowbit.cast %x : tensor<4x64xf32> to tensor<4x64x!lowbit.posit<32, 2>>
  %y = lowbit.cast %p : tensor<4x64x!lowbit.posit<32, 2>> to tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
func.func @linear(%x: tensor<2x64xf32>, %w: tensor<8x64x!lowbit.float<e8m20>>) -> tensor<2x8xf32> {
  %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b}
      : tensor<2x64xf32>, tensor<8x64x!lowbit.float<e8m20>> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
"""


def test_aot_objects_of_wide_formats(tmp_path):
    # Formats wider than 16 bits call the runtime codec: the object links
    # liblowbit_runtime.so, which exports it, and gives the JIT's bits.
    import subprocess
    src = tmp_path / "wide.mlir"
    src.write_text(WIDE)
    so = tmp_path / "wide.so"
    subprocess.run([lowbit_compile_tool(), str(src), "--target=generic", "-o", str(so)],
                   check=True)
    aot = lowbit.load(so)
    jit = lowbit.compile(WIDE, target="generic", threads=1)
    rng = np.random.default_rng(8)
    x = rng.uniform(-4, 4, (4, 64)).astype(np.float32)
    assert np.array_equal(aot["round_trip"](x), jit["round_trip"](x))
    xs = rng.uniform(-1, 1, (2, 64)).astype(np.float32)
    w = rng.integers(0, 1 << 29, (8, 64), dtype=np.uint32)  # e8m20 codes, 29 bits
    assert np.array_equal(aot["linear"](xs, w), jit["linear"](xs, w))
