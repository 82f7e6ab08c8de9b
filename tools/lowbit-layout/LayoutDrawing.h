//===- LayoutDrawing.h - Layouts as grids of offsets ------------*- C++ -*-===//
//
// Text and SVG pictures of rank-1 and rank-2 layouts (mode 0 down the rows,
// mode 1 across the columns, as CuTe's print_layout), and of thread/value
// layouts over an M x N tile, coloured by thread (as CuTe's print_svg).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_TOOLS_LAYOUTDRAWING_H
#define LOWBIT_TOOLS_LAYOUTDRAWING_H

#include "lowbit/Layout/Layout.h"

#include <string>

namespace lowbit::layout {

/// Empty if `l` can be drawn (rank 1 or 2), else the reason.
std::string checkDrawable(const Layout &l);
std::string drawText(const Layout &l);
std::string drawSvg(const Layout &l);

/// A thread/value layout: (thread, value) -> index of an m x n column-major
/// tile. Empty if it can be drawn, else the reason (rank must be 2, every
/// index inside the tile).
std::string checkThreadValue(const Layout &tv, int64_t m, int64_t n);
std::string drawThreadValueText(const Layout &tv, int64_t m, int64_t n);
std::string drawThreadValueSvg(const Layout &tv, int64_t m, int64_t n);

} // namespace lowbit::layout

#endif
