//===- BenchmarkUtil.h - What every benchmark table states ------*- C++ -*-===//
#ifndef LOWBIT_BENCHMARKS_BENCHMARKUTIL_H
#define LOWBIT_BENCHMARKS_BENCHMARKUTIL_H

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace lowbit::bench {

/// The CPU model from /proc/cpuinfo, for the table's header.
inline std::string cpuName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

struct Stats {
  double median, min, max;
};

/// The options `--repeat N` and `--out FILE.md` that most benchmarks take;
/// false after printing the usage line of `tool` for anything else.
inline bool parseRepeatAndOut(int argc, char **argv, const char *tool, int &repeats,
                              std::string &out) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc)
      repeats = std::max(1, std::atoi(argv[++i]));
    else if (a == "--out" && i + 1 < argc)
      out = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--repeat N] [--out FILE.md]\n", tool);
      return false;
    }
  }
  return true;
}

/// Median and spread of repeated measurements.
inline Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

} // namespace lowbit::bench

#endif
