//===- LowbitTypes.cpp - lowbit element types -----------------------------===//
//
// Parameter checks come from lowbit::num::Format::check*, the same functions
// lowbit-num uses, so the dialect and the tools accept exactly the same
// formats and say the same thing about bad ones. The printed form is
// Format::str(), the one spelling of a format everywhere.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lowbit;
namespace num = ::lowbit::num;

#include "lowbit/Dialect/Lowbit/IR/LowbitTypeInterfaces.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.cpp.inc"

void LowbitDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.cpp.inc"
      >();
}

namespace {
// Prints the part of Format::str() after the mnemonic ("<e4m3, fn>").
void printFormatParameters(AsmPrinter &printer, const num::Format &format,
                           StringRef mnemonic) {
  std::string s = format.str();
  printer << StringRef(s).drop_front(mnemonic.size());
}

LogicalResult emitIfError(function_ref<InFlightDiagnostic()> emitError,
                          const std::string &message) {
  if (message.empty())
    return success();
  return emitError() << message;
}
} // namespace

//===----------------------------------------------------------------------===//
// IntType
//===----------------------------------------------------------------------===//

LogicalResult IntType::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned width, num::IntEncoding encoding) {
  return emitIfError(emitError, num::Format::checkInt(width, encoding));
}

num::Format IntType::getFormat() const {
  return num::Format::integer(getWidth(), getEncoding());
}

Type IntType::parse(AsmParser &parser) {
  int64_t width;
  num::IntEncoding encoding = num::IntEncoding::Signed;
  if (parser.parseLess())
    return {};
  SMLoc widthLoc = parser.getCurrentLocation();
  if (parser.parseInteger(width))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc encLoc = parser.getCurrentLocation();
    StringRef kw;
    if (parser.parseKeyword(&kw))
      return {};
    if (kw == "signed")
      encoding = num::IntEncoding::Signed;
    else if (kw == "unsigned")
      encoding = num::IntEncoding::Unsigned;
    else if (kw == "bipolar")
      encoding = num::IntEncoding::Bipolar;
    else {
      parser.emitError(encLoc) << "unknown integer encoding '" << kw
                               << "' (expected signed, unsigned or bipolar)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  std::string err = num::Format::checkInt(width, encoding);
  if (!err.empty()) {
    parser.emitError(widthLoc) << err;
    return {};
  }
  return IntType::get(parser.getContext(), width, encoding);
}

void IntType::print(AsmPrinter &printer) const {
  printFormatParameters(printer, getFormat(), getMnemonic());
}

//===----------------------------------------------------------------------===//
// TernaryType
//===----------------------------------------------------------------------===//

num::Format TernaryType::getFormat() const { return num::Format::ternary(); }

//===----------------------------------------------------------------------===//
// MiniFloatType
//===----------------------------------------------------------------------===//

LogicalResult MiniFloatType::verify(function_ref<InFlightDiagnostic()> emitError,
                                    unsigned e, unsigned m, num::FloatKind kind,
                                    int bias, bool subnormals) {
  if (failed(emitIfError(emitError,
                         num::Format::checkFloat(e, m, kind, bias, subnormals))))
    return failure();
  if (subnormals && !num::Format::canHaveSubnormals(e, m))
    return emitError() << "internal: subnormals must be off when M = 0 (use "
                          "the MiniFloatType builder, which normalizes this)";
  return success();
}

num::Format MiniFloatType::getFormat() const {
  return num::Format::minifloat(getExponentBits(), getMantissaBits(), getKind(),
                                getBias(), getSubnormals());
}

Type MiniFloatType::parse(AsmParser &parser) {
  if (parser.parseLess())
    return {};
  SMLoc emLoc = parser.getCurrentLocation();
  StringRef em;
  if (parser.parseKeyword(&em))
    return {};
  int64_t e = -1, m = -1;
  {
    // "eEmM": 'e', digits, 'm', digits.
    StringRef rest = em;
    if (!rest.consume_front("e") || rest.consumeInteger(10, e) ||
        !rest.consume_front("m") || rest.consumeInteger(10, m) || !rest.empty()) {
      parser.emitError(emLoc) << "expected 'eEmM' (for example e4m3), got '"
                              << em << "'";
      return {};
    }
  }
  num::FloatKind kind = num::FloatKind::Finite;
  std::optional<int64_t> bias;
  bool subnormals = true;
  SMLoc biasLoc = emLoc;
  // Each parameter at most once, and one kind: a conflict is an error, not
  // "last wins".
  std::optional<std::string> kindKey;
  bool seenBias = false, seenNoSubnormal = false;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key))
      return {};
    if (auto k = num::floatKindFromName(key.str())) {
      if (kindKey) {
        parser.emitError(keyLoc) << "float kind '" << key << "' conflicts with '" << *kindKey
                                 << "' given before (a float has one kind)";
        return {};
      }
      kindKey = key.str();
      kind = *k;
    } else if ((key == "bias" && seenBias) || (key == "nosubnormal" && seenNoSubnormal)) {
      parser.emitError(keyLoc) << "float parameter '" << key << "' is given twice";
      return {};
    } else if (key == "bias") {
      seenBias = true;
      if (parser.parseEqual())
        return {};
      biasLoc = parser.getCurrentLocation();
      int64_t b;
      if (parser.parseInteger(b))
        return {};
      bias = b;
    } else if (key == "nosubnormal") {
      seenNoSubnormal = true;
      subnormals = false;
    } else {
      parser.emitError(keyLoc)
          << "unknown float parameter '" << key
          << "' (expected finite, ieee, fn, fnuz, unsigned, bias = B or "
             "nosubnormal)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  std::string err = num::Format::checkFloat(e, m, kind, bias, subnormals);
  if (!err.empty()) {
    parser.emitError(StringRef(err).starts_with("bias") ? biasLoc : emLoc) << err;
    return {};
  }
  std::optional<int> b;
  if (bias)
    b = static_cast<int>(*bias);
  return MiniFloatType::get(parser.getContext(), e, m, kind, b, subnormals);
}

void MiniFloatType::print(AsmPrinter &printer) const {
  printFormatParameters(printer, getFormat(), getMnemonic());
}

//===----------------------------------------------------------------------===//
// PositType
//===----------------------------------------------------------------------===//

LogicalResult PositType::verify(function_ref<InFlightDiagnostic()> emitError,
                                unsigned width, unsigned es) {
  return emitIfError(emitError, num::Format::checkPosit(width, es));
}

num::Format PositType::getFormat() const {
  return num::Format::posit(getWidth(), getEs());
}

Type PositType::parse(AsmParser &parser) {
  int64_t n, es;
  if (parser.parseLess())
    return {};
  SMLoc nLoc = parser.getCurrentLocation();
  if (parser.parseInteger(n) || parser.parseComma())
    return {};
  SMLoc esLoc = parser.getCurrentLocation();
  if (parser.parseInteger(es) || parser.parseGreater())
    return {};
  std::string err = num::Format::checkPosit(n, es);
  if (!err.empty()) {
    parser.emitError(StringRef(err).starts_with("posit width") ? nLoc : esLoc)
        << err;
    return {};
  }
  return PositType::get(parser.getContext(), n, es);
}

void PositType::print(AsmPrinter &printer) const {
  printFormatParameters(printer, getFormat(), getMnemonic());
}

//===----------------------------------------------------------------------===//
// Builtin equivalence
//===----------------------------------------------------------------------===//

Type mlir::lowbit::getBuiltinType(MLIRContext *ctx, const num::Format &format) {
  auto b = format.builtinEquivalent();
  if (!b)
    return {};
  Builder builder(ctx);
  switch (*b) {
  case num::BuiltinFloat::F8E4M3FN: return builder.getType<Float8E4M3FNType>();
  case num::BuiltinFloat::F8E5M2: return builder.getType<Float8E5M2Type>();
  case num::BuiltinFloat::F8E4M3: return builder.getType<Float8E4M3Type>();
  case num::BuiltinFloat::F8E5M2FNUZ: return builder.getType<Float8E5M2FNUZType>();
  case num::BuiltinFloat::F8E4M3FNUZ: return builder.getType<Float8E4M3FNUZType>();
  case num::BuiltinFloat::F8E4M3B11FNUZ:
    return builder.getType<Float8E4M3B11FNUZType>();
  case num::BuiltinFloat::F8E3M4: return builder.getType<Float8E3M4Type>();
  case num::BuiltinFloat::F6E3M2FN: return builder.getType<Float6E3M2FNType>();
  case num::BuiltinFloat::F6E2M3FN: return builder.getType<Float6E2M3FNType>();
  case num::BuiltinFloat::F4E2M1FN: return builder.getType<Float4E2M1FNType>();
  case num::BuiltinFloat::F8E8M0FNU: return builder.getType<Float8E8M0FNUType>();
  case num::BuiltinFloat::F16: return builder.getF16Type();
  case num::BuiltinFloat::BF16: return builder.getBF16Type();
  case num::BuiltinFloat::TF32: return builder.getTF32Type();
  case num::BuiltinFloat::F32: return builder.getF32Type();
  }
  return {};
}

Type mlir::lowbit::getLowbitType(MLIRContext *ctx, const num::Format &f) {
  switch (f.family()) {
  case num::Family::Int: return IntType::get(ctx, f.bits(), f.intEncoding());
  case num::Family::Ternary: return TernaryType::get(ctx);
  case num::Family::Posit: return PositType::get(ctx, f.bits(), f.positES());
  case num::Family::Float:
    return MiniFloatType::get(ctx, f.exponentBits(), f.mantissaBits(),
                              f.floatKind(), f.bias(), f.hasSubnormals());
  }
  return {};
}

namespace {
std::optional<num::BuiltinFloat> builtinFloatOf(Type t) {
  return TypeSwitch<Type, std::optional<num::BuiltinFloat>>(t)
      .Case([](Float8E4M3FNType) { return num::BuiltinFloat::F8E4M3FN; })
      .Case([](Float8E5M2Type) { return num::BuiltinFloat::F8E5M2; })
      .Case([](Float8E4M3Type) { return num::BuiltinFloat::F8E4M3; })
      .Case([](Float8E5M2FNUZType) { return num::BuiltinFloat::F8E5M2FNUZ; })
      .Case([](Float8E4M3FNUZType) { return num::BuiltinFloat::F8E4M3FNUZ; })
      .Case([](Float8E4M3B11FNUZType) { return num::BuiltinFloat::F8E4M3B11FNUZ; })
      .Case([](Float8E3M4Type) { return num::BuiltinFloat::F8E3M4; })
      .Case([](Float6E3M2FNType) { return num::BuiltinFloat::F6E3M2FN; })
      .Case([](Float6E2M3FNType) { return num::BuiltinFloat::F6E2M3FN; })
      .Case([](Float4E2M1FNType) { return num::BuiltinFloat::F4E2M1FN; })
      .Case([](Float8E8M0FNUType) { return num::BuiltinFloat::F8E8M0FNU; })
      .Case([](Float16Type) { return num::BuiltinFloat::F16; })
      .Case([](BFloat16Type) { return num::BuiltinFloat::BF16; })
      .Case([](FloatTF32Type) { return num::BuiltinFloat::TF32; })
      .Case([](Float32Type) { return num::BuiltinFloat::F32; })
      .Default([](Type) { return std::nullopt; });
}

template <typename ConcreteType>
struct BuiltinFormatModel
    : public LowbitFormatTypeInterface::ExternalModel<
          BuiltinFormatModel<ConcreteType>, ConcreteType> {
  num::Format getFormat(Type type) const {
    return num::Format::builtin(*builtinFloatOf(type));
  }
};
} // namespace

std::optional<num::Format> mlir::lowbit::getFormat(Type type) {
  if (!type) // e.g. the element type of a tensor type that failed to parse
    return std::nullopt;
  if (auto iface = dyn_cast<LowbitFormatTypeInterface>(type))
    return iface.getFormat();
  if (auto b = builtinFloatOf(type))
    return num::Format::builtin(*b);
  if (auto it = dyn_cast<IntegerType>(type)) {
    if (it.getWidth() < 1 || it.getWidth() > 32)
      return std::nullopt;
    return num::Format::integer(it.getWidth(), it.isUnsigned()
                                                   ? num::IntEncoding::Unsigned
                                                   : num::IntEncoding::Signed);
  }
  return std::nullopt;
}

void mlir::lowbit::registerBuiltinFormatInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, BuiltinDialect *) {
    Float8E4M3FNType::attachInterface<BuiltinFormatModel<Float8E4M3FNType>>(*ctx);
    Float8E5M2Type::attachInterface<BuiltinFormatModel<Float8E5M2Type>>(*ctx);
    Float8E4M3Type::attachInterface<BuiltinFormatModel<Float8E4M3Type>>(*ctx);
    Float8E5M2FNUZType::attachInterface<BuiltinFormatModel<Float8E5M2FNUZType>>(*ctx);
    Float8E4M3FNUZType::attachInterface<BuiltinFormatModel<Float8E4M3FNUZType>>(*ctx);
    Float8E4M3B11FNUZType::attachInterface<
        BuiltinFormatModel<Float8E4M3B11FNUZType>>(*ctx);
    Float8E3M4Type::attachInterface<BuiltinFormatModel<Float8E3M4Type>>(*ctx);
    Float6E3M2FNType::attachInterface<BuiltinFormatModel<Float6E3M2FNType>>(*ctx);
    Float6E2M3FNType::attachInterface<BuiltinFormatModel<Float6E2M3FNType>>(*ctx);
    Float4E2M1FNType::attachInterface<BuiltinFormatModel<Float4E2M1FNType>>(*ctx);
    Float8E8M0FNUType::attachInterface<BuiltinFormatModel<Float8E8M0FNUType>>(*ctx);
    Float16Type::attachInterface<BuiltinFormatModel<Float16Type>>(*ctx);
    BFloat16Type::attachInterface<BuiltinFormatModel<BFloat16Type>>(*ctx);
    FloatTF32Type::attachInterface<BuiltinFormatModel<FloatTF32Type>>(*ctx);
    Float32Type::attachInterface<BuiltinFormatModel<Float32Type>>(*ctx);
  });
}
