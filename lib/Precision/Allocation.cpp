//===- Allocation.cpp - Exact multiple-choice knapsack --------------------===//

#include "lowbit/Precision/Allocation.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace lowbit::precision;

Frontier::Frontier(const std::vector<std::vector<Option>> &layers, double resolution,
                   double maxCost)
    : layers_(layers), resolution_(resolution) {
  // Costs are non-negative, so a prefix over maxCost cannot complete within
  // it; in resolution units, as the states' costs.
  double cap = resolution > 0 ? std::floor(maxCost / resolution) : maxCost;
  std::vector<State> prev{{0.0, 0.0, 0, 0}}, next;
  for (std::vector<Option> options : layers) {
    // The cost-resolution policy, in whole units of the resolution, so that
    // equal sums are equal doubles (multiples of r are not, summed).
    if (resolution > 0)
      for (Option &o : options)
        o.cost = std::ceil(o.cost / resolution);
    assert(!options.empty() && "a layer needs an option");
    next.clear();
    next.reserve(prev.size() * options.size());
    for (unsigned p = 0; p < prev.size(); ++p)
      for (unsigned o = 0; o < options.size(); ++o)
        next.push_back({prev[p].cost + options[o].cost, prev[p].error + options[o].error, p, o});
    // Cheapest first, ties by error: a point survives when its error is
    // below every cheaper (or equally cheap, listed earlier) point's.
    std::sort(next.begin(), next.end(), [](const State &a, const State &b) {
      return a.cost != b.cost ? a.cost < b.cost : a.error < b.error;
    });
    std::vector<State> kept;
    double bestError = std::numeric_limits<double>::infinity();
    for (const State &s : next)
      if (s.error < bestError && (kept.empty() || s.cost <= cap)) {
        // The cheapest point stays even over the cap: at(0) is then still
        // the cheapest allocation of all (each stage's cheapest extends the
        // previous stage's cheapest).
        kept.push_back(s);
        bestError = s.error;
      }
    widest_ = std::max(widest_, kept.size());
    stages_.push_back(kept);
    prev = std::move(kept);
  }
}

Allocation Frontier::at(size_t i) const {
  Allocation a;
  a.choice.assign(stages_.size(), 0);
  for (size_t s = stages_.size(); s-- > 0;) {
    const State &st = stages_[s][i];
    a.choice[s] = st.option;
    i = st.parent;
  }
  // Sums of the true costs and errors, first layer first (the order the
  // search added them in).
  for (size_t s = 0; s < stages_.size(); ++s) {
    a.cost += layers_[s][a.choice[s]].cost;
    a.error += layers_[s][a.choice[s]].error;
  }
  return a;
}

std::optional<Allocation> Frontier::best(double budget) const {
  if (stages_.empty())
    return Allocation{};
  const std::vector<State> &last = stages_.back();
  if (resolution_ > 0)
    budget = std::floor(budget / resolution_);
  // Errors fall along the frontier: the last point within the budget.
  auto it = std::upper_bound(last.begin(), last.end(), budget,
                             [](double b, const State &s) { return b < s.cost; });
  if (it == last.begin())
    return std::nullopt;
  return at(size_t(it - last.begin()) - 1);
}
