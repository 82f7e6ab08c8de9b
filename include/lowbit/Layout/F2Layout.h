//===- F2Layout.h - Linear layouts over GF(2) -------------------*- C++ -*-===//
//
// An F2-linear layout maps an n-bit index to an m-bit offset by XOR-ing one
// basis vector per set input bit (Triton's "linear layouts"). Swizzles,
// power-of-two CuTe layouts and their compositions are all of this form,
// and unlike shape:stride layouts they compose and invert without
// divisibility conditions.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LAYOUT_F2LAYOUT_H
#define LOWBIT_LAYOUT_F2LAYOUT_H

#include "lowbit/Layout/Layout.h"

namespace lowbit::layout {

class F2Layout {
public:
  /// basis[i] is the image of input bit i; outBits <= 64.
  static Expected<F2Layout> make(unsigned outBits, std::vector<uint64_t> basis);
  static F2Layout identity(unsigned bits);
  /// CuTe's Swizzle<B, M, S> on `bits` address bits:
  /// x ^ ((x & (2^B - 1) << (M + max(S, 0))) >> S) (a left shift for S < 0).
  static Expected<F2Layout> swizzle(unsigned b, unsigned m, int s, unsigned bits);
  /// A shape:stride layout whose shapes are powers of two and whose
  /// strides are 0 or distinct powers of two, as the same function.
  static Expected<F2Layout> fromLayout(const Layout &l);

  unsigned inBits() const { return static_cast<unsigned>(basis.size()); }
  unsigned outBits() const { return out; }
  const std::vector<uint64_t> &bases() const { return basis; }

  uint64_t apply(uint64_t x) const;
  /// this o inner (inner's output bits feed this layout's input bits).
  Expected<F2Layout> compose(const F2Layout &inner) const;
  /// The inverse of a square layout of full rank.
  Expected<F2Layout> inverse() const;
  /// this on the low input/output bits and `high` above them.
  F2Layout directProduct(const F2Layout &high) const;
  /// Dimension of the image.
  unsigned rank() const;

  /// "[0x1,0x2,0x4]": the basis vectors.
  std::string str() const;
  bool operator==(const F2Layout &o) const { return out == o.out && basis == o.basis; }

private:
  F2Layout(unsigned out, std::vector<uint64_t> basis) : out(out), basis(std::move(basis)) {}
  unsigned out;
  std::vector<uint64_t> basis;
};

} // namespace lowbit::layout

#endif // LOWBIT_LAYOUT_F2LAYOUT_H
