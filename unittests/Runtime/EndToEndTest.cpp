//===- EndToEndTest.cpp - mpGEMM through the JIT against the evaluator ----===//
//
// The matrix of issue 4: activation formats {f32, f16, bf16, int8,
// f8E4M3FN} x weight formats {int2, int3, int4, gptq_u4_g128, int8 per
// channel, e2m1, mxfp4, nvfp4, e3m2, posit<8,0>, posit<16,1>, int2 bipolar,
// ternary} x shapes (M = 1, odd K, K not a multiple of 128). Each case
// compiles a function through the reference pipeline and the JIT, runs it
// on seeded inputs, and compares with ReferenceEvaluator (exact sums on the
// dequantized values, with a summation-order bound for float accumulation;
// bit-exact for int8 x integer weights accumulated in i32). Weights with a
// scheme are quantized inside the function from f32, so the runtime
// quantize lowering is checked too. Schemes that need whole groups reject
// other K at verification, which is checked as well.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Runtime/JIT.h"
#include "lowbit/Runtime/ReferenceEvaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>

namespace {

/// One function of a source text: compiled by the JIT, given seeded random
/// inputs (which a test may change before run()), run, and evaluated again
/// by the reference evaluator.
class Harness {
public:
  Harness() : ctx(registry()) {}

  /// Compiles; returns the diagnostics on failure (empty on success).
  std::string compile(const std::string &source, const std::string &function,
                      const std::string &target = "host") {
    std::string diagnostics;
    lowbit::rt::CompileOptions options{/*optLevel=*/1, function + ".mlir"};
    options.target = target;
    module = lowbit::rt::compile(source, options, diagnostics);
    if (!module)
      return diagnostics.empty() ? "compile failed" : diagnostics;
    parsed = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
    func = parsed->lookupSymbol<mlir::func::FuncOp>(function);
    std::mt19937_64 rng(std::hash<std::string>{}(source));
    for (mlir::Type t : func.getArgumentTypes())
      inputs.push_back(
          lowbit::ref::HostTensor::random(llvm::cast<mlir::RankedTensorType>(t), rng));
    return {};
  }

  /// Runs the JIT and the evaluator on `inputs`.
  void run(std::vector<lowbit::ref::HostTensor> &actual,
           std::vector<lowbit::ref::HostTensor> &expected,
           const lowbit::ref::EvaluateOptions &policy = {}) {
    ASSERT_EQ(lowbit::ref::invokeOnHost(*module, func, inputs, actual), "");
    ASSERT_EQ(lowbit::ref::evaluate(func, inputs, expected, policy), "");
  }

  std::vector<lowbit::ref::HostTensor> inputs;
  mlir::MLIRContext ctx;

private:
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry r;
    mlir::lowbit::registerReferencePipelineDialects(r);
    return r;
  }
  std::shared_ptr<const lowbit::rt::CompiledModule> module;
  mlir::OwningOpRef<mlir::ModuleOp> parsed;
  mlir::func::FuncOp func;
};

/// Elements whose codes differ (NaN codes may differ in payload).
size_t codeMismatches(const lowbit::ref::HostTensor &expected,
                      const lowbit::ref::HostTensor &actual) {
  size_t bad = 0;
  for (size_t j = 0; j < actual.codes.size(); ++j)
    if (actual.codes[j] != expected.codes[j] &&
        !(std::isnan(actual.value(j)) && std::isnan(expected.value(j))))
      ++bad;
  return bad;
}

void setF32(lowbit::ref::HostTensor &t, size_t i, float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  t.codes[i] = u;
}

struct Weight {
  const char *name;
  const char *type;   ///< the codes' element type
  const char *scheme; ///< preset, or nullptr for plain codes
  bool integer;       ///< integer-valued codes (exact i32 path with int8)
};

const Weight kWeights[] = {
    {"int2", "!lowbit.int<2>", nullptr, true},
    {"int3", "!lowbit.int<3>", nullptr, true},
    {"int4", "!lowbit.int<4>", nullptr, true},
    {"gptq_u4_g128", "!lowbit.int<4, unsigned>", "gptq_u4_g128", false},
    {"int8_per_channel", "i8", "int8_per_channel", true},
    {"e2m1", "f4E2M1FN", nullptr, false},
    {"mxfp4", "f4E2M1FN", "mxfp4", false},
    {"nvfp4", "f4E2M1FN", "nvfp4", false},
    {"e3m2", "f6E3M2FN", nullptr, false},
    {"posit8_0", "!lowbit.posit<8, 0>", nullptr, false},
    {"posit16_1", "!lowbit.posit<16, 1>", nullptr, false},
    {"int2_bipolar", "!lowbit.int<2, bipolar>", nullptr, true},
    {"ternary", "!lowbit.ternary", nullptr, true},
    // Beyond the issue's matrix: a 32-bit posit through the runtime codec.
    {"posit32_2", "!lowbit.posit<32, 2>", nullptr, false},
};

const char *kActivations[] = {"f32", "f16", "bf16", "i8", "f8E4M3FN"};

struct Shape {
  int64_t m, n, k;
};
const Shape kShapes[] = {{1, 16, 64}, {3, 8, 45}, {2, 8, 256}};

std::string scaleShape(const std::string &scheme, int64_t n, int64_t k) {
  int64_t g = scheme == "gptq_u4_g128" ? 128 : scheme == "nvfp4" ? 16
              : scheme == "int8_per_channel" ? k : 32;
  return std::to_string(n) + "x" + std::to_string((k + g - 1) / g);
}

/// The function under test and whether its accumulator is i32.
std::string program(const char *act, const Weight &w, const Shape &s, bool &intAcc) {
  intAcc = std::string(act) == "i8" && w.integer;
  std::string m = std::to_string(s.m), n = std::to_string(s.n), k = std::to_string(s.k);
  std::string aType = "tensor<" + m + "x" + k + "x" + act + ">";
  std::string bType = "tensor<" + n + "x" + k + "x" + w.type + ">";
  // i32 sums are the result when nothing scales them.
  std::string cType =
      "tensor<" + m + "x" + n + "x" + (intAcc && !w.scheme ? "i32" : "f32") + ">";
  std::string acc = intAcc ? "i32" : "f32";
  std::ostringstream os;
  if (!w.scheme) {
    os << "func.func @mm(%a: " << aType << ", %b: " << bType << ") -> " << cType << " {\n"
       << "  %c = lowbit.mpgemm %a, %b {acc_type = " << acc << ", transpose_b} : " << aType
       << ", " << bType << " -> " << cType << "\n";
  } else {
    std::string sc = w.scheme;
    std::string scales = scaleShape(sc, s.n, s.k);
    std::string scaleElem = sc == "gptq_u4_g128" ? "f16"
                            : sc == "int8_per_channel" ? "f32"
                            : sc == "nvfp4" ? "f8E4M3FN" : "f8E8M0FNU";
    std::string sType = "tensor<" + scales + "x" + scaleElem + ">";
    std::string extraType = sc == "gptq_u4_g128" ? "tensor<" + scales + "x" + w.type + ">"
                            : sc == "nvfp4"      ? "tensor<f32>" : "";
    std::string wType = "tensor<" + n + "x" + k + "xf32>";
    os << "func.func @mm(%a: " << aType << ", %w: " << wType << ") -> " << cType << " {\n"
       << "  %q, %s" << (extraType.empty() ? "" : ", %x") << " = lowbit.quantize %w {scheme = #lowbit.scheme<"
       << sc << ">} : " << wType << " -> " << bType << ", " << sType
       << (extraType.empty() ? "" : ", " + extraType) << "\n"
       << "  %c = lowbit.mpgemm %a, %q [%s" << (extraType.empty() ? "" : ", %x")
       << "] {b_scheme = #lowbit.scheme<" << sc << ">, acc_type = " << acc
       << ", transpose_b} : " << aType << ", " << bType << " [" << sType
       << (extraType.empty() ? "" : ", " + extraType) << "] -> " << cType << "\n";
  }
  os << "  return %c : " << cType << "\n}\n";
  return os.str();
}

struct Case {
  const char *act;
  Weight weight;
  Shape shape;
};

std::string caseName(const testing::TestParamInfo<Case> &info) {
  const Case &c = info.param;
  return std::string(c.act) + "_x_" + c.weight.name + "_M" + std::to_string(c.shape.m) +
         "N" + std::to_string(c.shape.n) + "K" + std::to_string(c.shape.k);
}

std::vector<Case> allCases() {
  std::vector<Case> cases;
  for (const char *a : kActivations)
    for (const Weight &w : kWeights)
      for (const Shape &s : kShapes)
        cases.push_back({a, w, s});
  return cases;
}

class MpGemmEndToEnd : public testing::TestWithParam<Case> {};

/// The reference path (target generic) within the exact bound, and the
/// host's default (the x86 kernels take run-time weights where they can)
/// within the CPU policy's bound.
TEST_P(MpGemmEndToEnd, MatchesReferenceEvaluator) {
  for (const char *target : {"generic", "host"}) {
  SCOPED_TRACE(target);
  const Case &c = GetParam();
  bool intAcc;
  std::string source = program(c.act, c.weight, c.shape, intAcc);
  Harness h;
  std::string diagnostics = h.compile(source, "mm", target);
  bool wholeGroupsOnly = c.weight.scheme && std::string(c.weight.scheme) == "gptq_u4_g128";
  if (wholeGroupsOnly && c.shape.k % 128 != 0) {
    EXPECT_NE(diagnostics.find("not a multiple of the group extent 128"), std::string::npos)
        << source << diagnostics;
    return;
  }
  ASSERT_EQ(diagnostics, "") << source;
  std::vector<lowbit::ref::HostTensor> actual, expected;
  lowbit::ref::EvaluateOptions policy =
      lowbit::ref::fastPathPolicy(*lowbit::target::parseCPUTarget(target));
  h.run(actual, expected, policy);
  ASSERT_EQ(actual.size(), 1u);
  lowbit::ref::Comparison cmp = lowbit::ref::compare(expected[0], actual[0]);
  EXPECT_EQ(cmp.mismatches, 0u) << "max error " << cmp.maxError << ", tolerance "
                                << cmp.maxTolerance << "\n" << source;
  if (intAcc) // exact: no tolerance at all
    EXPECT_TRUE(expected[0].tolerance.empty());
  // A sanity check that the case computes something.
  double mag = 0;
  for (size_t i = 0; i < actual[0].codes.size(); ++i)
    mag += std::fabs(actual[0].value(i));
  EXPECT_GT(mag, 0.0) << source;
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, MpGemmEndToEnd, testing::ValuesIn(allCases()), caseName);

//===----------------------------------------------------------------------===//
// Elementwise ops: cast (every policy), dequantize, pack/unpack, for every
// kind of format, bit-exact against the library.
//===----------------------------------------------------------------------===//

struct ElementCase {
  const char *type;
  const char *rounding;
  const char *overflow;
};

const char *kFormats[] = {
    "f8E4M3FN", "f8E5M2", "f8E4M3FNUZ", "f8E5M2FNUZ", "f8E4M3B11FNUZ", "f8E3M4",
    "f6E3M2FN", "f6E2M3FN", "f4E2M1FN", "f8E8M0FNU", "f16", "bf16",
    "!lowbit.int<1>", "!lowbit.int<3, unsigned>", "!lowbit.int<7>",
    "!lowbit.int<16, unsigned>", "!lowbit.int<2, bipolar>", "!lowbit.ternary",
    "!lowbit.float<e3m3, ieee, bias = 4>", "!lowbit.float<e2m3, nosubnormal>",
    "!lowbit.float<e0m5>", "!lowbit.float<e4m2, fnuz>", "!lowbit.float<e5m0, unsigned>",
    "!lowbit.float<e8m7, ieee, bias = 200>", "!lowbit.posit<8, 0>",
    "!lowbit.posit<6, 2>", "!lowbit.posit<16, 1>", "!lowbit.posit<12, 4>",
    // Wider than 16 bits: the runtime codec (and no packing).
    "!lowbit.posit<32, 2>", "!lowbit.posit<24, 3>", "!lowbit.float<e8m20, ieee>",
    "!lowbit.float<e5m14, fn, bias = -3>", "!lowbit.int<24>", "!lowbit.int<20, bipolar>", "i32"};

std::vector<ElementCase> elementCases() {
  std::vector<ElementCase> cases;
  for (const char *t : kFormats)
    for (const char *r : {"rne", "rtz", "ru", "rd", "rna"})
      cases.push_back({t, r, r == std::string("rne") ? "saturate" : r == std::string("ru") ? "inf" : "nan"});
  return cases;
}

std::string elementName(const testing::TestParamInfo<ElementCase> &info) {
  std::string s = std::string(info.param.type) + "_" + info.param.rounding;
  for (char &c : s)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return s;
}

class ElementwiseEndToEnd : public testing::TestWithParam<ElementCase> {};

TEST_P(ElementwiseEndToEnd, CastDequantizePackMatchLibrary) {
  const ElementCase &c = GetParam();
  std::string t = c.type;
  std::string x = "tensor<5x37xf32>", q = "tensor<5x37x" + t + ">";
  Harness h;
  // The packed row length depends on the format's width.
  std::string probe = "func.func private @p(" + q + ")";
  auto probeModule = mlir::parseSourceString<mlir::ModuleOp>(probe, &h.ctx);
  ASSERT_TRUE(probeModule);
  auto elem = llvm::cast<mlir::RankedTensorType>(
                  probeModule->lookupSymbol<mlir::func::FuncOp>("p").getArgumentTypes()[0])
                  .getElementType();
  unsigned bits = mlir::lowbit::getFormat(elem)->bits();
  bool packable = bits <= 16;
  std::string bytes = "tensor<5x" + std::to_string((37 * bits + 7) / 8) + "xi8>";
  std::string policy = std::string("rounding ") + c.rounding + " overflow " + c.overflow;
  std::ostringstream os;
  std::string packTypes = packable ? ", " + bytes + ", " + q + ", " + bytes : "";
  os << "func.func @f(%x: " << x << ", %big: " << x << ", %c: " << q << ") -> (" << q << ", "
     << q << ", " << x << packTypes << ") {\n"
     << "  %0 = lowbit.cast %x " << policy << " : " << x << " to " << q << "\n"
     << "  %1 = lowbit.cast %big " << policy << " : " << x << " to " << q << "\n"
     << "  %2 = lowbit.dequantize %c : " << q << " -> " << x << "\n";
  if (packable)
    os << "  %3 = lowbit.pack %c order msb_first : " << q << " -> " << bytes << "\n"
       << "  %4 = lowbit.unpack %3 order msb_first : " << bytes << " -> " << q << "\n"
       << "  %5 = lowbit.pack %c order lsb_first : " << q << " -> " << bytes << "\n";
  os << "  return %0, %1, %2" << (packable ? ", %3, %4, %5" : "") << " : " << q << ", " << q
     << ", " << x << packTypes << "\n}\n";
  std::string source = os.str();
  ASSERT_EQ(h.compile(source, "f"), "") << source;
  // %big: values over a wide range, with ties, zeros, Inf and NaN.
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> e(-40, 40);
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 0.5f, 1.5f, 2.5f, -3.5f};
  lowbit::ref::HostTensor &big = h.inputs[1];
  for (size_t i = 0; i < big.codes.size(); ++i)
    setF32(big, i, i < 9 ? specials[i] : std::ldexp(static_cast<float>(big.value(i)), e(rng)));
  std::vector<lowbit::ref::HostTensor> actual, expected;
  h.run(actual, expected);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(codeMismatches(expected[i], actual[i]), 0u) << "output " << i << "\n" << source;
}

INSTANTIATE_TEST_SUITE_P(Formats, ElementwiseEndToEnd, testing::ValuesIn(elementCases()),
                         elementName);

} // namespace

//===----------------------------------------------------------------------===//
// quantize + dequantize of runtime tensors, every preset and custom
// granularities, bit-exact against the library (TensorQuantization.h).
//===----------------------------------------------------------------------===//

namespace {
struct SchemeCase {
  const char *name;
  const char *scheme;  ///< the attribute's body
  const char *element; ///< codes element type
  const char *results; ///< types after the codes: scales[, zeros | tensor scale]
  const char *shape;   ///< input shape "AxB"
};

const SchemeCase kSchemeCases[] = {
    {"mxfp8_e4m3", "mxfp8_e4m3", "f8E4M3FN", "tensor<6x2xf8E8M0FNU>", "6x40"},
    {"mxfp8_e5m2", "mxfp8_e5m2", "f8E5M2", "tensor<6x2xf8E8M0FNU>", "6x40"},
    {"mxfp6_e3m2", "mxfp6_e3m2", "f6E3M2FN", "tensor<6x2xf8E8M0FNU>", "6x40"},
    {"mxfp6_e2m3", "mxfp6_e2m3", "f6E2M3FN", "tensor<6x2xf8E8M0FNU>", "6x40"},
    {"mxfp4", "mxfp4", "f4E2M1FN", "tensor<6x2xf8E8M0FNU>", "6x40"},
    {"mxint8", "mxint8", "i8", "tensor<6x2xf8E8M0FNU>", "6x40"},
    {"nvfp4", "nvfp4", "f4E2M1FN", "tensor<6x3xf8E4M3FN>, tensor<f32>", "6x40"},
    {"gptq_u4_g128", "gptq_u4_g128", "!lowbit.int<4, unsigned>",
     "tensor<3x2xf16>, tensor<3x2x!lowbit.int<4, unsigned>>", "3x256"},
    {"awq_u4_g128", "awq_u4_g128", "!lowbit.int<4, unsigned>",
     "tensor<3x2xf16>, tensor<3x2x!lowbit.int<4, unsigned>>", "3x256"},
    {"int8_per_channel", "int8_per_channel", "i8", "tensor<6x1xf32>", "6x40"},
    {"absmax_tensor", "rule = absmax, tensor, scale = bf16", "!lowbit.int<4>",
     "tensor<1x1xbf16>", "6x40"},
    {"absmax_channel_axis0", "rule = absmax, channel, axis = 0, scale = f32", "!lowbit.int<3>",
     "tensor<1x40xf32>", "6x40"},
    {"absmax_block", "rule = absmax, block = [2, 8], scale = f16", "!lowbit.int<8>",
     "tensor<3x5xf16>", "6x40"},
    {"gptq_u2_g8_zero_u8", "rule = gptq, group = 8, scale = f32, zero = !lowbit.int<8, unsigned>",
     "!lowbit.int<2, unsigned>", "tensor<6x5xf32>, tensor<6x5x!lowbit.int<8, unsigned>>", "6x40"},
    {"min_offset_u4_g32_f16", "rule = min_offset, group = 32, scale = f16, offset = f16",
     "!lowbit.int<4, unsigned>", "tensor<6x2xf16>, tensor<6x2xf16>", "6x64"},
    {"min_offset_u5_g16_bf16_f32", "rule = min_offset, group = 16, scale = bf16, offset = f32",
     "!lowbit.int<5, unsigned>", "tensor<6x3xbf16>, tensor<6x3xf32>", "6x48"},
    {"min_offset_u2_channel_axis0", "rule = min_offset, channel, axis = 0, scale = f32, offset = f32",
     "!lowbit.int<2, unsigned>", "tensor<1x40xf32>, tensor<1x40xf32>", "6x40"},
    {"mx_custom_e3m3_g16_axis0", "rule = mx, group = 16, axis = 0, scale = f8E8M0FNU",
     "!lowbit.float<e3m3>", "tensor<3x40xf8E8M0FNU>", "40x40"},
};

std::string schemeName(const testing::TestParamInfo<SchemeCase> &info) {
  return info.param.name;
}

class QuantizeEndToEnd : public testing::TestWithParam<SchemeCase> {};

TEST_P(QuantizeEndToEnd, QuantizeAndDequantizeMatchLibrary) {
  const SchemeCase &c = GetParam();
  std::string x = std::string("tensor<") + c.shape + "xf32>";
  std::string q = std::string("tensor<") + c.shape + "x" + c.element + ">";
  std::string attr = std::string("#lowbit.scheme<") + c.scheme + ">";
  std::string results = c.results;
  bool extra = results.find("tensor<", 5) != std::string::npos;
  std::string names = extra ? "%q, %s, %z" : "%q, %s";
  std::string source =
      "func.func @f(%x: " + x + ") -> (" + q + ", " + results + ", " + x + ") {\n" + "  " +
      names + " = lowbit.quantize %x {scheme = " + attr + "} : " + x + " -> " + q + ", " +
      results + "\n" + "  %d = lowbit.dequantize " + names + " {scheme = " + attr + "} : " + q +
      ", " + results + " -> " + x + "\n" + "  return " + names + ", %d : " + q + ", " +
      results + ", " + x + "\n}\n";
  Harness h;
  ASSERT_EQ(h.compile(source, "f"), "") << source;
  // Wide magnitudes, an all-zero run, a subnormal, and (for MX) one
  // non-finite block at the end of the first row.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> e(-20, 20);
  lowbit::ref::HostTensor &in = h.inputs[0];
  size_t cols = static_cast<size_t>(in.shape[1]);
  bool mx = std::string(c.scheme).find("mx") != std::string::npos;
  for (size_t i = 0; i < in.codes.size(); ++i) {
    float v = std::ldexp(static_cast<float>(in.value(i)), e(rng));
    if (i >= 8 && i < 24)
      v = 0;
    if (i == 3)
      v = 1e-40f;
    if (i == cols - 1 && mx)
      v = INFINITY;
    setF32(in, i, v);
  }
  std::vector<lowbit::ref::HostTensor> actual, expected;
  h.run(actual, expected);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(codeMismatches(expected[i], actual[i]), 0u) << "output " << i << "\n" << source;
}

INSTANTIATE_TEST_SUITE_P(Schemes, QuantizeEndToEnd, testing::ValuesIn(kSchemeCases),
                         schemeName);
} // namespace

//===----------------------------------------------------------------------===//
// Activations quantized per a scheme too (a_scheme): MX activations with
// MX weights in f32, and W8A8 (int8 per token x int8 per channel) summed
// exactly in i32 and scaled once.
//===----------------------------------------------------------------------===//

namespace {
TEST(ScaledActivations, MxTimesMxAndW8A8) {
  const char *sources[] = {
      R"mlir(
func.func @mm(%x: tensor<3x96xf32>, %w: tensor<16x96xf32>) -> tensor<3x16xf32> {
  %a, %as = lowbit.quantize %x {scheme = #lowbit.scheme<mxfp8_e4m3>} : tensor<3x96xf32> -> tensor<3x96xf8E4M3FN>, tensor<3x3xf8E8M0FNU>
  %b, %bs = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>} : tensor<16x96xf32> -> tensor<16x96xf4E2M1FN>, tensor<16x3xf8E8M0FNU>
  %c = lowbit.mpgemm %a [%as], %b [%bs] {a_scheme = #lowbit.scheme<mxfp8_e4m3>, b_scheme = #lowbit.scheme<mxfp4>, acc_type = f32, transpose_b}
      : tensor<3x96xf8E4M3FN> [tensor<3x3xf8E8M0FNU>], tensor<16x96xf4E2M1FN> [tensor<16x3xf8E8M0FNU>] -> tensor<3x16xf32>
  return %c : tensor<3x16xf32>
}
)mlir",
      R"mlir(
func.func @mm(%x: tensor<4x70xf32>, %w: tensor<8x70xf32>) -> tensor<4x8xbf16> {
  %a, %as = lowbit.quantize %x {scheme = #lowbit.scheme<rule = absmax, channel, scale = f32>} : tensor<4x70xf32> -> tensor<4x70xi8>, tensor<4x1xf32>
  %b, %bs = lowbit.quantize %w {scheme = #lowbit.scheme<int8_per_channel>} : tensor<8x70xf32> -> tensor<8x70xi8>, tensor<8x1xf32>
  %c = lowbit.mpgemm %a [%as], %b [%bs] {a_scheme = #lowbit.scheme<rule = absmax, channel, scale = f32>, b_scheme = #lowbit.scheme<int8_per_channel>, acc_type = i32, transpose_b}
      : tensor<4x70xi8> [tensor<4x1xf32>], tensor<8x70xi8> [tensor<8x1xf32>] -> tensor<4x8xbf16>
  return %c : tensor<4x8xbf16>
}
)mlir"};
  for (const char *source : sources) {
    Harness h;
    ASSERT_EQ(h.compile(source, "mm"), "") << source;
    std::vector<lowbit::ref::HostTensor> actual, expected;
    h.run(actual, expected);
    lowbit::ref::Comparison cmp = lowbit::ref::compare(expected[0], actual[0]);
    EXPECT_EQ(cmp.mismatches, 0u) << "max error " << cmp.maxError << "\n" << source;
  }
}
} // namespace
