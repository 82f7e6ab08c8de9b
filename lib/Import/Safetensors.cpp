//===- Safetensors.cpp - safetensors reader, writer and checkpoints --------===//

#include "lowbit/Import/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstring>
#include <map>

using namespace lowbit::import;

namespace {
/// The reference implementation's limit on the JSON header.
constexpr uint64_t kMaxHeader = 100'000'000;

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
} // namespace

unsigned lowbit::import::safetensorsDTypeBytes(llvm::StringRef d) {
  return llvm::StringSwitch<unsigned>(d)
      .Cases({"BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2"}, 1)
      .Cases({"U16", "I16", "F16", "BF16"}, 2)
      .Cases({"U32", "I32", "F32"}, 4)
      .Cases({"U64", "I64", "F64"}, 8)
      .Default(0);
}

const SafetensorsTensor *SafetensorsFile::find(llvm::StringRef name) const {
  for (const SafetensorsTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

llvm::Expected<SafetensorsFile> SafetensorsFile::parse(llvm::ArrayRef<uint8_t> buffer,
                                                       llvm::StringRef file) {
  SafetensorsFile f;
  f.buffer = buffer;
  if (buffer.size() < 8)
    return err(file + ": offset 0: truncated file: no 8-byte header length");
  uint64_t n;
  std::memcpy(&n, buffer.data(), 8);
  if (n > kMaxHeader)
    return err(file + ": offset 0: header length " + llvm::Twine(n) + " is over the limit of " +
               llvm::Twine(kMaxHeader) + " bytes");
  if (n > buffer.size() - 8)
    return err(file + ": offset 0: header length " + llvm::Twine(n) + " runs past the end (" +
               llvm::Twine(buffer.size() - 8) + " bytes follow)");
  f.dataOffset = 8 + n;
  uint64_t dataSize = buffer.size() - f.dataOffset;
  llvm::StringRef text(reinterpret_cast<const char *>(buffer.data() + 8), n);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return err(file + ": offset 8: the JSON header does not parse: " +
               llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return err(file + ": offset 8: the header is not a JSON object");
  for (const auto &[key, value] : *root) {
    std::string name = key.str();
    auto bad = [&](const llvm::Twine &what) {
      return err(file + ": tensor '" + name + "': " + what);
    };
    if (name == "__metadata__") {
      const llvm::json::Object *m = value.getAsObject();
      if (!m)
        return err(file + ": __metadata__ is not an object");
      for (const auto &[mk, mv] : *m) {
        std::optional<llvm::StringRef> s = mv.getAsString();
        if (!s)
          return err(file + ": __metadata__ '" + mk.str() + "' is not a string");
        f.metadata.emplace_back(mk.str(), s->str());
      }
      continue;
    }
    const llvm::json::Object *o = value.getAsObject();
    if (!o)
      return bad("the entry is not an object");
    SafetensorsTensor t;
    t.name = name;
    std::optional<llvm::StringRef> dtype = o->getString("dtype");
    if (!dtype)
      return bad("no dtype");
    t.dtype = dtype->str();
    unsigned eb = safetensorsDTypeBytes(*dtype);
    if (!eb)
      return bad("unknown dtype '" + t.dtype + "'");
    const llvm::json::Array *shape = o->getArray("shape");
    const llvm::json::Array *offs = o->getArray("data_offsets");
    if (!shape || !offs)
      return bad("needs 'shape' and 'data_offsets' arrays");
    uint64_t elements = 1;
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> v = d.getAsInteger();
      if (!v || *v < 0)
        return bad("a dimension is not a non-negative integer");
      if (*v && elements > (uint64_t(1) << 62) / uint64_t(*v))
        return bad("the shape is too large");
      elements *= uint64_t(*v);
      t.shape.push_back(*v);
    }
    if (offs->size() != 2)
      return bad("data_offsets must be [begin, end]");
    std::optional<int64_t> b = (*offs)[0].getAsInteger(), e = (*offs)[1].getAsInteger();
    if (!b || !e || *b < 0 || *e < *b)
      return bad("data_offsets must be integers with 0 <= begin <= end");
    t.begin = uint64_t(*b);
    t.end = uint64_t(*e);
    if (t.end > dataSize)
      return bad("data [" + llvm::Twine(t.begin) + ", " + llvm::Twine(t.end) +
                 ") runs past the end of the data (" + llvm::Twine(dataSize) + " bytes)");
    if (t.end - t.begin != elements * eb)
      return bad("holds " + llvm::Twine(t.end - t.begin) + " bytes, its shape and dtype need " +
                 llvm::Twine(elements * eb));
    f.tensors.push_back(std::move(t));
  }
  // llvm::json::Object is unordered: keep the file's order of the data.
  llvm::sort(f.tensors, [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < f.tensors.size(); ++i)
    if (f.tensors[i].begin < f.tensors[i - 1].end)
      return err(file + ": tensors '" + f.tensors[i - 1].name + "' and '" + f.tensors[i].name +
                 "' overlap");
  return f;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

llvm::Error SafetensorsWriter::addTensor(std::string name, std::string dtype,
                                         std::vector<int64_t> shape, std::vector<uint8_t> data) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= uint64_t(d);
  if (n * safetensorsDTypeBytes(dtype) != data.size())
    return err("tensor '" + name + "': data does not match its shape and dtype");
  SafetensorsTensor t;
  t.name = std::move(name);
  t.dtype = std::move(dtype);
  t.shape = std::move(shape);
  tensors.emplace_back(std::move(t), std::move(data));
  return llvm::Error::success();
}

void SafetensorsWriter::write(llvm::raw_ostream &os) const {
  llvm::json::Object header;
  uint64_t offset = 0;
  for (const auto &[t, data] : tensors) {
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    header[t.name] = llvm::json::Object{
        {"dtype", t.dtype},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{int64_t(offset), int64_t(offset + data.size())}}};
    offset += data.size();
  }
  if (!metadata.empty()) {
    llvm::json::Object m;
    for (const auto &[k, v] : metadata)
      m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(header));
  while (text.size() % 8) // the reference writer pads the header with spaces
    text += ' ';
  uint64_t n = text.size();
  char len[8];
  std::memcpy(len, &n, 8);
  os.write(len, 8);
  os << text;
  for (const auto &[t, data] : tensors)
    os.write(reinterpret_cast<const char *>(data.data()), data.size());
}

llvm::Error SafetensorsWriter::writeFile(llvm::StringRef path) const {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return err("cannot write " + path + ": " + ec.message());
  write(os);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

const SafetensorsCheckpoint::Entry *SafetensorsCheckpoint::find(llvm::StringRef name) const {
  for (const Entry &e : entries)
    if (e.tensor->name == name)
      return &e;
  return nullptr;
}

llvm::Expected<SafetensorsCheckpoint>
SafetensorsCheckpoint::fromBuffer(llvm::ArrayRef<uint8_t> buffer, llvm::StringRef name,
                                  llvm::StringRef quantizeConfig) {
  SafetensorsCheckpoint c;
  if (!quantizeConfig.empty()) {
    llvm::Expected<llvm::json::Value> json = llvm::json::parse(quantizeConfig);
    if (!json)
      return err(name + ": quantization config: " + llvm::toString(json.takeError()));
    if (!json->getAsObject())
      return err(name + ": quantization config: not a JSON object");
    c.quantizeConfig = quantizeConfig.str();
    c.quantizeConfigFile = (name + " (config)").str();
  }
  llvm::Expected<SafetensorsFile> f = SafetensorsFile::parse(buffer, name);
  if (!f)
    return f.takeError();
  c.files.push_back(std::make_unique<SafetensorsFile>(std::move(*f)));
  for (const SafetensorsTensor &t : c.files.back()->tensors)
    c.entries.push_back({c.files.back().get(), &t, name.str()});
  return c;
}

llvm::Expected<SafetensorsCheckpoint> SafetensorsCheckpoint::open(llvm::StringRef path) {
  SafetensorsCheckpoint c;
  std::string dir = path.str(), index;
  std::vector<std::string> shardFiles;
  if (llvm::sys::fs::is_directory(path)) {
    llvm::SmallString<256> p(path);
    llvm::sys::path::append(p, "model.safetensors.index.json");
    if (llvm::sys::fs::exists(p)) {
      index = std::string(p);
    } else {
      llvm::SmallString<256> single(path);
      llvm::sys::path::append(single, "model.safetensors");
      if (!llvm::sys::fs::exists(single))
        return err(path + ": no model.safetensors.index.json or model.safetensors in the directory");
      shardFiles.push_back(std::string(single));
    }
  } else if (path.ends_with(".json")) {
    index = path.str();
    dir = llvm::sys::path::parent_path(path).str();
  } else {
    shardFiles.push_back(path.str());
    dir = llvm::sys::path::parent_path(path).str();
  }
  if (!index.empty()) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb = llvm::MemoryBuffer::getFile(index);
    if (!mb)
      return err(index + ": " + mb.getError().message());
    llvm::Expected<llvm::json::Value> json = llvm::json::parse((*mb)->getBuffer());
    if (!json)
      return err(index + ": " + llvm::toString(json.takeError()));
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Object *map = root ? root->getObject("weight_map") : nullptr;
    if (!map)
      return err(index + ": no \"weight_map\" object");
    std::map<std::string, bool> seen;
    for (const auto &[k, v] : *map) {
      std::optional<llvm::StringRef> f = v.getAsString();
      if (!f)
        return err(index + ": weight_map '" + k.str() + "' is not a file name");
      if (f->contains('/') || f->contains('\\') || *f == "..")
        return err(index + ": shard '" + *f + "' is not a file beside the index");
      if (!seen[f->str()]) {
        seen[f->str()] = true;
        llvm::SmallString<256> p(dir);
        llvm::sys::path::append(p, *f);
        shardFiles.push_back(std::string(p));
      }
    }
    llvm::sort(shardFiles);
  }
  for (const std::string &file : shardFiles) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb =
        llvm::MemoryBuffer::getFile(file, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!mb)
      return err(file + ": " + mb.getError().message());
    llvm::StringRef b = (*mb)->getBuffer();
    llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(b.data()), b.size());
    llvm::Expected<SafetensorsFile> f = SafetensorsFile::parse(bytes, file);
    if (!f)
      return f.takeError();
    c.buffers.push_back(std::move(*mb));
    c.files.push_back(std::make_unique<SafetensorsFile>(std::move(*f)));
    for (const SafetensorsTensor &t : c.files.back()->tensors) {
      if (c.find(t.name))
        return err(file + ": tensor '" + t.name + "' is also in another shard");
      c.entries.push_back({c.files.back().get(), &t, file});
    }
  }
  for (const char *name : {"quantize_config.json", "config.json"}) {
    llvm::SmallString<256> p(dir.empty() ? "." : dir);
    llvm::sys::path::append(p, name);
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb = llvm::MemoryBuffer::getFile(p);
    if (!mb)
      continue;
    llvm::Expected<llvm::json::Value> json = llvm::json::parse((*mb)->getBuffer());
    if (!json)
      return err(std::string(p) + ": " + llvm::toString(json.takeError()));
    const llvm::json::Object *o = json->getAsObject();
    if (o && llvm::StringRef(name) == "config.json")
      o = o->getObject("quantization_config");
    if (!o)
      continue;
    std::string text;
    llvm::raw_string_ostream(text) << llvm::json::Value(llvm::json::Object(*o));
    c.quantizeConfig = text;
    c.quantizeConfigFile = std::string(p);
    break;
  }
  return c;
}
