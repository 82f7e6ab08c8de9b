//===- numerics-throughput.cpp - Bulk codec elements per second -----------===//
//
// Elements per second on one core (one thread) for the array paths of
// lowbit/Numerics, next to the scalar codec measured in the same run, so the
// ratio survives a noisy machine. Every measurement is repeated; the table
// gives the median and the min..max spread.
//
//   lowbit-bench-numerics [--repeats N] [--elements N] [--out FILE.md]
//
//===----------------------------------------------------------------------===//

#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Bulk.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/Packing.h"

#include "BenchmarkUtil.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace lowbit::num;
using lowbit::bench::cpuName;
using lowbit::bench::Stats;
using lowbit::bench::stats;

namespace {
struct Options {
  int repeats = 7;
  size_t elements = size_t(1) << 22;
  std::string out;
};

// Runs `fn` (which processes `n` elements) repeatedly for at least
// `minSeconds` and returns elements per second.
double rate(size_t n, const std::function<void()> &fn, double minSeconds = 0.05) {
  using clock = std::chrono::steady_clock;
  fn(); // warm caches and lazily built tables
  size_t iters = 0;
  auto start = clock::now();
  double elapsed = 0;
  do {
    fn();
    ++iters;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < minSeconds);
  return static_cast<double>(n) * iters / elapsed;
}


struct Row {
  std::string op, format;
  Stats bulk, scalar, ratio;
};


volatile uint64_t sink; // keeps results alive

uint64_t checksum(const void *p, size_t bytes) {
  uint64_t h = 0;
  const auto *b = static_cast<const uint8_t *>(p);
  for (size_t i = 0; i < bytes; i += 64)
    h = h * 31 + b[i];
  return h;
}

Format parse(const char *s) {
  std::string err;
  return *Format::parse(s, err);
}

Row measure(const std::string &op, const std::string &format, int repeats,
            size_t n, const std::function<void()> &bulkFn,
            const std::function<void()> &scalarFn, size_t scalarN) {
  std::vector<double> b, s, r;
  for (int i = 0; i < repeats; ++i) {
    double rb = rate(n, bulkFn);
    double rs = rate(scalarN, scalarFn);
    b.push_back(rb / 1e6);
    s.push_back(rs / 1e6);
    r.push_back(rb / rs);
  }
  return {op, format, stats(b), stats(s), stats(r)};
}

std::string formatStats(const Stats &s, const char *unit = "") {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.0f%s (%.0f..%.0f)", s.median, unit, s.min, s.max);
  return buf;
}
} // namespace

int main(int argc, char **argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t len = std::strlen(flag);
      if (a.compare(0, len, flag) == 0 && a.size() > len && a[len] == '=')
        return argv[i] + len + 1;
      if (a == flag && i + 1 < argc)
        return argv[++i];
      return nullptr;
    };
    if (const char *v = value("--repeats"))
      opt.repeats = std::max(1, std::atoi(v));
    else if (const char *v = value("--elements"))
      opt.elements = std::max<long long>(64, std::atoll(v)) / 64 * 64;
    else if (const char *v = value("--out"))
      opt.out = v;
    else {
      std::fprintf(stderr,
                   "usage: lowbit-bench-numerics [--repeats N] [--elements N] "
                   "[--out FILE.md]\nunknown argument '%s'\n",
                   argv[i]);
      return 2;
    }
  }

  const size_t n = opt.elements;
  const size_t scalarN = std::min<size_t>(n, 1 << 16);
  std::mt19937 rng(42);
  std::vector<Row> rows;

  for (const char *name : {"f4E2M1FN", "f8E4M3FN", "int<4>", "posit<8, 0>", "posit<16, 1>"}) {
    Format f = parse(name);
    const BulkDecoder &dec = bulkDecoderFor(f);
    const BulkEncoder &enc = bulkEncoderFor(f);
    // Inputs spread over the format's range: a normal distribution with
    // sigma = max/4 (max 16 for posits, whose values crowd around 1).
    double sigma = f.isPosit() ? 16.0 : f.maxFinite() / 4;
    std::normal_distribution<float> normal(0.0f, static_cast<float>(sigma));
    std::vector<float> x(n), out(n);
    for (auto &v : x)
      v = normal(rng);
    std::vector<uint8_t> packed(packedBytes(n, f.bits()));
    for (auto &byte : packed)
      byte = static_cast<uint8_t>(rng());
    std::vector<uint32_t> codes(scalarN);
    for (size_t i = 0; i < scalarN; ++i)
      codes[i] = rng() & f.codeMask();

    rows.push_back(measure(
        "decode (packed -> f32)", f.str(), opt.repeats, n,
        [&] {
          dec.decodePacked(packed.data(), n, out.data());
          sink = checksum(out.data(), n * 4);
        },
        [&] {
          for (size_t i = 0; i < scalarN; ++i)
            out[i] = decodeToF32(f, codes[i]);
          sink = checksum(out.data(), scalarN * 4);
        },
        scalarN));
    rows.push_back(measure(
        "encode (f32 -> packed, rne)", f.str(), opt.repeats, n,
        [&] {
          enc.encodePacked(x.data(), n, packed.data());
          sink = checksum(packed.data(), packed.size());
        },
        [&] {
          for (size_t i = 0; i < scalarN; ++i)
            codes[i] = static_cast<uint32_t>(encodeF32(f, x[i]));
          sink = checksum(codes.data(), scalarN * 4);
        },
        scalarN));
  }

  {
    Format e2m1 = parse("f4E2M1FN");
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) // blocks of differing magnitude
      x[i] = std::ldexp(normal(rng), static_cast<int>((i / 32) % 16) - 8);
    std::vector<uint8_t> scales(n / 32), codes(n);
    rows.push_back(measure(
        "MXFP4 quantize (block 32)", e2m1.str(), opt.repeats, n,
        [&] {
          mxQuantize(e2m1, x.data(), n, 32, scales.data(), codes.data());
          sink = checksum(codes.data(), n);
        },
        [&] {
          for (size_t i = 0; i < scalarN; i += 32)
            scales[i / 32] = mxQuantizeBlock(e2m1, &x[i], 32, &codes[i]);
          sink = checksum(codes.data(), scalarN);
        },
        scalarN));
  }

  std::ostringstream table;
  table << "| operation | format | bulk M elem/s | scalar M elem/s | bulk / scalar |\n"
        << "|---|---|---|---|---|\n";
  for (const Row &r : rows) {
    char ratio[64];
    std::snprintf(ratio, sizeof ratio, "%.1fx (%.1f..%.1f)", r.ratio.median,
                  r.ratio.min, r.ratio.max);
    table << "| " << r.op << " | `" << r.format << "` | " << formatStats(r.bulk)
          << " | " << formatStats(r.scalar) << " | " << ratio << " |\n";
  }
  std::ostringstream header;
  header << "One thread on " << cpuName() << "; " << n << " elements per call, "
         << opt.repeats << " repeats, median (min..max).\n";
  std::printf("%s\n%s", header.str().c_str(), table.str().c_str());

  if (!opt.out.empty()) {
    std::ofstream md(opt.out);
    if (!md) {
      std::fprintf(stderr, "error: cannot write '%s'\n", opt.out.c_str());
      return 1;
    }
    md << "# Numerics bulk paths: elements per second\n\n"
       << "Produced by `lowbit-bench-numerics";
    for (int i = 1; i < argc; ++i)
      md << ' ' << argv[i];
    md << "` (benchmarks/numerics-throughput.cpp, Release build).\n\n"
       << header.str() << "\n"
       << "Decode inputs are uniformly random codes; encode inputs are normal with "
          "sigma = max/4 (16 for posits); MXFP4 blocks vary in magnitude over 2^-8..2^7. "
          "The scalar columns are the per-element codec (decodeToF32, encodeF32, "
          "mxQuantizeBlock) in the same run; the ratio is taken per repeat.\n\n"
       << "Targets (issue 3): decode of formats of at most 8 bits >= 1000 M elem/s; "
          "encode and MXFP4 quantization >= 200 M elem/s.\n\n"
       << table.str();
  }
  return 0;
}
