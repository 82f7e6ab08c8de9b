//===- layout-repack.cpp - Weight repacking through bit layouts -----------===//
//
// Repacks a rows x k int4 weight from dense LSB-first storage into the
// bit-plane tiled layout (one 32-bit word per plane per 32 consecutive k),
// on one thread, and reports GB/s of weights (source bytes). The generic
// path (unpack, then pack) is measured in the same run on the same data for the
// ratio. Each measurement is repeated; median and min..max are printed.
//
//   lowbit-bench-layout [--rows N] [--k N] [--bits B] [--repeats N] [--out FILE.md]
//
//===----------------------------------------------------------------------===//

#include "lowbit/Layout/BitLayout.h"

#include "BenchmarkUtil.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace lowbit::layout;
using lowbit::bench::cpuName;
using lowbit::bench::Stats;
using lowbit::bench::stats;

namespace {

template <class F> double secondsPerCall(F &&fn, double minSeconds = 0.2) {
  using clock = std::chrono::steady_clock;
  fn();
  size_t iters = 0;
  auto start = clock::now();
  double elapsed;
  do {
    fn();
    ++iters;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < minSeconds);
  return elapsed / iters;
}

} // namespace

int main(int argc, char **argv) {
  int64_t rows = 4096, k = 4096;
  unsigned bits = 4;
  int repeats = 7;
  std::string outPath;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    const char *v = nullptr;
    if ((a == "--rows" || a == "--k" || a == "--bits" || a == "--repeats" || a == "--out") &&
        !(v = next())) {
      std::fprintf(stderr, "error: %s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--rows")
      rows = std::atoll(v);
    else if (a == "--k")
      k = std::atoll(v);
    else if (a == "--bits")
      bits = static_cast<unsigned>(std::atoi(v));
    else if (a == "--repeats")
      repeats = std::max(1, std::atoi(v));
    else if (a == "--out")
      outPath = v;
    else {
      std::fprintf(stderr, "usage: lowbit-bench-layout [--rows N] [--k N] [--bits B] "
                           "[--repeats N] [--out FILE.md]\n");
      return 2;
    }
  }
  BitLayout src = BitLayout::lsbFirst(bits, IntTuple(std::vector<IntTuple>{k, rows}));
  auto dst = BitLayout::planesTiled(bits, rows, k, 32);
  if (!dst || rows <= 0 || bits < 1 || bits > 8) {
    std::fprintf(stderr, "error: %s\n", dst ? "bad sizes" : dst.error().c_str());
    return 1;
  }
  std::vector<uint8_t> in(src.storageBytes()), fast(dst->storageBytes()),
      slow(dst->storageBytes());
  std::mt19937 rng(1);
  for (auto &b : in)
    b = static_cast<uint8_t>(rng());

  // Both paths must agree before anything is timed.
  auto used = repack(src, in.data(), *dst, fast.data());
  repackGeneric(src, in.data(), *dst, slow.data());
  if (!used || fast != slow) {
    std::fprintf(stderr, "error: the fast and generic repacks differ\n");
    return 1;
  }
  const double gb = static_cast<double>(in.size()) / 1e9;
  std::vector<double> fastRate, slowRate, ratio;
  for (int r = 0; r < repeats; ++r) {
    double tf = secondsPerCall([&] { (void)repack(src, in.data(), *dst, fast.data()); });
    double ts = secondsPerCall([&] { repackGeneric(src, in.data(), *dst, slow.data()); }, 0.05);
    fastRate.push_back(gb / tf);
    slowRate.push_back(gb / ts);
    ratio.push_back(ts / tf);
  }
  Stats f = stats(fastRate), s = stats(slowRate), q = stats(ratio);
  std::ostringstream table;
  char line[512];
  table << "| repack | weights | path | GB/s of weights |\n|---|---|---|---|\n";
  std::snprintf(line, sizeof line,
                "| dense LSB-first -> bit planes tiled by 32 | %lldx%lld int%u (%.1f MiB) | %s | "
                "%.2f (%.2f..%.2f) |\n",
                (long long)rows, (long long)k, bits, in.size() / 1048576.0,
                *used ? "fast (pext)" : "generic", f.median, f.min, f.max);
  table << line;
  std::snprintf(line, sizeof line,
                "| same | same | generic (unpack, pack) | %.3f (%.3f..%.3f) |\n", s.median, s.min,
                s.max);
  table << line;
  std::snprintf(line, sizeof line, "\nfast / generic: %.0fx (%.0f..%.0f)\n", q.median, q.min,
                q.max);
  table << line;
  std::ostringstream header;
  header << "One thread on " << cpuName() << ", " << repeats
         << " repeats, median (min..max).\n";
  std::printf("%s\n%s", header.str().c_str(), table.str().c_str());
  if (!outPath.empty()) {
    std::ofstream md(outPath);
    if (!md) {
      std::fprintf(stderr, "error: cannot write '%s'\n", outPath.c_str());
      return 1;
    }
    md << "# Layout-driven weight repacking\n\nProduced by `lowbit-bench-layout";
    for (int i = 1; i < argc; ++i)
      md << ' ' << argv[i];
    md << "` (benchmarks/layout-repack.cpp, Release build).\n\n" << header.str()
       << "\nThe source is a row-major weight stored dense LSB-first (the DLPack order); "
          "the destination is `BitLayout::planesTiled(bits, rows, k, 32)`: for each row and "
          "each 32 consecutive k, one 32-bit word per bit plane. Both paths are checked to "
          "give identical bytes before timing.\n\nTarget (issue 5): at least 1 GB/s of "
          "weights on one core.\n\n"
       << table.str();
  }
  return 0;
}
