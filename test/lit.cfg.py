# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LOWBIT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".c"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lowbit_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%lowbit_src", config.lowbit_src_root))
config.substitutions.append(("%mlir_include", config.mlir_include_dir))
# A plain C compiler for programs built against lowbit's headers and
# libraries only: the system's cc where there is one, else the C compiler
# lowbit was built with.
import shutil
config.substitutions.append(("%cc", shutil.which("cc") or config.c_compiler))
config.substitutions.append(("%lowbit_lib", os.path.join(config.lowbit_obj_root, "lib")))
# The sanitize preset: our libraries carry ASan, which a program built by
# plain cc (without the sanitizer runtime) cannot load.
if "-fsanitize" in getattr(config, "cxx_flags", ""):
    config.available_features.add("sanitized")
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# The golden oracle tables live beside the checkout (../shared/golden); a
# user's clone has none, and the tests that read them are then unsupported.
golden = os.path.normpath(os.path.join(config.lowbit_src_root, "..", "shared", "golden"))
if os.path.isdir(golden):
    config.available_features.add("golden")
    config.substitutions.append(("%golden", golden))

# x86 execution tests run code for a target only where the host has its
# features (lowbit-run refuses the others): host-x86-64-v3 (AVX2, FMA,
# F16C, BMI2), host-x86-64-v4 (+ AVX-512 F/BW/DQ/VL), host-znver4 (+ VNNI,
# VBMI, ...).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((l.split(":", 1)[1].split() for l in cpuinfo if l.startswith("flags")), [])
except OSError:
    flags = []
v3 = {"avx2", "fma", "f16c", "bmi2"}
v4 = v3 | {"avx512f", "avx512bw", "avx512dq", "avx512vl"}
zen4 = v4 | {"avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bf16", "avx512_vpopcntdq",
             "avx512_bitalg"}
for name, need in [("host-x86-64-v3", v3), ("host-x86-64-v4", v4), ("host-znver4", zen4)]:
    if need <= set(flags):
        config.available_features.add(name)

# AArch64 execution tests: code compiled for aarch64, linked by Debian's
# cross compiler (with the AOT runtime archive CMake built with it) and run
# under qemu-aarch64 (lowbit-run --target=aarch64).
aarch64_archive = os.path.join(config.lowbit_obj_root, "lib", "aarch64-linux-gnu",
                               "liblowbit_aot_runtime.a")
if (shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc")
        and os.path.exists(aarch64_archive)):
    config.available_features.add("aarch64-emulator")

# ONNX import: lowbit-import built with libonnx, and the tests' model
# writer (python3-onnx, with numpy) in the interpreter lit runs.
if getattr(config, "lowbit_have_onnx", "") == "ON":
    config.available_features.add("onnx-import")
import subprocess
if subprocess.call([config.python_executable, "-c", "import onnx, numpy"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("python-onnx")

# onnxruntime (npm onnxruntime-node, run by node): the ONNX importer's
# second oracle, where check.sh could fetch it (LOWBIT_ONNXRUNTIME_DIR).
ort_dir = os.environ.get("LOWBIT_ONNXRUNTIME_DIR", "")
if (ort_dir and shutil.which("node")
        and os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node"))):
    config.available_features.add("onnxruntime")
    config.substitutions.append(("%onnxruntime", ort_dir))

# GPU execution tests need a CUDA driver and a device.
if os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl"):
    config.available_features.add("cuda-gpu")

tool_dirs = [config.lowbit_tools_dir, config.llvm_tools_dir]
tools = ["lowbit-opt", "lowbit-num", "lowbit-layout", "lowbit-run", "lowbit-compile", "lowbit-import", "lowbit-quantize-model", "lowbit-capi-runtime-test", "mlir-tblgen", "not", "count", "FileCheck", ToolSubst("%python", config.python_executable, unresolved="ignore")]
llvm_config.add_tool_substitutions(tools, tool_dirs)
