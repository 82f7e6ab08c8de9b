//===- lowbit-num.cpp - Look at and script lowbit number formats ----------===//
//
// lowbit-num VERB ... : see `lowbit-num --help` and docs/lowbit-num.md.
// Input is read strictly: every malformed line is an error naming the line,
// and nothing is guessed.
//
//===----------------------------------------------------------------------===//

#include "NumIO.h"

#include "lowbit/Numerics/Arithmetic.h"
#include "lowbit/Numerics/BlockScaling.h"
#include "lowbit/Numerics/Codec.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace lowbit::num;
using namespace lowbit::tool;

namespace {
const char *kUsage = R"(usage: lowbit-num VERB [ARGS] [OPTIONS]

Look at lowbit number formats, and convert numbers with them.

FORMAT is a lowbit type without the "!lowbit." prefix (int<4>,
int<4, unsigned>, int<2, bipolar>, ternary, float<e2m1>, float<e4m3, fn>,
float<e3m3, ieee, bias = 4>, posit<8,0>) or an MLIR float type name
(f8E4M3FN, f4E2M1FN, f8E8M0FNU, bf16, f16, f32, ...). Quote it in the shell.

verbs:
  info FORMAT           parameters and facts of one format
  facts FORMAT...       one row of facts per format, as a table
  table FORMAT          every code and its value (formats of at most 16 bits)
  decode FORMAT         stdin: one hex code per line (0x3c)
                        stdout: the exact value as a C99 hex float of the
                        double (0x1.8p+1, -0x0p+0), or nan, inf, -inf, nar
  encode FORMAT         stdin: one f32 bit pattern per line (0x3fc00000)
                        stdout: one hex code per line
  op OP FORMAT          OP is add, sub, mul or div; stdin: two hex codes per
                        line; stdout: the result code, rounded once
  mx-quantize ELEMENT   stdin: one block per line (f32 bit patterns separated
                        by spaces); stdout: the E8M0 scale code, then the
                        element codes (OCP MX v1.0)

options:
  --rounding=rne|rtz|ru|rd|rna|stochastic   (encode, op; default rne)
  --overflow=saturate|inf|nan               (encode, op; default saturate)
  --seed=N          random bits for stochastic rounding (default 0)
  --from=f32|f64    encode: input bit patterns are f32 (default) or f64
  --block=N         mx-quantize: elements per block (default 32)
)";

int fail(const std::string &msg) {
  std::fprintf(stderr, "lowbit-num: error: %s\n", msg.c_str());
  return 1;
}

int failLine(size_t line, const std::string &msg) {
  return fail("<stdin>:" + std::to_string(line) + ": " + msg);
}

bool parseFormatArg(const std::string &text, Format &out) {
  std::string err;
  size_t col = 0;
  auto f = Format::parse(text, err, &col);
  if (f) {
    out = *f;
    return true;
  }
  std::fprintf(stderr, "lowbit-num: error: format '%s': %s\n  %s\n  %s^\n",
               text.c_str(), err.c_str(), text.c_str(),
               std::string(col, ' ').c_str());
  return false;
}

struct Options {
  EncodePolicy policy;
  uint64_t seed = 0;
  bool stochastic = false;
  bool fromF64 = false;
  unsigned block = 32;
};

// splitmix64: the random bits of stochastic rounding, reproducible from
// --seed and the line number.
uint32_t randomBits(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<uint32_t>((z ^ (z >> 31)) >> 32);
}

unsigned hexDigits(const Format &f) { return (f.bits() + 3) / 4; }

// Reads stdin line by line, skipping blank lines and '#' comments, and calls
// fn(lineNumber, words); stops at the first error.
template <typename Fn> int forEachLine(Fn fn) {
  std::string line;
  size_t n = 0;
  while (std::getline(std::cin, line)) {
    ++n;
    auto w = words(line);
    if (w.empty() || w[0][0] == '#')
      continue;
    if (int rc = fn(n, w))
      return rc;
  }
  return 0;
}

std::string valueText(const Format &f, uint64_t code) {
  double v = decode(f, code);
  if (std::isnan(v) && f.isPosit())
    return "nar";
  return formatValue(v);
}

void printFacts(const Format &f) {
  auto yes = [](bool b) { return b ? "yes" : "no"; };
  std::printf("format:            %s\n", f.str().c_str());
  if (auto b = f.builtinEquivalent())
    std::printf("MLIR builtin:      %s\n", builtinFloatName(*b));
  if (f.isFloat())
    std::printf("parameters:        E=%u M=%u bias=%d kind=%s subnormals=%s\n",
                f.exponentBits(), f.mantissaBits(), f.bias(),
                floatKindName(f.floatKind()), yes(f.hasSubnormals()));
  if (f.isPosit())
    std::printf("parameters:        N=%u ES=%u\n", f.bits(), f.positES());
  std::printf("bits:              %u\n", f.bits());
  std::printf("codes:             %llu\n", static_cast<unsigned long long>(f.numCodes()));
  std::printf("signed:            %s\n", yes(f.isSigned()));
  std::printf("max finite:        %s (%s)\n", formatDecimal(f.maxFinite()).c_str(),
              formatValue(f.maxFinite()).c_str());
  std::printf("lowest finite:     %s (%s)\n", formatDecimal(f.lowestFinite()).c_str(),
              formatValue(f.lowestFinite()).c_str());
  std::printf("smallest normal:   %s\n", formatDecimal(f.smallestNormal()).c_str());
  std::printf("smallest positive: %s\n", formatDecimal(f.smallestPositive()).c_str());
  std::printf("zero:              %s\n", yes(f.hasZero()));
  std::printf("negative zero:     %s\n", yes(f.hasNegativeZero()));
  std::printf("inf:               %s\n", yes(f.hasInf()));
  std::printf("%s               %s\n", f.isPosit() ? "NaR:" : "NaN:", yes(f.hasNaN()));
}

int runFacts(const std::vector<Format> &formats) {
  std::printf("%-32s %4s %14s %14s %14s %14s %4s %4s %4s %-14s\n", "format", "bits",
              "lowest", "max", "min normal", "min positive", "inf", "nan", "-0",
              "builtin");
  for (const Format &f : formats) {
    auto b = f.builtinEquivalent();
    std::printf("%-32s %4u %14s %14s %14s %14s %4s %4s %4s %-14s\n", f.str().c_str(),
                f.bits(), formatDecimal(f.lowestFinite()).c_str(),
                formatDecimal(f.maxFinite()).c_str(),
                formatDecimal(f.smallestNormal()).c_str(),
                formatDecimal(f.smallestPositive()).c_str(), f.hasInf() ? "yes" : "-",
                f.hasNaN() ? (f.isPosit() ? "NaR" : "yes") : "-",
                f.hasNegativeZero() ? "yes" : "-", b ? builtinFloatName(*b) : "-");
  }
  return 0;
}

int runTable(const Format &f) {
  if (f.bits() > 16)
    return fail("table: " + f.str() + " has " + std::to_string(f.bits()) +
                " bits; tables are for formats of at most 16 bits");
  for (uint64_t c = 0; c < (1ull << f.bits()); ++c) {
    if (f.isTernary() && c == 2)
      continue; // reserved code
    std::printf("%s\t%s\t%s\n", formatHex(c, hexDigits(f)).c_str(),
                valueText(f, c).c_str(), formatDecimal(decode(f, c)).c_str());
  }
  return 0;
}

bool readCode(const Format &f, const std::string &w, size_t line, uint64_t &code,
              int &rc) {
  auto c = parseHex(w);
  if (!c) {
    rc = failLine(line, "'" + w + "' is not a hex code (expected 0x...)");
    return false;
  }
  if (*c & ~f.codeMask()) {
    rc = failLine(line, "code " + w + " does not fit in the " +
                            std::to_string(f.bits()) + " bits of " + f.str());
    return false;
  }
  code = *c;
  return true;
}

bool readFloatBits(const std::string &w, size_t line, bool f64, double &value,
                   int &rc) {
  auto c = parseHex(w);
  if (!c || (!f64 && (*c >> 32))) {
    rc = failLine(line, "'" + w + "' is not a" + std::string(f64 ? "n f64" : " f32") +
                            " bit pattern (expected 0x followed by at most " +
                            (f64 ? "16" : "8") + " hex digits)");
    return false;
  }
  if (f64) {
    std::memcpy(&value, &*c, 8);
  } else {
    uint32_t bits = static_cast<uint32_t>(*c);
    float x;
    std::memcpy(&x, &bits, 4);
    value = x;
  }
  return true;
}

EncodePolicy policyFor(const Options &o, size_t index) {
  EncodePolicy p = o.policy;
  if (o.stochastic)
    p.randomBits = randomBits(o.seed, index);
  return p;
}

int runDecode(const Format &f) {
  return forEachLine([&](size_t line, const std::vector<std::string> &w) {
    if (w.size() != 1)
      return failLine(line, "expected one hex code, got " + std::to_string(w.size()) +
                                " words");
    uint64_t code;
    int rc = 0;
    if (!readCode(f, w[0], line, code, rc))
      return rc;
    if (f.isTernary() && code == 2)
      return failLine(line, "code 0x2 is reserved in ternary");
    std::printf("%s\n", valueText(f, code).c_str());
    return 0;
  });
}

int runEncode(const Format &f, const Options &o) {
  return forEachLine([&](size_t line, const std::vector<std::string> &w) {
    if (w.size() != 1)
      return failLine(line, "expected one bit pattern, got " +
                                std::to_string(w.size()) + " words");
    double x;
    int rc = 0;
    if (!readFloatBits(w[0], line, o.fromF64, x, rc))
      return rc;
    std::printf("%s\n",
                formatHex(encode(f, x, policyFor(o, line)), hexDigits(f)).c_str());
    return 0;
  });
}

int runOp(BinaryOp op, const Format &f, const Options &o) {
  return forEachLine([&](size_t line, const std::vector<std::string> &w) {
    if (w.size() != 2)
      return failLine(line, "expected two hex codes, got " + std::to_string(w.size()) +
                                " words");
    uint64_t a, b;
    int rc = 0;
    if (!readCode(f, w[0], line, a, rc) || !readCode(f, w[1], line, b, rc))
      return rc;
    std::printf("%s\n",
                formatHex(apply(op, f, a, b, policyFor(o, line)), hexDigits(f)).c_str());
    return 0;
  });
}

int runMxQuantize(const Format &elem, const Options &o) {
  std::string err = checkMxElementFormat(elem);
  if (!err.empty())
    return fail("mx-quantize: " + err);
  return forEachLine([&](size_t line, const std::vector<std::string> &w) {
    if (w.size() != o.block)
      return failLine(line, "expected a block of " + std::to_string(o.block) +
                                " f32 bit patterns, got " + std::to_string(w.size()));
    std::vector<float> block(o.block);
    for (size_t i = 0; i < w.size(); ++i) {
      double x;
      int rc = 0;
      if (!readFloatBits(w[i], line, false, x, rc))
        return rc;
      block[i] = static_cast<float>(x);
    }
    std::vector<uint8_t> codes(o.block);
    uint8_t scale = mxQuantizeBlock(elem, block.data(), o.block, codes.data());
    std::string out = formatHex(scale, 2);
    for (uint8_t c : codes)
      out += " " + formatHex(c, hexDigits(elem));
    std::printf("%s\n", out.c_str());
    return 0;
  });
}

bool parseOption(const std::string &arg, Options &o, std::string &err) {
  auto value = [&](const char *name) -> std::optional<std::string> {
    std::string prefix = std::string(name) + "=";
    if (arg.rfind(prefix, 0) == 0)
      return arg.substr(prefix.size());
    return std::nullopt;
  };
  if (auto v = value("--rounding")) {
    auto r = roundingFromName(*v);
    if (!r) {
      err = "unknown rounding '" + *v + "' (expected rne, rtz, ru, rd, rna or stochastic)";
      return false;
    }
    o.policy.rounding = *r;
    o.stochastic = *r == Rounding::Stochastic;
  } else if (auto v = value("--overflow")) {
    auto ov = overflowFromName(*v);
    if (!ov) {
      err = "unknown overflow policy '" + *v + "' (expected saturate, inf or nan)";
      return false;
    }
    o.policy.overflow = *ov;
  } else if (auto v = value("--seed")) {
    char *end;
    o.seed = std::strtoull(v->c_str(), &end, 0);
    if (v->empty() || *end) {
      err = "--seed needs an integer, got '" + *v + "'";
      return false;
    }
  } else if (auto v = value("--from")) {
    if (*v != "f32" && *v != "f64") {
      err = "--from must be f32 or f64, got '" + *v + "'";
      return false;
    }
    o.fromF64 = *v == "f64";
  } else if (auto v = value("--block")) {
    char *end;
    unsigned long b = std::strtoul(v->c_str(), &end, 10);
    if (v->empty() || *end || b == 0 || b > 4096) {
      err = "--block needs an integer in 1..4096, got '" + *v + "'";
      return false;
    }
    o.block = static_cast<unsigned>(b);
  } else {
    err = "unknown option '" + arg + "' (see lowbit-num --help)";
    return false;
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args;
  Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.rfind("--", 0) == 0) {
      std::string err;
      if (!parseOption(a, opts, err))
        return fail(err);
      continue;
    }
    args.push_back(a);
  }
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  const std::string verb = args[0];
  auto needArgs = [&](size_t n, const char *what) {
    if (args.size() != n + 1) {
      fail(verb + " expects " + what + " (see lowbit-num --help)");
      return false;
    }
    return true;
  };
  Format f = Format::ternary();
  if (verb == "info" || verb == "table" || verb == "decode" || verb == "encode" ||
      verb == "mx-quantize") {
    if (!needArgs(1, "one FORMAT") || !parseFormatArg(args[1], f))
      return 1;
    if (verb == "info") {
      printFacts(f);
      return 0;
    }
    if (verb == "table")
      return runTable(f);
    if (verb == "decode")
      return runDecode(f);
    if (verb == "encode")
      return runEncode(f, opts);
    return runMxQuantize(f, opts);
  }
  if (verb == "facts") {
    if (args.size() < 2)
      return fail("facts expects at least one FORMAT");
    std::vector<Format> formats;
    for (size_t i = 1; i < args.size(); ++i) {
      if (!parseFormatArg(args[i], f))
        return 1;
      formats.push_back(f);
    }
    return runFacts(formats);
  }
  if (verb == "op") {
    if (!needArgs(2, "OP and FORMAT"))
      return 1;
    auto op = binaryOpFromName(args[1]);
    if (!op)
      return fail("unknown op '" + args[1] + "' (expected add, sub, mul or div)");
    if (!parseFormatArg(args[2], f))
      return 1;
    if (!f.isFloat() && !f.isPosit())
      return fail("op: arithmetic is defined for float and posit formats, not " +
                  f.str());
    return runOp(*op, f, opts);
  }
  return fail("unknown verb '" + verb + "' (see lowbit-num --help)");
}
