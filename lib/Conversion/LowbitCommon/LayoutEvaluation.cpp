//===- LayoutEvaluation.cpp - Layout functions in generated code ----------===//

#include "lowbit/Conversion/LowbitCommon/LayoutEvaluation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

/// The offset a shape:stride layout gives an index, as index arithmetic:
/// sum_i ((x / prod_{j<i} s_j) mod s_i) * d_i over the flattened modes.
Value mlir::lowbit::emitLayoutEval(OpBuilder &b, Location l, const ::lowbit::layout::Layout &layout,
                                   Value x) {
  ::lowbit::layout::Layout flat = layout.flatten();
  std::vector<int64_t> shape = flat.shape().leaves(), stride = flat.stride().leaves();
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
  Value sum = c(0);
  int64_t below = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1 || stride[i] == 0) {
      below *= shape[i];
      continue;
    }
    Value coord = below == 1 ? x : arith::DivUIOp::create(b, l, x, c(below)).getResult();
    if (i + 1 < shape.size())
      coord = arith::RemUIOp::create(b, l, coord, c(shape[i]));
    sum = arith::AddIOp::create(b, l, sum, arith::MulIOp::create(b, l, coord, c(stride[i])));
    below *= shape[i];
  }
  return sum;
}

