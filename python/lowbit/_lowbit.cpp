//===- _lowbit.cpp - The Python extension: JIT modules and number formats ===//
//
// pybind11 bindings of the C++ JIT (lowbit/Runtime/JIT.h) and the Numerics
// library's formats. The Python package (python/lowbit/__init__.py) wraps
// them: calls take numpy arrays or any object with __dlpack__ (converted
// by numpy.from_dlpack, without a copy), results are numpy arrays.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Format.h"
#include "lowbit/Numerics/TensorQuantization.h"
#include "lowbit/Runtime/JIT.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/MLIRContext.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <mutex>

namespace py = pybind11;
namespace rt = lowbit::rt;
namespace num = lowbit::num;

namespace {

/// Raised for parse, verification and lowering errors (the diagnostics).
PyObject *compileError = nullptr;

/// The numpy dtype of a storage type.
py::dtype dtypeOf(const std::string &storage) {
  if (storage == "f32")
    return py::dtype("float32");
  if (storage == "f64")
    return py::dtype("float64");
  if (storage == "f16")
    return py::dtype("float16");
  if (storage == "bf16")
    return py::dtype("uint16"); // numpy has no bfloat16: the bit patterns
  return py::dtype("int" + storage.substr(1));
}

/// Whether `a`'s dtype may stand for storage `storage`: the same kind and
/// size; integer storage also takes unsigned integers (codes are bit
/// patterns), bf16 takes uint16 / int16 bit patterns.
bool dtypeMatches(const py::dtype &a, const std::string &storage) {
  char kind = a.kind();
  size_t size = a.itemsize();
  if (storage == "bf16")
    return (kind == 'u' || kind == 'i') && size == 2;
  if (storage[0] == 'f')
    return kind == 'f' && size * 8 == std::stoul(storage.substr(1));
  return (kind == 'i' || kind == 'u') && size * 8 == std::stoul(storage.substr(1));
}

class Module {
public:
  explicit Module(std::shared_ptr<const rt::CompiledModule> m, std::string diagnostics)
      : module(std::move(m)), diagnostics(std::move(diagnostics)) {}

  std::vector<std::string> functions() const {
    std::vector<std::string> names;
    for (const rt::FunctionSignature &f : module->functions())
      names.push_back(f.name);
    return names;
  }

  py::dict signature(const std::string &name) const {
    const rt::FunctionSignature &sig = find(name);
    auto specs = [](const std::vector<rt::TensorSpec> &ts) {
      py::list out;
      for (const rt::TensorSpec &t : ts) {
        py::dict d;
        d["type"] = t.type;
        d["element_type"] = t.elementType;
        d["storage"] = t.storageType;
        std::vector<py::object> shape;
        for (int64_t s : t.shape)
          shape.push_back(s < 0 ? py::object(py::none()) : py::object(py::int_(s)));
        d["shape"] = py::tuple(py::cast(shape));
        d["layout"] = t.layout;
        out.append(d);
      }
      return out;
    };
    py::dict d;
    d["inputs"] = specs(sig.inputs);
    d["outputs"] = specs(sig.outputs);
    return d;
  }

  /// Calls `name` on C-contiguous arrays; returns the outputs.
  py::list call(const std::string &name, const std::vector<py::array> &args) const {
    const rt::FunctionSignature &sig = find(name);
    if (args.size() != sig.inputs.size())
      throw py::type_error("@" + name + " takes " + std::to_string(sig.inputs.size()) +
                           " arguments, got " + std::to_string(args.size()));
    std::vector<std::vector<int64_t>> shapes;
    std::vector<void *> buffers;
    for (size_t i = 0; i < args.size(); ++i) {
      const py::array &a = args[i];
      const rt::TensorSpec &spec = sig.inputs[i];
      std::string what = "argument " + std::to_string(i) + " of @" + name + " (" + spec.type + ")";
      if (!dtypeMatches(a.dtype(), spec.storageType))
        throw py::value_error(what + ": dtype " + std::string(py::str(a.dtype())) +
                              ", expected " + std::string(py::str(dtypeOf(spec.storageType))));
      if (!(a.flags() & py::array::c_style))
        throw py::value_error(what + ": not C-contiguous (use numpy.ascontiguousarray)");
      shapes.emplace_back(a.shape(), a.shape() + a.ndim());
      buffers.push_back(const_cast<void *>(a.data()));
    }
    std::vector<int64_t> dims;
    if (std::string e = sig.bindSymbols(shapes, dims); !e.empty())
      throw py::value_error("@" + name + ": " + e);
    py::list outputs;
    for (const rt::TensorSpec &spec : sig.outputs) {
      std::vector<int64_t> shape = spec.shapeFor(dims);
      py::array out(dtypeOf(spec.storageType), std::vector<py::ssize_t>(shape.begin(), shape.end()));
      buffers.push_back(out.mutable_data());
      outputs.append(out);
    }
    std::string error;
    {
      py::gil_scoped_release release; // the call runs without the GIL
      error = module->invoke(name, buffers, dims);
    }
    if (!error.empty())
      throw py::value_error(error);
    return outputs;
  }

  std::shared_ptr<const rt::CompiledModule> module;
  std::string diagnostics;

private:
  const rt::FunctionSignature &find(const std::string &name) const {
    if (const rt::FunctionSignature *f = module->find(name))
      return *f;
    std::string names;
    for (const rt::FunctionSignature &f : module->functions())
      names += (names.empty() ? "@" : ", @") + f.name;
    throw py::key_error("no function @" + name + " (the module has " +
                        (names.empty() ? "none" : names) + ")");
  }
};

Module compileModule(const std::string &source, const std::string &target, unsigned threads,
                     unsigned optLevel, bool reportFallbacks, const std::string &sourceName) {
  rt::CompileOptions o;
  o.target = target;
  o.numThreads = threads;
  o.optLevel = optLevel;
  o.reportFallbacks = reportFallbacks;
  o.sourceName = sourceName;
  if (optLevel > 3)
    throw py::value_error("opt_level must be 0 to 3, got " + std::to_string(optLevel));
  std::string diagnostics;
  std::shared_ptr<const rt::CompiledModule> m;
  {
    py::gil_scoped_release release;
    m = rt::compile(source, o, diagnostics);
  }
  if (!m) {
    PyErr_SetString(compileError, diagnostics.empty() ? "compile failed" : diagnostics.c_str());
    throw py::error_already_set();
  }
  return Module(std::move(m), std::move(diagnostics));
}

num::Format parseFormat(const std::string &text) {
  std::string error;
  std::optional<num::Format> f = num::Format::parse(text, error);
  if (!f)
    throw py::value_error("'" + text + "': " + error);
  return *f;
}

//===----------------------------------------------------------------------===//
// Quantization through the Numerics library
//===----------------------------------------------------------------------===//

/// Schemes are parsed as the dialect's #lowbit.scheme attribute (presets
/// and the full syntax), in one context shared under a lock.
std::mutex schemeMutex;
mlir::MLIRContext &schemeContext() {
  static mlir::MLIRContext *ctx = [] {
    auto *c = new mlir::MLIRContext;
    c->getOrLoadDialect<mlir::lowbit::LowbitDialect>();
    return c;
  }();
  return *ctx;
}

/// The Numerics scheme of `schemeText` for `element` codes of `shape`.
/// The MLIR spelling of a quantized tensor's parts, for programs that take
/// them as arguments (lowbit.torch writes its product with them).
struct MlirTypeTexts {
  std::string scheme, element, scale, zero;
};

std::string printed(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

num::TensorScheme tensorScheme(const std::string &schemeText, const std::string &elementText,
                               const std::vector<int64_t> &shape, std::string &schemeName,
                               std::string &elementName, MlirTypeTexts *types = nullptr) {
  std::lock_guard<std::mutex> lock(schemeMutex);
  mlir::MLIRContext &ctx = schemeContext();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    diagnostics += d.str();
    return mlir::success();
  });
  auto scheme = llvm::dyn_cast_or_null<mlir::lowbit::SchemeAttr>(
      mlir::parseAttribute("#lowbit.scheme<" + schemeText + ">", &ctx));
  if (!scheme)
    throw py::value_error("scheme '" + schemeText + "': " +
                          (diagnostics.empty() ? "not a scheme" : diagnostics));
  mlir::Type element = scheme.getElementType();
  if (!elementText.empty()) {
    num::Format f = parseFormat(elementText);
    element = mlir::lowbit::getBuiltinType(&ctx, f);
    if (!element)
      element = f.isInt() && f.bits() == 8 && f.intEncoding() == num::IntEncoding::Signed
                    ? mlir::Type(mlir::IntegerType::get(&ctx, 8))
                    : mlir::lowbit::getLowbitType(&ctx, f);
  }
  if (!element)
    throw py::value_error("scheme '" + schemeText +
                          "' fixes no element format: give element=, e.g. element=\"int<8>\"");
  if (std::string e = scheme.checkElementType(element); !e.empty())
    throw py::value_error("scheme '" + schemeText + "': " + e);
  std::vector<int64_t> s(shape.begin(), shape.end());
  for (int64_t extent : scheme.getGroupExtents(s))
    if (extent < 0)
      throw py::value_error("scheme '" + schemeText + "' does not fit shape");
  llvm::SmallVector<int64_t> extents = scheme.getGroupExtents(s);
  for (size_t d = 0; d < s.size(); ++d)
    if (extents[d] > 0 && s[d] % extents[d] != 0)
      throw py::value_error("scheme '" + schemeText + "': dimension " + std::to_string(d) +
                            " of size " + std::to_string(s[d]) +
                            " is not a multiple of the group extent " +
                            std::to_string(extents[d]));
  schemeName = scheme.getPresetName().empty() ? schemeText : scheme.getPresetName().str();
  elementName = mlir::lowbit::getFormat(element)->str();
  if (types) {
    std::string attr;
    llvm::raw_string_ostream os(attr);
    mlir::Attribute(scheme).print(os);
    *types = {attr, printed(element), printed(scheme.getScaleType()),
              scheme.getZeroType() ? printed(scheme.getZeroType()) : std::string()};
  }
  return mlir::lowbit::getTensorScheme(scheme, element, s);
}

/// "f32" or "f16" for those IEEE formats (Format::str spells them out,
/// float<e8m23, ieee>), else the format's own name.
std::string floatName(const num::Format &f) {
  std::string name = f.str();
  if (name == "float<e8m23, ieee>")
    return "f32";
  if (name == "float<e5m10, ieee>")
    return "f16";
  return name;
}

/// Codes of `f` as the storage a call takes: uint8, uint16 or uint32 per
/// code by width; float formats of the scale grid (f16, f32, bf16) as their
/// numpy type (bf16 as uint16 bit patterns).
py::array storageArray(const num::Format &f, const std::vector<uint32_t> &codes,
                       const std::vector<int64_t> &shape) {
  std::vector<py::ssize_t> sh(shape.begin(), shape.end());
  std::string name = floatName(f);
  auto fill = [&](auto *out) {
    for (size_t i = 0; i < codes.size(); ++i)
      out[i] = static_cast<std::remove_pointer_t<decltype(out)>>(codes[i]);
  };
  if (name == "f32") {
    py::array_t<float> a(sh);
    std::memcpy(a.mutable_data(), codes.data(), codes.size() * 4);
    return a;
  }
  if (name == "f16") {
    py::array a(py::dtype("float16"), sh);
    fill(static_cast<uint16_t *>(a.mutable_data()));
    return a;
  }
  if (f.bits() <= 8) {
    py::array_t<uint8_t> a(sh);
    fill(a.mutable_data());
    return a;
  }
  if (f.bits() <= 16) {
    py::array_t<uint16_t> a(sh);
    fill(a.mutable_data());
    return a;
  }
  py::array_t<uint32_t> a(sh);
  fill(a.mutable_data());
  return a;
}

std::vector<uint32_t> codesOf(const py::array &a, const std::string &what, size_t count) {
  py::array_t<uint32_t, py::array::forcecast | py::array::c_style> c(a);
  if (static_cast<size_t>(c.size()) != count)
    throw py::value_error(what + ": " + std::to_string(c.size()) + " elements, expected " +
                          std::to_string(count));
  return std::vector<uint32_t>(c.data(), c.data() + c.size());
}

/// Scale-grid storage back to codes (f16 arrays: their bit patterns).
std::vector<uint32_t> scaleCodesOf(const num::Format &f, const py::array &a, size_t count) {
  if (floatName(f) == "f32" && a.dtype().kind() == 'f') {
    py::array_t<float, py::array::forcecast | py::array::c_style> c(a);
    if (static_cast<size_t>(c.size()) != count)
      throw py::value_error("scales: wrong element count");
    std::vector<uint32_t> out(count);
    std::memcpy(out.data(), c.data(), count * 4);
    return out;
  }
  if (floatName(f) == "f16" && a.dtype().kind() == 'f') {
    py::array h = py::array::ensure(a, py::array::c_style);
    if (static_cast<size_t>(h.size()) != count || h.itemsize() != 2)
      throw py::value_error("scales: expected float16 scales");
    const uint16_t *p = static_cast<const uint16_t *>(h.data());
    return std::vector<uint32_t>(p, p + count);
  }
  return codesOf(a, "scales", count);
}

py::dict quantize(py::array_t<float, py::array::forcecast | py::array::c_style> x,
                  const std::string &schemeText, const std::string &element) {
  std::vector<int64_t> shape(x.shape(), x.shape() + x.ndim());
  std::string schemeName, elementName;
  MlirTypeTexts types;
  num::TensorScheme ts = tensorScheme(schemeText, element, shape, schemeName, elementName, &types);
  num::QuantizedTensor q;
  {
    py::gil_scoped_release release;
    q = num::quantizeTensor(ts, shape, x.data());
  }
  std::vector<int64_t> grid = num::scaleGridShape(shape, ts.extents);
  py::dict d;
  d["scheme"] = schemeName;
  d["element"] = elementName;
  d["codes"] = storageArray(ts.element, q.codes, shape);
  d["scales"] = storageArray(ts.scale, q.scales, grid);
  d["zero_points"] = ts.zero ? py::object(storageArray(*ts.zero, q.zeroPoints, grid))
                             : py::object(py::none());
  d["tensor_scale"] = ts.rule == num::SchemeRule::NvFp4 ? py::object(py::float_(q.tensorScale))
                                                         : py::object(py::none());
  py::dict t;
  t["scheme"] = types.scheme;
  t["element"] = types.element;
  t["scale"] = types.scale;
  t["zero"] = types.zero.empty() ? py::object(py::none()) : py::object(py::str(types.zero));
  d["mlir_types"] = t;
  return d;
}

py::array_t<float> dequantize(const std::string &schemeText, const std::string &element,
                              py::array codes, py::array scales, py::object zeroPoints,
                              py::object tensorScale) {
  std::vector<int64_t> shape(codes.shape(), codes.shape() + codes.ndim());
  std::string schemeName, elementName;
  num::TensorScheme ts = tensorScheme(schemeText, element, shape, schemeName, elementName);
  std::vector<int64_t> grid = num::scaleGridShape(shape, ts.extents);
  size_t groups = static_cast<size_t>(num::numElements(grid));
  num::QuantizedTensor q;
  q.codes = codesOf(codes, "codes", static_cast<size_t>(num::numElements(shape)));
  q.scales = scaleCodesOf(ts.scale, scales, groups);
  if (ts.zero) {
    if (zeroPoints.is_none())
      throw py::value_error("scheme '" + schemeText + "' has zero points: give zero_points=");
    // min_offset's offsets are floats, stored as its scales are.
    q.zeroPoints = ts.rule == num::SchemeRule::MinOffset
                       ? scaleCodesOf(*ts.zero, zeroPoints.cast<py::array>(), groups)
                       : codesOf(zeroPoints.cast<py::array>(), "zero_points", groups);
  }
  if (ts.rule == num::SchemeRule::NvFp4) {
    if (tensorScale.is_none())
      throw py::value_error("nvfp4 has a tensor scale: give tensor_scale=");
    q.tensorScale = tensorScale.cast<float>();
  }
  uint64_t mask = ts.element.bits() >= 32 ? ~uint64_t(0) : (uint64_t(1) << ts.element.bits()) - 1;
  for (uint32_t c : q.codes)
    if (c & ~mask)
      throw py::value_error("code " + std::to_string(c) + " has more than " +
                            std::to_string(ts.element.bits()) + " bits");
  std::vector<float> v = num::dequantizeTensor(ts, shape, q);
  py::array_t<float> out(std::vector<py::ssize_t>(shape.begin(), shape.end()));
  std::memcpy(out.mutable_data(), v.data(), v.size() * 4);
  return out;
}

} // namespace

PYBIND11_MODULE(_lowbit, m) {
  m.doc() = "lowbit's JIT and number formats (use the lowbit package)";
  compileError = PyErr_NewException("lowbit.CompileError", PyExc_RuntimeError, nullptr);
  m.attr("CompileError") = py::handle(compileError);
  m.attr("__version__") = LOWBIT_VERSION;

  py::class_<Module>(m, "Module")
      .def_property_readonly("functions", &Module::functions)
      .def_readonly("diagnostics", &Module::diagnostics)
      .def("signature", &Module::signature)
      .def("call", &Module::call);
  m.def(
      "load_object",
      [](const std::string &path) {
        std::string error;
        auto loaded = rt::load(path, error);
        if (!loaded)
          throw py::value_error(error);
        return Module(std::move(loaded), "");
      },
      py::arg("path"));
  m.def("compile_source", &compileModule, py::arg("source"), py::arg("target") = "host",
        py::arg("threads") = 0, py::arg("opt_level") = 3, py::arg("report_fallbacks") = false,
        py::arg("source_name") = "<input>");

  m.def("quantize_array", &quantize, py::arg("x"), py::arg("scheme"), py::arg("element") = "");
  m.def("dequantize_array", &dequantize, py::arg("scheme"), py::arg("element"), py::arg("codes"),
        py::arg("scales"), py::arg("zero_points") = py::none(),
        py::arg("tensor_scale") = py::none());

  py::class_<num::Format>(m, "Format")
      .def(py::init(&parseFormat), py::arg("text"))
      .def_property_readonly("bits", &num::Format::bits)
      .def_property_readonly("max", &num::Format::maxFinite)
      .def_property_readonly("lowest", &num::Format::lowestFinite)
      .def_property_readonly("has_inf", &num::Format::hasInf)
      .def_property_readonly("has_nan", &num::Format::hasNaN)
      .def("__str__", &num::Format::str)
      .def("__repr__", [](const num::Format &f) { return "lowbit.Format(\"" + f.str() + "\")"; })
      .def("__eq__", [](const num::Format &a, const num::Format &b) { return a == b; })
      .def(
          "decode",
          [](const num::Format &f, py::array_t<uint64_t, py::array::forcecast> codes) {
            py::array_t<double> out(codes.request().shape);
            const uint64_t *in = codes.data();
            double *o = out.mutable_data();
            uint64_t mask = f.bits() >= 64 ? ~uint64_t(0) : (uint64_t(1) << f.bits()) - 1;
            for (py::ssize_t i = 0; i < codes.size(); ++i) {
              if (in[i] & ~mask)
                throw py::value_error("code " + std::to_string(in[i]) + " has more than " +
                                      std::to_string(f.bits()) + " bits");
              o[i] = num::decode(f, in[i]);
            }
            return out;
          },
          py::arg("codes"), "The exact values of codes (NaN for NaN and NaR codes)")
      .def(
          "encode",
          [](const num::Format &f, py::array_t<double, py::array::forcecast> values) {
            py::array_t<uint64_t> out(values.request().shape);
            const double *in = values.data();
            uint64_t *o = out.mutable_data();
            for (py::ssize_t i = 0; i < values.size(); ++i)
              o[i] = num::encode(f, in[i]);
            return out;
          },
          py::arg("values"),
          "Codes of values, rounded once to nearest even, saturating (the default policy)");
}
