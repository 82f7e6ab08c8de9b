//===- Runtime.cpp - The C API of the lowbit JIT --------------------------===//
//
// A thin layer over lowbit::rt (JIT.h): handles own a shared_ptr to the
// compiled module plus the C views of its signatures; DLPack tensors are
// checked against the signature before the call.
//
//===----------------------------------------------------------------------===//

#include "lowbit-c/Runtime.h"

#include "lowbit/Runtime/Module.h"
#ifndef LOWBIT_C_RUNTIME_ONLY
#include "lowbit/Runtime/JIT.h"
#endif

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

namespace {

thread_local std::string lastError;

lowbitStatus fail(lowbitStatus status, std::string message) {
  lastError = std::move(message);
  return status;
}

/// The C view of one TensorSpec.
struct TensorView {
  std::vector<int64_t> shape;
  std::vector<int32_t> symbols;
  DLDataType dtype{};
  const lowbit::rt::TensorSpec *spec = nullptr;
};

struct FunctionView {
  std::vector<TensorView> inputs, outputs;
};

DLDataType dtypeOf(const std::string &storage) {
  DLDataType t{};
  t.lanes = 1;
  if (storage == "f32" || storage == "f16" || storage == "f64") {
    t.code = kDLFloat;
    t.bits = static_cast<uint8_t>(std::stoi(storage.substr(1)));
  } else if (storage == "bf16") {
    t.code = kDLBfloat;
    t.bits = 16;
  } else { // i8, i16, i32, i64
    t.code = kDLInt;
    t.bits = static_cast<uint8_t>(std::stoi(storage.substr(1)));
  }
  return t;
}

TensorView viewOf(const lowbit::rt::TensorSpec &spec) {
  TensorView v;
  v.shape = spec.shape;
  v.symbols.assign(spec.symbols.begin(), spec.symbols.end());
  v.dtype = dtypeOf(spec.storageType);
  v.spec = &spec;
  return v;
}

std::string describe(const DLDataType &t) {
  const char *code = t.code == kDLFloat    ? "float"
                     : t.code == kDLBfloat ? "bfloat"
                     : t.code == kDLInt    ? "int"
                     : t.code == kDLUInt   ? "uint"
                                           : "code ";
  std::string s = code;
  if (t.code != kDLFloat && t.code != kDLBfloat && t.code != kDLInt && t.code != kDLUInt)
    s += std::to_string(t.code) + "/";
  s += std::to_string(t.bits);
  if (t.lanes != 1)
    s += "x" + std::to_string(t.lanes);
  return s;
}

std::string shapeText(const int64_t *shape, int32_t ndim) {
  std::string s = "(";
  for (int32_t i = 0; i < ndim; ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + ")";
}

} // namespace

struct lowbitModule_s {
  std::shared_ptr<const lowbit::rt::CompiledModule> module;
  std::string diagnostics;
  std::vector<FunctionView> functions;
  std::atomic<int> references{1};
};

namespace {

lowbitStatus wrap(std::shared_ptr<const lowbit::rt::CompiledModule> compiled,
                  std::string diagnostics, lowbitModule *out) {
  auto *m = new (std::nothrow) lowbitModule_s;
  if (!m)
    return fail(LOWBIT_ERROR_IO, "out of memory");
  m->module = std::move(compiled);
  m->diagnostics = std::move(diagnostics);
  for (const lowbit::rt::FunctionSignature &sig : m->module->functions()) {
    FunctionView f;
    for (const lowbit::rt::TensorSpec &t : sig.inputs)
      f.inputs.push_back(viewOf(t));
    for (const lowbit::rt::TensorSpec &t : sig.outputs)
      f.outputs.push_back(viewOf(t));
    m->functions.push_back(std::move(f));
  }
  *out = m;
  return LOWBIT_OK;
}

#ifndef LOWBIT_C_RUNTIME_ONLY
lowbit::rt::CompileOptions optionsOf(const lowbitCompileOptions *o) {
  lowbitCompileOptions d;
  lowbitCompileOptionsInit(&d);
  if (!o)
    o = &d;
  lowbit::rt::CompileOptions r;
  r.target = o->target ? o->target : "host";
  r.numThreads = o->numThreads;
  r.optLevel = o->optLevel;
  r.reportFallbacks = o->reportFallbacks != 0;
  r.sourceName = o->sourceName ? o->sourceName : "<input>";
  return r;
}
#endif

const lowbit::rt::FunctionSignature *signatureOf(lowbitModule m, size_t function) {
  if (!m || function >= m->module->functions().size())
    return nullptr;
  return &m->module->functions()[function];
}

/// Checks one tensor against its spec; records the sizes of its dynamic
/// dimensions in `dims` (input) or checks them (output, `bind` false).
lowbitStatus checkTensor(const DLTensor *t, const TensorView &v, const char *role, size_t index,
                         bool bind, std::vector<int64_t> &dims) {
  std::string what = std::string(role) + " " + std::to_string(index) + " (" + v.spec->type + ")";
  if (!t)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, what + ": null tensor");
  if (t->device.device_type != kDLCPU)
    return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                what + ": on device type " + std::to_string(t->device.device_type) +
                    ", but this module runs on the CPU (kDLCPU)");
  bool intStorage = v.dtype.code == kDLInt;
  bool dtypeOk = t->dtype.bits == v.dtype.bits && t->dtype.lanes == 1 &&
                 (t->dtype.code == v.dtype.code || (intStorage && t->dtype.code == kDLUInt));
  if (!dtypeOk)
    return fail(LOWBIT_ERROR_TENSOR_MISMATCH, what + ": dtype " + describe(t->dtype) +
                                                  ", expected " + describe(v.dtype) +
                                                  (intStorage ? " (or uint)" : ""));
  int32_t ndim = static_cast<int32_t>(v.shape.size());
  if (t->ndim != ndim)
    return fail(LOWBIT_ERROR_TENSOR_MISMATCH, what + ": rank " + std::to_string(t->ndim) +
                                                  ", expected " + std::to_string(ndim));
  if (ndim > 0 && !t->shape)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, what + ": null shape");
  for (int32_t d = 0; d < ndim; ++d) {
    int64_t size = t->shape[d];
    int32_t sym = v.symbols.empty() ? -1 : v.symbols[d];
    if (sym < 0) {
      if (size != v.shape[d])
        return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                    what + ": shape " + shapeText(t->shape, t->ndim) + ", expected " +
                        shapeText(v.shape.data(), ndim));
      continue;
    }
    if (size < 1)
      return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                  what + ": dynamic dimension " + std::to_string(d) + " has size " +
                      std::to_string(size) + " (at least 1)");
    if (dims[sym] < 0 && bind) {
      dims[sym] = size;
    } else if (dims[sym] != size) {
      return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                  what + ": dimension " + std::to_string(d) + " has size " +
                      std::to_string(size) + ", but the call's inputs give " +
                      std::to_string(dims[sym]) + " for it");
    }
  }
  if (t->strides) { // only the dense row-major strides
    int64_t expected = 1;
    for (int32_t d = ndim - 1; d >= 0; --d) {
      if (t->shape[d] != 1 && t->strides[d] != expected)
        return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                    what + ": strides " + shapeText(t->strides, ndim) +
                        " are not compact row-major (copy the tensor to a contiguous one)");
      if (__builtin_mul_overflow(expected, t->shape[d], &expected))
        return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                    what + ": shape " + shapeText(t->shape, ndim) +
                        " has more elements than int64 holds");
    }
  }
  if (!t->data)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, what + ": null data");
  return LOWBIT_OK;
}

void *dataOf(const DLTensor *t) { return static_cast<char *>(t->data) + t->byte_offset; }

/// Checks inputs and binds the symbols; `outputs` may be null (allocated).
lowbitStatus checkCall(lowbitModule m, size_t function, const DLTensor *const *inputs,
                       size_t numInputs, const DLTensor *const *outputs, size_t numOutputs,
                       std::vector<int64_t> &dims, std::vector<void *> &buffers) {
  const lowbit::rt::FunctionSignature *sig = signatureOf(m, function);
  if (!sig)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "no function of index " + std::to_string(function));
  const FunctionView &f = m->functions[function];
  if (numInputs != f.inputs.size() || numOutputs != f.outputs.size())
    return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                "@" + sig->name + " takes " + std::to_string(f.inputs.size()) + " inputs and " +
                    std::to_string(f.outputs.size()) + " outputs, got " +
                    std::to_string(numInputs) + " and " + std::to_string(numOutputs));
  if (numInputs && !inputs)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "null input array");
  dims.assign(sig->numSymbols, -1);
  for (size_t i = 0; i < numInputs; ++i) {
    if (lowbitStatus s = checkTensor(inputs[i], f.inputs[i], "input", i, true, dims))
      return s;
    buffers.push_back(dataOf(inputs[i]));
  }
  for (size_t s = 0; s < dims.size(); ++s)
    if (dims[s] < 0)
      return fail(LOWBIT_ERROR_TENSOR_MISMATCH,
                  "@" + sig->name + ": no input gives the size of dynamic symbol " +
                      std::to_string(s));
  if (std::string e = sig->checkSymbols(dims); !e.empty())
    return fail(LOWBIT_ERROR_TENSOR_MISMATCH, "@" + sig->name + ": " + e);
  for (size_t i = 0; outputs && i < numOutputs; ++i) {
    if (lowbitStatus s = checkTensor(outputs[i], f.outputs[i], "output", i, false, dims))
      return s;
    buffers.push_back(dataOf(outputs[i]));
  }
  return LOWBIT_OK;
}

/// A DLManagedTensor that owns its shape and data.
struct OwnedTensor {
  DLManagedTensor managed{};
  std::vector<int64_t> shape;
  void *data = nullptr;
  static void deleter(DLManagedTensor *t) {
    auto *o = static_cast<OwnedTensor *>(t->manager_ctx);
    std::free(o->data);
    delete o;
  }
};

} // namespace

extern "C" {

const char *lowbitVersion(void) { return LOWBIT_VERSION; }
int lowbitApiVersion(void) { return LOWBIT_C_API_VERSION; }
const char *lowbitGetLastError(void) { return lastError.c_str(); }

void lowbitCompileOptionsInit(lowbitCompileOptions *o) {
  if (!o)
    return;
  o->target = "host";
  o->numThreads = 0;
  o->optLevel = 3;
  o->reportFallbacks = 0;
  o->sourceName = "<input>";
}

#ifndef LOWBIT_C_RUNTIME_ONLY
lowbitStatus lowbitModuleCompile(const char *source, size_t length,
                                 const lowbitCompileOptions *options, lowbitModule *module) {
  if (!source || !module)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleCompile: null source or module");
  *module = nullptr;
  lowbit::rt::CompileOptions o = optionsOf(options);
  if (o.optLevel > 3)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT,
                "optLevel must be 0 to 3, got " + std::to_string(o.optLevel));
  std::string diagnostics;
  auto compiled = lowbit::rt::compile(std::string(source, length), o, diagnostics);
  if (!compiled)
    return fail(LOWBIT_ERROR_COMPILE, diagnostics.empty() ? "compile failed" : diagnostics);
  return wrap(std::move(compiled), std::move(diagnostics), module);
}

lowbitStatus lowbitModuleCompileFile(const char *path, const lowbitCompileOptions *options,
                                     lowbitModule *module) {
  if (!path || !module)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleCompileFile: null path or module");
  *module = nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(LOWBIT_ERROR_IO, std::string("cannot open '") + path + "': " +
                                     std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  lowbitCompileOptions o;
  lowbitCompileOptionsInit(&o);
  if (options)
    o = *options;
  if (!options || !options->sourceName || !std::strcmp(options->sourceName, "<input>"))
    o.sourceName = path;
  return lowbitModuleCompile(source.data(), source.size(), &o, module);
}

#endif // LOWBIT_C_RUNTIME_ONLY

lowbitStatus lowbitModuleLoad(const char *path, lowbitModule *module) {
  if (!path || !module)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleLoad: null path or module");
  *module = nullptr;
  std::string error;
  auto loaded = lowbit::rt::load(path, error);
  if (!loaded)
    return fail(LOWBIT_ERROR_IO, error);
  return wrap(std::move(loaded), "", module);
}

void lowbitModuleRetain(lowbitModule m) {
  if (m)
    m->references.fetch_add(1, std::memory_order_relaxed);
}

void lowbitModuleRelease(lowbitModule m) {
  if (m && m->references.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete m;
}

const char *lowbitModuleGetDiagnostics(lowbitModule m) { return m ? m->diagnostics.c_str() : ""; }

size_t lowbitModuleNumFunctions(lowbitModule m) { return m ? m->functions.size() : 0; }

const char *lowbitModuleFunctionName(lowbitModule m, size_t function) {
  const lowbit::rt::FunctionSignature *sig = signatureOf(m, function);
  return sig ? sig->name.c_str() : nullptr;
}

lowbitStatus lowbitModuleFindFunction(lowbitModule m, const char *name, size_t *function) {
  if (!m || !name || !function)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleFindFunction: null argument");
  const auto &fs = m->module->functions();
  for (size_t i = 0; i < fs.size(); ++i)
    if (fs[i].name == name) {
      *function = i;
      return LOWBIT_OK;
    }
  std::string names;
  for (const auto &f : fs)
    names += (names.empty() ? "@" : ", @") + f.name;
  return fail(LOWBIT_ERROR_NOT_FOUND, std::string("no function @") + name + " (the module has " +
                                          (names.empty() ? "none" : names) + ")");
}

size_t lowbitFunctionNumInputs(lowbitModule m, size_t function) {
  return signatureOf(m, function) ? m->functions[function].inputs.size() : 0;
}
size_t lowbitFunctionNumOutputs(lowbitModule m, size_t function) {
  return signatureOf(m, function) ? m->functions[function].outputs.size() : 0;
}
size_t lowbitFunctionNumSymbols(lowbitModule m, size_t function) {
  const lowbit::rt::FunctionSignature *sig = signatureOf(m, function);
  return sig ? sig->numSymbols : 0;
}

static lowbitStatus tensorInfo(lowbitModule m, size_t function, size_t index, bool input,
                               lowbitTensorInfo *info) {
  if (!signatureOf(m, function) || !info)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "no function of index " + std::to_string(function));
  const std::vector<TensorView> &ts =
      input ? m->functions[function].inputs : m->functions[function].outputs;
  if (index >= ts.size())
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT,
                std::string(input ? "input " : "output ") + std::to_string(index) +
                    " out of range (" + std::to_string(ts.size()) + ")");
  const TensorView &v = ts[index];
  info->ndim = static_cast<int32_t>(v.shape.size());
  info->shape = v.shape.data();
  info->symbols = v.symbols.data();
  info->dtype = v.dtype;
  info->type = v.spec->type.c_str();
  info->elementType = v.spec->elementType.c_str();
  info->layout = v.spec->layout.c_str();
  return LOWBIT_OK;
}

lowbitStatus lowbitFunctionGetInput(lowbitModule m, size_t function, size_t index,
                                    lowbitTensorInfo *info) {
  return tensorInfo(m, function, index, true, info);
}
lowbitStatus lowbitFunctionGetOutput(lowbitModule m, size_t function, size_t index,
                                     lowbitTensorInfo *info) {
  return tensorInfo(m, function, index, false, info);
}

lowbitStatus lowbitModuleInvoke(lowbitModule m, size_t function, const DLTensor *const *inputs,
                                size_t numInputs, const DLTensor *const *outputs,
                                size_t numOutputs) {
  if (!m)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleInvoke: null module");
  if (numOutputs && !outputs)
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleInvoke: null output array");
  std::vector<int64_t> dims;
  std::vector<void *> buffers;
  if (lowbitStatus s = checkCall(m, function, inputs, numInputs, outputs, numOutputs, dims, buffers))
    return s;
  const lowbit::rt::FunctionSignature &sig = m->module->functions()[function];
  if (std::string e = m->module->invoke(sig.name, buffers, dims); !e.empty())
    return fail(LOWBIT_ERROR_TENSOR_MISMATCH, e);
  return LOWBIT_OK;
}

lowbitStatus lowbitModuleInvokeAlloc(lowbitModule m, size_t function,
                                     const DLTensor *const *inputs, size_t numInputs,
                                     DLManagedTensor **outputs, size_t numOutputs) {
  if (!m || (numOutputs && !outputs))
    return fail(LOWBIT_ERROR_INVALID_ARGUMENT, "lowbitModuleInvokeAlloc: null argument");
  std::vector<int64_t> dims;
  std::vector<void *> buffers;
  if (lowbitStatus s = checkCall(m, function, inputs, numInputs, nullptr, numOutputs, dims, buffers))
    return s;
  const lowbit::rt::FunctionSignature &sig = m->module->functions()[function];
  std::vector<OwnedTensor *> made;
  auto cleanup = [&] {
    for (OwnedTensor *o : made)
      OwnedTensor::deleter(&o->managed);
  };
  for (size_t i = 0; i < numOutputs; ++i) {
    const lowbit::rt::TensorSpec &spec = sig.outputs[i];
    auto *o = new (std::nothrow) OwnedTensor;
    if (!o)
      return cleanup(), fail(LOWBIT_ERROR_IO, "out of memory");
    o->shape = spec.shapeFor(dims);
    size_t bytes = spec.bytes(dims);
    // 64-byte alignment, as the generated code's own buffers.
    o->data = std::aligned_alloc(64, (std::max<size_t>(bytes, 1) + 63) / 64 * 64);
    made.push_back(o);
    if (!o->data)
      return cleanup(), fail(LOWBIT_ERROR_IO, "cannot allocate " + std::to_string(bytes) +
                                                  " bytes for output " + std::to_string(i));
    DLTensor &t = o->managed.dl_tensor;
    t.data = o->data;
    t.device = {kDLCPU, 0};
    t.ndim = static_cast<int32_t>(o->shape.size());
    t.dtype = m->functions[function].outputs[i].dtype;
    t.shape = o->shape.data();
    t.strides = nullptr;
    t.byte_offset = 0;
    o->managed.manager_ctx = o;
    o->managed.deleter = &OwnedTensor::deleter;
    buffers.push_back(o->data);
  }
  if (std::string e = m->module->invoke(sig.name, buffers, dims); !e.empty())
    return cleanup(), fail(LOWBIT_ERROR_TENSOR_MISMATCH, e);
  for (size_t i = 0; i < numOutputs; ++i)
    outputs[i] = &made[i]->managed;
  return LOWBIT_OK;
}

} // extern "C"
