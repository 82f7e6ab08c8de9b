//===- GoldenTables.h - Reading ../shared/golden at test time ---*- C++ -*-===//
//
// The golden oracle tables are read from ../shared/golden beside the source
// tree at run time, never copied into the repository. Where that folder is
// absent (a user's clone) the tests that need it skip, saying why.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_UNITTESTS_NUMERICS_GOLDENTABLES_H
#define LOWBIT_UNITTESTS_NUMERICS_GOLDENTABLES_H

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lowbit::test {

inline std::filesystem::path goldenDir() {
  const char *src = std::getenv("LOWBIT_SOURCE_DIR");
  std::filesystem::path root = src ? src : LOWBIT_SOURCE_DIR;
  return root / ".." / "shared" / "golden";
}

struct GoldenTable {
  std::vector<std::string> header; ///< '#' lines without the '# '
  std::vector<std::vector<std::string>> rows; ///< tab-separated columns
  /// The text after "key: " in the first header line that starts with it.
  std::string headerValue(const std::string &key) const {
    for (const std::string &h : header)
      if (h.rfind(key + ": ", 0) == 0)
        return h.substr(key.size() + 2);
    return {};
  }
};

inline bool readGolden(const std::filesystem::path &p, GoldenTable &t) {
  std::ifstream in(p);
  if (!in)
    return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    if (line[0] == '#') {
      t.header.push_back(line.size() > 2 ? line.substr(2) : "");
      continue;
    }
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t'))
      cols.push_back(c);
    t.rows.push_back(std::move(cols));
  }
  return true;
}

inline std::vector<std::string> splitWords(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w)
    out.push_back(w);
  return out;
}

inline uint64_t hex(const std::string &s) { return std::stoull(s, nullptr, 16); }

/// Files of a golden subfolder whose names end with `suffix`, sorted.
inline std::vector<std::string> goldenFiles(const std::string &sub,
                                            const std::string &suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto &e : std::filesystem::directory_iterator(goldenDir() / sub, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() >= suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(sub + "/" + n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace lowbit::test

#define LOWBIT_REQUIRE_GOLDEN()                                                \
  do {                                                                         \
    if (!std::filesystem::is_directory(::lowbit::test::goldenDir()))           \
      GTEST_SKIP() << "golden tables not found at "                            \
                   << ::lowbit::test::goldenDir().string()                     \
                   << " (they live in ../shared beside a developer checkout)"; \
  } while (0)

#endif
