//===- QuantizedLayers.cpp - GPTQ and AWQ layers of a checkpoint -----------===//
//
// See Safetensors.h for the packings. Both are read as bit streams: GPTQ
// packs each column's K codes (and each group row's N zero points) LSB
// first into consecutive int32 words, across word boundaries for 3 bits
// (AutoGPTQ's pack); AWQ packs eight 4-bit columns per word in the order
// 0, 2, 4, 6, 1, 3, 5, 7.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Import/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cstring>
#include <numeric>

using namespace lowbit::import;

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

uint32_t word(llvm::ArrayRef<uint8_t> d, uint64_t i) {
  uint32_t w;
  std::memcpy(&w, d.data() + 4 * i, 4);
  return w;
}

/// Bits [pos, pos + bits) of the little-endian stream of words
/// d[first + stride * j], j = 0, 1, ...
uint32_t streamBits(llvm::ArrayRef<uint8_t> d, uint64_t first, uint64_t stride, uint64_t pos,
                    unsigned bits) {
  uint32_t v = 0;
  for (unsigned b = 0; b < bits; ++b) {
    uint64_t p = pos + b;
    v |= ((word(d, first + stride * (p / 32)) >> (p % 32)) & 1u) << b;
  }
  return v;
}

std::string plainType(llvm::StringRef dtype) {
  return llvm::StringSwitch<std::string>(dtype)
      .Case("F32", "f32")
      .Case("F16", "f16")
      .Case("BF16", "bf16")
      .Case("F8_E4M3", "f8E4M3FN")
      .Case("F8_E5M2", "f8E5M2")
      .Case("I8", "i8")
      .Case("U8", "!lowbit.int<8, unsigned>")
      .Case("I16", "i16")
      .Case("I32", "i32")
      .Default("");
}

struct QuantConfig {
  std::string method; ///< "gptq", "awq" or "" (tell from the shapes)
  unsigned bits = 0;
  int64_t groupSize = 0; ///< 0: unknown, -1: one group per row
  bool gptqV2 = false;
};

llvm::Expected<QuantConfig> readConfig(const SafetensorsCheckpoint &c) {
  QuantConfig q;
  if (c.quantizeConfig.empty())
    return q;
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(c.quantizeConfig);
  if (!v)
    return v.takeError();
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    return err(c.quantizeConfigFile + ": not a JSON object");
  if (std::optional<llvm::StringRef> m = o->getString("quant_method"))
    q.method = m->lower();
  if (std::optional<int64_t> b = o->getInteger("bits"))
    q.bits = unsigned(*b);
  else if (std::optional<int64_t> w = o->getInteger("w_bit")) // AutoAWQ's quant_config.json
    q.bits = unsigned(*w);
  if (std::optional<int64_t> g = o->getInteger("group_size"))
    q.groupSize = *g;
  else if (std::optional<int64_t> g = o->getInteger("q_group_size"))
    q.groupSize = *g;
  if (std::optional<llvm::StringRef> f = o->getString("checkpoint_format"))
    q.gptqV2 = *f == "gptq_v2";
  if (std::optional<int64_t> b = o->getInteger("bits"); b && (*b < 0 || *b > 64))
    q.bits = 99; // reported below
  if (q.bits && q.bits != 2 && q.bits != 3 && q.bits != 4 && q.bits != 8)
    return err(c.quantizeConfigFile + ": bits = " + llvm::Twine(q.bits) +
               " (2, 3, 4 and 8 are supported)");
  return q;
}

/// Zero points in the codes' width, or one bit wider where GPTQ v1's "+1"
/// gives 2^bits (a zero point of 0 stored as -1, which AutoGPTQ's kernels
/// read as 2^bits too).
unsigned zeroBits(const std::vector<uint32_t> &z, unsigned bits) {
  for (uint32_t v : z)
    if (v >> bits)
      return bits + 1;
  return bits;
}

llvm::Expected<ImportedTensor> importLayer(const SafetensorsCheckpoint &c, llvm::StringRef prefix,
                                           const QuantConfig &cfg) {
  auto need = [&](llvm::StringRef suffix) { return c.find((prefix + suffix).str()); };
  const auto *qw = need(".qweight"), *qz = need(".qzeros"), *sc = need(".scales"),
             *gi = need(".g_idx");
  auto bad = [&](const llvm::Twine &what) {
    return err((qw ? qw->fileName : std::string()) + ": layer '" + prefix + "': " + what);
  };
  if (!qz || !sc)
    return bad("a quantized layer needs qweight, qzeros and scales");
  auto is2D = [](const SafetensorsCheckpoint::Entry *e, llvm::StringRef dtype) {
    return e->tensor->shape.size() == 2 && e->tensor->dtype == dtype;
  };
  if (!is2D(qw, "I32") || !is2D(qz, "I32"))
    return bad("qweight and qzeros must be 2-D I32");
  if (!is2D(sc, "F16") && !is2D(sc, "BF16") && !is2D(sc, "F32"))
    return bad("scales must be 2-D F16, BF16 or F32");
  int64_t G = sc->tensor->shape[0], N = sc->tensor->shape[1];
  int64_t qr = qw->tensor->shape[0], qc = qw->tensor->shape[1];
  if (G <= 0 || N <= 0)
    return bad("empty scales");
  // Which packing: GPTQ keeps N columns in qweight, AWQ packs them.
  bool awq = cfg.method == "awq" || (cfg.method.empty() && qc != N);
  unsigned bits = cfg.bits;
  int64_t K;
  if (awq) {
    if (bits && bits != 4)
      return bad("AWQ layers are 4-bit, the config says " + llvm::Twine(bits));
    bits = 4;
    K = qr;
    if (qc * 8 != N)
      return bad("AWQ qweight has " + llvm::Twine(qc) + " columns, " + llvm::Twine(N) +
                 " outputs need " + llvm::Twine((N + 7) / 8));
  } else {
    if (qc != N)
      return bad("GPTQ qweight has " + llvm::Twine(qc) + " columns, scales " + llvm::Twine(N));
    if (!bits && gi && gi->tensor->shape.size() == 1 && gi->tensor->shape[0] > 0)
      bits = unsigned(32 * qr / gi->tensor->shape[0]);
    if (!bits)
      return bad("cannot tell the bit width: no quantize_config.json and no g_idx");
    if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
      return bad(llvm::Twine(bits) + "-bit GPTQ is not supported (2, 3, 4 and 8 are)");
    if (qr * 32 % bits)
      return bad("qweight rows do not hold whole codes");
    K = qr * 32 / bits;
  }
  int64_t group = cfg.groupSize > 0 ? cfg.groupSize : (G == 1 ? K : K / G);
  if (group <= 0 || K % group || K / group != G)
    return bad(llvm::Twine(G) + " scale rows do not fit " + llvm::Twine(K) +
               " inputs in groups of " + llvm::Twine(group));
  int64_t zcols = qz->tensor->shape[1];
  if (qz->tensor->shape[0] != G || zcols * 32 < N * int64_t(bits))
    return bad("qzeros shape does not fit the scales");

  ImportedTensor t;
  t.name = prefix.str();
  t.format = (awq ? "AWQ " : "GPTQ ") + std::to_string(bits) + "-bit g" + std::to_string(group);
  t.codes.type = "!lowbit.int<" + std::to_string(bits) + ", unsigned>";
  t.codes.shape = {N, K};
  t.codes.data.resize(size_t(N * K));
  llvm::ArrayRef<uint8_t> w = qw->file->data(*qw->tensor), z = qz->file->data(*qz->tensor),
                          s = sc->file->data(*sc->tensor);
  static const unsigned awqNibble[8] = {0, 4, 1, 5, 2, 6, 3, 7}; // column 8w + i -> nibble
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      uint32_t q = awq ? (word(w, uint64_t(k * qc + n / 8)) >> (4 * awqNibble[n % 8])) & 15
                       : streamBits(w, uint64_t(n), uint64_t(N), uint64_t(k) * bits, bits);
      t.codes.data[size_t(n * K + k)] = uint8_t(q);
    }
  // Scales and zero points [G, N] -> [N, G] (groups along K of each row).
  unsigned sb = sc->tensor->dtype == "F32" ? 4 : 2;
  t.scales.type = sc->tensor->dtype == "F16" ? "f16" : sc->tensor->dtype == "BF16" ? "bf16" : "f32";
  t.scales.bytes = sb;
  t.scales.shape = {N, G};
  t.scales.data.resize(size_t(N * G) * sb);
  std::vector<uint32_t> zeros(static_cast<size_t>(N * G));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t n = 0; n < N; ++n) {
      std::memcpy(&t.scales.data[size_t(n * G + g) * sb], s.data() + size_t(g * N + n) * sb, sb);
      uint32_t zv = awq ? (word(z, uint64_t(g * zcols + n / 8)) >> (4 * awqNibble[n % 8])) & 15
                        : streamBits(z, uint64_t(g * zcols), 1, uint64_t(n) * bits, bits);
      if (!awq && !cfg.gptqV2)
        zv += 1; // GPTQ v1 stores zero - 1
      zeros[size_t(n * G + g)] = zv;
    }
  unsigned zb = zeroBits(zeros, bits);
  t.zeros.type = "!lowbit.int<" + std::to_string(zb) + ", unsigned>";
  t.zeros.bytes = (zb + 7) / 8;
  t.zeros.shape = {N, G};
  t.zeros.data.resize(zeros.size() * t.zeros.bytes);
  for (size_t i = 0; i < zeros.size(); ++i)
    std::memcpy(&t.zeros.data[i * t.zeros.bytes], &zeros[i], t.zeros.bytes); // little-endian
  t.scheme = std::string("rule = ") + (awq ? "awq" : "gptq") + ", group = " +
             std::to_string(group) + ", scale = " + t.scales.type + ", zero = " + t.zeros.type;

  // Act-order: g_idx[k] is input k's group. Sorting the inputs by group
  // makes the groups contiguous; the layer then reads x[:, perm].
  if (gi) {
    if (gi->tensor->shape != std::vector<int64_t>{K} || gi->tensor->dtype != "I32")
      return bad("g_idx must be I32 [" + llvm::Twine(K) + "]");
    llvm::ArrayRef<uint8_t> gd = gi->file->data(*gi->tensor);
    std::vector<int32_t> gidx(static_cast<size_t>(K));
    std::memcpy(gidx.data(), gd.data(), size_t(K) * 4);
    bool trivial = true;
    for (int64_t k = 0; k < K; ++k) {
      if (gidx[k] < 0 || gidx[k] >= G)
        return bad("g_idx[" + llvm::Twine(k) + "] = " + llvm::Twine(gidx[k]) + " is not a group");
      trivial &= gidx[k] == k / group;
    }
    if (!trivial) {
      std::vector<int64_t> perm(static_cast<size_t>(K));
      std::iota(perm.begin(), perm.end(), 0);
      std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
        return gidx[a] != gidx[b] ? gidx[a] < gidx[b] : a < b;
      });
      for (int64_t j = 0; j < K; ++j)
        if (gidx[perm[j]] != j / group)
          return bad("g_idx does not give every group " + llvm::Twine(group) + " inputs");
      std::vector<uint8_t> permuted(t.codes.data.size());
      for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < K; ++j)
          permuted[size_t(n * K + j)] = t.codes.data[size_t(n * K + perm[j])];
      t.codes.data = std::move(permuted);
      t.inputPermutation = std::move(perm);
    }
  }
  return t;
}
} // namespace

llvm::Expected<std::vector<ImportedTensor>>
lowbit::import::importSafetensors(const SafetensorsCheckpoint &c) {
  llvm::Expected<QuantConfig> cfg = readConfig(c);
  if (!cfg)
    return cfg.takeError();
  std::vector<ImportedTensor> out;
  llvm::StringMap<bool> consumed;
  for (const auto &e : c.entries) {
    llvm::StringRef name = e.tensor->name;
    if (consumed.count(name))
      continue;
    if (name.ends_with(".qweight")) {
      llvm::StringRef prefix = name.drop_back(strlen(".qweight"));
      llvm::Expected<ImportedTensor> t = importLayer(c, prefix, *cfg);
      if (!t)
        return t.takeError();
      for (const char *s : {".qweight", ".qzeros", ".scales", ".g_idx"})
        consumed[(prefix + s).str()] = true;
      out.push_back(std::move(*t));
      continue;
    }
    // qzeros/scales/g_idx of a layer whose qweight comes later.
    for (const char *s : {".qzeros", ".g_idx"})
      if (name.ends_with(s) && c.find((name.drop_back(strlen(s)) + ".qweight").str()))
        goto next;
    if (name.ends_with(".scales") &&
        c.find((name.drop_back(strlen(".scales")) + ".qweight").str()))
      goto next;
    {
      std::string type = plainType(e.tensor->dtype);
      if (type.empty())
        return err(e.fileName + ": tensor '" + name + "': dtype " + e.tensor->dtype +
                   " is not imported (see docs/importing.md)");
      ImportedTensor t;
      t.name = name.str();
      t.format = e.tensor->dtype;
      t.codes.type = type;
      t.codes.bytes = safetensorsDTypeBytes(e.tensor->dtype);
      t.codes.shape = e.tensor->shape;
      llvm::ArrayRef<uint8_t> d = e.file->data(*e.tensor);
      t.codes.data.assign(d.begin(), d.end());
      out.push_back(std::move(t));
    }
  next:;
  }
  return out;
}
