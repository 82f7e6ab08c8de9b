//===- Allocation.h - One format per layer under a budget -------*- C++ -*-===//
//
// The multiple-choice knapsack of mixed-precision allocation (HAWQ-V3's
// integer program): every layer takes exactly one of its options, each
// with a cost (stored bits, bytes, or estimated time) and an error (a
// sensitivity); minimize the summed error with the summed cost within a
// budget. Solved exactly by dynamic programming over Pareto frontiers:
// after each layer only the (cost, error) pairs that no other pair beats
// in both survive, and every optimum of the full problem is made of
// frontier points of its prefixes, so nothing optimal is pruned. Costs and
// errors are arbitrary non-negative reals (no discretization of the
// budget). The frontier of the whole model is the answer for every budget
// at once (the accuracy-against-size curve).
//
// The frontier can grow with the product of the option counts when costs
// are all distinct (70 layers of 12 options of arbitrary sizes exhaust
// memory). Named policy `cost-resolution`: with a resolution r > 0 every
// option's cost is rounded up to a multiple of r before the search, which
// bounds each frontier by (largest total cost) / r points. The answer is
// still exact for the rounded costs, so it keeps within the budget (true
// costs are at most the rounded ones) and its error is at most the exact
// optimum's for a budget smaller by layers x r. Allocations report their
// true costs.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_PRECISION_ALLOCATION_H
#define LOWBIT_PRECISION_ALLOCATION_H

#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

namespace lowbit::precision {

struct Option {
  double cost = 0;
  double error = 0;
};

struct Allocation {
  std::vector<size_t> choice; ///< an option index per layer
  double cost = 0;
  double error = 0;
};

class Frontier {
public:
  /// Builds the frontier of `layers` (each with at least one option), with
  /// costs rounded up to multiples of `resolution` where it is positive.
  /// Points costlier than `maxCost` are dropped as soon as they appear (no
  /// completion of them keeps within it), except the cheapest: best() is
  /// then exact for budgets up to maxCost, at() for the cheapest point.
  explicit Frontier(const std::vector<std::vector<Option>> &layers, double resolution = 0,
                    double maxCost = std::numeric_limits<double>::infinity());

  /// Points of the final frontier, cheapest first (errors decreasing).
  size_t size() const { return stages_.empty() ? 0 : stages_.back().size(); }
  Allocation at(size_t i) const;
  /// The least error with (rounded) cost <= budget, or none when even the
  /// cheapest choice is over it.
  std::optional<Allocation> best(double budget) const;
  /// The largest frontier seen (its work is layers x this x options).
  size_t widest() const { return widest_; }

private:
  struct State {
    double cost, error;
    unsigned parent; ///< index in the previous stage
    unsigned option;
  };
  std::vector<std::vector<State>> stages_;
  std::vector<std::vector<Option>> layers_; ///< true costs for the answers
  double resolution_ = 0; ///< > 0: State costs are in its units
  size_t widest_ = 0;
};

} // namespace lowbit::precision

#endif
