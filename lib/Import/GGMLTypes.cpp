//===- GGMLTypes.cpp - ggml block types as lowbit codes and schemes -------===//
//
// Each imported block type is a BlockFormat: the code fields (bit layouts
// within the block, in CuTe notation over (bit, element)), an XOR that
// turns ggml's offset-binary codes into lowbit's two's complement ones, and
// a scale reader. The block structs are those of ggml's ggml-common.h
// (learned from, not copied); the values they give are checked bit for bit
// against ggml's own dequantization in unittests/Import (GGMLOracleTest).
//
//===----------------------------------------------------------------------===//

#include "lowbit/Import/GGMLTypes.h"

#include "lowbit/Layout/BitLayout.h"
#include "lowbit/Numerics/Codec.h"
#include "lowbit/Numerics/F32Bits.h"
#include "lowbit/Numerics/Format.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <mutex>

using namespace lowbit::import;
namespace layout = lowbit::layout;
namespace num = lowbit::num;

namespace {
constexpr uint32_t QK_K = 256;

const GGMLTypeInfo kTypes[] = {
    {GGMLType::F32, "f32", 1, 4, true},
    {GGMLType::F16, "f16", 1, 2, true},
    {GGMLType::Q4_0, "q4_0", 32, 18, true},
    {GGMLType::Q4_1, "q4_1", 32, 20, true},
    {GGMLType::Q5_0, "q5_0", 32, 22, true},
    {GGMLType::Q5_1, "q5_1", 32, 24, true},
    {GGMLType::Q8_0, "q8_0", 32, 34, true},
    {GGMLType::Q8_1, "q8_1", 32, 36, false},
    {GGMLType::Q2_K, "q2_K", QK_K, 84, true},
    {GGMLType::Q3_K, "q3_K", QK_K, 110, true},
    {GGMLType::Q4_K, "q4_K", QK_K, 144, true},
    {GGMLType::Q5_K, "q5_K", QK_K, 176, true},
    {GGMLType::Q6_K, "q6_K", QK_K, 210, true},
    {GGMLType::Q8_K, "q8_K", QK_K, 292, false},
    {GGMLType::IQ2_XXS, "iq2_xxs", QK_K, 66, false},
    {GGMLType::IQ2_XS, "iq2_xs", QK_K, 74, false},
    {GGMLType::IQ3_XXS, "iq3_xxs", QK_K, 98, false},
    {GGMLType::IQ1_S, "iq1_s", QK_K, 50, false},
    {GGMLType::IQ4_NL, "iq4_nl", 32, 18, false},
    {GGMLType::IQ3_S, "iq3_s", QK_K, 110, false},
    {GGMLType::IQ2_S, "iq2_s", QK_K, 82, false},
    {GGMLType::IQ4_XS, "iq4_xs", QK_K, 136, false},
    {GGMLType::I8, "i8", 1, 1, true},
    {GGMLType::I16, "i16", 1, 2, true},
    {GGMLType::I32, "i32", 1, 4, true},
    {GGMLType::I64, "i64", 1, 8, false},
    {GGMLType::F64, "f64", 1, 8, false},
    {GGMLType::IQ1_M, "iq1_m", QK_K, 56, false},
    {GGMLType::BF16, "bf16", 1, 2, true},
    {GGMLType::TQ1_0, "tq1_0", QK_K, 54, true},
    {GGMLType::TQ2_0, "tq2_0", QK_K, 66, true},
    {GGMLType::MXFP4, "mxfp4", 32, 17, true},
};

/// One bit field of every code of a block: bits [shift, shift + bits) of
/// the code, stored from byte `byteOffset` of the block as `cute` says.
struct FieldSpec {
  uint32_t byteOffset;
  unsigned bits, shift;
  const char *cute; ///< (bit, element) -> storage bit, CuTe notation
};

/// A read of `width` bits at bit `shift` of block byte `byte`, landing at
/// bit `dest` of the code: what a layout compiles to for one element.
struct Chunk {
  uint16_t byte;
  uint8_t shift, width, dest;
};

/// The compiled fields of a block type: chunks[e] are element e's reads.
struct CodeTable {
  std::vector<std::vector<Chunk>> chunks;
  std::string error;
};

CodeTable compileFields(uint32_t blockElements, llvm::ArrayRef<FieldSpec> fields) {
  CodeTable t;
  t.chunks.resize(blockElements);
  for (const FieldSpec &f : fields) {
    layout::Expected<layout::Layout> l = layout::parseLayout(f.cute);
    if (!l) {
      t.error = l.error();
      return t;
    }
    layout::Expected<layout::BitLayout> bl = layout::BitLayout::make(*l);
    if (!bl) {
      t.error = bl.error();
      return t;
    }
    if (bl->elementBits() != f.bits || bl->elements() != blockElements) {
      t.error = std::string("field layout ") + f.cute + " does not cover the block";
      return t;
    }
    for (uint32_t e = 0; e < blockElements; ++e)
      for (unsigned b = 0; b < f.bits; ++b) {
        int64_t p = bl->bitOffset(e, b) + 8 * int64_t(f.byteOffset);
        auto byte = static_cast<uint16_t>(p / 8);
        auto bit = static_cast<uint8_t>(p % 8), dest = static_cast<uint8_t>(f.shift + b);
        std::vector<Chunk> &c = t.chunks[e];
        // Extend the previous read when this bit follows it in the byte.
        if (!c.empty() && c.back().byte == byte && c.back().shift + c.back().width == bit &&
            c.back().dest + c.back().width == dest)
          ++c.back().width;
        else
          c.push_back({byte, bit, 1, dest});
      }
  }
  return t;
}

uint32_t readCode(const uint8_t *block, const std::vector<Chunk> &chunks) {
  uint32_t v = 0;
  for (const Chunk &c : chunks)
    v |= ((uint32_t(block[c.byte]) >> c.shift) & ((1u << c.width) - 1)) << c.dest;
  return v;
}

float f16ToF32(const uint8_t *p) {
  static const num::Format f16 = num::Format::builtin(num::BuiltinFloat::F16);
  return num::decodeToF32(f16, uint16_t(p[0] | p[1] << 8));
}

void putF32(std::vector<uint8_t> &out, size_t i, float v) {
  uint32_t u = num::f32Bits(v);
  std::memcpy(&out[4 * i], &u, 4);
}

/// The K-quants' 6-bit sub-block scales of Q3_K: 16 values packed in 12
/// bytes (low 4 bits of 0..7 in bytes 0..7, of 8..15 in their high nibbles,
/// the high 2 bits in bytes 8..11), as ggml's dequantize_row_q3_K reads
/// them; returned minus 32.
void q3kScales(const uint8_t *s, int8_t out[16]) {
  for (int j = 0; j < 16; ++j) {
    unsigned low = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
    unsigned high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>(int(low | high << 4) - 32);
  }
}

/// The 6-bit scales and minima of Q4_K and Q5_K: 8 pairs in 12 bytes
/// (pair j < 4: low 6 bits of bytes j and j + 4; pair j >= 4: the nibbles
/// of byte j + 4, their high 2 bits the top bits of bytes j - 4 and j), as
/// ggml's get_scale_min_k4 reads them.
void k4ScalesAndMins(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = q[j] & 63;
      mn[j] = q[j + 4] & 63;
    } else {
      sc[j] = static_cast<uint8_t>((q[j + 4] & 0xF) | (q[j - 4] >> 6) << 4);
      mn[j] = static_cast<uint8_t>((q[j + 4] >> 4) | (q[j] >> 6) << 4);
    }
  }
}

/// How a block type becomes lowbit codes and scales.
struct BlockFormat {
  GGMLType type;
  const char *element;   ///< lowbit element type of the codes
  const char *scheme;    ///< scheme body (group and formats)
  const char *scaleType; ///< the scale tensor's element type (the offsets' too)
  unsigned scaleBytes;
  uint32_t group;        ///< elements per scale
  std::vector<FieldSpec> fields;
  uint32_t codeXor;      ///< offset binary -> two's complement
  bool offsets = false;  ///< rule min_offset: a float offset per group too
};

const std::vector<BlockFormat> &blockFormats() {
  static const std::vector<BlockFormat> formats = {
      // {f16 d; u8 qs[16]}: element j in the low nibble of qs[j], j + 16 in
      // the high one; value (q - 8) d.
      {GGMLType::Q4_0, "!lowbit.int<4>", "rule = absmax, group = 32, scale = f16", "f16", 2, 32,
       {{2, 4, 0, "(4,(16,2)):(1,(8,4))"}}, 8},
      // {f16 d; u32 qh; u8 qs[16]}: Q4_0's nibbles plus bit e of qh as bit 4.
      {GGMLType::Q5_0, "!lowbit.int<5>", "rule = absmax, group = 32, scale = f16", "f16", 2, 32,
       {{6, 4, 0, "(4,(16,2)):(1,(8,4))"}, {2, 1, 4, "(1,32):(1,1)"}}, 16},
      // {f16 d; f16 m; u8 qs[16]}: Q4_0's nibbles, value q d + m.
      {GGMLType::Q4_1, "!lowbit.int<4, unsigned>",
       "rule = min_offset, group = 32, scale = f16, offset = f16", "f16", 2, 32,
       {{4, 4, 0, "(4,(16,2)):(1,(8,4))"}}, 0, true},
      // {f16 d; f16 m; u32 qh; u8 qs[16]}: Q5_0's bits, value q d + m.
      {GGMLType::Q5_1, "!lowbit.int<5, unsigned>",
       "rule = min_offset, group = 32, scale = f16, offset = f16", "f16", 2, 32,
       {{8, 4, 0, "(4,(16,2)):(1,(8,4))"}, {4, 1, 4, "(1,32):(1,1)"}}, 0, true},
      // {f16 d; i8 qs[32]}: value q d.
      {GGMLType::Q8_0, "i8", "rule = absmax, group = 32, scale = f16", "f16", 2, 32,
       {{2, 8, 0, "(8,32):(1,8)"}}, 0},
      // {u8 e; u8 qs[16]}: E2M1 codes in Q4_0's nibble order, E8M0 scale.
      {GGMLType::MXFP4, "f4E2M1FN", "mxfp4", "f8E8M0FNU", 1, 32,
       {{1, 4, 0, "(4,(16,2)):(1,(8,4))"}}, 0},
      // {u8 qs[64]; f16 d}: element 128 j + 32 l + m at bits 2 l of qs[32 j
      // + m]; value (q - 1) d, q in 0..2.
      {GGMLType::TQ2_0, "!lowbit.int<2>", "rule = absmax, group = 256, scale = f16", "f16", 2,
       QK_K, {{0, 2, 0, "(2,(32,4,2)):(1,(8,2,256))"}}, 0},
      // {u8 qs[48]; u8 qh[4]; f16 d}: base-3 digits (decodeTQ1Block).
      {GGMLType::TQ1_0, "!lowbit.int<2>", "rule = absmax, group = 256, scale = f16", "f16", 2,
       QK_K, {}, 0},
      // {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}: element 128 n + 32 j
      // + 16 h + l: bits 2 j of qs[32 n + 16 h + l], high bit 4 n + j of
      // hmask[16 h + l] (set: +0, clear: -4); scale d (s - 32) per 16.
      {GGMLType::Q3_K, "!lowbit.int<3>", "rule = absmax, group = 16, scale = f32", "f32", 4, 16,
       {{32, 2, 0, "(2,(16,2,4,2)):(1,(8,128,2,256))"}, {0, 1, 2, "(1,(16,2,4,2)):(1,(8,128,1,4))"}},
       4},
      // {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: element 128 n + 32 g
      // + l: nibble g / 2 of ql[64 n + 32 (g % 2) + l], high bits 2 g of
      // qh[32 n + l]; value (q - 32) d s per 16.
      {GGMLType::Q6_K, "!lowbit.int<6>", "rule = absmax, group = 16, scale = f32", "f32", 4, 16,
       {{0, 4, 0, "(4,(32,2,2,2)):(1,(8,256,4,512))"}, {128, 2, 4, "(2,(32,2,2,2)):(1,(8,2,4,256))"}},
       32},
      // {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}: Q3_K's low bits;
      // value q d (s & 15) - dmin (s >> 4) per 16.
      {GGMLType::Q2_K, "!lowbit.int<2, unsigned>",
       "rule = min_offset, group = 16, scale = f32, offset = f32", "f32", 4, 16,
       {{16, 2, 0, "(2,(16,2,4,2)):(1,(8,128,2,256))"}}, 0, true},
      // {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}: element 64 c + 32 h +
      // l in nibble h of qs[32 c + l]; value q d s - dmin m per 32.
      {GGMLType::Q4_K, "!lowbit.int<4, unsigned>",
       "rule = min_offset, group = 32, scale = f32, offset = f32", "f32", 4, 32,
       {{16, 4, 0, "(4,(32,2,4)):(1,(8,4,256))"}}, 0, true},
      // {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: Q4_K's
      // nibbles plus bit 2 c + h of qh[l] as bit 4.
      {GGMLType::Q5_K, "!lowbit.int<5, unsigned>",
       "rule = min_offset, group = 32, scale = f32, offset = f32", "f32", 4, 32,
       {{48, 4, 0, "(4,(32,2,4)):(1,(8,4,256))"}, {16, 1, 4, "(1,(32,2,4)):(1,(8,1,2))"}}, 0,
       true},
  };
  return formats;
}

const BlockFormat *blockFormat(GGMLType t) {
  for (const BlockFormat &f : blockFormats())
    if (f.type == t)
      return &f;
  return nullptr;
}

const CodeTable &codeTable(const BlockFormat &f, uint32_t blockElements) {
  static std::mutex m;
  static std::vector<std::pair<GGMLType, CodeTable>> tables;
  std::lock_guard<std::mutex> lock(m);
  for (auto &[t, table] : tables)
    if (t == f.type)
      return table;
  tables.emplace_back(f.type, compileFields(blockElements, f.fields));
  return tables.back().second;
}

/// TQ1_0: 5 ternary digits per byte of qs[48] and 4 per byte of qh[4]:
/// digit n of qs[m] (m < 32) is element 32 n + m, of qs[32 + m] element
/// 160 + 16 n + m, of qh[j] element 240 + 4 n + j. Digit n of byte q is
/// ((q * 3^n mod 256) * 3) >> 8 (ggml's fixed-point base-3 read), 0..2 for
/// -1, 0, +1.
void decodeTQ1Block(const uint8_t *blk, uint8_t *codes) {
  static const uint8_t pow3[6] = {1, 3, 9, 27, 81, 243};
  auto trit = [](uint8_t q, int n) {
    uint8_t v = static_cast<uint8_t>(q * pow3[n]);
    return static_cast<int>((uint16_t(v) * 3) >> 8); // 0, 1 or 2
  };
  auto code = [](int t) { return static_cast<uint8_t>((t + 3) & 3); }; // t - 1, 2 bits
  int e = 0;
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m)
      codes[e++] = code(trit(blk[m], n));
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m)
      codes[e++] = code(trit(blk[32 + m], n));
  for (int n = 0; n < 4; ++n)
    for (int j = 0; j < 4; ++j)
      codes[e++] = code(trit(blk[48 + j], n));
}

llvm::Error blockError(llvm::StringRef name, uint64_t block, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "tensor '" + name + "': block " + llvm::Twine(block) + ": " + what);
}

} // namespace

llvm::ArrayRef<GGMLTypeInfo> lowbit::import::ggmlTypes() { return kTypes; }

const GGMLTypeInfo *lowbit::import::ggmlTypeInfo(uint32_t id) {
  for (const GGMLTypeInfo &t : kTypes)
    if (static_cast<uint32_t>(t.type) == id)
      return &t;
  return nullptr;
}

llvm::Expected<ImportedTensor>
lowbit::import::decodeGGMLTensor(llvm::StringRef name, uint32_t typeId,
                                 llvm::ArrayRef<uint64_t> dims, llvm::ArrayRef<uint8_t> data) {
  auto fail = [&](const llvm::Twine &what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "tensor '" + name + "': " + what);
  };
  const GGMLTypeInfo *info = ggmlTypeInfo(typeId);
  if (!info)
    return fail("unknown ggml type " + llvm::Twine(typeId));
  if (!info->imported)
    return fail(llvm::Twine("ggml type ") + info->name +
                " is not imported (see docs/importing.md for the supported types)");
  if (dims.empty())
    return fail("no dimensions");
  ImportedTensor t;
  t.name = name.str();
  t.format = llvm::StringRef(info->name).upper();
  uint64_t n = 1;
  for (uint64_t d : dims)
    n *= d; // bounded by the reader: the data fits in the file
  for (auto it = dims.rbegin(); it != dims.rend(); ++it)
    t.codes.shape.push_back(static_cast<int64_t>(*it));
  uint64_t rowElements = dims[0];
  if (rowElements % info->blockElements)
    return fail(llvm::formatv("{0} elements per row are not whole blocks of {1}", rowElements,
                              info->blockElements)
                    .str());
  uint64_t blocks = n / info->blockElements;
  if (data.size() != blocks * info->blockBytes)
    return fail("holds " + llvm::Twine(data.size()) + " bytes, its shape needs " +
                llvm::Twine(blocks * info->blockBytes));

  // Plain types: the bytes are the codes.
  switch (info->type) {
  case GGMLType::F32: case GGMLType::F16: case GGMLType::BF16:
  case GGMLType::I8: case GGMLType::I16: case GGMLType::I32:
    t.codes.type = info->type == GGMLType::F32    ? "f32"
                   : info->type == GGMLType::F16  ? "f16"
                   : info->type == GGMLType::BF16 ? "bf16"
                   : info->type == GGMLType::I8   ? "i8"
                   : info->type == GGMLType::I16  ? "i16"
                                                  : "i32";
    t.codes.bytes = info->blockBytes;
    t.codes.data.assign(data.begin(), data.end());
    return t;
  default:
    break;
  }

  const BlockFormat *f = blockFormat(info->type);
  if (!f)
    return fail(llvm::Twine("ggml type ") + info->name + " has no lowbit format");
  const CodeTable *table = nullptr;
  if (!f->fields.empty()) {
    table = &codeTable(*f, info->blockElements);
    if (!table->error.empty())
      return fail("internal: " + table->error);
  }
  t.codes.type = f->element;
  t.codes.bytes = 1;
  t.codes.data.resize(n);
  t.scheme = f->scheme;
  t.scales.type = f->scaleType;
  t.scales.bytes = f->scaleBytes;
  t.scales.shape = t.codes.shape;
  t.scales.shape.back() /= f->group;
  t.scales.data.resize(size_t(n / f->group) * f->scaleBytes);
  if (f->offsets)
    t.zeros = t.scales; // same type and grid; the data is overwritten below

  const uint32_t be = info->blockElements, bb = info->blockBytes;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint8_t *blk = data.data() + b * bb;
    uint8_t *codes = t.codes.data.data() + b * be;
    if (table) {
      for (uint32_t e = 0; e < be; ++e)
        codes[e] = static_cast<uint8_t>(readCode(blk, table->chunks[e]) ^ f->codeXor);
    }
    switch (info->type) {
    case GGMLType::Q4_0: case GGMLType::Q5_0: case GGMLType::Q8_0:
      std::memcpy(&t.scales.data[2 * b], blk, 2);
      break;
    case GGMLType::MXFP4:
      if (blk[0] == 0xFF)
        return blockError(name, b, "MXFP4 scale 0xFF (NaN in OCP MX; ggml reads it as 2^127)");
      t.scales.data[b] = blk[0];
      for (uint32_t e = 0; e < be; ++e)
        if (codes[e] == 8)
          codes[e] = 0; // E2M1 -0: ggml's table gives +0
      break;
    case GGMLType::TQ2_0:
      for (uint32_t e = 0; e < be; ++e) {
        if (codes[e] == 3)
          return blockError(name, b, "TQ2_0 code 3 at element " + llvm::Twine(e) +
                                         " is not ternary (ggml would read +2)");
        codes[e] = static_cast<uint8_t>((codes[e] + 3) & 3); // q - 1 in two's complement
      }
      std::memcpy(&t.scales.data[2 * b], blk + 64, 2);
      break;
    case GGMLType::TQ1_0:
      decodeTQ1Block(blk, codes);
      std::memcpy(&t.scales.data[2 * b], blk + 52, 2);
      break;
    case GGMLType::Q3_K: {
      int8_t s[16];
      q3kScales(blk + 96, s);
      float d = f16ToF32(blk + 108);
      for (int j = 0; j < 16; ++j)
        putF32(t.scales.data, 16 * b + j, d * float(s[j]));
      break;
    }
    case GGMLType::Q6_K: {
      float d = f16ToF32(blk + 208);
      for (int j = 0; j < 16; ++j)
        putF32(t.scales.data, 16 * b + j, d * float(int8_t(blk[192 + j])));
      break;
    }
    case GGMLType::Q4_1: case GGMLType::Q5_1:
      std::memcpy(&t.scales.data[2 * b], blk, 2);
      std::memcpy(&t.zeros.data[2 * b], blk + 2, 2);
      break;
    case GGMLType::Q2_K: {
      // Offsets are -(dmin m): ggml's `- ml`, negated exactly.
      float d = f16ToF32(blk + 80), dmin = f16ToF32(blk + 82);
      for (int j = 0; j < 16; ++j) {
        putF32(t.scales.data, 16 * b + j, d * float(blk[j] & 0xF));
        putF32(t.zeros.data, 16 * b + j, -(dmin * float(blk[j] >> 4)));
      }
      break;
    }
    case GGMLType::Q4_K: case GGMLType::Q5_K: {
      uint8_t sc[8], mn[8];
      k4ScalesAndMins(blk + 4, sc, mn);
      float d = f16ToF32(blk), dmin = f16ToF32(blk + 2);
      for (int j = 0; j < 8; ++j) {
        putF32(t.scales.data, 8 * b + j, d * float(sc[j]));
        putF32(t.zeros.data, 8 * b + j, -(dmin * float(mn[j])));
      }
      break;
    }
    default:
      return fail(llvm::Twine("ggml type ") + info->name + " has no scale reader");
    }
  }
  return t;
}
