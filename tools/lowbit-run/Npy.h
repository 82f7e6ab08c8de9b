//===- Npy.h - Minimal .npy reading and writing -----------------*- C++ -*-===//
//
// NumPy's format, version 1.0/2.0, little-endian, C order: enough to move
// tensors in storage form between lowbit-run and Python.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_TOOLS_LOWBIT_RUN_NPY_H
#define LOWBIT_TOOLS_LOWBIT_RUN_NPY_H

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace lowbit::npy {

struct Array {
  std::string descr; ///< "<f4", "<f2", "<i1", "|u1", "<i2", "<u2", "<i4", "<i8", ...
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// Reads a file; returns an error text (empty on success).
std::string read(const std::string &path, Array &out);
/// The same from a stream (`path` names it in messages).
std::string read(std::istream &in, const std::string &path, Array &out);
std::string write(const std::string &path, const Array &a);
/// The descr of a storage type ("f32" -> "<f4", "bf16" -> "<u2", ...).
std::string descrOfStorage(const std::string &storage);
/// Item size of a little-endian scalar float or integer descr, 0 for any
/// other (structured, big-endian, malformed).
unsigned itemSize(const std::string &descr);
/// Whether an array of `descr` holds tensors of a storage type: floats of
/// the same kind and size; codes and integers of either signedness and the
/// same size; bf16 as 16-bit integer patterns.
bool holdsStorage(const std::string &descr, const std::string &storage);

} // namespace lowbit::npy

#endif
