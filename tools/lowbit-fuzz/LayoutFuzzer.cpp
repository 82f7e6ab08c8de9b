//===- LayoutFuzzer.cpp - libFuzzer target: layout text and algebra -------===//
//
// The input is up to two layouts in CuTe notation, one per line. Each is
// parsed; those that parse go through the algebra (coalesce, complement,
// inverses, composition, divides, products). Every operation must return a
// value or an error: a crash, a sanitizer report or a hang is a bug.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Layout/Layout.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace lowbit::layout;

namespace {
/// Evaluating a layout at every index is linear in its size: only small ones.
constexpr int64_t kMaxEvaluated = 1 << 12;

void exercise(const Layout &a) {
  Layout c = a.coalesce();
  (void)a.coalesceByMode();
  (void)a.flatten();
  if (a.size() <= kMaxEvaluated)
    for (int64_t i = 0; i < a.size(); ++i)
      (void)a(i);
  if (auto k = complement(a))
    (void)k->str();
  if (auto l = leftInverse(a)) {
    // CuTe's quasi-inverse law, which leftInverse promises.
    if (a.size() <= kMaxEvaluated)
      for (int64_t i = 0; i < a.size(); ++i)
        if (a((*l)(a(i))) != a(i))
          __builtin_trap();
  }
  if (a.size() <= kMaxEvaluated)
    (void)rightInverse(a);
  (void)c.str();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  size_t nl = text.find('\n');
  auto a = parseLayout(text.substr(0, nl));
  if (!a)
    return 0;
  exercise(*a);
  if (nl == std::string::npos)
    return 0;
  auto b = parseLayout(text.substr(nl + 1));
  if (!b)
    return 0;
  exercise(*b);
  auto r = composition(*a, *b);
  // For one mode of B, A o B is A(B(i)) pointwise (the claim the refusals
  // of composition protect).
  if (r && b->shape().isLeaf() && b->size() <= kMaxEvaluated)
    for (int64_t i = 0; i < b->size(); ++i)
      if ((*r)(i) != (*a)((*b)(i)))
        __builtin_trap();
  (void)logicalDivide(*a, *b);
  (void)zippedDivide(*a, *b);
  (void)tiledDivide(*a, *b);
  (void)flatDivide(*a, *b);
  (void)complement(*b, a->shape());
  (void)logicalProduct(*a, *b);
  (void)blockedProduct(*a, *b);
  (void)rakedProduct(*a, *b);
  if (auto t = parseTiler(text.substr(nl + 1))) {
    (void)composition(*a, *t);
    (void)zippedDivide(*a, *t);
    (void)tiledDivide(*a, *t);
    (void)flatDivide(*a, *t);
    (void)logicalProduct(*a, *t);
  }
  return 0;
}
