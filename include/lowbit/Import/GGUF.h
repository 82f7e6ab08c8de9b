//===- GGUF.h - llama.cpp's GGUF container: reader and writer ---*- C++ -*-===//
//
// GGUF (ggml's model file, versions 2 and 3): a header, typed key/value
// metadata, tensor descriptions, then the tensor data at an alignment
// (`general.alignment`, default 32). Reading checks every length and offset
// against the buffer before it is used, so that a malformed or truncated
// file gives an error naming the byte offset, never a read past the end or
// an allocation the file's size does not justify.
//
// The format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
// (learned from, not copied). This library has no MLIR dependency; the
// block types' meaning is in GGMLTypes.h, the MLIR import in Import.h.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_IMPORT_GGUF_H
#define LOWBIT_IMPORT_GGUF_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lowbit::import {

/// GGUF metadata value types (the numbers are the file's).
enum class GGUFValueType : uint32_t {
  UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5,
  Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11,
  Float64 = 12,
};
llvm::StringRef ggufValueTypeName(GGUFValueType t);

/// One metadata value. Integers are kept in `u` (the bit pattern,
/// sign-extended for signed types, so `i()` is the value), floats in `f`.
struct GGUFValue {
  GGUFValueType type = GGUFValueType::UInt32;
  uint64_t u = 0;
  double f = 0;
  std::string s;
  GGUFValueType elementType = GGUFValueType::UInt8; ///< arrays
  std::vector<GGUFValue> elements;                  ///< arrays (not nested)

  int64_t i() const { return static_cast<int64_t>(u); }
  static GGUFValue uint(GGUFValueType t, uint64_t v);
  static GGUFValue sint(GGUFValueType t, int64_t v);
  static GGUFValue real(GGUFValueType t, double v);
  static GGUFValue boolean(bool v);
  static GGUFValue string(std::string v);
  static GGUFValue array(GGUFValueType elementType, std::vector<GGUFValue> elements);
};

struct GGUFTensor {
  std::string name;
  /// ggml order: dims[0] is the contiguous (innermost) dimension, so a
  /// weight of N rows of K is {K, N}.
  std::vector<uint64_t> dims;
  uint32_t type = 0;     ///< a ggml type (GGMLTypes.h)
  uint64_t offset = 0;   ///< from the start of the data section
  uint64_t bytes = 0;    ///< computed from dims and the type's block size
  uint64_t elements() const;
};

/// A parsed file. The tensor data is not copied: tensorData() points into
/// the buffer given to parse(), which must outlive the GGUFFile.
class GGUFFile {
public:
  static llvm::Expected<GGUFFile> parse(llvm::ArrayRef<uint8_t> buffer,
                                        llvm::StringRef fileName = "<gguf>");

  uint32_t version = 3;
  uint64_t alignment = 32;
  uint64_t dataOffset = 0; ///< file offset of the data section
  std::vector<std::pair<std::string, GGUFValue>> metadata;
  std::vector<GGUFTensor> tensors;

  const GGUFValue *find(llvm::StringRef key) const;
  llvm::ArrayRef<uint8_t> tensorData(const GGUFTensor &t) const {
    return buffer.slice(dataOffset + t.offset, t.bytes);
  }

private:
  llvm::ArrayRef<uint8_t> buffer;
};

/// Writes GGUF files (tests make their fixtures with it; a converter could
/// too). Tensors are laid out in the order added, each at the alignment.
class GGUFWriter {
public:
  uint32_t version = 3;
  uint32_t alignment = 32; ///< written as general.alignment when not 32

  void add(std::string key, GGUFValue value) {
    metadata.emplace_back(std::move(key), std::move(value));
  }
  /// `data` must hold exactly the bytes of `dims` elements of `type`.
  llvm::Error addTensor(std::string name, std::vector<uint64_t> dims, uint32_t type,
                        std::vector<uint8_t> data);
  void write(llvm::raw_ostream &os) const;
  llvm::Error writeFile(llvm::StringRef path) const;

private:
  std::vector<std::pair<std::string, GGUFValue>> metadata;
  struct Tensor {
    GGUFTensor info;
    std::vector<uint8_t> data;
  };
  std::vector<Tensor> tensors;
};

} // namespace lowbit::import

#endif
