//===- NpyFuzzer.cpp - libFuzzer target: lowbit-run's .npy reader ---------===//
//
// The input is a whole .npy file. The reader must accept it or say why,
// never crash, and never allocate more than the file can hold.
//
//===----------------------------------------------------------------------===//

#include "../lowbit-run/Npy.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char *>(data), size));
  lowbit::npy::Array a;
  if (lowbit::npy::read(in, "<fuzz>", a).empty() && a.data.size() > size)
    __builtin_trap(); // the data came from the file
  return 0;
}
