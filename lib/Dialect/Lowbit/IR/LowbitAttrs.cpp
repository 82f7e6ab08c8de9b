//===- LowbitAttrs.cpp - lowbit attributes --------------------------------===//
//
// The scheme attribute. Its numbers live in lowbit/Numerics/BlockScaling.h;
// this file only says which elements share a scale and checks that a scheme
// is one the library can compute.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Numerics/BlockScaling.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;

#include "lowbit/Dialect/Lowbit/IR/LowbitEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.cpp.inc"

void LowbitDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Presets
//===----------------------------------------------------------------------===//

namespace {
struct Preset {
  const char *name;
  ScaleRule rule;
  Granularity granularity;
  int64_t groupSize;
  const char *scale;   ///< scale type
  const char *zero;    ///< zero-point format, or nullptr
  const char *element; ///< element format (num::Format syntax)
};

// MX and NVFP4 follow the OCP MX v1.0 and NVIDIA definitions; the GPTQ/AWQ
// presets follow those projects' checkpoints (uint4 codes and zero points,
// f16 scales, groups of 128 along K); int8_per_channel is the symmetric
// per-output-channel scheme of LLM.int8()/SmoothQuant weights.
constexpr Preset kPresets[] = {
    {"mxfp8_e4m3", ScaleRule::MX, Granularity::Group, 32, "f8E8M0FNU", nullptr, "f8E4M3FN"},
    {"mxfp8_e5m2", ScaleRule::MX, Granularity::Group, 32, "f8E8M0FNU", nullptr, "f8E5M2"},
    {"mxfp6_e3m2", ScaleRule::MX, Granularity::Group, 32, "f8E8M0FNU", nullptr, "f6E3M2FN"},
    {"mxfp6_e2m3", ScaleRule::MX, Granularity::Group, 32, "f8E8M0FNU", nullptr, "f6E2M3FN"},
    {"mxfp4", ScaleRule::MX, Granularity::Group, 32, "f8E8M0FNU", nullptr, "f4E2M1FN"},
    {"mxint8", ScaleRule::MX, Granularity::Group, 32, "f8E8M0FNU", nullptr, "int<8>"},
    {"nvfp4", ScaleRule::NvFp4, Granularity::Group, 16, "f8E4M3FN", nullptr, "f4E2M1FN"},
    {"gptq_u4_g128", ScaleRule::GptqMinMax, Granularity::Group, 128, "f16", "int<4, unsigned>", "int<4, unsigned>"},
    {"awq_u4_g128", ScaleRule::AwqMinMax, Granularity::Group, 128, "f16", "int<4, unsigned>", "int<4, unsigned>"},
    {"int8_per_channel", ScaleRule::AbsMax, Granularity::Channel, 0, "f32", nullptr, "int<8>"},
};

Type typeOfFormatName(MLIRContext *ctx, StringRef text) {
  std::string error;
  std::optional<num::Format> f = num::Format::parse(text.str(), error);
  if (!f)
    return {};
  if (Type builtin = getBuiltinType(ctx, *f))
    return builtin;
  if (f->isInt() && f->bits() == 8 && f->intEncoding() == num::IntEncoding::Signed)
    return IntegerType::get(ctx, 8);
  return getLowbitType(ctx, *f);
}

Type scaleTypeOfName(MLIRContext *ctx, StringRef name) {
  Builder b(ctx);
  return llvm::StringSwitch<Type>(name)
      .Case("f8E8M0FNU", b.getType<Float8E8M0FNUType>())
      .Case("f8E4M3FN", b.getType<Float8E4M3FNType>())
      .Case("f16", b.getF16Type())
      .Case("bf16", b.getBF16Type())
      .Default(b.getF32Type());
}

SchemeAttr presetAttr(MLIRContext *ctx, const Preset &p) {
  Type zero = p.zero ? typeOfFormatName(ctx, p.zero) : Type();
  return SchemeAttr::get(ctx, p.rule, p.granularity, /*axis=*/-1, p.groupSize,
                         {}, scaleTypeOfName(ctx, p.scale), zero,
                         typeOfFormatName(ctx, p.element));
}

bool isRealScaleType(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }
} // namespace

SchemeAttr SchemeAttr::getPreset(MLIRContext *ctx, StringRef name) {
  for (const Preset &p : kPresets)
    if (name == p.name)
      return presetAttr(ctx, p);
  return {};
}

StringRef SchemeAttr::getPresetName() const {
  for (const Preset &p : kPresets)
    if (presetAttr(getContext(), p) == *this)
      return p.name;
  return {};
}

//===----------------------------------------------------------------------===//
// Facts
//===----------------------------------------------------------------------===//

int64_t SchemeAttr::getAxisIn(int64_t rank) const {
  int64_t axis = getAxis();
  return axis < 0 ? axis + rank : axis;
}

SmallVector<int64_t> SchemeAttr::getGroupExtents(ArrayRef<int64_t> shape) const {
  int64_t rank = shape.size();
  SmallVector<int64_t> extents(rank, 1);
  int64_t axis = getAxisIn(rank);
  switch (getGranularity()) {
  case Granularity::Tensor:
    extents.assign(shape.begin(), shape.end());
    break;
  case Granularity::Channel:
    if (axis >= 0 && axis < rank)
      extents[axis] = shape[axis];
    break;
  case Granularity::Group:
    if (axis >= 0 && axis < rank)
      extents[axis] = getGroupSize();
    break;
  case Granularity::Block:
    for (int64_t i = 0; i < 2 && i < rank; ++i)
      extents[rank - 2 + i] = getBlock()[i];
    break;
  }
  return extents;
}

SmallVector<int64_t> SchemeAttr::getScaleShape(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> extents = getGroupExtents(shape);
  SmallVector<int64_t> result;
  for (auto [dim, ext] : llvm::zip(shape, extents))
    result.push_back(ShapedType::isDynamic(ext) || ext <= 0 ? 1
                     : ShapedType::isDynamic(dim)          ? ShapedType::kDynamic
                                                           : llvm::divideCeil(dim, ext));
  return result;
}

bool SchemeAttr::hasZeroPoint() const {
  return getRule() == ScaleRule::GptqMinMax || getRule() == ScaleRule::AwqMinMax ||
         getRule() == ScaleRule::MinOffset;
}

bool SchemeAttr::hasOffset() const { return getRule() == ScaleRule::MinOffset; }

bool SchemeAttr::hasTensorScale() const { return getRule() == ScaleRule::NvFp4; }

bool SchemeAttr::allowsPartialGroups() const {
  // The integer-group library (like GPTQ and AWQ) needs K to be a multiple of
  // the group; MX and NVFP4 define a short last block.
  return getRule() == ScaleRule::MX || getRule() == ScaleRule::NvFp4;
}

std::string SchemeAttr::checkElementType(Type element) const {
  std::optional<num::Format> f = getFormat(element);
  if (!f)
    return "element type has no number format";
  if (getElementType() && getFormat(getElementType()) != f)
    return "the scheme is made for " + num::Format(*getFormat(getElementType())).str() +
           " codes, not " + f->str();
  switch (getRule()) {
  case ScaleRule::MX:
    return num::checkMxElementFormat(*f);
  case ScaleRule::NvFp4:
    return *f == num::Format::builtin(num::BuiltinFloat::F4E2M1FN)
               ? std::string()
               : "nvfp4 codes are f4E2M1FN, not " + f->str();
  case ScaleRule::AbsMax:
    return num::checkGroupFormat(*f, num::IntScaleRule::AbsMax);
  case ScaleRule::GptqMinMax:
    return num::checkGroupFormat(*f, num::IntScaleRule::GptqMinMax);
  case ScaleRule::AwqMinMax:
    return num::checkGroupFormat(*f, num::IntScaleRule::AwqMinMax);
  case ScaleRule::MinOffset:
    return num::checkGroupFormat(*f, num::IntScaleRule::MinOffset);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

LogicalResult SchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ScaleRule rule, Granularity granularity,
                                 int64_t axis, int64_t groupSize,
                                 ArrayRef<int64_t> block, Type scaleType,
                                 Type zeroType, Type elementType) {
  StringRef ruleName = stringifyScaleRule(rule);
  if (granularity == Granularity::Group && groupSize <= 0)
    return emitError() << "group size must be positive, got " << groupSize;
  if (granularity == Granularity::Block &&
      (block.size() != 2 || block[0] <= 0 || block[1] <= 0))
    return emitError() << "block must be two positive extents [B0, B1]";
  if (granularity != Granularity::Block && !block.empty())
    return emitError() << "block extents given without block granularity";
  if ((rule == ScaleRule::MX || rule == ScaleRule::NvFp4) &&
      granularity != Granularity::Group)
    return emitError() << "rule '" << ruleName << "' needs 1-D groups (group = G)";
  if (rule == ScaleRule::MX && !isa<Float8E8M0FNUType>(scaleType))
    return emitError() << "rule 'mx' needs f8E8M0FNU scales, not " << scaleType;
  if (rule == ScaleRule::NvFp4) {
    if (groupSize != static_cast<int64_t>(num::kNvFp4Block))
      return emitError() << "rule 'nvfp4' uses blocks of 16, not " << groupSize;
    if (!isa<Float8E4M3FNType>(scaleType))
      return emitError() << "rule 'nvfp4' needs f8E4M3FN scales, not " << scaleType;
  }
  bool intRule = rule == ScaleRule::AbsMax || rule == ScaleRule::GptqMinMax ||
                 rule == ScaleRule::AwqMinMax || rule == ScaleRule::MinOffset;
  if (intRule && !isRealScaleType(scaleType))
    return emitError() << "rule '" << ruleName
                       << "' needs f32, f16 or bf16 scales, not " << scaleType;
  if (rule == ScaleRule::MinOffset) {
    if (!zeroType)
      return emitError() << "rule 'min_offset' needs an offset format (offset = T)";
    if (!isRealScaleType(zeroType))
      return emitError() << "rule 'min_offset' needs f32, f16 or bf16 offsets, not "
                         << zeroType;
    if (elementType && !getFormat(elementType))
      return emitError() << "element type " << elementType << " has no number format";
    return success();
  }
  bool wantsZero = rule == ScaleRule::GptqMinMax || rule == ScaleRule::AwqMinMax;
  if (wantsZero && !zeroType)
    return emitError() << "rule '" << ruleName << "' needs a zero-point format (zero = T)";
  if (!wantsZero && zeroType)
    return emitError() << "rule '" << ruleName << "' has no zero point";
  if (zeroType) {
    std::optional<num::Format> zf = getFormat(zeroType);
    if (!zf || !zf->isInt() || zf->intEncoding() == num::IntEncoding::Bipolar)
      return emitError() << "zero points must be an integer format, not " << zeroType;
  }
  if (elementType && !getFormat(elementType))
    return emitError() << "element type " << elementType << " has no number format";
  return success();
}

//===----------------------------------------------------------------------===//
// Parsing and printing
//===----------------------------------------------------------------------===//

Attribute SchemeAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc start = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  std::optional<ScaleRule> rule;
  Granularity granularity = Granularity::Tensor;
  int64_t axis = -1, groupSize = 0;
  SmallVector<int64_t> block;
  Type scaleType, zeroType, elementType;
  bool first = true;
  // Each entry at most once, and one granularity (tensor, channel, group or
  // block): a repeated or conflicting entry is an error, not "last wins".
  llvm::StringMap<SMLoc> seen;
  std::optional<std::string> granularityKey;
  while (true) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key))
      return {};
    bool isGranularity = key == "tensor" || key == "channel" || key == "group" || key == "block";
    if (isGranularity && granularityKey) {
      parser.emitError(loc) << "scheme granularity '" << key << "' conflicts with '"
                            << *granularityKey << "' given before (a scheme has one)";
      return {};
    }
    if (isGranularity)
      granularityKey = key.str();
    else if (!seen.try_emplace(key, loc).second) {
      parser.emitError(loc) << "scheme entry '" << key << "' is given twice";
      return {};
    }
    if (first && succeeded(parser.parseOptionalGreater())) {
      if (SchemeAttr preset = getPreset(ctx, key))
        return preset;
      parser.emitError(loc) << "unknown scheme preset '" << key
                            << "'; expected one of mxfp8_e4m3, mxfp8_e5m2, "
                               "mxfp6_e3m2, mxfp6_e2m3, mxfp4, mxint8, nvfp4, "
                               "gptq_u4_g128, awq_u4_g128, int8_per_channel, or "
                               "key = value entries";
      return {};
    }
    first = false;
    if (key == "tensor" || key == "channel") {
      granularity = key == "tensor" ? Granularity::Tensor : Granularity::Channel;
    } else if (parser.parseEqual()) {
      return {};
    } else if (key == "rule") {
      StringRef name;
      SMLoc nameLoc = parser.getCurrentLocation();
      if (parser.parseKeyword(&name))
        return {};
      rule = symbolizeScaleRule(name);
      if (!rule) {
        parser.emitError(nameLoc) << "unknown scale rule '" << name
                                  << "'; expected mx, nvfp4, absmax, gptq, awq or min_offset";
        return {};
      }
    } else if (key == "group") {
      granularity = Granularity::Group;
      if (parser.parseInteger(groupSize))
        return {};
    } else if (key == "block") {
      granularity = Granularity::Block;
      if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
            return parser.parseInteger(block.emplace_back());
          }))
        return {};
    } else if (key == "axis") {
      if (parser.parseInteger(axis))
        return {};
    } else if (key == "scale") {
      if (parser.parseType(scaleType))
        return {};
    } else if (key == "zero" || key == "offset") {
      // Both fill the second per-group tensor's type; which key a rule
      // takes is checked once the rule is known.
      if (seen.count(key == "zero" ? "offset" : "zero")) {
        parser.emitError(loc) << "a scheme has a zero point or an offset, not both";
        return {};
      }
      if (parser.parseType(zeroType))
        return {};
    } else if (key == "element") {
      if (parser.parseType(elementType))
        return {};
    } else {
      parser.emitError(loc) << "unknown scheme entry '" << key
                            << "'; expected rule, tensor, channel, group, block, "
                               "axis, scale, zero, offset or element";
      return {};
    }
    if (succeeded(parser.parseOptionalGreater()))
      break;
    if (parser.parseComma())
      return {};
  }
  if (!rule) {
    parser.emitError(start)
        << "scheme needs a rule (rule = mx|nvfp4|absmax|gptq|awq|min_offset)";
    return {};
  }
  bool offsetRule = *rule == ScaleRule::MinOffset;
  if (auto it = seen.find(offsetRule ? "zero" : "offset"); it != seen.end()) {
    parser.emitError(it->second)
        << (offsetRule ? "rule 'min_offset' stores a float offset (offset = T), not a "
                         "zero point"
                       : "only rule 'min_offset' has an offset (offset = T)");
    return {};
  }
  if (!scaleType)
    scaleType = scaleTypeOfName(ctx, *rule == ScaleRule::MX      ? "f8E8M0FNU"
                                     : *rule == ScaleRule::NvFp4 ? "f8E4M3FN"
                                                                 : "f32");
  return SchemeAttr::getChecked([&] { return parser.emitError(start); }, ctx,
                                *rule, granularity, axis, groupSize, block,
                                scaleType, zeroType, elementType);
}

void SchemeAttr::print(AsmPrinter &printer) const {
  StringRef preset = getPresetName();
  if (!preset.empty()) {
    printer << "<" << preset << ">";
    return;
  }
  printer << "<rule = " << stringifyScaleRule(getRule()) << ", ";
  switch (getGranularity()) {
  case Granularity::Tensor:
    printer << "tensor";
    break;
  case Granularity::Channel:
    printer << "channel";
    break;
  case Granularity::Group:
    printer << "group = " << getGroupSize();
    break;
  case Granularity::Block:
    printer << "block = [" << getBlock()[0] << ", " << getBlock()[1] << "]";
    break;
  }
  if (getAxis() != -1)
    printer << ", axis = " << getAxis();
  printer << ", scale = " << getScaleType();
  if (getZeroType())
    printer << (hasOffset() ? ", offset = " : ", zero = ") << getZeroType();
  if (getElementType())
    printer << ", element = " << getElementType();
  printer << ">";
}
