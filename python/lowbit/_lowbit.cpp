//===- _lowbit.cpp - The Python extension: JIT modules and number formats ===//
//
// pybind11 bindings of the C++ JIT (lowbit/Runtime/JIT.h) and the Numerics
// library's formats. The Python package (python/lowbit/__init__.py) wraps
// them: calls take numpy arrays or any object with __dlpack__ (converted
// by numpy.from_dlpack, without a copy), results are numpy arrays.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Format.h"
#include "lowbit/Runtime/JIT.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

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
  m.def("compile_source", &compileModule, py::arg("source"), py::arg("target") = "host",
        py::arg("threads") = 0, py::arg("opt_level") = 3, py::arg("report_fallbacks") = false,
        py::arg("source_name") = "<input>");

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
