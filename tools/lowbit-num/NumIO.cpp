//===- NumIO.cpp - Text input and output of lowbit-num --------------------===//

#include "NumIO.h"

#include <cmath>
#include <cstdio>
#include <sstream>

using namespace lowbit::tool;

std::vector<std::string> lowbit::tool::words(const std::string &line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string w;
  while (in >> w)
    out.push_back(w);
  return out;
}

std::optional<uint64_t> lowbit::tool::parseHex(const std::string &w) {
  if (w.size() < 3 || w[0] != '0' || (w[1] != 'x' && w[1] != 'X') || w.size() > 18)
    return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 2; i < w.size(); ++i) {
    char c = w[i];
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::string lowbit::tool::formatValue(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

std::string lowbit::tool::formatDecimal(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string lowbit::tool::formatHex(uint64_t code, unsigned digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", static_cast<int>(digits),
                static_cast<unsigned long long>(code));
  return buf;
}
