//===- GGUF.cpp - GGUF reader and writer -----------------------------------===//

#include "lowbit/Import/GGUF.h"

#include "lowbit/Import/GGMLTypes.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace lowbit::import;

namespace {
constexpr uint32_t kMagic = 0x46554747; // "GGUF" read little-endian
/// ggml's GGML_MAX_DIMS.
constexpr unsigned kMaxDims = 4;

/// Reads little-endian values from the buffer, each read checked.
class Cursor {
public:
  Cursor(llvm::ArrayRef<uint8_t> buf, llvm::StringRef file) : buf(buf), file(file) {}
  uint64_t offset() const { return pos; }
  uint64_t remaining() const { return buf.size() - pos; }

  llvm::Error error(const llvm::Twine &what, uint64_t at) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   file + ": offset " + llvm::Twine(at) + ": " + what);
  }
  llvm::Error error(const llvm::Twine &what) const { return error(what, pos); }

  template <class T> llvm::Error read(T &v, const char *what) {
    if (remaining() < sizeof(T))
      return error(llvm::Twine("truncated file: ") + what + " needs " + llvm::Twine(sizeof(T)) +
                   " bytes, " + llvm::Twine(remaining()) + " left");
    std::memcpy(&v, buf.data() + pos, sizeof(T));
    pos += sizeof(T);
    return llvm::Error::success();
  }

  llvm::Error readString(std::string &s, const char *what) {
    uint64_t at = pos, n;
    if (llvm::Error e = read(n, what))
      return e;
    if (n > remaining())
      return error(llvm::Twine(what) + " of " + llvm::Twine(n) + " bytes runs past the end (" +
                       llvm::Twine(remaining()) + " bytes left)",
                   at);
    s.assign(reinterpret_cast<const char *>(buf.data() + pos), n);
    pos += n;
    return llvm::Error::success();
  }

private:
  llvm::ArrayRef<uint8_t> buf;
  llvm::StringRef file;
  uint64_t pos = 0;
};

/// The smallest encoding of a value of type t (bounds array counts before
/// anything is allocated).
uint64_t minBytes(GGUFValueType t) {
  switch (t) {
  case GGUFValueType::UInt8: case GGUFValueType::Int8: case GGUFValueType::Bool: return 1;
  case GGUFValueType::UInt16: case GGUFValueType::Int16: return 2;
  case GGUFValueType::UInt32: case GGUFValueType::Int32: case GGUFValueType::Float32: return 4;
  case GGUFValueType::String: case GGUFValueType::UInt64: case GGUFValueType::Int64:
  case GGUFValueType::Float64: return 8;
  case GGUFValueType::Array: return 12;
  }
  return 1;
}

bool validType(uint32_t t) { return t <= static_cast<uint32_t>(GGUFValueType::Float64); }

llvm::Error readValue(Cursor &c, GGUFValueType t, GGUFValue &v, bool inArray) {
  v.type = t;
  auto readInt = [&](auto sample, bool isSigned) -> llvm::Error {
    decltype(sample) x;
    if (llvm::Error e = c.read(x, "a metadata value"))
      return e;
    v.u = isSigned ? static_cast<uint64_t>(static_cast<int64_t>(x)) : static_cast<uint64_t>(x);
    return llvm::Error::success();
  };
  switch (t) {
  case GGUFValueType::UInt8: return readInt(uint8_t(), false);
  case GGUFValueType::Int8: return readInt(int8_t(), true);
  case GGUFValueType::UInt16: return readInt(uint16_t(), false);
  case GGUFValueType::Int16: return readInt(int16_t(), true);
  case GGUFValueType::UInt32: return readInt(uint32_t(), false);
  case GGUFValueType::Int32: return readInt(int32_t(), true);
  case GGUFValueType::UInt64: return readInt(uint64_t(), false);
  case GGUFValueType::Int64: return readInt(int64_t(), true);
  case GGUFValueType::Bool: {
    uint64_t at = c.offset();
    uint8_t b;
    if (llvm::Error e = c.read(b, "a bool"))
      return e;
    if (b > 1)
      return c.error("bool value " + llvm::Twine(unsigned(b)) + " is neither 0 nor 1", at);
    v.u = b;
    return llvm::Error::success();
  }
  case GGUFValueType::Float32: {
    float f;
    if (llvm::Error e = c.read(f, "a float32"))
      return e;
    v.f = f;
    return llvm::Error::success();
  }
  case GGUFValueType::Float64:
    return c.read(v.f, "a float64");
  case GGUFValueType::String:
    return c.readString(v.s, "a string");
  case GGUFValueType::Array: {
    uint64_t at = c.offset();
    if (inArray)
      return c.error("nested arrays are not supported", at);
    uint32_t et;
    uint64_t n;
    if (llvm::Error e = c.read(et, "an array's element type"))
      return e;
    if (!validType(et))
      return c.error("unknown array element type " + llvm::Twine(et), at);
    if (llvm::Error e = c.read(n, "an array's length"))
      return e;
    v.elementType = static_cast<GGUFValueType>(et);
    if (v.elementType == GGUFValueType::Array)
      return c.error("nested arrays are not supported", at);
    if (n > c.remaining() / minBytes(v.elementType))
      return c.error("array of " + llvm::Twine(n) + " elements runs past the end", at);
    v.elements.resize(n);
    for (GGUFValue &x : v.elements)
      if (llvm::Error e = readValue(c, v.elementType, x, true))
        return e;
    return llvm::Error::success();
  }
  }
  return c.error("unknown value type " + llvm::Twine(static_cast<uint32_t>(t)));
}
} // namespace

llvm::StringRef lowbit::import::ggufValueTypeName(GGUFValueType t) {
  static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                "bool", "string", "array", "uint64", "int64", "float64"};
  auto i = static_cast<uint32_t>(t);
  return i < 13 ? names[i] : "unknown";
}

GGUFValue GGUFValue::uint(GGUFValueType t, uint64_t v) {
  GGUFValue x;
  x.type = t;
  x.u = v;
  return x;
}
GGUFValue GGUFValue::sint(GGUFValueType t, int64_t v) {
  return uint(t, static_cast<uint64_t>(v));
}
GGUFValue GGUFValue::real(GGUFValueType t, double v) {
  GGUFValue x;
  x.type = t;
  x.f = v;
  return x;
}
GGUFValue GGUFValue::boolean(bool v) { return uint(GGUFValueType::Bool, v); }
GGUFValue GGUFValue::string(std::string v) {
  GGUFValue x;
  x.type = GGUFValueType::String;
  x.s = std::move(v);
  return x;
}
GGUFValue GGUFValue::array(GGUFValueType elementType, std::vector<GGUFValue> elements) {
  GGUFValue x;
  x.type = GGUFValueType::Array;
  x.elementType = elementType;
  x.elements = std::move(elements);
  return x;
}

uint64_t GGUFTensor::elements() const {
  uint64_t n = 1;
  for (uint64_t d : dims)
    n *= d;
  return n;
}

const GGUFValue *GGUFFile::find(llvm::StringRef key) const {
  for (const auto &[k, v] : metadata)
    if (k == key)
      return &v;
  return nullptr;
}

llvm::Expected<GGUFFile> GGUFFile::parse(llvm::ArrayRef<uint8_t> buffer, llvm::StringRef fileName) {
  Cursor c(buffer, fileName);
  GGUFFile f;
  f.buffer = buffer;
  uint32_t magic;
  if (llvm::Error e = c.read(magic, "the magic"))
    return std::move(e);
  if (magic != kMagic)
    return c.error("not a GGUF file (no 'GGUF' magic)", 0);
  if (llvm::Error e = c.read(f.version, "the version"))
    return std::move(e);
  if (f.version == 1)
    return c.error("GGUF version 1 is not supported (versions 2 and 3 are)", 4);
  if (f.version > 3 && (f.version & 0xFFFF) == 0)
    return c.error("big-endian GGUF files are not supported", 4);
  if (f.version > 3)
    return c.error("GGUF version " + llvm::Twine(f.version) + " is not supported (2 and 3 are)", 4);
  uint64_t tensorCount, kvCount;
  if (llvm::Error e = c.read(tensorCount, "the tensor count"))
    return std::move(e);
  if (llvm::Error e = c.read(kvCount, "the metadata count"))
    return std::move(e);
  // Each key/value takes at least 8 + 4 + 1 bytes, each tensor 8 + 4 + 4 + 8.
  if (kvCount > c.remaining() / 13)
    return c.error("metadata count " + llvm::Twine(kvCount) + " is more than the file holds", 16);
  f.metadata.reserve(kvCount);
  for (uint64_t i = 0; i < kvCount; ++i) {
    std::string key;
    uint64_t at = c.offset();
    if (llvm::Error e = c.readString(key, "a metadata key"))
      return std::move(e);
    uint32_t type;
    if (llvm::Error e = c.read(type, "a value type"))
      return std::move(e);
    if (!validType(type))
      return c.error("metadata '" + key + "': unknown value type " + llvm::Twine(type), at);
    GGUFValue v;
    if (llvm::Error e = readValue(c, static_cast<GGUFValueType>(type), v, false))
      return std::move(e);
    if (f.find(key))
      return c.error("metadata key '" + key + "' appears twice", at);
    f.metadata.emplace_back(std::move(key), std::move(v));
  }
  if (const GGUFValue *a = f.find("general.alignment")) {
    if (a->type != GGUFValueType::UInt32 || a->u == 0 || !llvm::isPowerOf2_64(a->u))
      return c.error("general.alignment must be a uint32 power of two");
    f.alignment = a->u;
  }
  if (tensorCount > c.remaining() / 24)
    return c.error("tensor count " + llvm::Twine(tensorCount) + " is more than the file holds", 8);
  f.tensors.reserve(tensorCount);
  for (uint64_t i = 0; i < tensorCount; ++i) {
    GGUFTensor t;
    uint64_t at = c.offset();
    if (llvm::Error e = c.readString(t.name, "a tensor name"))
      return std::move(e);
    uint32_t nDims;
    if (llvm::Error e = c.read(nDims, "a tensor's dimension count"))
      return std::move(e);
    if (nDims == 0 || nDims > kMaxDims)
      return c.error("tensor '" + t.name + "': " + llvm::Twine(nDims) +
                         " dimensions (1 to 4 are allowed)",
                     at);
    t.dims.resize(nDims);
    uint64_t elements = 1;
    for (uint64_t &d : t.dims) {
      if (llvm::Error e = c.read(d, "a tensor dimension"))
        return std::move(e);
      if (d == 0 || d > (uint64_t(1) << 62) / elements)
        return c.error("tensor '" + t.name + "': dimension " + llvm::Twine(d) +
                           " is zero or makes the tensor too large",
                       at);
      elements *= d;
    }
    if (llvm::Error e = c.read(t.type, "a tensor type"))
      return std::move(e);
    const GGMLTypeInfo *info = ggmlTypeInfo(t.type);
    if (!info)
      return c.error("tensor '" + t.name + "': unknown ggml type " + llvm::Twine(t.type), at);
    if (t.dims[0] % info->blockElements)
      return c.error("tensor '" + t.name + "': " + llvm::Twine(t.dims[0]) + " elements per row" +
                         " are not whole " + info->name + " blocks of " +
                         llvm::Twine(info->blockElements),
                     at);
    t.bytes = elements / info->blockElements * info->blockBytes;
    if (llvm::Error e = c.read(t.offset, "a tensor offset"))
      return std::move(e);
    if (t.offset % f.alignment)
      return c.error("tensor '" + t.name + "': offset " + llvm::Twine(t.offset) +
                         " is not a multiple of the alignment " + llvm::Twine(f.alignment),
                     at);
    for (const GGUFTensor &o : f.tensors)
      if (o.name == t.name)
        return c.error("tensor name '" + t.name + "' appears twice", at);
    f.tensors.push_back(std::move(t));
  }
  f.dataOffset = llvm::alignTo(c.offset(), f.alignment);
  for (const GGUFTensor &t : f.tensors) {
    uint64_t avail = buffer.size() > f.dataOffset ? buffer.size() - f.dataOffset : 0;
    if (t.offset > avail || t.bytes > avail - t.offset)
      return c.error("tensor '" + t.name + "': data [" + llvm::Twine(t.offset) + ", " +
                         llvm::Twine(t.offset + t.bytes) + ") of the data section runs past the " +
                         "end of the file (" + llvm::Twine(avail) + " bytes of data)",
                     f.dataOffset);
  }
  return f;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

llvm::Error GGUFWriter::addTensor(std::string name, std::vector<uint64_t> dims, uint32_t type,
                                  std::vector<uint8_t> data) {
  const GGMLTypeInfo *info = ggmlTypeInfo(type);
  if (!info)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown ggml type " + llvm::Twine(type));
  uint64_t n = 1;
  for (uint64_t d : dims)
    n *= d;
  if (dims.empty() || dims[0] % info->blockElements ||
      data.size() != n / info->blockElements * info->blockBytes)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "tensor '" + name + "': data does not match its shape");
  Tensor t;
  t.info.name = std::move(name);
  t.info.dims = std::move(dims);
  t.info.type = type;
  t.info.bytes = data.size();
  t.data = std::move(data);
  tensors.push_back(std::move(t));
  return llvm::Error::success();
}

namespace {
template <class T> void put(llvm::raw_ostream &os, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  os.write(b, sizeof(T));
}
void putString(llvm::raw_ostream &os, llvm::StringRef s) {
  put<uint64_t>(os, s.size());
  os << s;
}
void putValue(llvm::raw_ostream &os, const GGUFValue &v) {
  switch (v.type) {
  case GGUFValueType::UInt8: case GGUFValueType::Int8: case GGUFValueType::Bool:
    put<uint8_t>(os, static_cast<uint8_t>(v.u));
    break;
  case GGUFValueType::UInt16: case GGUFValueType::Int16:
    put<uint16_t>(os, static_cast<uint16_t>(v.u));
    break;
  case GGUFValueType::UInt32: case GGUFValueType::Int32:
    put<uint32_t>(os, static_cast<uint32_t>(v.u));
    break;
  case GGUFValueType::UInt64: case GGUFValueType::Int64:
    put<uint64_t>(os, v.u);
    break;
  case GGUFValueType::Float32:
    put<float>(os, static_cast<float>(v.f));
    break;
  case GGUFValueType::Float64:
    put<double>(os, v.f);
    break;
  case GGUFValueType::String:
    putString(os, v.s);
    break;
  case GGUFValueType::Array:
    put<uint32_t>(os, static_cast<uint32_t>(v.elementType));
    put<uint64_t>(os, v.elements.size());
    for (const GGUFValue &x : v.elements)
      putValue(os, x);
    break;
  }
}
} // namespace

void GGUFWriter::write(llvm::raw_ostream &os) const {
  uint64_t written = 0;
  std::string header;
  llvm::raw_string_ostream h(header);
  put<uint32_t>(h, kMagic);
  put<uint32_t>(h, version);
  put<uint64_t>(h, tensors.size());
  bool customAlignment = alignment != 32;
  put<uint64_t>(h, metadata.size() + (customAlignment ? 1 : 0));
  if (customAlignment) {
    putString(h, "general.alignment");
    put<uint32_t>(h, static_cast<uint32_t>(GGUFValueType::UInt32));
    put<uint32_t>(h, alignment);
  }
  for (const auto &[k, v] : metadata) {
    putString(h, k);
    put<uint32_t>(h, static_cast<uint32_t>(v.type));
    putValue(h, v);
  }
  uint64_t offset = 0;
  for (const Tensor &t : tensors) {
    putString(h, t.info.name);
    put<uint32_t>(h, t.info.dims.size());
    for (uint64_t d : t.info.dims)
      put<uint64_t>(h, d);
    put<uint32_t>(h, t.info.type);
    put<uint64_t>(h, offset);
    offset = llvm::alignTo(offset + t.data.size(), alignment);
  }
  h.flush();
  os << header;
  written = header.size();
  auto pad = [&](uint64_t to) {
    for (; written < to; ++written)
      os << '\0';
  };
  pad(llvm::alignTo(written, alignment));
  uint64_t base = written;
  offset = 0;
  for (const Tensor &t : tensors) {
    pad(base + offset);
    os.write(reinterpret_cast<const char *>(t.data.data()), t.data.size());
    written += t.data.size();
    offset = llvm::alignTo(offset + t.data.size(), alignment);
  }
}

llvm::Error GGUFWriter::writeFile(llvm::StringRef path) const {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path + ": " + ec.message());
  write(os);
  return llvm::Error::success();
}
