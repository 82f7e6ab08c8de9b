//===- Npy.cpp - Minimal .npy reading and writing -------------------------===//

#include "Npy.h"

#include "llvm/ADT/StringRef.h"

#include <fstream>

using namespace lowbit::npy;

namespace {
/// Largest array read: 16 GiB (a header claiming more is refused before any
/// allocation).
constexpr uint64_t kMaxBytes = uint64_t(1) << 34;
} // namespace

unsigned lowbit::npy::itemSize(const std::string &d) {
  // A plain little-endian (or byte) scalar dtype: '<' or '|', a kind among
  // f, i, u, then the size in bytes; everything else (structured, big-endian,
  // strings) is unsupported.
  llvm::StringRef r(d);
  if (r.size() < 3 || (r[0] != '<' && r[0] != '|') || !llvm::StringRef("fiu").contains(r[1]))
    return 0;
  unsigned n = 0;
  if (r.drop_front(2).getAsInteger(10, n) || !(n == 1 || n == 2 || n == 4 || n == 8))
    return 0;
  if (r[1] == 'f' && n == 1)
    return 0;
  return n;
}

bool lowbit::npy::holdsStorage(const std::string &descr, const std::string &storage) {
  std::string want = descrOfStorage(storage);
  if (want.empty() || itemSize(descr) != itemSize(want))
    return false;
  if (want[1] == 'f' || storage == "bf16") // floats by kind; bf16 as 16-bit patterns
    return descr[1] == want[1] || (storage == "bf16" && descr[1] == 'i');
  return descr[1] == 'i' || descr[1] == 'u'; // codes: either signedness of the same size
}

std::string lowbit::npy::descrOfStorage(const std::string &s) {
  if (s == "f32") return "<f4";
  if (s == "f64") return "<f8";
  if (s == "f16") return "<f2";
  if (s == "bf16") return "<u2"; // NumPy has no bfloat16: the bit patterns
  if (s == "i8") return "|i1";
  if (s == "i16") return "<i2";
  if (s == "i32") return "<i4";
  if (s == "i64") return "<i8";
  return {};
}

namespace {
/// The value of 'key' in the header dict, up to the next top-level comma.
std::string field(const std::string &h, const std::string &key) {
  size_t p = h.find("'" + key + "'");
  if (p == std::string::npos)
    return {};
  p = h.find(':', p);
  if (p == std::string::npos)
    return {};
  size_t start = p + 1, depth = 0, i = start;
  for (; i < h.size(); ++i) {
    char c = h[i];
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if ((c == ',' || c == '}') && depth == 0) break;
  }
  std::string v = h.substr(start, i - start);
  size_t a = v.find_first_not_of(" '"), b = v.find_last_not_of(" '");
  return a == std::string::npos ? std::string() : v.substr(a, b - a + 1);
}
} // namespace

std::string lowbit::npy::read(const std::string &path, Array &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open '" + path + "'";
  return read(in, path, out);
}

std::string lowbit::npy::read(std::istream &in, const std::string &path, Array &out) {
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY")
    return "'" + path + "' is not a .npy file";
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    uint8_t b[2];
    in.read(reinterpret_cast<char *>(b), 2);
    headerLen = b[0] | (b[1] << 8);
  } else {
    uint8_t b[4];
    in.read(reinterpret_cast<char *>(b), 4);
    headerLen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  }
  if (!in || headerLen > (1u << 20))
    return "'" + path + "': bad header length";
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen))
    return "'" + path + "' is shorter than its header says";
  out.descr = field(header, "descr");
  if (field(header, "fortran_order") != "False")
    return "'" + path + "': only C-order arrays are supported";
  unsigned size = itemSize(out.descr);
  if (!size)
    return "'" + path + "': unsupported dtype '" + out.descr +
           "' (expected a little-endian float or integer scalar type)";
  // The shape: a tuple of non-negative integers, read without exceptions.
  std::string shapeField = field(header, "shape");
  llvm::StringRef shape = llvm::StringRef(shapeField).trim();
  if (!shape.consume_front("(") || !shape.consume_back(")"))
    return "'" + path + "': bad shape '" + shape.str() + "'";
  out.shape.clear();
  uint64_t n = 1;
  while (!shape.trim().empty()) {
    auto [item, rest] = shape.split(',');
    shape = rest;
    item = item.trim();
    if (item.empty() && shape.trim().empty())
      break; // the trailing comma of a 1-tuple
    uint64_t d = 0;
    if (item.getAsInteger(10, d))
      return "'" + path + "': bad dimension '" + item.str() +
             "' in the shape (expected a non-negative integer)";
    if (d > kMaxBytes || (d && n > kMaxBytes / d))
      return "'" + path + "': the array is larger than " + std::to_string(kMaxBytes >> 30) +
             " GiB";
    n *= d;
    out.shape.push_back(static_cast<int64_t>(d));
  }
  if (n > kMaxBytes / size)
    return "'" + path + "': the array is larger than " + std::to_string(kMaxBytes >> 30) +
           " GiB";
  // Check the file holds the data before allocating it.
  std::streampos here = in.tellg();
  in.seekg(0, std::ios::end);
  std::streampos end = in.tellg();
  in.seekg(here);
  if (here < 0 || end < here || static_cast<uint64_t>(end - here) < n * size)
    return "'" + path + "' is shorter than its header says";
  out.data.resize(static_cast<size_t>(n * size));
  if (!in.read(reinterpret_cast<char *>(out.data.data()), out.data.size()))
    return "'" + path + "' is shorter than its header says";
  return {};
}

std::string lowbit::npy::write(const std::string &path, const Array &a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape += std::to_string(a.shape[i]) + (a.shape.size() == 1 ? "," : i + 1 < a.shape.size() ? ", " : "");
  shape += ")";
  std::string header = "{'descr': '" + a.descr + "', 'fortran_order': False, 'shape': " +
                       shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return "cannot write '" + path + "'";
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char *>(a.data.data()), a.data.size());
  return out ? std::string() : "write to '" + path + "' failed";
}
