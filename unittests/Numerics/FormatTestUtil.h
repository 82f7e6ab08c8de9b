//===- FormatTestUtil.h - Formats as test parameters ------------*- C++ -*-===//
#ifndef LOWBIT_UNITTESTS_NUMERICS_FORMATTESTUTIL_H
#define LOWBIT_UNITTESTS_NUMERICS_FORMATTESTUTIL_H

#include "lowbit/Numerics/Format.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace lowbit::num {

/// Parses a format, failing the test (and returning int<8>) if it is bad.
inline Format parseTestFormat(const std::string &s) {
  std::string err;
  auto f = Format::parse(s, err);
  EXPECT_TRUE(f) << s << ": " << err;
  return f ? *f : Format::integer(8);
}

/// A format spelling as a GoogleTest parameter name.
inline std::string formatParamName(const ::testing::TestParamInfo<std::string> &info) {
  std::string s;
  for (char c : info.param)
    s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

} // namespace lowbit::num

#endif
