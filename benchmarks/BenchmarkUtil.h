//===- BenchmarkUtil.h - What every benchmark table states ------*- C++ -*-===//
#ifndef LOWBIT_BENCHMARKS_BENCHMARKUTIL_H
#define LOWBIT_BENCHMARKS_BENCHMARKUTIL_H

#include <algorithm>
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

/// Median and spread of repeated measurements.
inline Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

} // namespace lowbit::bench

#endif
