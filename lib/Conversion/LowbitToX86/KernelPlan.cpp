//===- KernelPlan.cpp - What an x86 mpGEMM kernel reads -------------------===//

#include "KernelPlan.h"

#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/Codec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/Support/SwapByteOrder.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::x86kernel;
namespace num = ::lowbit::num;
using ::lowbit::target::CPUFeature;

//===----------------------------------------------------------------------===//
// Compile-time plan: what the kernel reads
//===----------------------------------------------------------------------===//

std::optional<std::vector<uint64_t>> mlir::lowbit::x86kernel::constantCodes(Value v) {
  Attribute attr;
  if (auto c = v.getDefiningOp<ConstantOp>())
    attr = c.getValue();
  else if (auto c = v.getDefiningOp<arith::ConstantOp>())
    attr = c.getValue();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  std::vector<uint64_t> out;
  // Integers and floats of 2..64 bits are stored one element per
  // ceil(bits / 8) little-endian bytes: read them directly (the APInt
  // iterators below cost more than the rest of the compile-time repack).
  auto raw = dyn_cast<DenseIntOrFPElementsAttr>(dense);
  unsigned width = dense.getElementType().isIntOrFloat()
                       ? dense.getElementType().getIntOrFloatBitWidth()
                       : 0;
  if (raw && width > 1 && width <= 64 && llvm::sys::IsLittleEndianHost) {
    size_t n = dense.getNumElements(), bytes = (width + 7) / 8;
    uint64_t mask = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
    ArrayRef<char> data = raw.getRawData();
    bool splat = dense.isSplat();
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = 0;
      std::memcpy(&v, data.data() + (splat ? 0 : i * bytes), bytes);
      out[i] = v & mask;
    }
    return out;
  }
  out.reserve(dense.getNumElements());
  if (isa<FloatType>(dense.getElementType())) {
    for (const APFloat &f : dense.getValues<APFloat>())
      out.push_back(f.bitcastToAPInt().getZExtValue());
  } else if (dense.getElementType().isIntOrIndex()) {
    for (const APInt &i : dense.getValues<APInt>())
      out.push_back(i.getZExtValue());
  } else {
    return std::nullopt;
  }
  return out;
}

namespace {
/// The exact values of a constant tensor of a type with a number format.
std::optional<std::vector<double>> constantValues(Value v) {
  std::optional<num::Format> f = getFormat(cast<RankedTensorType>(v.getType()).getElementType());
  std::optional<std::vector<uint64_t>> codes = constantCodes(v);
  if (!f || !codes)
    return std::nullopt;
  std::vector<double> out(codes->size());
  for (size_t i = 0; i < codes->size(); ++i)
    out[i] = num::decode(*f, (*codes)[i]);
  return out;
}



/// Scale factor S and zero point Z of each (n, k group): dequant = (value - Z) * S.
struct GroupScales {
  int64_t groupK = 0; ///< k per group (0: one group spans K)
  int64_t numGroups = 1;
  std::vector<double> s, z; ///< [n][group]; empty when `runtime`
  /// The scales (or zero points, or NVFP4's tensor scale) are not all
  /// constants: the kernel reads them at run time (Emitter::runtimeScales).
  bool runtime = false;
};

/// Whether generated code can read a scale or zero-point element of `t` at
/// run time as f32: f32, f16 and bf16 directly, formats of at most 8 bits
/// through a table of their values.
bool readableAtRunTime(Type t) {
  if (t.isF32() || t.isF16() || t.isBF16())
    return true;
  std::optional<num::Format> f = getFormat(t);
  return f && f->bits() <= 8;
}

FailureOr<GroupScales> groupScales(MpGemmOp op, int64_t n, std::string &whyNot) {
  GroupScales g;
  SchemeAttr scheme = op.getBSchemeAttr();
  if (!scheme) {
    g.s.assign(n, 1.0);
    g.z.assign(n, 0.0);
    return g;
  }
  bool transposed = op.getTransposeB();
  ArrayRef<int64_t> bShape = op.getB().getType().getShape();
  SmallVector<int64_t> extents = scheme.getGroupExtents(bShape);
  SmallVector<int64_t> scaleShape = scheme.getScaleShape(bShape);
  unsigned kDim = transposed ? 1 : 0, nDim = transposed ? 0 : 1;
  QuantizedOperand q = QuantizedOperand::get(op.getB(), op.getBParams(), scheme);
  std::optional<std::vector<double>> scales = constantValues(q.scales);
  std::optional<std::vector<double>> zeros, tensorScale;
  if (q.zeroPoints)
    zeros = constantValues(q.zeroPoints);
  if (q.tensorScale)
    tensorScale = constantValues(q.tensorScale);
  bool oneGroup = scaleShape[kDim] == 1;
  g.groupK = oneGroup ? 0 : extents[kDim];
  g.numGroups = oneGroup ? 1 : scaleShape[kDim];
  if (!scales || (q.zeroPoints && !zeros) || (q.tensorScale && !tensorScale)) {
    if (scheme.hasOffset()) {
      whyNot = "min_offset weights need constant scales and offsets (their zero point, "
               "-offset / scale, is computed at compile time)";
      return failure();
    }
    // Read at run time, per row tile and scale group.
    if (!transposed) {
      whyNot = "run-time weight scales need the weights stored N x K (transpose_b)";
      return failure();
    }
    if (!readableAtRunTime(scheme.getScaleType()) ||
        (scheme.getZeroType() && !readableAtRunTime(scheme.getZeroType()))) {
      whyNot = "run-time weight scales and zero points must be f32, f16, bf16 or formats of "
               "at most 8 bits";
      return failure();
    }
    g.runtime = true;
    return g;
  }
  bool mxInt = scheme.getRule() == ScaleRule::MX &&
               getFormat(op.getB().getType().getElementType())->isInt();
  g.s.resize(n * g.numGroups);
  g.z.assign(n * g.numGroups, 0.0);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t grp = 0; grp < g.numGroups; ++grp) {
      int64_t idx[2];
      idx[nDim] = scaleShape[nDim] == 1 ? 0 : row / extents[nDim];
      idx[kDim] = oneGroup ? 0 : grp;
      int64_t flat = idx[0] * scaleShape[1] + idx[1];
      double s = (*scales)[flat];
      switch (scheme.getRule()) {
      case ScaleRule::MX:
        if (mxInt) // MXINT8 elements are k / 64
          s /= 64;
        break;
      case ScaleRule::NvFp4:
        s *= (*tensorScale)[0];
        break;
      case ScaleRule::MinOffset: {
        // q * s + o = s * (q - z) with z = -o / s: the kernel's form, one
        // more rounding than the reference (named policy: docs/schemes.md).
        s = static_cast<float>(s);
        double o = (*zeros)[flat];
        if (s == 0 || !std::isfinite(s) || !std::isfinite(o)) {
          whyNot = "a min_offset group with a zero or non-finite scale or offset has no "
                   "zero point";
          return failure();
        }
        g.z[row * g.numGroups + grp] = -o / s;
        break;
      }
      default: // (q - zero) * scale, the scale as f32
        s = static_cast<float>(s);
        if (zeros)
          g.z[row * g.numGroups + grp] = (*zeros)[flat];
        break;
      }
      g.s[row * g.numGroups + grp] = s;
    }
  return g;
}

/// Equal, counting NaN equal to NaN (a table of one value becomes a splat).
bool sameValue(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

} // namespace

/// Weights stored in the lookup-table kernel's nibble planes: B =
/// lowbit.unpack of bytes with a `bits<nibble_planes, W, B>` layout (the
/// vpermb order) or `bits<nibble_lanes, W, B>` (the vpshufb order; the
/// unpack's attribute, or its operand's encoding).
struct NibblePlaneWeights {
  unsigned bits = 0;
  int64_t block = 0;
  bool lanes = false;
};
std::optional<NibblePlaneWeights> nibblePlaneWeights(Value b) {
  auto up = b.getDefiningOp<UnpackOp>();
  if (!up)
    return std::nullopt;
  LayoutAttr layout = up.getLayoutAttr();
  if (!layout)
    layout = getLayoutEncoding(up.getPacked().getType());
  if (!layout || layout.getKind() != LayoutKind::Bits ||
      (layout.getBitKind() != BitLayoutKind::NibblePlanes &&
       layout.getBitKind() != BitLayoutKind::NibbleLanes))
    return std::nullopt;
  return NibblePlaneWeights{layout.getElementBits(), layout.getArgs()[1],
                            layout.getBitKind() == BitLayoutKind::NibbleLanes};
}

std::optional<uint8_t> mlir::lowbit::x86kernel::operandXor(const x86::WeightCodes &codes) {
  if (codes.codebook || codes.slot.empty())
    return std::nullopt;
  uint8_t x = codes.slot[0];
  for (size_t c = 0; c < codes.slot.size(); ++c)
    if (!codes.finite[c] || codes.slot[c] != (c ^ x))
      return std::nullopt;
  return x;
}

/// The largest activation block (k) whose int16 sums the vpshufb tables
/// kernel keeps without overflow for operands of `bits` bits: each int16
/// element adds at most 2 * 127 * (2^bits - 1) per lookup step (vpmaddubsw
/// of two lookups and the plane weights); on ymm a step is 16 k of its
/// row, on zmm (`wide`: each element holds one 128-bit lane of 32 k) 32 k.
/// So (block / step) * 254 * (2^bits - 1) <= 32767; blocks of fewer than
/// 32 k cannot be read (0).
static int64_t maxShufbBlock(unsigned bits, bool wide) {
  int64_t step = wide ? 32 : 16, block = 256;
  while (block >= 32 && (block / step) * 254 * ((int64_t(1) << bits) - 1) > 32767)
    block /= 2;
  return block >= 32 ? block : 0;
}

/// Why the lookup-table kernel cannot take a product (empty if it can).
/// `exact`: int16 tables (int8 activations, or X86TableKind::Exact);
/// `lanes`: the vpshufb variant (targets without AVX-512 VBMI + VNNI, or
/// weights stored in nibble lanes), on zmm where `wide`, else vpermb, which
/// the target has where `vpermb`; `storedBlock`: the block of weights
/// stored in nibble planes or lanes (0: none).
static std::string whyNotLookupTables(const x86::WeightCodes &codes, bool exact,
                                      bool constantWeights, int64_t groupK, bool lanes, bool wide,
                                      bool vpermb, int64_t storedBlock, int64_t activationBlock) {
  if (!lanes && !vpermb)
    return "reads weights in nibble planes (the vpermb order) with vpermb (AVX-512 VBMI and "
           "VNNI), which the target lacks";
  if (lanes && exact)
    return "with exact (int16) tables (int8 activations, or tables = \"exact\") needs vpermb "
           "and vpdpbusd (AVX-512 VBMI and VNNI), which the target lacks";
  if (lanes && !maxShufbBlock(codes.slotBits(), wide))
    return std::string("with vpshufb takes operands of at most ") +
           (wide ? "7" : "6") + " bits (its int16 sums), got " +
           std::to_string(codes.slotBits());
  if (codes.codebook)
    return "needs weight values evenly spaced (integer formats), not a codebook";
  if (!constantWeights)
    return "needs constant weights (repacked into bit planes at compile time) or weights in "
           "nibble planes (lowbit-bitplane-decompose)";
  if (groupK % 32)
    return "needs scale groups of a multiple of 32 k, got " + std::to_string(groupK);
  if (lanes && storedBlock > maxShufbBlock(codes.slotBits(), wide))
    return "reads weights in nibble lanes of blocks of " + std::to_string(storedBlock) +
           " k, whose int16 sums overflow for " + std::to_string(codes.slotBits()) +
           "-bit operands (at most " + std::to_string(maxShufbBlock(codes.slotBits(), wide)) +
           " k on this target)";
  if (activationBlock < 32)
    return "needs activation blocks of at least 32 k (one vector of nibbles), got " +
           std::to_string(activationBlock);
  return {};
}

/// The cost model between the byte-dot and the lookup-table kernels, per
/// activation row and 512 weights of b bits (16 rows x 32 k): with VNNI the
/// byte-dot kernel does 8 vpdpbusd whatever b, the vpermb tables 4 b
/// instructions; on AVX2 the byte-dot kernel does 48 (vpmaddubsw,
/// vpmaddwd, add per 32 weights), the vpshufb tables 16 b. The tables win
/// for b = 1 everywhere and b = 2 on AVX2 (measured: docs/cpu-kernels.md);
/// where they tie the byte-dot kernel keeps the product, since the int8
/// tables round coarser than int8 activations.
static bool prefersLookupTables(const x86::WeightCodes &codes, DotISA isa, bool lanes,
                                bool exact) {
  if (exact)
    return false;
  return codes.slotBits() == 1 || (lanes && isa == DotISA::AVX2 && codes.slotBits() == 2);
}

FailureOr<KernelPlan> mlir::lowbit::x86kernel::planKernel(MpGemmOp op,
                                                        const X86KernelOptions &options,
                                                        std::string &whyNot, bool checkOnly) {
  const ::lowbit::target::CPUTarget &t = options.target;
  KernelPlan p;
  if (options.kernel == X86KernelKind::BitSerial && options.requireKernel) {
    whyNot = "the bit-serial kernel takes activations of a lowbit integer format of at most 8 "
             "bits";
    return failure();
  }
  if (t.family == ::lowbit::target::CPUFamily::AArch64) {
    if (!t.has(CPUFeature::NEON) || !t.has(CPUFeature::DotProd)) {
      whyNot = "target '" + t.name + "' has no byte-dot kernels (needs NEON and dotprod)";
      return failure();
    }
    p.isa = t.has(CPUFeature::I8MM) ? DotISA::NeonUSDot : DotISA::NeonSDot;
  } else if (t.generic || !t.has(CPUFeature::AVX2)) {
    whyNot = "target '" + t.name + "' has no byte-dot kernels (needs at least AVX2)";
    return failure();
  } else {
    p.isa = t.has(CPUFeature::AVX512VNNI)  ? DotISA::VNNI512
            : t.has(CPUFeature::AVX512BW) ? DotISA::BW512
                                          : DotISA::AVX2;
  }
  bool neon = isNeon(p.isa);
  RankedTensorType aType = op.getA().getType(), bType = op.getB().getType();
  RankedTensorType cType = op.getC().getType();
  Type aElem = aType.getElementType();
  bool floatA = aElem.isF32() || aElem.isF16() || aElem.isBF16();
  p.intActivations = aElem.isSignlessInteger(8);
  if (!floatA && !p.intActivations) {
    whyNot = "activations must be f32, f16, bf16 or i8";
    return failure();
  }
  Type acc = op.getAccType(), cElem = cType.getElementType();
  p.intResult = acc.isInteger(32);
  if (p.intResult && !p.intActivations) {
    whyNot = "i32 accumulation needs i8 activations";
    return failure();
  }
  if (!(acc.isF32() && cElem.isF32()) && !p.intResult) {
    whyNot = "the kernels accumulate in f32 or i32 and write f32 (or i32)";
    return failure();
  }
  if (SchemeAttr as = op.getASchemeAttr()) {
    // Per-row or per-tensor absmax scales of int8 activations, applied to
    // the i32 sums as the reference does.
    Type st = as.getScaleType();
    ArrayRef<int64_t> sshape = cast<RankedTensorType>(op.getAParams()[0].getType()).getShape();
    if (!p.intResult || as.getRule() != ScaleRule::AbsMax || as.getZeroType() ||
        !(st.isF32() || st.isF16() || st.isBF16()) || sshape.size() != 2 || sshape[1] != 1 ||
        !(sshape[0] == 1 || sshape[0] == aType.getDimSize(0))) {
      whyNot = "activation schemes other than per-row or per-tensor absmax scales (f32, f16, "
               "bf16) of int8 activations with i32 accumulation";
      return failure();
    }
    p.aScaled = true;
    p.aScalePerRow = sshape[0] != 1 || aType.getDimSize(0) == 1; // dynamic: `?`
  }
  std::optional<num::Format> bFormat = getFormat(bType.getElementType());
  if (!bFormat) {
    whyNot = "the weights have no number format";
    return failure();
  }
  // A lookup in a 64-byte table: vpermb (AVX-512 VBMI), or tbl with four
  // table registers on AArch64.
  bool vbmi = neon || (p.isa != DotISA::AVX2 && t.has(CPUFeature::AVX512VBMI));
  // The cost model: the byte-dot kernel wherever a byte operand holds the
  // format (4 k per 32-bit lane and instruction, the weights read at their
  // width); else the bf16 kernel where the target has AVX-512 BF16 and VBMI
  // (2 k per lane, 8-bit code slots); else the reference path.
  std::string byteWhyNot;
  std::optional<x86::WeightCodes> codes = x86::planWeightCodes(*bFormat, byteWhyNot, vbmi ? 6 : 4);
  unsigned maxOperand = p.isa == DotISA::VNNI512 || neon ? 255 : kMaxPairOperand;
  if (codes && codes->maxOperand > maxOperand) {
    byteWhyNot = "weight operands reach " + std::to_string(codes->maxOperand) +
                 ", and vpmaddubsw saturates above " + std::to_string(maxOperand) +
                 " (the target has no AVX-512 VNNI)";
    codes.reset();
  }
  if (!codes && options.requireKernel && options.kernel != X86KernelKind::Auto) {
    whyNot = "the " + std::string(options.kernel == X86KernelKind::ByteDot ? "byte-dot"
                                                                            : "lookup-table") +
             " kernel cannot hold the format: " + byteWhyNot;
    return failure();
  }
  if (!codes) {
    // The bf16 kernel where the target has AVX-512 BF16 and VBMI (its
    // 256-entry tables), else the f32 kernel: codes decoded to f32 by
    // integer arithmetic, f32 FMA with the activations as they are.
    std::string bf16WhyNot, f32WhyNot;
    std::optional<x86::BF16WeightCodes> bc;
    if (t.has(CPUFeature::AVX512BF16) && vbmi) {
      bc = x86::planBF16WeightCodes(*bFormat, bf16WhyNot);
      bf16WhyNot = "bf16 kernel: " + bf16WhyNot;
    }
    else
      bf16WhyNot = neon ? "the bf16 kernel is x86 only (AVX-512 BF16 and VBMI)"
                        : "the bf16 kernel needs AVX-512 BF16 and VBMI";
    std::optional<x86::F32WeightDecode> fd;
    if (!bc)
      fd = x86::planF32WeightDecode(*bFormat, f32WhyNot);
    if (!bc && !fd) {
      whyNot = byteWhyNot + "; " + bf16WhyNot + "; f32 kernel: " + f32WhyNot;
      return failure();
    }
    if (!floatA || p.intResult) {
      whyNot = byteWhyNot + "; the " + (bc ? "bf16" : "f32") +
               " kernel takes f32, f16 or bf16 activations with f32 accumulation";
      return failure();
    }
    x86::WeightCodes raw;
    if (bc) {
      p.bf16 = true;
      p.bf16Codes = *bc;
      raw.planes = bc->planes;
      raw.finite = bc->finite;
    } else {
      p.f32Decode = true;
      p.f32Codes = *fd;
      raw.planes = fd->planes;
      raw.finite = fd->finite;
    }
    raw.slot.resize(raw.finite.size());
    for (size_t c = 0; c < raw.slot.size(); ++c)
      raw.slot[c] = static_cast<uint8_t>(c);
    raw.maxOperand = static_cast<unsigned>(raw.slot.size() - 1);
    codes = raw;
  }
  p.codes = *codes;
  if (p.intResult && (codes->codebook || codes->alpha != std::round(codes->alpha) ||
                      codes->beta != std::round(codes->beta))) {
    whyNot = "i32 accumulation needs integer weight values";
    return failure();
  }
  std::optional<std::vector<uint64_t>> bCodes = constantCodes(op.getB());
  bool transposed = op.getTransposeB();
  int64_t n = op.getN(), k = op.getK();

  FailureOr<GroupScales> gs = groupScales(op, n, whyNot);
  if (failed(gs))
    return failure();
  int64_t groupK = gs->groupK;
  // Weights in nibble planes (lowbit-bitplane-decompose, or an argument
  // stored so), or planned as if they were (options.assumeNibblePlanes):
  // the lookup-table kernel reads the stored codes, each plane inverted
  // where the operand is the code xor a constant (two's complement).
  std::optional<NibblePlaneWeights> inPlanes = nibblePlaneWeights(op.getB());
  std::optional<uint8_t> planeXor = operandXor(*codes);
  bool planesFit = transposed && planeXor && n % x86::kTileRows == 0 &&
                   (!inPlanes || (inPlanes->bits == codes->slotBits() && k % inPlanes->block == 0));
  bool planned = inPlanes || options.assumeNibblePlanes;
  // vpermb looks up 4 groups' tables at once and vpdpbusd sums them
  // (AVX-512 VBMI + VNNI); else, or where the weights are stored in its
  // order, vpshufb, one group's table per 128-bit lane, its lookups summed
  // in int16; on zmm (AVX-512BW) 4 groups' tables per lookup, not 2.
  // AArch64 looks up like vpermb (tbl over 4 registers of 16 bytes) and
  // sums like vpdpbusd (usdot, or sdot): always the nibble-plane order.
  bool vpermb = (p.isa == DotISA::VNNI512 && vbmi) || neon;
  bool lanes = inPlanes ? inPlanes->lanes : !vpermb;
  bool wide = lanes && p.isa != DotISA::AVX2;
  // Exact int16 tables of the byte-dot kernel's int8 activations: int8
  // activations always (their products are exact), float ones when asked.
  bool exact = p.intActivations || options.tables == X86TableKind::Exact;
  if (options.kernel != X86KernelKind::ByteDot && !p.bf16 && !p.f32Decode) {
    std::string lutWhyNot =
        neon && lanes
            ? "reads weights in nibble lanes (the vpshufb order); AArch64 reads nibble planes"
            : whyNotLookupTables(*codes, exact, bCodes || planned, groupK, lanes, wide, vpermb,
                                 inPlanes ? inPlanes->block : 0,
                                 inPlanes ? inPlanes->block : options.activationBlock);
    if (lutWhyNot.empty() && planned && !planesFit)
      lutWhyNot = "in nibble planes needs N x K weights, N a multiple of 16, K of the block, "
                  "whose operands are their codes xor a constant (every code with a value)";
    if (!lutWhyNot.empty() && options.requireKernel) {
      whyNot = "the lookup-table kernel " + lutWhyNot;
      return failure();
    }
    p.lut = lutWhyNot.empty() && (options.kernel == X86KernelKind::LookupTable ||
                                  prefersLookupTables(*codes, p.isa, lanes, exact) || inPlanes);
    p.lutExact = p.lut && exact;
  }
  if (p.lut && inPlanes) {
    p.prepacked = true;
    p.planeXor = *planeXor;
  }

  if (!bCodes && !(p.lut && planned)) {
    // Run-time weights: read from their storage, one code per byte, 16 rows
    // at a time. Each code must have a finite value (any code may occur);
    // the operand is the code xor one constant (the sign bit of
    // two's-complement codes; nothing for unsigned codes and codebooks),
    // or else looked up in a byte-shuffle table.
    if (!transposed) {
      whyNot = "run-time weights must be stored N x K (transpose_b)";
      return failure();
    }
    if (getLayoutEncoding(op.getB().getType())) {
      whyNot = "run-time weights with a layout encoding (unpack them first)";
      return failure();
    }
    p.runtimeWeights = true;
    // Packed lsb_first rows of 1, 2, 4 or 8-bit slots are read directly.
    unsigned w = bFormat->bits();
    if (auto up = op.getB().getDefiningOp<UnpackOp>()) {
      LayoutAttr layout = up.getLayoutAttr();
      if (!layout)
        layout = getLayoutEncoding(up.getPacked().getType());
      bool lsb = (up.getOrder() && *up.getOrder() == BitOrder::LSBFirst) ||
                 (layout && layout.getKind() == LayoutKind::Bits &&
                  layout.getBitKind() == BitLayoutKind::LSBFirst);
      p.runtimePacked = lsb && (w == 1 || w == 2 || w == 4) && (k * w) % 8 == 0 &&
                        !codes->planes.empty() && codes->planes.size() == 1;
      p.packedFlat = p.runtimePacked && !up.getOrder();
    }
    p.codeXor = codes->codebook ? 0 : codes->slot[0];
    bool isXor = true;
    for (size_t c = 0; c < codes->slot.size(); ++c) {
      if (!p.bf16 && !p.f32Decode && !codes->finite[c]) {
        whyNot = "the format has codes without a finite value, which run-time weights could hold";
        return failure();
      }
      isXor = isXor && codes->slot[c] == (c ^ p.codeXor);
    }
    if (!codes->codebook && !p.bf16 && !p.f32Decode && !isXor) {
      size_t entries = codes->slot.size();
      if (entries > (vbmi ? 64u : 16u)) {
        whyNot = "the format's operands are not its codes xor a constant, and a table of " +
                 std::to_string(entries) + " entries is too large (run-time weights)";
        return failure();
      }
      codes->codebook = true;
      codes->table.assign(entries <= 16 ? 16 : 64, 0);
      for (size_t c = 0; c < entries; ++c)
        codes->table[c] = codes->slot[c];
      p.codeXor = 0;
    }
    if (p.runtimePacked) {
      // Slots of w bits (codebooks: the raw 4-bit code), the xor in each.
      codes->planes = {w};
      uint8_t x = 0;
      for (unsigned slot = 0; slot < 8 / w; ++slot)
        x |= static_cast<uint8_t>(p.codeXor << (slot * w));
      p.codeXor = x;
    } else {
      // The raw code byte is the slot (tables look up its low bits).
      p.codeMask = static_cast<uint8_t>((1u << w) - 1);
      codes->planes = {8};
    }
    p.codes = *codes;
  }

  p.m = op.getM();
  x86::KernelShape &s = p.shape;
  s.n = n;
  s.k = k;
  s.planes = codes->planes;
  if (p.lut) {
    s.planes.assign(codes->slotBits(), 1);
    s.lutNibbles = true;
    s.lutLanes = lanes;
    p.lutWide = wide;
    // The int8 tables' bias term goes into zb; the exact kernel adds it
    // in int32 (its sums are the byte-dot kernel's).
    if (!p.lutExact)
      p.zbShift = (std::ldexp(1.0, static_cast<int>(codes->slotBits())) - 1) / 2;
  }
  s.pairedLanes = p.bf16 && !p.runtimeWeights;
  s.rows = (n + x86::kTileRows - 1) / x86::kTileRows * x86::kTileRows;

  // The activation block: the largest power of two up to the option that
  // holds whole weight vectors and divides the scale group along k (and K
  // for run-time weights, whose rows are read a block at a time).
  p.runtimeScales = gs->runtime;
  if (p.runtimeScales && p.intResult) {
    whyNot = "i32 accumulation with run-time weight scales";
    return failure();
  }
  if (SchemeAttr scheme = op.getBSchemeAttr())
    if (scheme.getRule() == ScaleRule::MX && bFormat->isInt())
      p.mxFactor = 1.0 / 64; // MXINT8 elements are k / 64
  p.prefetchDistance = options.prefetchDistance;
  // The f32 kernel decodes each weight vector once per pass: 4 rows share
  // it on AVX2 (one f32 chain each, two ymm), not 2.
  // NEON: a row's 16 x i32 accumulator is 4 of the 32 q registers.
  p.maxRowsPerPass = options.rowsPerPass      ? options.rowsPerPass
                     : neon                  ? 4
                     : p.isa != DotISA::AVX2 ? 8
                     : p.f32Decode           ? 4
                                             : 2;
  p.kb = 0;
  if (p.prepacked) { // the block the planes were stored with
    if (groupK % inPlanes->block != 0) {
      whyNot = "the nibble planes' block (" + std::to_string(inPlanes->block) +
               " k) does not divide the weight scale group (" + std::to_string(groupK) + " k)";
      return failure();
    }
    p.kb = inPlanes->block;
  }
  int64_t firstBlock = options.activationBlock;
  if (p.lut && s.lutLanes) // the int16 sums must not overflow
    firstBlock = std::min(firstBlock, maxShufbBlock(codes->slotBits(), wide));
  for (int64_t kb = firstBlock; !p.prepacked && kb >= s.blockQuantum(); kb /= 2)
    if (kb % s.blockQuantum() == 0 && (groupK == 0 || groupK % kb == 0) &&
        (!p.runtimeWeights || k % kb == 0)) {
      p.kb = kb;
      break;
    }
  if (p.kb == 0) {
    if (p.runtimeWeights)
      whyNot = "run-time weights need K (" + std::to_string(k) +
               ") to be a multiple of a power-of-two activation block from 4 k that divides "
               "the scale group";
    else
      whyNot = "the weight scale group (" + std::to_string(groupK) +
               " k) is not a multiple of the " + std::to_string(s.blockQuantum()) +
               " k one weight vector holds";
    return failure();
  }
  s.block = p.kb;
  p.rowBytesPerBlock = p.kb * static_cast<int64_t>(s.bits()) / 8;
  s.cols = (k + p.kb - 1) / p.kb * p.kb;
  p.numBlocks = s.cols / p.kb;
  p.numGroups = gs->numGroups;
  p.blocksPerGroup = groupK ? groupK / p.kb : p.numBlocks;

  if (bCodes && llvm::any_of(*bCodes, [&](uint64_t c) { return !codes->finite[c]; })) {
    whyNot = "a weight code has no finite value";
    return failure();
  }
  if (checkOnly)
    return p;

  // Weights: operand slots of the padded matrix.
  if (bCodes) {
    std::vector<uint8_t> slots(s.rows * s.cols, 0);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col)
        slots[row * s.cols + col] =
            codes->slot[(*bCodes)[transposed ? row * k + col : col * n + row]];
    p.weights = x86::packKernelWeights(s, slots);
  }
  if (p.runtimeScales) {
    // sw per (row tile, group) at run time; zb too where there are zero
    // points, else the constant -beta / alpha.
    p.swUniform = false;
    p.zbUniform = !op.getBSchemeAttr().getZeroType();
    p.zb = {static_cast<float>(-codes->beta / codes->alpha - p.zbShift)};
    return p;
  }

  // Scale tables with the codes' affine map folded in.
  int64_t tiles = s.rowTiles();
  p.sw.assign(tiles * p.numGroups * x86::kTileRows, 0.f);
  p.zb.assign(tiles * p.numGroups * x86::kTileRows, 0.f);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < p.numGroups; ++g) {
      size_t at = ((row / x86::kTileRows) * p.numGroups + g) * x86::kTileRows +
                  row % x86::kTileRows;
      double S = gs->s[row * p.numGroups + g], Z = gs->z[row * p.numGroups + g];
      p.sw[at] = static_cast<float>(codes->alpha * S);
      p.zb[at] = static_cast<float>((Z - codes->beta) / codes->alpha - p.zbShift);
      // Against the first row's entry of group 0.
      p.swUniform = p.swUniform && sameValue(p.sw[at], p.sw[0]);
      p.zbUniform = p.zbUniform && sameValue(p.zb[at], p.zb[0]);
    }
  if (p.intResult) {
    // One scale group along K (verified for i32 accumulation): per row n,
    // value - Z = alpha * operand + (beta - Z), and B's factor in f32.
    p.alpha = static_cast<int32_t>(codes->alpha);
    p.bScaled = static_cast<bool>(op.getBSchemeAttr());
    p.offset.assign(tiles * x86::kTileRows, 0);
    p.fb.assign(tiles * x86::kTileRows, 1.f);
    for (int64_t row = 0; row < n; ++row) {
      p.offset[row] = static_cast<int32_t>(codes->beta - gs->z[row * p.numGroups]);
      p.fb[row] = static_cast<float>(gs->s[row * p.numGroups]);
      p.offsetUniform = p.offsetUniform && p.offset[row] == p.offset[0];
      p.fbUniform = p.fbUniform && sameValue(p.fb[row], p.fb[0]);
    }
  }
  return p;
}

