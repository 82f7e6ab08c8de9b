//===- ReferenceEvaluator.cpp - Evaluate lowbit IR with Numerics ----------===//

#include "lowbit/Runtime/ReferenceEvaluator.h"

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"

#include "lowbit/Dialect/Lowbit/IR/StorageTypes.h"
#include "lowbit/Dialect/Lowbit/Analysis/SymbolicShapes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Packing.h"
#include "lowbit/Numerics/TensorQuantization.h"
#include "lowbit/Runtime/JIT.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <set>
#include <cstring>

using namespace lowbit::ref;
namespace num = ::lowbit::num;
using mlir::Type;
using mlir::Value;

namespace {
num::Format formatOf(Type t) { return *mlir::lowbit::getFormat(t); }
unsigned storageBytesOf(Type t) {
  return mlir::lowbit::getStorageElementType(t).getIntOrFloatBitWidth() / 8;
}
const char *kEvaluable = "; it evaluates lowbit ops, dense tensor constants and func.return";

std::string describe(mlir::Operation &op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "'" << op.getName() << "' at " << op.getLoc();
  return s;
}

Type elementOf(Value v) { return llvm::cast<mlir::RankedTensorType>(v.getType()).getElementType(); }

/// Float results (f32/f16/bf16) round to nearest-even and overflow to Inf,
/// as the generated code's truncations do.
uint64_t encodeReal(Type t, double v) {
  num::EncodePolicy p;
  p.overflow = num::Overflow::Inf;
  return num::encode(formatOf(t), v, p);
}

/// An empty tensor of type `t`, of `shape` where `t` has dynamic
/// dimensions.
HostTensor empty(mlir::RankedTensorType t, llvm::ArrayRef<int64_t> shape = {}) {
  HostTensor h;
  if (t.hasStaticShape())
    shape = t.getShape();
  assert(shape.size() == static_cast<size_t>(t.getRank()) && "a dynamic type needs a shape");
  h.shape.assign(shape.begin(), shape.end());
  h.elementType = t.getElementType();
  h.encoding = t.getEncoding();
  h.codes.assign(num::numElements(h.shape), 0);
  return h;
}

HostTensor make(Value v, llvm::ArrayRef<int64_t> shape = {}) {
  return empty(llvm::cast<mlir::RankedTensorType>(v.getType()), shape);
}

HostTensor fromAttr(Value result, mlir::DenseElementsAttr attr) {
  HostTensor h = make(result);
  size_t i = 0;
  if (auto fp = llvm::dyn_cast<mlir::DenseFPElementsAttr>(attr)) {
    for (const llvm::APFloat &v : fp.getValues<llvm::APFloat>())
      h.codes[i++] = v.bitcastToAPInt().getZExtValue();
  } else {
    uint64_t mask = formatOf(h.elementType).codeMask();
    for (const llvm::APInt &v : attr.getValues<llvm::APInt>())
      h.codes[i++] = v.getZExtValue() & mask;
  }
  if (attr.isSplat())
    std::fill(h.codes.begin(), h.codes.end(), h.codes[0]);
  return h;
}

/// The Numerics form of codes with their scale tensors.
num::QuantizedTensor quantized(const HostTensor &codes, const HostTensor *scales,
                               const HostTensor *zeros, const HostTensor *tensorScale) {
  num::QuantizedTensor q;
  q.codes.assign(codes.codes.begin(), codes.codes.end());
  if (scales)
    q.scales.assign(scales->codes.begin(), scales->codes.end());
  if (zeros)
    q.zeroPoints.assign(zeros->codes.begin(), zeros->codes.end());
  if (tensorScale)
    q.tensorScale = static_cast<float>(tensorScale->value(0));
  return q;
}

/// Dequantized f32 values of a (possibly scaled) operand.
std::vector<float> dequantized(const HostTensor &codes, mlir::lowbit::SchemeAttr scheme,
                               llvm::ArrayRef<const HostTensor *> params) {
  if (!scheme) {
    std::vector<float> out(codes.codes.size());
    num::Format f = formatOf(codes.elementType);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = num::decodeToF32(f, codes.codes[i]);
    return out;
  }
  num::TensorScheme ts = mlir::lowbit::getTensorScheme(scheme, codes.elementType, codes.shape);
  const HostTensor *zeros = scheme.hasZeroPoint() ? params[1] : nullptr;
  const HostTensor *st = scheme.hasTensorScale() ? params[1] : nullptr;
  return num::dequantizeTensor(ts, codes.shape, quantized(codes, params[0], zeros, st));
}
} // namespace

HostTensor HostTensor::fromStorage(mlir::RankedTensorType type, const void *data,
                                   llvm::ArrayRef<int64_t> shape) {
  HostTensor h = empty(type, shape);
  const auto *bytes = static_cast<const uint8_t *>(data);
  if (auto layout = llvm::dyn_cast_or_null<mlir::lowbit::LayoutAttr>(h.encoding)) {
    size_t n = mlir::lowbit::getStorageTensorType(type).getNumElements();
    h.codes = mlir::lowbit::unpackCodes(llvm::ArrayRef<uint8_t>(bytes, n), h.shape,
                                        layout.getElementBits(), std::nullopt, layout);
    return h;
  }
  unsigned w = storageBytesOf(h.elementType);
  uint64_t mask = formatOf(h.elementType).codeMask();
  for (size_t i = 0; i < h.codes.size(); ++i) {
    uint64_t c = 0;
    std::memcpy(&c, bytes + i * w, w); // little-endian hosts
    h.codes[i] = c & mask;
  }
  return h;
}

void HostTensor::toStorage(void *data) const {
  auto *bytes = static_cast<uint8_t *>(data);
  if (auto layout = llvm::dyn_cast_or_null<mlir::lowbit::LayoutAttr>(encoding)) {
    std::vector<uint8_t> packed = mlir::lowbit::packCodes(codes, shape, layout.getElementBits(),
                                                          std::nullopt, layout);
    std::memcpy(bytes, packed.data(), packed.size());
    return;
  }
  unsigned w = storageBytesOf(elementType);
  for (size_t i = 0; i < codes.size(); ++i)
    std::memcpy(bytes + i * w, &codes[i], w);
}

HostTensor HostTensor::random(mlir::RankedTensorType type, std::mt19937_64 &rng,
                              bool specialValues, llvm::ArrayRef<int64_t> shape) {
  HostTensor h = empty(type, shape);
  Type elem = h.elementType;
  num::Format f = formatOf(elem);
  bool real = elem.isF32() || elem.isF16() || elem.isBF16() || elem.isF64();
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (uint64_t &code : h.codes) {
    if (real) {
      code = num::encode(f, u(rng));
      continue;
    }
    // Codes of NaN or an infinity only when asked for: a random program
    // input should exercise the arithmetic, not its special cases.
    do
      code = rng() % (uint64_t(1) << f.bits());
    while (!specialValues && !std::isfinite(num::decode(f, code)));
  }
  return h;
}

double HostTensor::value(size_t i) const { return num::decode(formatOf(elementType), codes[i]); }

std::string lowbit::ref::evaluate(mlir::func::FuncOp f, const std::vector<HostTensor> &inputs,
                                  std::vector<HostTensor> &outputs,
                                  const EvaluateOptions &options) {
  using namespace mlir::lowbit;
  llvm::DenseMap<Value, HostTensor> env;
  if (inputs.size() != f.getNumArguments())
    return "expected " + std::to_string(f.getNumArguments()) + " inputs";
  // Shapes as the types say; dimensions of one symbol of the same size.
  mlir::FailureOr<SymbolicSignature> symbolic = analyzeSymbolicShapes(f);
  if (mlir::failed(symbolic))
    return "the function's dynamic dimensions cannot be followed";
  std::vector<std::vector<int64_t>> declared, given;
  for (auto [arg, in] : llvm::zip(f.getArguments(), inputs)) {
    llvm::ArrayRef<int64_t> shape = llvm::cast<mlir::RankedTensorType>(arg.getType()).getShape();
    declared.emplace_back(shape.begin(), shape.end()); // dynamic: kDynamic, negative
    given.push_back(in.shape);
  }
  std::vector<int64_t> sizes;
  if (std::string e = lowbit::rt::bindSymbolSizes(f.getName().str(), declared, symbolic->inputs,
                                      symbolic->numSymbols, given, sizes);
      !e.empty())
    return e;
  for (auto [arg, in] : llvm::zip(f.getArguments(), inputs))
    env[arg] = in;
  auto get = [&](Value v) -> const HostTensor & { return env.find(v)->second; };
  for (mlir::Operation &op : f.getBody().front()) {
    if (auto c = llvm::dyn_cast<mlir::arith::ConstantOp>(op)) {
      auto attr = llvm::dyn_cast<mlir::DenseElementsAttr>(c.getValue());
      if (!attr || !getFormat(elementOf(c.getResult())))
        return "--check cannot evaluate " + describe(op) + kEvaluable;
      env[c.getResult()] = fromAttr(c.getResult(), attr);
    } else if (auto c = llvm::dyn_cast<ConstantOp>(op)) {
      env[c.getResult()] = fromAttr(c.getResult(), llvm::cast<mlir::DenseElementsAttr>(c.getValue()));
    } else if (auto q = llvm::dyn_cast<QuantizeOp>(op)) {
      const HostTensor &in = get(q.getInput());
      std::vector<float> x(in.codes.size());
      for (size_t i = 0; i < x.size(); ++i)
        x[i] = static_cast<float>(in.value(i));
      num::TensorScheme ts = getTensorScheme(q.getScheme(), elementOf(q.getCodes()), in.shape);
      num::QuantizedTensor r = num::quantizeTensor(ts, in.shape, x.data());
      llvm::SmallVector<int64_t> grid = q.getScheme().getScaleShape(in.shape);
      HostTensor codes = make(q.getCodes(), in.shape), scales = make(q.getScales(), grid);
      codes.codes.assign(r.codes.begin(), r.codes.end());
      scales.codes.assign(r.scales.begin(), r.scales.end());
      env[q.getCodes()] = codes;
      env[q.getScales()] = scales;
      if (Value z = q.getZeroPoints()) {
        HostTensor zt = make(z, grid);
        zt.codes.assign(r.zeroPoints.begin(), r.zeroPoints.end());
        env[z] = zt;
      }
      if (Value st = q.getTensorScale()) {
        HostTensor t = make(st);
        t.codes[0] = encodeReal(t.elementType, r.tensorScale);
        env[st] = t;
      }
    } else if (auto d = llvm::dyn_cast<DequantizeOp>(op)) {
      llvm::SmallVector<const HostTensor *> params;
      for (Value p : d.getParams())
        params.push_back(&get(p));
      std::vector<float> v = dequantized(get(d.getCodes()), d.getSchemeAttr(), params);
      HostTensor out = make(d.getResult(), get(d.getCodes()).shape);
      for (size_t i = 0; i < v.size(); ++i)
        out.codes[i] = encodeReal(out.elementType, v[i]);
      env[d.getResult()] = out;
    } else if (auto c = llvm::dyn_cast<CastOp>(op)) {
      num::EncodePolicy p = c.getPolicy();
      const HostTensor &in = get(c.getInput());
      HostTensor out = make(c.getResult(), in.shape);
      num::Format from = formatOf(in.elementType), to = formatOf(out.elementType);
      for (size_t i = 0; i < in.codes.size(); ++i)
        out.codes[i] = num::convert(from, in.codes[i], to, p);
      env[c.getResult()] = out;
    } else if (auto mm = llvm::dyn_cast<MpGemmOp>(op)) {
      const HostTensor &a = get(mm.getA()), &b = get(mm.getB());
      int64_t m = a.shape[0], k = mm.getK(), n = mm.getN();
      bool tb = mm.getTransposeB();
      Type acc = mm.getAccType();
      HostTensor out = make(mm.getC(), {m, n});
      auto bIndex = [&](int64_t kk, int64_t nn) { return tb ? nn * k + kk : kk * n + nn; };
      llvm::SmallVector<const HostTensor *> ap, bp;
      for (Value p : mm.getAParams())
        ap.push_back(&get(p));
      for (Value p : mm.getBParams())
        bp.push_back(&get(p));
      if (acc.isInteger(32)) {
        // Exact integer sums of (code value - zero point); scales per row /
        // column applied as ((float)sum * fa) * fb in f32.
        // Per element: the code's value minus its zero point, and the
        // factor of its group (1 without a scheme).
        struct IntOperand {
          std::vector<int64_t> values;
          std::vector<float> factors;
        };
        auto intOperand = [&](const HostTensor &t, SchemeAttr s,
                              llvm::ArrayRef<const HostTensor *> params) {
          IntOperand r;
          r.values.resize(t.codes.size());
          r.factors.assign(t.codes.size(), 1.0f);
          std::vector<uint32_t> group;
          num::TensorScheme ts;
          std::vector<float> groupFactor;
          if (s) {
            ts = getTensorScheme(s, t.elementType, t.shape);
            group = num::groupIndexOfElements(t.shape, ts.extents);
            for (uint64_t sc : params[0]->codes) // MX: 2^(s - 127), / 64 for MXINT8
              groupFactor.push_back(
                  ts.rule != num::SchemeRule::MX ? static_cast<float>(num::decode(ts.scale, sc))
                  : sc == 255                    ? NAN
                                                 : static_cast<float>(std::ldexp(
                                                       1.0, int(sc) - 127 -
                                                                (ts.element.isInt() ? 6 : 0))));
          }
          for (size_t i = 0; i < t.codes.size(); ++i) {
            double x = t.value(i);
            r.values[i] = std::isnan(x) ? 0 : static_cast<int64_t>(x);
            if (!s)
              continue;
            if (s.hasZeroPoint())
              r.values[i] -= static_cast<int64_t>(num::decode(*ts.zero, params[1]->codes[group[i]]));
            r.factors[i] = groupFactor[group[i]];
          }
          return r;
        };
        IntOperand ia = intOperand(a, mm.getASchemeAttr(), ap);
        IntOperand ib = intOperand(b, mm.getBSchemeAttr(), bp);
        bool scaled = mm.getASchemeAttr() || mm.getBSchemeAttr();
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            int64_t sum = 0;
            for (int64_t kk = 0; kk < k; ++kk)
              sum += ia.values[i * k + kk] * ib.values[bIndex(kk, j)];
            int32_t s32 = static_cast<int32_t>(sum);
            size_t o = i * n + j;
            if (!scaled) {
              out.codes[o] = static_cast<uint32_t>(s32);
              continue;
            }
            // Scales are constant along K (verified): any k gives the factor.
            float v = static_cast<float>(s32);
            if (mm.getASchemeAttr())
              v = v * ia.factors[i * k];
            if (mm.getBSchemeAttr())
              v = v * ib.factors[bIndex(0, j)];
            out.codes[o] = encodeReal(out.elementType, v);
          }
      } else {
        std::vector<float> av = dequantized(a, mm.getASchemeAttr(), ap);
        std::vector<float> bv = dequantized(b, mm.getBSchemeAttr(), bp);
        double u = acc.isF64() ? std::ldexp(1.0, -53) : std::ldexp(1.0, -24);
        num::Format of = formatOf(out.elementType);
        double uOut = std::ldexp(1.0, -static_cast<int>(of.mantissaBits()) - 1);
        out.tolerance.assign(out.codes.size(), 0.0);
        // The int8-activation policy applies to float activations without
        // a scheme. The kernels sum sw * sa * (operand - zb) * q in blocks:
        // each term is at most |w| + 2 |w_lo| times |a| + sa / 2, where w_lo
        // is the weight the format's lowest value dequantizes to in the same
        // group (WeightCodes.h: operand 0 stands for that value). Not f32
        // weights without a scheme: the dense f32 kernel multiplies the
        // activations as they are, so the f32 sum's bound alone applies.
        bool int8Policy = options.int8ActivationBlocks && !mm.getASchemeAttr() &&
                          !a.elementType.isInteger() && !acc.isF64() &&
                          !(b.elementType.isF32() && !mm.getBSchemeAttr());
        std::vector<float> lowest, highest;
        num::Format bf = formatOf(b.elementType);
        // The int8 tables of the lookup-table kernel (integer weights only):
        // V values in b bit planes, each plane's lookup (+-1 form, halved)
        // off by up to half a table step, 2 amax / 127 per 4 k.
        bool tablePolicy = int8Policy && options.int8Tables && (bf.isInt() || bf.isTernary());
        double planeFactor = 0;
        // Which products take the tables: those that ask for them in their
        // lowbit.x86_tuning, and by the cost model's rule (KernelPlan.cpp)
        // those whose operand has at most tableOperandBits bits or whose
        // weights are stored in the tables' nibble planes; not those that
        // ask for exact tables (the byte-dot kernel's numbers).
        std::string kernel = "auto";
        if (auto tuning = mm->getAttrOfType<mlir::DictionaryAttr>(mlir::lowbit::kX86TuningAttrName)) {
          if (auto s = tuning.getAs<mlir::StringAttr>("kernel"))
            kernel = s.getValue().str();
          if (auto s = tuning.getAs<mlir::StringAttr>("tables"); s && s.getValue() == "exact")
            tablePolicy = false;
        }
        bool inPlanes = false;
        if (auto up = mm.getB().getDefiningOp<mlir::lowbit::UnpackOp>()) {
          mlir::lowbit::LayoutAttr l = up.getLayoutAttr();
          if (!l)
            l = mlir::lowbit::getLayoutEncoding(up.getPacked().getType());
          inPlanes = l && l.getKind() == mlir::lowbit::LayoutKind::Bits &&
                     (l.getBitKind() == mlir::lowbit::BitLayoutKind::NibblePlanes ||
                      l.getBitKind() == mlir::lowbit::BitLayoutKind::NibbleLanes);
        }
        if (int8Policy) {
          uint64_t lo = 0, hi = 0;
          double loValue = INFINITY, hiValue = -INFINITY;
          std::set<double> values;
          for (uint64_t c = 0; bf.bits() <= 16 && c < (uint64_t(1) << bf.bits()); ++c) {
            double v = num::decode(bf, c);
            if (std::isnan(v))
              continue;
            values.insert(v);
            if (v < loValue) {
              loValue = v;
              lo = c;
            }
            if (v > hiValue) {
              hiValue = v;
              hi = c;
            }
          }
          HostTensor bl = b;
          std::fill(bl.codes.begin(), bl.codes.end(), lo);
          lowest = dequantized(bl, mm.getBSchemeAttr(), bp);
          if (tablePolicy) {
            std::fill(bl.codes.begin(), bl.codes.end(), hi);
            highest = dequantized(bl, mm.getBSchemeAttr(), bp);
            double steps = static_cast<double>(values.size() - 1);
            unsigned planes = 0;
            while ((uint64_t(1) << planes) < values.size())
              ++planes;
            planeFactor = steps > 0 ? (std::ldexp(1.0, planes) - 1) / steps : 0;
            tablePolicy = kernel == "lut" ||
                          (kernel == "auto" && (planes <= options.tableOperandBits || inPlanes));
          }
        }
        for (int64_t i = 0; i < m; ++i) {
          double amax = 0;
          for (int64_t kk = 0; int8Policy && kk < k; ++kk)
            amax = std::max(amax, std::fabs(static_cast<double>(av[i * k + kk])));
          double half = amax / 254;
          for (int64_t j = 0; j < n; ++j) {
            long double sum = 0, mag = 0, wsum = 0, terms = 0, tableSum = 0, tableTerms = 0;
            for (int64_t kk = 0; kk < k; ++kk) {
              float w = bv[bIndex(kk, j)];
              long double p = static_cast<long double>(av[i * k + kk]) * w;
              sum += p;
              mag += std::fabs(p);
              if (int8Policy) {
                wsum += std::fabs(w);
                terms += (std::fabs(w) + 2 * std::fabs(lowest[bIndex(kk, j)])) *
                         (std::fabs(av[i * k + kk]) + half);
              }
              if (tablePolicy) {
                double wlo = std::fabs(lowest[bIndex(kk, j)]);
                double planes = planeFactor * std::fabs(highest[bIndex(kk, j)] - lowest[bIndex(kk, j)]);
                tableSum += planes / 2;
                tableTerms += (planes + 2 * wlo) * amax * 1.01;
              }
            }
            size_t o = i * n + j;
            out.codes[o] = encodeReal(out.elementType, static_cast<double>(sum));
            out.tolerance[o] = static_cast<double>(k * u * mag + std::fabs(sum) * uOut) * 1.0001;
            if (int8Policy)
              out.tolerance[o] +=
                  static_cast<double>(half * wsum + k * std::ldexp(1.0, -24) * terms) * 1.0001;
            if (tablePolicy)
              out.tolerance[o] +=
                  static_cast<double>(half * tableSum + k * std::ldexp(1.0, -24) * tableTerms) *
                  1.0001;
          }
        }
      }
      env[mm.getC()] = out;
    } else if (auto p = llvm::dyn_cast<PackOp>(op)) {
      const HostTensor &in = get(p.getCodes());
      HostTensor out = make(p.getPacked());
      if (out.encoding) { // the same codes, stored in the layout
        out.codes = in.codes;
        env[p.getPacked()] = out;
        continue;
      }
      std::vector<uint8_t> bytes = packCodes(in.codes, in.shape, formatOf(in.elementType).bits(),
                                             p.getOrder(), p.getLayoutAttr());
      out.codes.assign(bytes.begin(), bytes.end());
      env[p.getPacked()] = out;
    } else if (auto p = llvm::dyn_cast<UnpackOp>(op)) {
      const HostTensor &in = get(p.getPacked());
      HostTensor out = make(p.getCodes());
      if (in.encoding) {
        out.codes = in.codes;
        env[p.getCodes()] = out;
        continue;
      }
      std::vector<uint8_t> bytes(in.codes.begin(), in.codes.end());
      out.codes = unpackCodes(bytes, out.shape, formatOf(out.elementType).bits(), p.getOrder(),
                              p.getLayoutAttr());
      env[p.getCodes()] = out;
    } else if (auto r = llvm::dyn_cast<mlir::func::ReturnOp>(op)) {
      outputs.clear();
      for (Value v : r.getOperands())
        outputs.push_back(get(v));
    } else {
      return "--check cannot evaluate " + describe(op) + kEvaluable;
    }
  }
  return {};
}

lowbit::ref::EvaluateOptions lowbit::ref::fastPathPolicy(const lowbit::target::CPUTarget &t) {
  using lowbit::target::CPUFeature;
  EvaluateOptions o;
  o.int8ActivationBlocks = !t.generic;
  o.int8Tables = !t.generic;
  // The cost model (KernelPlan.cpp): 1-bit operands, 2-bit ones too with
  // vpshufb on AVX2 (targets without AVX-512BW); AArch64's tbl tables
  // take 1-bit operands, as vpermb.
  bool arm = t.family == lowbit::target::CPUFamily::AArch64;
  o.tableOperandBits = arm || t.has(CPUFeature::AVX512BW) ? 1 : 2;
  return o;
}

std::string lowbit::ref::invokeOnHost(const lowbit::rt::CompiledModule &module,
                                      mlir::func::FuncOp f,
                                      const std::vector<HostTensor> &inputs,
                                      std::vector<HostTensor> &outputs, unsigned repeats,
                                      std::vector<double> *seconds) {
  const lowbit::rt::FunctionSignature *sig = module.find(f.getName().str());
  if (!sig)
    return "no function '" + f.getName().str() + "' in the compiled module";
  return invokeWith(
      *sig,
      [&](const std::vector<void *> &buffers, const std::vector<int64_t> &dims) {
        return module.invoke(sig->name, buffers, dims);
      },
      f, inputs, outputs, repeats, seconds);
}

std::string lowbit::ref::invokeWith(const lowbit::rt::FunctionSignature &signature,
                                    const Invoker &invoke, mlir::func::FuncOp f,
                                    const std::vector<HostTensor> &inputs,
                                    std::vector<HostTensor> &outputs, unsigned repeats,
                                    std::vector<double> *seconds) {
  const lowbit::rt::FunctionSignature *sig = &signature;
  // The sizes of the dynamic dimensions, from the inputs' shapes.
  // (Codes in a bit layout are static and stored as bytes.)
  std::vector<std::vector<int64_t>> inputShapes;
  for (size_t i = 0; i < inputs.size(); ++i)
    inputShapes.push_back(i < sig->inputs.size() && !sig->inputs[i].layout.empty()
                              ? sig->inputs[i].shape
                              : inputs[i].shape);
  std::vector<int64_t> dims;
  if (std::string e = sig->bindSymbols(inputShapes, dims); !e.empty())
    return e;
  std::vector<std::vector<uint8_t>> storage;
  for (size_t i = 0; i < inputs.size() && i < sig->inputs.size(); ++i) {
    storage.emplace_back(sig->inputs[i].bytes(dims));
    inputs[i].toStorage(storage.back().data());
  }
  for (const auto &o : sig->outputs)
    storage.emplace_back(o.bytes(dims));
  std::vector<void *> buffers;
  for (auto &s : storage)
    buffers.push_back(s.data());
  for (unsigned r = 0; r < std::max(1u, repeats); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    if (std::string e = invoke(buffers, dims); !e.empty())
      return e;
    if (seconds)
      seconds->push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  outputs.clear();
  for (size_t i = 0; i < sig->outputs.size(); ++i)
    outputs.push_back(HostTensor::fromStorage(
        llvm::cast<mlir::RankedTensorType>(f.getResultTypes()[i]),
        storage[sig->inputs.size() + i].data(), sig->outputs[i].shapeFor(dims)));
  return {};
}

Comparison lowbit::ref::compare(const HostTensor &expected, const HostTensor &actual) {
  Comparison c;
  for (size_t i = 0; i < expected.codes.size(); ++i) {
    double e = expected.value(i), a = actual.value(i);
    double tol = expected.tolerance.empty() ? 0 : expected.tolerance[i];
    c.maxTolerance = std::max(c.maxTolerance, tol);
    if (std::isnan(e) && std::isnan(a))
      continue;
    // Equal values match under any tolerance (the same infinity, whose
    // difference is NaN).
    if (tol == 0 ? expected.codes[i] != actual.codes[i] && e != a
                 : !(e == a || std::fabs(e - a) <= tol)) {
      ++c.mismatches;
    }
    if (!std::isnan(e - a))
      c.maxError = std::max(c.maxError, std::fabs(e - a));
    else if (!(std::isinf(e) && e == a))
      c.maxError = INFINITY;
  }
  return c;
}
