//===- SafetensorsFuzzer.cpp - libFuzzer target: the safetensors importer -===//
//
// The input is a safetensors file, optionally preceded by a quantization
// config: when it starts with '{', its first line is the config's JSON
// (as quantize_config.json would hold) and the rest is the file. The
// reader, the GPTQ/AWQ decoders and the module builder must accept it or
// say why, and what they accept must verify.
//
//===----------------------------------------------------------------------===//

#include "ImportContext.h"
#include "lowbit/Import/Import.h"
#include "lowbit/Import/Safetensors.h"


#include <cstddef>
#include <cstdint>
#include <memory>
#include <cstring>

using namespace lowbit::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef config;
  if (size && data[0] == '{') {
    const void *nl = std::memchr(data, '\n', size);
    if (!nl)
      return 0;
    size_t n = size_t(static_cast<const uint8_t *>(nl) - data);
    config = llvm::StringRef(reinterpret_cast<const char *>(data), n);
    data += n + 1;
    size -= n + 1;
  }
  llvm::Expected<SafetensorsCheckpoint> c =
      SafetensorsCheckpoint::fromBuffer(llvm::ArrayRef<uint8_t>(data, size), "<fuzz>", config);
  if (!c) {
    llvm::consumeError(c.takeError());
    return 0;
  }
  llvm::Expected<std::vector<ImportedTensor>> tensors = importSafetensors(*c);
  if (!tensors) {
    llvm::consumeError(tensors.takeError());
    return 0;
  }
  mlir::MLIRContext &ctx = lowbit::fuzz::importContext();
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> m = buildWeightModule(ctx, *tensors, "<fuzz>");
  if (!m) {
    llvm::consumeError(m.takeError());
    return 0;
  }
  lowbit::fuzz::verifyOrTrap(**m); // an accepted checkpoint must import to valid IR
  return 0;
}
