//===- SymbolicShapes.cpp - Dynamic dimensions of a function's signature --===//

#include "lowbit/Dialect/Lowbit/Analysis/SymbolicShapes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {
bool hasDynamicShape(Type t) {
  auto s = dyn_cast<ShapedType>(t);
  return s && s.hasRank() && !s.hasStaticShape();
}

/// Dimensions of values as nodes; argument dimensions are the roots, every
/// other dimension is one of theirs, and ops add equalities between them.
struct DimGraph {
  llvm::DenseMap<std::pair<Value, int64_t>, unsigned> node;
  llvm::EquivalenceClasses<unsigned> equal;
  unsigned next = 0;

  unsigned fresh(Value v, int64_t d) {
    unsigned n = next++;
    node[{v, d}] = n;
    equal.insert(n);
    return n;
  }
  /// The node of a dynamic dimension (every one reachable from the
  /// arguments has one once its producer is visited).
  std::optional<unsigned> of(Value v, int64_t d) const {
    auto it = node.find({v, d});
    if (it == node.end())
      return std::nullopt;
    return it->second;
  }
  /// `result`'s dimension d is `source`'s dimension e.
  void same(Value result, int64_t d, Value source, int64_t e) {
    if (std::optional<unsigned> n = of(source, e))
      node[{result, d}] = *n;
  }
  /// Two existing dimensions the op needs equal.
  void require(Value x, int64_t d, Value y, int64_t e) {
    std::optional<unsigned> a = of(x, d), b = of(y, e);
    if (a && b)
      equal.unionSets(*a, *b);
  }
};

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }
bool dynamicAt(Value v, int64_t d) { return cast<RankedTensorType>(v.getType()).isDynamicDim(d); }
} // namespace

FailureOr<SymbolicSignature> mlir::lowbit::analyzeSymbolicShapes(func::FuncOp f) {
  DimGraph g;
  for (BlockArgument arg : f.getArguments())
    if (auto t = dyn_cast<RankedTensorType>(arg.getType()))
      for (int64_t d = 0; d < t.getRank(); ++d)
        if (t.isDynamicDim(d))
          g.fresh(arg, d);
  auto follow = [&](Value result, Value source) {
    for (int64_t d = 0; d < rankOf(result); ++d)
      if (dynamicAt(result, d))
        g.same(result, d, source, d);
  };
  SmallVector<Value> returned;
  WalkResult walk = f.walk([&](Operation *op) -> WalkResult {
    if (op == f.getOperation())
      return WalkResult::advance();
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      if (ret->getParentOp() == f.getOperation())
        returned.assign(ret.getOperands().begin(), ret.getOperands().end());
      return WalkResult::advance();
    }
    bool dynamic = llvm::any_of(op->getOperandTypes(), hasDynamicShape) ||
                   llvm::any_of(op->getResultTypes(), hasDynamicShape);
    if (!dynamic)
      return WalkResult::advance();
    if (auto mm = dyn_cast<MpGemmOp>(op)) {
      // Verified: only M (dimension 0 of A and C) is dynamic, and so is
      // dimension 0 of A's per-row scales.
      if (dynamicAt(mm.getA(), 0)) {
        g.same(mm.getC(), 0, mm.getA(), 0);
        for (Value p : mm.getAParams())
          if (rankOf(p) > 0 && dynamicAt(p, 0))
            g.require(p, 0, mm.getA(), 0);
      }
      return WalkResult::advance();
    }
    if (auto dq = dyn_cast<DequantizeOp>(op)) {
      follow(dq.getResult(), dq.getCodes());
      for (Value p : dq.getParams())
        for (int64_t d = 0; d < rankOf(p); ++d)
          if (dynamicAt(p, d))
            g.require(p, d, dq.getCodes(), d);
      return WalkResult::advance();
    }
    if (auto q = dyn_cast<QuantizeOp>(op)) {
      // Verified: one scale per element along a dynamic axis.
      for (Value r : q.getResults())
        if (rankOf(r) == rankOf(q.getInput()))
          follow(r, q.getInput());
      return WalkResult::advance();
    }
    if (auto c = dyn_cast<CastOp>(op)) {
      follow(c.getResult(), c.getInput());
      return WalkResult::advance();
    }
    // Reading a dimension or an element makes no tensor.
    if (isa<tensor::DimOp, tensor::ExtractOp>(op))
      return WalkResult::advance();
    // An empty tensor whose dynamic sizes are dimensions of known tensors
    // (tensor.dim of them): the elementwise code the importers write.
    if (auto e = dyn_cast<tensor::EmptyOp>(op)) {
      RankedTensorType t = e.getType();
      for (int64_t d = 0; d < t.getRank(); ++d) {
        if (!t.isDynamicDim(d))
          continue;
        auto dim = e.getDynamicSize(unsigned(d)).getDefiningOp<tensor::DimOp>();
        APInt index;
        if (!dim || !matchPattern(dim.getIndex(), m_ConstantInt(&index)) ||
            !isa<RankedTensorType>(dim.getSource().getType())) {
          op->emitError() << "'tensor.empty' dynamic size " << d
                          << " must be a tensor.dim of a tensor with a constant index";
          return WalkResult::interrupt();
        }
        g.same(e.getResult(), d, dim.getSource(), index.getSExtValue());
      }
      return WalkResult::advance();
    }
    // Structured ops on tensors: each result has its init's shape.
    if (auto l = dyn_cast<linalg::LinalgOp>(op)) {
      if (l.hasPureTensorSemantics()) {
        for (auto [r, init] : llvm::zip(op->getResults(), l.getDpsInits()))
          follow(r, init);
        return WalkResult::advance();
      }
    }
    op->emitError() << "'" << op->getName()
                    << "' takes or makes a tensor of dynamic shape; dynamic dimensions "
                       "are supported through lowbit.mpgemm, lowbit.quantize, "
                       "lowbit.dequantize, lowbit.cast and linalg ops on tensors";
    return WalkResult::interrupt();
  });
  if (walk.wasInterrupted())
    return failure();

  // Symbols: the classes of argument dimensions, in order of appearance.
  SymbolicSignature sig;
  llvm::DenseMap<unsigned, int> symbolOfLeader;
  auto symbol = [&](unsigned n) {
    unsigned leader = g.equal.getLeaderValue(n);
    auto [it, inserted] = symbolOfLeader.try_emplace(leader, sig.numSymbols);
    if (inserted)
      ++sig.numSymbols;
    return it->second;
  };
  auto dims = [&](Value v) -> std::optional<std::vector<int>> {
    std::vector<int> out;
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      return out;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (!t.isDynamicDim(d)) {
        out.push_back(-1);
        continue;
      }
      std::optional<unsigned> n = g.of(v, d);
      if (!n)
        return std::nullopt;
      out.push_back(symbol(*n));
    }
    return out;
  };
  for (BlockArgument arg : f.getArguments())
    sig.inputs.push_back(*dims(arg));
  for (auto [i, v] : llvm::enumerate(returned)) {
    std::optional<std::vector<int>> d = dims(v);
    if (!d) // a dynamic result no argument's size determines
      return f.emitError() << "result " << i << " of '" << f.getName()
                           << "' has a dynamic dimension that no argument's size determines";
    sig.outputs.push_back(*d);
  }
  return sig;
}

