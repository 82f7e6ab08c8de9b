//===- Safetensors.h - Hugging Face safetensors: reader, writer -*- C++ -*-===//
//
// A safetensors file is an 8-byte little-endian header length, a JSON
// header ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}) and the data. Reading checks the
// header's size (at most 100 MB, as the reference implementation), every
// entry's dtype, shape and offsets against the data, and that entries do
// not overlap. Checkpoints sharded with `model.safetensors.index.json`
// ({"weight_map": {tensor: file}}) are read as one set of tensors.
//
// GPTQ (AutoGPTQ: `qweight` int32 [K*bits/32, N] packed along K, `qzeros`
// int32 [G, N*bits/32] packed along N holding zero - 1 (the v1 convention;
// `"checkpoint_format": "gptq_v2"` holds the zeros as they are), `scales`
// f16 [G, N], `g_idx` int32 [K] with act-order) and AWQ (AutoAWQ GEMM:
// `qweight`/`qzeros` int32 packed along N, nibble i of a word holding
// column 8 w + [0, 2, 4, 6, 1, 3, 5, 7][i]) layers become one ImportedTensor
// each, named by the layer's prefix, with codes N x K (row per output
// channel) and their scales and zero points, not dequantized. The bit width
// and group size come from `quantize_config.json` or `config.json`'s
// `quantization_config` beside the file, else from the shapes.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_IMPORT_SAFETENSORS_H
#define LOWBIT_IMPORT_SAFETENSORS_H

#include "lowbit/Import/ImportedTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lowbit::import {

struct SafetensorsTensor {
  std::string name;
  std::string dtype; ///< "F32", "F16", "BF16", "F8_E4M3", "I32", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; ///< within the data section
};

/// Bytes per element of a safetensors dtype, 0 if unknown.
unsigned safetensorsDTypeBytes(llvm::StringRef dtype);

class SafetensorsFile {
public:
  /// `buffer` must outlive the result.
  static llvm::Expected<SafetensorsFile> parse(llvm::ArrayRef<uint8_t> buffer,
                                               llvm::StringRef fileName = "<safetensors>");
  std::vector<SafetensorsTensor> tensors; ///< in header order
  std::vector<std::pair<std::string, std::string>> metadata;
  llvm::ArrayRef<uint8_t> data(const SafetensorsTensor &t) const {
    return buffer.slice(dataOffset + t.begin, t.end - t.begin);
  }
  const SafetensorsTensor *find(llvm::StringRef name) const;

private:
  llvm::ArrayRef<uint8_t> buffer;
  uint64_t dataOffset = 0;
};

class SafetensorsWriter {
public:
  void addMetadata(std::string key, std::string value) {
    metadata.emplace_back(std::move(key), std::move(value));
  }
  llvm::Error addTensor(std::string name, std::string dtype, std::vector<int64_t> shape,
                        std::vector<uint8_t> data);
  void write(llvm::raw_ostream &os) const;
  llvm::Error writeFile(llvm::StringRef path) const;

private:
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<std::pair<SafetensorsTensor, std::vector<uint8_t>>> tensors;
};

/// A checkpoint: one file, a directory with `model.safetensors.index.json`
/// or `model.safetensors`, or an index file itself. Keeps the files mapped.
class SafetensorsCheckpoint {
public:
  static llvm::Expected<SafetensorsCheckpoint> open(llvm::StringRef path);
  /// One file already in memory (which must outlive the result), with the
  /// quantization config's JSON text (or "").
  static llvm::Expected<SafetensorsCheckpoint> fromBuffer(llvm::ArrayRef<uint8_t> buffer,
                                                          llvm::StringRef name,
                                                          llvm::StringRef quantizeConfig = "");

  struct Entry {
    const SafetensorsFile *file;
    const SafetensorsTensor *tensor;
    std::string fileName;
  };
  std::vector<Entry> entries; ///< every tensor, in file then header order
  /// The quantization config found beside the checkpoint (JSON text), or "".
  std::string quantizeConfig;
  std::string quantizeConfigFile;

  const Entry *find(llvm::StringRef name) const;

private:
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<std::unique_ptr<SafetensorsFile>> files;
};

/// The checkpoint's tensors as lowbit will hold them: plain tensors as
/// they are, GPTQ/AWQ layers as quantized weights (see the file comment).
llvm::Expected<std::vector<ImportedTensor>>
importSafetensors(const SafetensorsCheckpoint &checkpoint);

} // namespace lowbit::import

#endif
