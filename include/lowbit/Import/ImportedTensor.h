//===- ImportedTensor.h - A weight as lowbit will hold it -------*- C++ -*-===//
//
// What an importer hands to the module builder (WeightModule.h): a tensor's
// codes in a lowbit element type, and where it is quantized, its scheme with
// the scales and zero points, all still packed as the file had them (no
// dequantization). Types and schemes are named by their MLIR spelling so
// that the container readers need no MLIR; the builder parses them, which
// checks them too.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_IMPORT_IMPORTEDTENSOR_H
#define LOWBIT_IMPORT_IMPORTEDTENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace lowbit::import {

/// A tensor of codes: one code per `bytes` little-endian bytes (1 for
/// formats of up to 8 bits, 2 for f16/bf16, 4 for f32), row-major.
struct CodeTensor {
  std::string type; ///< MLIR element type: "f32", "i8", "!lowbit.int<4, unsigned>", ...
  unsigned bytes = 1;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

struct ImportedTensor {
  std::string name;   ///< the tensor's name in the file (the function name)
  std::string format; ///< what the file called it ("Q4_0", "GPTQ 4-bit g128", "F16")
  CodeTensor codes;   ///< codes.shape is the tensor's shape, outermost first
  /// Empty for a plain tensor; otherwise the body of a `#lowbit.scheme<...>`
  /// ("rule = absmax, group = 32, scale = f16, element = i8"); `scales` and
  /// `zeros` (if the scheme has zero points) have its grid's shape.
  std::string scheme;
  CodeTensor scales, zeros;
  /// Act-order GPTQ: column j of the codes holds input feature
  /// inputPermutation[j], so the linear layer reads x[:, inputPermutation].
  std::vector<int64_t> inputPermutation;
};

} // namespace lowbit::import

#endif
