//===- LayoutDrawing.cpp - Layouts as grids of offsets --------------------===//

#include "LayoutDrawing.h"

#include <algorithm>
#include <vector>

using namespace lowbit::layout;

namespace {
struct Grid {
  int64_t rows = 0, cols = 0;
  std::vector<std::string> text; // row-major
  std::vector<int64_t> colour;   // palette index per cell, -1 for empty
};

// Pastel colours as in CuTe's pictures; 8 are enough to tell neighbours.
const char *const kPalette[] = {"#AFAFFF", "#AFFFAF", "#FFFFAF", "#FFAFAF",
                                "#D2D2FF", "#D2FFD2", "#FFFFD2", "#FFD2D2"};

Grid offsetsGrid(const Layout &l) {
  Grid g;
  Layout rowsMode = l.rank() == 1 ? Layout(1, 0) : l.mode(0);
  Layout colsMode = l.rank() == 1 ? l : l.mode(1);
  g.rows = rowsMode.size();
  g.cols = colsMode.size();
  for (int64_t r = 0; r < g.rows; ++r)
    for (int64_t c = 0; c < g.cols; ++c) {
      int64_t off = rowsMode(r) + colsMode(c);
      g.text.push_back(std::to_string(off));
      g.colour.push_back(((off % 8) + 8) % 8);
    }
  return g;
}

Grid threadValueGrid(const Layout &tv, int64_t m, int64_t n) {
  Grid g;
  g.rows = m;
  g.cols = n;
  g.text.assign(m * n, "");
  g.colour.assign(m * n, -1);
  Layout threads = tv.mode(0), values = tv.mode(1);
  for (int64_t v = 0; v < values.size(); ++v)
    for (int64_t t = 0; t < threads.size(); ++t) {
      int64_t idx = threads(t) + values(v);
      int64_t cell = (idx % m) * n + idx / m; // column-major tile -> row-major grid
      if (g.text[cell].empty()) {
        g.text[cell] = "T" + std::to_string(t) + "V" + std::to_string(v);
        g.colour[cell] = t % 8;
      }
    }
  return g;
}

std::string text(const Grid &g, const std::string &title) {
  size_t w = 1;
  for (const std::string &s : g.text)
    w = std::max(w, s.size());
  w = std::max<size_t>(w, std::to_string(g.cols - 1).size());
  auto pad = [](const std::string &s, size_t width) {
    return std::string(width - std::min(width, s.size()), ' ') + s;
  };
  size_t label = std::to_string(g.rows - 1).size();
  std::string rule = std::string(label + 1, ' ') + "+";
  for (int64_t c = 0; c < g.cols; ++c)
    rule += std::string(w + 2, '-') + "+";
  std::string out = title + "\n" + std::string(label + 1, ' ');
  for (int64_t c = 0; c < g.cols; ++c)
    out += "  " + pad(std::to_string(c), w) + " ";
  out += "\n" + rule + "\n";
  for (int64_t r = 0; r < g.rows; ++r) {
    out += pad(std::to_string(r), label) + " |";
    for (int64_t c = 0; c < g.cols; ++c)
      out += " " + pad(g.text[r * g.cols + c], w) + " |";
    out += "\n" + rule + "\n";
  }
  return out;
}

std::string svg(const Grid &g, const std::string &title) {
  const int cell = 48, margin = 28;
  int64_t width = g.cols * cell + 2 * margin, height = g.rows * cell + 2 * margin + 20;
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(width) + "\" height=\"" + std::to_string(height) +
                    "\" font-family=\"monospace\" font-size=\"12\">\n";
  out += "<text x=\"" + std::to_string(margin) + "\" y=\"16\">" + title + "</text>\n";
  for (int64_t c = 0; c < g.cols; ++c)
    out += "<text x=\"" + std::to_string(margin + c * cell + cell / 2) + "\" y=\"" +
           std::to_string(margin + 14) + "\" text-anchor=\"middle\">" + std::to_string(c) +
           "</text>\n";
  for (int64_t r = 0; r < g.rows; ++r) {
    int64_t y = margin + 20 + r * cell;
    out += "<text x=\"" + std::to_string(margin - 6) + "\" y=\"" +
           std::to_string(y + cell / 2 + 4) + "\" text-anchor=\"end\">" + std::to_string(r) +
           "</text>\n";
    for (int64_t c = 0; c < g.cols; ++c) {
      int64_t x = margin + c * cell;
      int64_t k = g.colour[r * g.cols + c];
      out += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) +
             "\" width=\"" + std::to_string(cell) + "\" height=\"" + std::to_string(cell) +
             "\" fill=\"" + (k < 0 ? "#FFFFFF" : kPalette[k]) + "\" stroke=\"black\"/>\n";
      out += "<text x=\"" + std::to_string(x + cell / 2) + "\" y=\"" +
             std::to_string(y + cell / 2 + 4) + "\" text-anchor=\"middle\">" +
             g.text[r * g.cols + c] + "</text>\n";
    }
  }
  return out + "</svg>\n";
}
} // namespace

std::string lowbit::layout::checkDrawable(const Layout &l) {
  if (l.rank() > 2)
    return "show draws layouts of rank 1 or 2, not " + std::to_string(l.rank()) +
           "; group modes, e.g. ((a,b),c)";
  return {};
}

std::string lowbit::layout::drawText(const Layout &l) { return text(offsetsGrid(l), l.str()); }
std::string lowbit::layout::drawSvg(const Layout &l) { return svg(offsetsGrid(l), l.str()); }

std::string lowbit::layout::checkThreadValue(const Layout &tv, int64_t m, int64_t n) {
  if (tv.shape().isLeaf() || tv.rank() != 2)
    return "a thread/value layout has two modes, (thread, value): " + tv.str();
  for (int64_t i = 0; i < tv.size(); ++i) {
    int64_t idx = tv(i);
    if (idx < 0 || idx >= m * n)
      return "index " + std::to_string(idx) + " of " + tv.str() + " is outside the " +
             std::to_string(m) + "x" + std::to_string(n) + " tile";
  }
  return {};
}

std::string lowbit::layout::drawThreadValueText(const Layout &tv, int64_t m, int64_t n) {
  return text(threadValueGrid(tv, m, n), tv.str());
}

std::string lowbit::layout::drawThreadValueSvg(const Layout &tv, int64_t m, int64_t n) {
  return svg(threadValueGrid(tv, m, n), tv.str());
}
