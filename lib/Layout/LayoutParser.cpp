//===- LayoutParser.cpp - CuTe notation for tuples, layouts and tilers ----===//

#include "lowbit/Layout/Layout.h"

#include <cctype>

using namespace lowbit::layout;

namespace {
class Parser {
public:
  Parser(const std::string &text, size_t *errorColumn)
      : text(text), errorColumn(errorColumn) {}

  void skipSpace() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  bool atEnd() {
    skipSpace();
    return pos == text.size();
  }
  char peek() {
    skipSpace();
    return pos < text.size() ? text[pos] : '\0';
  }
  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  std::string fail(const std::string &what) {
    if (errorColumn)
      *errorColumn = pos;
    if (error.empty())
      error = what;
    return error;
  }
  std::string describeHere() {
    skipSpace();
    return pos < text.size() ? "'" + std::string(1, text[pos]) + "'" : "the end";
  }

  std::optional<IntTuple> tuple(int depth = 0) {
    if (consume('(')) {
      if (depth >= kMaxLayoutDepth) {
        fail("layout nesting is deeper than " + std::to_string(kMaxLayoutDepth) + " levels");
        return std::nullopt;
      }
      std::vector<IntTuple> elems;
      do {
        auto e = tuple(depth + 1);
        if (!e)
          return std::nullopt;
        elems.push_back(std::move(*e)); // a copy per level would be quadratic
      } while (consume(','));
      if (!consume(')')) {
        fail("expected ',' or ')' but found " + describeHere());
        return std::nullopt;
      }
      return IntTuple(std::move(elems));
    }
    return integer();
  }

  std::optional<IntTuple> integer() {
    skipSpace();
    size_t start = pos;
    if (pos < text.size() && text[pos] == '_') // CuTe's static marker
      ++pos;
    bool neg = pos < text.size() && text[pos] == '-';
    if (neg)
      ++pos;
    size_t digits = pos;
    int64_t v = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (v > (INT64_MAX - 9) / 10) {
        pos = digits;
        fail("integer too large");
        return std::nullopt;
      }
      v = v * 10 + (text[pos++] - '0');
    }
    if (pos == digits) {
      pos = start;
      fail("expected an integer or '(' but found " + describeHere());
      return std::nullopt;
    }
    return IntTuple(neg ? -v : v);
  }

  std::optional<Layout> layout() {
    size_t start = (skipSpace(), pos);
    auto shape = tuple();
    if (!shape)
      return std::nullopt;
    if (!consume(':')) {
      auto l = Layout::makeColumnMajor(*shape);
      if (!l) {
        pos = start;
        fail(l.error());
        return std::nullopt;
      }
      return *l;
    }
    size_t strideStart = (skipSpace(), pos);
    auto stride = tuple();
    if (!stride)
      return std::nullopt;
    auto l = Layout::make(*shape, *stride);
    if (!l) {
      pos = shape->congruent(*stride) ? start : strideStart;
      fail(l.error());
      return std::nullopt;
    }
    return *l;
  }

  std::string text;
  size_t pos = 0;
  size_t *errorColumn;
  std::string error;
};

template <class T> Expected<T> finish(Parser &p, std::optional<T> v) {
  if (v && !p.atEnd()) {
    p.fail("unexpected " + p.describeHere() + " after the end");
    v.reset();
  }
  if (!v)
    return Expected<T>::failure(p.error);
  return *v;
}
} // namespace

Expected<IntTuple> lowbit::layout::parseIntTuple(const std::string &text, size_t *col) {
  Parser p(text, col);
  return finish(p, p.tuple());
}

Expected<Layout> lowbit::layout::parseLayout(const std::string &text, size_t *col) {
  Parser p(text, col);
  return finish(p, p.layout());
}

Expected<Tiler> lowbit::layout::parseTiler(const std::string &text, size_t *col) {
  Parser p(text, col);
  char open = p.peek();
  if (open == '<' || open == '[') {
    char close = open == '<' ? '>' : ']';
    p.consume(open);
    Tiler t;
    do {
      auto l = p.layout();
      if (!l)
        return finish<Tiler>(p, std::nullopt);
      t.push_back(*l);
    } while (p.consume(','));
    if (!p.consume(close)) {
      p.fail(std::string("expected ',' or '") + close + "' but found " + p.describeHere());
      return finish<Tiler>(p, std::nullopt);
    }
    return finish<Tiler>(p, t);
  }
  // A bare shape: one s:1 layout per top-level mode.
  auto shape = p.tuple();
  if (!shape)
    return finish<Tiler>(p, std::nullopt);
  if (p.peek() == ':') {
    p.fail("a tiler is written <L0, L1, ...> or as a shape; for one layout write <" +
           text + ">");
    return finish<Tiler>(p, std::nullopt);
  }
  Tiler t;
  for (size_t i = 0; i < shape->rank(); ++i)
    t.push_back(Layout::columnMajor(shape->mode(i)));
  return finish<Tiler>(p, t);
}

std::string lowbit::layout::tilerStr(const Tiler &t) {
  std::string s = "<";
  for (size_t i = 0; i < t.size(); ++i)
    s += (i ? ", " : "") + t[i].str();
  return s + ">";
}
