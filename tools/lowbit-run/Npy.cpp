//===- Npy.cpp - Minimal .npy reading and writing -------------------------===//

#include "Npy.h"

#include <fstream>
#include <sstream>

using namespace lowbit::npy;

unsigned lowbit::npy::itemSize(const std::string &d) {
  if (d.size() < 3)
    return 0;
  return static_cast<unsigned>(std::stoul(d.substr(2)));
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
  std::string header(headerLen, '\0');
  in.read(header.data(), headerLen);
  out.descr = field(header, "descr");
  if (field(header, "fortran_order") != "False")
    return "'" + path + "': only C-order arrays are supported";
  std::string shape = field(header, "shape");
  out.shape.clear();
  std::stringstream ss(shape.substr(shape.find('(') + 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t a = item.find_first_of("0123456789");
    if (a != std::string::npos)
      out.shape.push_back(std::stoll(item.substr(a)));
  }
  unsigned size = itemSize(out.descr);
  if (!size || out.descr[0] == '>')
    return "'" + path + "': unsupported dtype '" + out.descr + "'";
  int64_t n = 1;
  for (int64_t d : out.shape)
    n *= d;
  out.data.resize(static_cast<size_t>(n) * size);
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
