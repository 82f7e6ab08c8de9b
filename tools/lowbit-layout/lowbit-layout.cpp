//===- lowbit-layout.cpp - Look at and compute with CuTe-style layouts ----===//
//
//   lowbit-layout eval LAYOUT COORD|INDEX
//   lowbit-layout coalesce LAYOUT
//   lowbit-layout compose A B|TILER
//   lowbit-layout complement A [M]
//   lowbit-layout divide|zipped-divide|tiled-divide|flat-divide A B|TILER
//   lowbit-layout product|blocked-product|raked-product A B
//   lowbit-layout inverse A            (right inverse; left-inverse A too)
//   lowbit-layout show LAYOUT [--svg FILE] [--tv M,N]
//
// Results are printed in the notation the arguments use. Bad input gets a
// message pointing at the offending character and exit code 1; usage errors
// exit with 2.
//
//===----------------------------------------------------------------------===//

#include "LayoutDrawing.h"

#include "lowbit/Layout/Layout.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace lowbit::layout;

namespace {
const char *kUsage =
    "usage: lowbit-layout VERB ARGS...\n"
    "  eval LAYOUT COORD|INDEX     offset of a coordinate or linear index\n"
    "  coalesce LAYOUT             the same function with the fewest modes\n"
    "  compose A B|TILER           A o B (a tiler <L0, L1> or a shape composes by mode)\n"
    "  complement A [M]            the complement of A up to M (default cosize(A))\n"
    "  divide A B|TILER            logical divide; also zipped-divide, tiled-divide,\n"
    "                              flat-divide\n"
    "  product A B|TILER           logical product; also blocked-product, raked-product\n"
    "  inverse A                   right inverse; left-inverse A for the left one\n"
    "  show LAYOUT [--svg FILE] [--tv M,N]\n"
    "                              the layout as a grid of offsets (rank 1 or 2); with\n"
    "                              --tv, a (thread, value) layout over an M x N tile\n"
    "LAYOUT is CuTe notation, e.g. (4,(2,2)):(2,(1,8)); a shape alone is column-major.\n";

int usage(const std::string &msg) {
  std::fprintf(stderr, "lowbit-layout: error: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

int fail(const std::string &msg) {
  std::fprintf(stderr, "lowbit-layout: error: %s\n", msg.c_str());
  return 1;
}

// A parse error with the argument and a caret under the offending column.
int parseError(const char *what, const std::string &arg, const std::string &msg,
               size_t col) {
  std::fprintf(stderr, "lowbit-layout: error: %s '%s': %s\n  %s\n  %s^\n", what,
               arg.c_str(), msg.c_str(), arg.c_str(), std::string(col, ' ').c_str());
  return 1;
}

bool looksLikeTiler(const std::string &s) {
  size_t i = s.find_first_not_of(" \t");
  if (i != std::string::npos && (s[i] == '<' || s[i] == '['))
    return true;
  return s.find(':') == std::string::npos; // a bare shape
}

struct Operand {
  bool isTiler = false;
  Layout layout;
  Tiler tiler;
};

template <class T> int print(const Expected<T> &r) {
  if (!r)
    return fail(r.error());
  std::printf("%s\n", r->str().c_str());
  return 0;
}
/// The most cells `show` draws (a 256 x 256 grid): a picture is for reading,
/// and each cell costs hundreds of bytes of text and SVG.
constexpr int64_t kMaxShowCells = int64_t(1) << 16;

std::string tooLarge(int64_t cells) {
  return "show draws at most " + std::to_string(kMaxShowCells) + " cells, this has " +
         (cells < 0 ? std::string("more than 2^63") : std::to_string(cells)) +
         "; draw a smaller layout or tile";
}

// The show verb: a text grid, and the SVG picture when asked for.
int show(const Layout &l, const std::string &svgFile, const std::string &tvTile) {
  std::string picture, svgText;
  if (!tvTile.empty()) {
    size_t col = 0;
    std::string tile = "(" + tvTile + ")";
    auto mn = parseIntTuple(tile, &col);
    if (!mn || mn->rank() != 2 || !mn->mode(0).isLeaf() || !mn->mode(1).isLeaf() ||
        mn->mode(0).value() <= 0 || mn->mode(1).value() <= 0)
      return parseError("--tv", tvTile, mn ? "expected M,N" : mn.error(),
                        col > 0 ? col - 1 : 0);
    int64_t m = mn->mode(0).value(), n = mn->mode(1).value(), cells;
    if (__builtin_mul_overflow(m, n, &cells) || cells > kMaxShowCells)
      return fail(tooLarge(__builtin_mul_overflow(m, n, &cells) ? -1 : cells));
    if (std::string why = checkThreadValue(l, m, n); !why.empty())
      return fail(why);
    picture = drawThreadValueText(l, m, n);
    svgText = drawThreadValueSvg(l, m, n);
  } else {
    if (l.size() > kMaxShowCells)
      return fail(tooLarge(l.size()));
    if (std::string why = checkDrawable(l); !why.empty())
      return fail(why);
    picture = drawText(l);
    svgText = drawSvg(l);
  }
  std::printf("%s", picture.c_str());
  if (!svgFile.empty()) {
    std::ofstream out(svgFile);
    if (!out || !(out << svgText))
      return fail("cannot write '" + svgFile + "'");
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usage("missing verb");
  std::string verb = argv[1];
  if (verb == "-h" || verb == "--help") {
    std::printf("%s", kUsage);
    return 0;
  }
  std::vector<std::string> args;
  std::string svgFile, tvTile;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto flagValue = [&](const char *flag, std::string &out) {
      size_t n = std::strlen(flag);
      if (a.compare(0, n, flag) == 0 && a.size() > n && a[n] == '=') {
        out = a.substr(n + 1);
        return true;
      }
      if (a == flag && i + 1 < argc) {
        out = argv[++i];
        return true;
      }
      return false;
    };
    if (flagValue("--svg", svgFile) || flagValue("--tv", tvTile))
      continue;
    if (a.size() > 1 && a[0] == '-' && a[1] == '-')
      return usage("unknown option '" + a + "'");
    args.push_back(a);
  }

  // Every verb takes a layout first; the table gives the argument counts.
  struct VerbSpec {
    const char *name;
    size_t minArgs, maxArgs;
  };
  static const VerbSpec kVerbs[] = {
      {"eval", 2, 2},          {"coalesce", 1, 1},        {"inverse", 1, 1},
      {"left-inverse", 1, 1},  {"complement", 1, 2},      {"compose", 2, 2},
      {"divide", 2, 2},        {"zipped-divide", 2, 2},   {"tiled-divide", 2, 2},
      {"flat-divide", 2, 2},   {"product", 2, 2},         {"blocked-product", 2, 2},
      {"raked-product", 2, 2}, {"show", 1, 1}};
  const VerbSpec *spec = nullptr;
  for (const VerbSpec &v : kVerbs)
    if (verb == v.name)
      spec = &v;
  if (!spec)
    return usage("unknown verb '" + verb + "'");
  if (args.size() < spec->minArgs || args.size() > spec->maxArgs)
    return usage("'" + verb + "' takes " + std::to_string(spec->minArgs) +
                 (spec->maxArgs != spec->minArgs ? ".." + std::to_string(spec->maxArgs)
                                                 : std::string()) +
                 " arguments, got " + std::to_string(args.size()));

  auto parseA = [&](const std::string &s, Layout &out) -> int {
    size_t col = 0;
    auto l = parseLayout(s, &col);
    if (!l)
      return parseError("layout", s, l.error(), col);
    out = *l;
    return 0;
  };
  auto parseB = [&](const std::string &s, Operand &out) -> int {
    size_t col = 0;
    if (looksLikeTiler(s)) {
      auto t = parseTiler(s, &col);
      if (!t)
        return parseError("tiler", s, t.error(), col);
      out.isTiler = true;
      out.tiler = *t;
      return 0;
    }
    return parseA(s, out.layout);
  };
  Layout a;
  if (int rc = parseA(args[0], a))
    return rc;

  if (verb == "eval") {
    size_t col = 0;
    auto c = parseIntTuple(args[1], &col);
    if (!c)
      return parseError("coordinate", args[1], c.error(), col);
    auto off = a.eval(*c);
    if (!off)
      return fail(off.error());
    std::printf("%lld\n", static_cast<long long>(*off));
    return 0;
  }
  if (verb == "coalesce")
    return print(Expected<Layout>(a.coalesce()));
  if (verb == "inverse")
    return print(Expected<Layout>(rightInverse(a)));
  if (verb == "left-inverse")
    return print(leftInverse(a));
  if (verb == "complement") {
    if (args.size() == 1)
      return print(complement(a));
    size_t col = 0;
    auto m = parseIntTuple(args[1], &col);
    if (!m || !m->isLeaf() || m->value() <= 0)
      return parseError("cotarget", args[1], m ? "expected a positive integer" : m.error(),
                        col);
    return print(complement(a, m->value()));
  }
  if (verb == "show")
    return show(a, svgFile, tvTile);

  // The binary verbs.
  Operand b;
  if (int rc = parseB(args[1], b))
    return rc;
  bool blockOrRake = verb == "blocked-product" || verb == "raked-product";
  if (blockOrRake && b.isTiler) {
    // A shape (or tiler) as B: its modes side by side.
    b.layout = Layout::concat(b.tiler);
    b.isTiler = false;
  }
  if (verb == "compose")
    return print(b.isTiler ? composition(a, b.tiler) : composition(a, b.layout));
  if (verb == "divide")
    return print(b.isTiler ? logicalDivide(a, b.tiler) : logicalDivide(a, b.layout));
  if (verb == "product")
    return print(b.isTiler ? logicalProduct(a, b.tiler) : logicalProduct(a, b.layout));
  if (verb == "blocked-product")
    return print(blockedProduct(a, b.layout));
  if (verb == "raked-product")
    return print(rakedProduct(a, b.layout));
  if (verb == "zipped-divide")
    return print(b.isTiler ? zippedDivide(a, b.tiler) : zippedDivide(a, b.layout));
  if (verb == "tiled-divide")
    return print(b.isTiler ? tiledDivide(a, b.tiler) : tiledDivide(a, b.layout));
  return print(b.isTiler ? flatDivide(a, b.tiler) : flatDivide(a, b.layout));
}
