//===- FormatParser.cpp - Parse format names for tools and tests ----------===//
//
// Accepts exactly the dialect's type syntax without the "!lowbit." prefix
// (the prefix itself is tolerated) and MLIR builtin float names. Used by
// lowbit-num and the runtime, which must not depend on the MLIR parser. The
// dialect's own parser is in lib/Dialect/Lowbit/IR and shares the parameter
// checks (Format::check*), so both give the same diagnostics.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/Format.h"

#include <cctype>

using namespace lowbit::num;

namespace {
class Lexer {
public:
  explicit Lexer(const std::string &s) : text(s) {}

  void skipSpace() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  size_t column() {
    skipSpace();
    return pos;
  }
  bool atEnd() { return column() == text.size(); }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  std::string identifier() {
    skipSpace();
    size_t start = pos;
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_'))
      ++pos;
    return text.substr(start, pos - start);
  }
  std::optional<int64_t> integer() {
    skipSpace();
    size_t start = pos;
    bool neg = false;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+'))
      neg = text[pos++] == '-';
    size_t digits = pos;
    int64_t v = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      v = v * 10 + (text[pos++] - '0');
      if (v > (1ll << 40))
        break;
    }
    if (pos == digits) {
      pos = start;
      return std::nullopt;
    }
    return neg ? -v : v;
  }

  const std::string &text;
  size_t pos = 0;
};

struct Failure {
  std::string &error;
  size_t *column;
  std::optional<Format> operator()(size_t col, std::string msg) {
    error = std::move(msg);
    if (column)
      *column = col;
    return std::nullopt;
  }
};

// Parses "eXmY" (already lexed as one identifier).
bool splitExponentMantissa(const std::string &id, int64_t &e, int64_t &m) {
  if (id.size() < 4 || id[0] != 'e')
    return false;
  size_t mpos = id.find('m');
  if (mpos == std::string::npos || mpos == 1 || mpos + 1 == id.size())
    return false;
  for (size_t i = 1; i < id.size(); ++i)
    if (i != mpos && !std::isdigit(static_cast<unsigned char>(id[i])))
      return false;
  if (mpos > 4 || id.size() - mpos > 4)
    return false;
  e = std::stoll(id.substr(1, mpos - 1));
  m = std::stoll(id.substr(mpos + 1));
  return true;
}
} // namespace

std::optional<Format> Format::parse(const std::string &input, std::string &error,
                                    size_t *errorColumn) {
  Failure fail{error, errorColumn};
  const std::string &text = input;
  Lexer lex(text);
  lex.skipSpace();
  if (text.compare(lex.pos, 8, "!lowbit.") == 0)
    lex.pos += 8;

  size_t nameCol = lex.column();
  std::string name = lex.identifier();
  if (name.empty())
    return fail(nameCol, "expected a format name (int<N>, ternary, float<eEmM>, "
                         "posit<N, ES> or an MLIR float type such as f8E4M3FN)");

  std::optional<Format> result;
  if (auto b = builtinFloatFromName(name)) {
    result = builtin(*b);
  } else if (name == "ternary") {
    result = ternary();
  } else if (name == "int" || name == "posit") {
    if (!lex.consume('<'))
      return fail(lex.column(), "expected '<' after '" + name + "'");
    size_t nCol = lex.column();
    auto n = lex.integer();
    if (!n)
      return fail(nCol, "expected an integer width");
    if (name == "int") {
      IntEncoding enc = IntEncoding::Signed;
      if (lex.consume(',')) {
        size_t encCol = lex.column();
        std::string encName = lex.identifier();
        if (encName == "signed")
          enc = IntEncoding::Signed;
        else if (encName == "unsigned")
          enc = IntEncoding::Unsigned;
        else if (encName == "bipolar")
          enc = IntEncoding::Bipolar;
        else
          return fail(encCol, "unknown integer encoding '" + encName +
                                  "' (expected signed, unsigned or bipolar)");
      }
      std::string err = checkInt(*n, enc);
      if (!err.empty())
        return fail(nCol, err);
      result = integer(static_cast<unsigned>(*n), enc);
    } else {
      if (!lex.consume(','))
        return fail(lex.column(), "expected ',' and the exponent size ES");
      size_t esCol = lex.column();
      auto es = lex.integer();
      if (!es)
        return fail(esCol, "expected an integer exponent size ES");
      std::string err = checkPosit(*n, *es);
      if (!err.empty())
        return fail(err.rfind("posit width", 0) == 0 ? nCol : esCol, err);
      result = posit(static_cast<unsigned>(*n), static_cast<unsigned>(*es));
    }
    if (!lex.consume('>'))
      return fail(lex.column(), "expected '>'");
  } else if (name == "float") {
    if (!lex.consume('<'))
      return fail(lex.column(), "expected '<' after 'float'");
    size_t emCol = lex.column();
    std::string em = lex.identifier();
    int64_t e = 0, m = 0;
    if (!splitExponentMantissa(em, e, m))
      return fail(emCol, "expected 'eEmM' (for example e4m3), got '" + em + "'");
    FloatKind kind = FloatKind::Finite;
    std::optional<int64_t> bias;
    bool subnormals = true;
    size_t biasCol = emCol;
    while (lex.consume(',')) {
      size_t col = lex.column();
      std::string key = lex.identifier();
      if (auto k = floatKindFromName(key)) {
        kind = *k;
      } else if (key == "bias") {
        if (!lex.consume('='))
          return fail(lex.column(), "expected '=' after 'bias'");
        biasCol = lex.column();
        bias = lex.integer();
        if (!bias)
          return fail(biasCol, "expected an integer bias");
      } else if (key == "nosubnormal") {
        subnormals = false;
      } else {
        return fail(col, "unknown float parameter '" + key +
                             "' (expected finite, ieee, fn, fnuz, unsigned, "
                             "bias = B or nosubnormal)");
      }
    }
    std::string err = checkFloat(e, m, kind, bias, subnormals);
    if (!err.empty())
      return fail(err.rfind("bias", 0) == 0 ? biasCol : emCol, err);
    std::optional<int> b;
    if (bias)
      b = static_cast<int>(*bias);
    result = minifloat(static_cast<unsigned>(e), static_cast<unsigned>(m), kind,
                       b, subnormals);
    if (!lex.consume('>'))
      return fail(lex.column(), "expected ',' or '>'");
  } else {
    return fail(nameCol, "unknown format '" + name + "'");
  }
  if (!lex.atEnd())
    return fail(lex.column(), "unexpected text after the format");
  return result;
}
