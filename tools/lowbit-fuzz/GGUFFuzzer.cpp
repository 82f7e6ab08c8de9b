//===- GGUFFuzzer.cpp - libFuzzer target: the GGUF importer ----------------===//
//
// The input is a whole GGUF file. The reader, the block decoders and the
// module builder must accept it or say why (never crash, never read past
// the buffer, never allocate more than the file justifies), and what they
// accept must verify.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Import/GGMLTypes.h"
#include "lowbit/Import/GGUF.h"
#include "ImportContext.h"
#include "lowbit/Import/Import.h"


#include <cstddef>
#include <cstdint>
#include <memory>

using namespace lowbit::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<GGUFFile> f = GGUFFile::parse(llvm::ArrayRef<uint8_t>(data, size), "<fuzz>");
  if (!f) {
    llvm::consumeError(f.takeError());
    return 0;
  }
  std::vector<ImportedTensor> tensors;
  for (const GGUFTensor &t : f->tensors) {
    llvm::Expected<ImportedTensor> it = decodeGGMLTensor(t.name, t.type, t.dims, f->tensorData(t));
    if (!it) {
      llvm::consumeError(it.takeError());
      return 0;
    }
    tensors.push_back(std::move(*it));
  }
  mlir::MLIRContext &ctx = lowbit::fuzz::importContext();
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> m = buildWeightModule(ctx, tensors, "<fuzz>");
  if (!m) {
    llvm::consumeError(m.takeError());
    return 0;
  }
  lowbit::fuzz::verifyOrTrap(**m); // an accepted file must import to valid IR
  return 0;
}
