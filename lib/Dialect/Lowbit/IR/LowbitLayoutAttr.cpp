//===- LowbitLayoutAttr.cpp - The layout attribute ------------------------===//
//
// Parsing reads MLIR tokens (the CuTe notation is made of parentheses,
// integers, commas and colons, all MLIR tokens), rebuilds the text and
// hands it to the lowbit/Layout parser, whose messages become diagnostics.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Layout/F2Layout.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::lowbit;
namespace lay = ::lowbit::layout;

namespace {
/// An integer tuple in CuTe notation, appended to `out` as text (nested at
/// most lay::kMaxLayoutDepth levels: the recursion must not overflow the
/// stack).
ParseResult parseTupleText(AsmParser &p, std::string &out, int depth = 0) {
  SMLoc loc = p.getCurrentLocation();
  if (succeeded(p.parseOptionalLParen())) {
    if (depth >= lay::kMaxLayoutDepth)
      return p.emitError(loc) << "layout nesting is deeper than " << lay::kMaxLayoutDepth
                              << " levels";
    out += '(';
    bool first = true;
    if (failed(p.parseOptionalRParen())) {
      do {
        if (!first)
          out += ',';
        first = false;
        if (parseTupleText(p, out, depth + 1))
          return failure();
      } while (succeeded(p.parseOptionalComma()));
      if (p.parseRParen())
        return failure();
    }
    out += ')';
    return success();
  }
  int64_t v;
  if (p.parseInteger(v))
    return failure();
  out += std::to_string(v);
  return success();
}
} // namespace

lay::Layout LayoutAttr::getAffineLayout() const { return *lay::parseLayout(getCute().str()); }

lay::Expected<lay::BitLayout> LayoutAttr::getBitLayout(int64_t rows, int64_t k) const {
  unsigned w = getElementBits();
  int64_t n = rows * k;
  switch (getBitKind()) {
  case BitLayoutKind::LSBFirst:
    return lay::BitLayout::lsbFirst(w, lay::IntTuple(n));
  case BitLayoutKind::MSBFirst:
    return lay::BitLayout::msbFirst(w, lay::IntTuple(n));
  case BitLayoutKind::Interleaved:
    return lay::BitLayout::interleaved(
        w, std::vector<int64_t>(getArgs().begin() + 1, getArgs().end()), n);
  case BitLayoutKind::Planes:
    return lay::BitLayout::planes(w, rows, k);
  case BitLayoutKind::PlanesTiled:
    return lay::BitLayout::planesTiled(w, rows, k, getArgs()[1]);
  case BitLayoutKind::NibblePlanes:
    return lay::BitLayout::nibblePlanes(w, rows, k, getArgs()[1]);
  case BitLayoutKind::NibbleLanes:
    return lay::BitLayout::nibbleLanes(w, rows, k, getArgs()[1]);
  }
  return lay::Expected<lay::BitLayout>::failure("unknown bit layout");
}

LogicalResult LayoutAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                                         function_ref<InFlightDiagnostic()> emitError) const {
  // A tensor encoding says where each code's bits are stored: only bit
  // layouts, for codes of their width, on a shape they fit.
  if (getKind() != LayoutKind::Bits)
    return emitError() << "a tensor encoding must be a bit layout (bits<...>), got " << *this;
  // The parser asks even when the element type failed to parse (found by
  // the mlir fuzz target): that error is reported already, and a null type
  // has nothing to check or print.
  if (!elementType)
    return failure();
  std::optional<::lowbit::num::Format> f = getFormat(elementType);
  if (!f || f->bits() != getElementBits())
    return emitError() << "the layout " << *this << " is for " << getElementBits()
                       << "-bit codes, not " << elementType;
  if (shape.empty() || shape.size() > 2 || llvm::any_of(shape, ShapedType::isDynamic))
    return emitError() << "a layout encodes a static vector or matrix of codes";
  auto bits = getBitLayout(shape.size() == 2 ? shape[0] : 1, shape.back());
  if (!bits)
    return emitError() << "the layout " << *this << " does not fit the shape: " << bits.error();
  return success();
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 LayoutKind kind, StringRef cute, BitLayoutKind bitKind,
                                 ArrayRef<int64_t> args) {
  switch (kind) {
  case LayoutKind::Affine: {
    lay::Expected<lay::Layout> l = lay::parseLayout(cute.str());
    if (!l)
      return emitError() << "invalid layout '" << cute << "': " << l.error();
    return success();
  }
  case LayoutKind::Swizzle: {
    if (args.size() != 3 || args[0] < 0 || args[1] < 0)
      return emitError() << "swizzle<B, M, S> needs B, M >= 0 and an integer S";
    auto bits = static_cast<unsigned>(args[0] + args[1] + std::abs(args[2]));
    auto f = lay::F2Layout::swizzle(args[0], args[1], static_cast<int>(args[2]), bits);
    if (!f)
      return emitError() << f.error();
    return success();
  }
  case LayoutKind::Bits: {
    if (args.empty() || args[0] < 1 || args[0] > 16)
      return emitError() << "bit layouts hold codes of 1 to 16 bits";
    if (bitKind == BitLayoutKind::PlanesTiled && (args.size() != 2 || args[1] < 1))
      return emitError() << "planes_tiled needs a positive word size: bits<planes_tiled, W, T>";
    if ((bitKind == BitLayoutKind::NibblePlanes || bitKind == BitLayoutKind::NibbleLanes) &&
        (args.size() != 2 || args[1] < 32 || args[1] % 32 != 0)) {
      StringRef name = stringifyBitLayoutKind(bitKind);
      return emitError() << name << " needs a block of a positive multiple of 32 k: bits<"
                         << name << ", W, B>";
    }
    if (bitKind == BitLayoutKind::Interleaved) {
      std::vector<int64_t> order(args.begin() + 1, args.end());
      if (order.empty())
        return emitError() << "interleaved needs the slot order: bits<interleaved, W, [...]>";
      auto l = lay::BitLayout::interleaved(static_cast<unsigned>(args[0]), order,
                                           static_cast<int64_t>(order.size()));
      if (!l)
        return emitError() << "invalid interleave: " << l.error();
    }
    if ((bitKind == BitLayoutKind::LSBFirst || bitKind == BitLayoutKind::MSBFirst ||
         bitKind == BitLayoutKind::Planes) &&
        args.size() != 1)
      return emitError() << "bits<" << stringifyBitLayoutKind(bitKind)
                         << ", W> takes only the code width";
    return success();
  }
  }
  return success();
}

Attribute LayoutAttr::parse(AsmParser &p, Type) {
  MLIRContext *ctx = p.getContext();
  SMLoc loc = p.getCurrentLocation();
  if (p.parseLess())
    return {};
  auto build = [&](LayoutKind kind, StringRef cute, BitLayoutKind bitKind,
                   ArrayRef<int64_t> args) -> Attribute {
    if (p.parseGreater())
      return {};
    return LayoutAttr::getChecked([&] { return p.emitError(loc); }, ctx, kind, cute, bitKind,
                                  args);
  };
  StringRef keyword;
  if (succeeded(p.parseOptionalKeyword(&keyword))) {
    SmallVector<int64_t> args;
    if (keyword == "swizzle") {
      if (p.parseLess())
        return {};
      if (p.parseCommaSeparatedList([&] { return p.parseInteger(args.emplace_back()); }) ||
          p.parseGreater())
        return {};
      return build(LayoutKind::Swizzle, "", BitLayoutKind::LSBFirst, args);
    }
    if (keyword == "bits") {
      StringRef kindName;
      SMLoc kindLoc;
      if (p.parseLess() || (kindLoc = p.getCurrentLocation(), p.parseKeyword(&kindName)))
        return {};
      std::optional<BitLayoutKind> bitKind = symbolizeBitLayoutKind(kindName);
      if (!bitKind) {
        p.emitError(kindLoc) << "unknown bit layout '" << kindName
                             << "'; expected lsb_first, msb_first, interleaved, planes, "
                                "planes_tiled, nibble_planes or nibble_lanes";
        return {};
      }
      while (succeeded(p.parseOptionalComma())) {
        if (succeeded(p.parseOptionalLSquare())) {
          if (p.parseCommaSeparatedList([&] { return p.parseInteger(args.emplace_back()); }) ||
              p.parseRSquare())
            return {};
          continue;
        }
        if (p.parseInteger(args.emplace_back()))
          return {};
      }
      if (p.parseGreater())
        return {};
      return build(LayoutKind::Bits, "", *bitKind, args);
    }
    p.emitError(loc) << "unknown layout form '" << keyword
                     << "'; expected a CuTe layout, swizzle<B, M, S> or bits<...>";
    return {};
  }
  std::string text;
  if (parseTupleText(p, text))
    return {};
  if (succeeded(p.parseOptionalColon())) {
    text += ':';
    if (parseTupleText(p, text))
      return {};
  }
  size_t column = 0;
  lay::Expected<lay::Layout> l = lay::parseLayout(text, &column);
  if (!l) {
    p.emitError(loc) << "invalid layout '" << text << "': " << l.error();
    return {};
  }
  std::string canonical = l->str();
  return build(LayoutKind::Affine, canonical, BitLayoutKind::LSBFirst, {});
}

void LayoutAttr::print(AsmPrinter &printer) const {
  printer << "<";
  switch (getKind()) {
  case LayoutKind::Affine:
    printer << getCute();
    break;
  case LayoutKind::Swizzle:
    printer << "swizzle<" << getArgs()[0] << ", " << getArgs()[1] << ", " << getArgs()[2]
            << ">";
    break;
  case LayoutKind::Bits:
    printer << "bits<" << stringifyBitLayoutKind(getBitKind()) << ", " << getArgs()[0];
    if (getBitKind() == BitLayoutKind::PlanesTiled || getBitKind() == BitLayoutKind::NibblePlanes ||
        getBitKind() == BitLayoutKind::NibbleLanes)
      printer << ", " << getArgs()[1];
    if (getBitKind() == BitLayoutKind::Interleaved) {
      printer << ", [";
      llvm::interleaveComma(getArgs().drop_front(), printer);
      printer << "]";
    }
    printer << ">";
    break;
  }
  printer << ">";
}
