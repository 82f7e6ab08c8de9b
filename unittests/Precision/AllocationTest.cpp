//===- AllocationTest.cpp - The exact allocator against brute force -------===//

#include "lowbit/Precision/Allocation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace lowbit::precision;

namespace {

// Every combination: the least error within the budget (infinity if none).
double bruteForce(const std::vector<std::vector<Option>> &layers, double budget,
                  double *costOut) {
  std::vector<size_t> idx(layers.size(), 0);
  double best = std::numeric_limits<double>::infinity(), bestCost = 0;
  while (true) {
    double c = 0, e = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      c += layers[l][idx[l]].cost;
      e += layers[l][idx[l]].error;
    }
    if (c <= budget && e < best) {
      best = e;
      bestCost = c;
    }
    size_t l = 0;
    for (; l < layers.size(); ++l) {
      if (++idx[l] < layers[l].size())
        break;
      idx[l] = 0;
    }
    if (l == layers.size())
      break;
  }
  *costOut = bestCost;
  return best;
}

std::vector<std::vector<Option>> randomProblem(std::mt19937 &rng, bool integerCosts) {
  std::uniform_int_distribution<int> layersD(1, 6), optionsD(1, 5), costI(0, 40);
  std::uniform_real_distribution<double> costR(0, 40), err(0, 10);
  std::vector<std::vector<Option>> layers(size_t(layersD(rng)));
  for (auto &options : layers) {
    options.resize(size_t(optionsD(rng)));
    for (Option &o : options) {
      o.cost = integerCosts ? costI(rng) : costR(rng);
      o.error = err(rng);
    }
  }
  return layers;
}

TEST(Allocation, EqualsBruteForceOnRandomInstances) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 400; ++trial) {
    // Integer costs make ties (equal costs, several optima) common.
    auto layers = randomProblem(rng, trial % 2 == 0);
    Frontier f(layers);
    for (double budget = -1; budget <= 250; budget += 3.5) {
      double bfCost = 0;
      double bf = bruteForce(layers, budget, &bfCost);
      std::optional<Allocation> a = f.best(budget);
      if (std::isinf(bf)) {
        EXPECT_FALSE(a.has_value()) << "trial " << trial << " budget " << budget;
        continue;
      }
      ASSERT_TRUE(a.has_value()) << "trial " << trial << " budget " << budget;
      EXPECT_NEAR(a->error, bf, 1e-9) << "trial " << trial << " budget " << budget;
      EXPECT_LE(a->cost, budget);
      // The choices add up to what the solver reports.
      double c = 0, e = 0;
      ASSERT_EQ(a->choice.size(), layers.size());
      for (size_t l = 0; l < layers.size(); ++l) {
        ASSERT_LT(a->choice[l], layers[l].size());
        c += layers[l][a->choice[l]].cost;
        e += layers[l][a->choice[l]].error;
      }
      EXPECT_DOUBLE_EQ(c, a->cost);
      EXPECT_NEAR(e, a->error, 1e-9);
    }
  }
}

TEST(Allocation, CappedFrontierIsExactUpToItsCap) {
  // maxCost drops the points over it: answers within the cap are the brute
  // force's, answers over it none, and the cheapest point survives.
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    auto layers = randomProblem(rng, trial % 2 == 0);
    double cap = double(rng() % 200);
    Frontier capped(layers, 0, cap), full(layers);
    EXPECT_LE(capped.size(), full.size());
    EXPECT_DOUBLE_EQ(capped.at(0).cost, full.at(0).cost) << "trial " << trial;
    for (double budget = -1; budget <= cap; budget += 3.5) {
      double bfCost = 0;
      double bf = bruteForce(layers, budget, &bfCost);
      std::optional<Allocation> a = capped.best(budget);
      ASSERT_EQ(a.has_value(), !std::isinf(bf)) << "trial " << trial << " budget " << budget;
      if (a)
        EXPECT_NEAR(a->error, bf, 1e-9) << "trial " << trial << " budget " << budget;
    }
  }
}

TEST(Allocation, FrontierIsStrictlyMonotone) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    Frontier f(randomProblem(rng, true));
    for (size_t i = 1; i < f.size(); ++i) {
      EXPECT_GT(f.at(i).cost, f.at(i - 1).cost);
      EXPECT_LT(f.at(i).error, f.at(i - 1).error);
    }
  }
}

TEST(Allocation, SingleOptionsAndEmpty) {
  Frontier none({});
  ASSERT_TRUE(none.best(0).has_value());
  EXPECT_TRUE(none.best(0)->choice.empty());
  Frontier one({{{5, 1}}, {{3, 2}}});
  EXPECT_FALSE(one.best(7.9).has_value());
  ASSERT_TRUE(one.best(8).has_value());
  EXPECT_EQ(one.best(8)->error, 3);
}

TEST(Allocation, ResolutionKeepsTheBudgetAndTheBound) {
  // The cost-resolution policy: within the budget, and no worse than the
  // exact optimum for the budget less layers x resolution.
  std::mt19937 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    auto layers = randomProblem(rng, false);
    double r = 0.5 + trial % 7;
    Frontier f(layers, r);
    for (double budget = 0; budget <= 250; budget += 4.5) {
      std::optional<Allocation> a = f.best(budget);
      double cost = 0;
      double bound = bruteForce(layers, budget - double(layers.size()) * r, &cost);
      if (!a) {
        EXPECT_TRUE(std::isinf(bound)) << "trial " << trial << " budget " << budget;
        continue;
      }
      EXPECT_LE(a->cost, budget) << "trial " << trial;
      EXPECT_LE(a->error, bound + 1e-9) << "trial " << trial << " budget " << budget;
    }
  }
}

TEST(Allocation, ManyLayersStayTractable) {
  // 70 layers of 12 options with costs like stored bits of layers of
  // random sizes: without a resolution the frontier grows past memory;
  // with one of 1/20000 of the largest total it stays below 20001 points.
  std::mt19937 rng(3);
  std::vector<std::vector<Option>> layers(70);
  std::uniform_int_distribution<int> size(1000, 100000);
  double largest = 0;
  for (auto &options : layers) {
    double n = size(rng);
    for (int b = 2; b <= 13; ++b)
      options.push_back({n * b, n * std::ldexp(1.0, -2 * b) * (1 + 0.1 * (b % 3))});
    largest += n * 13;
  }
  Frontier f(layers, largest / 20000);
  EXPECT_GT(f.size(), 100u);
  EXPECT_LE(f.widest(), 20001u);
  double budget = largest / 2;
  std::optional<Allocation> a = f.best(budget);
  ASSERT_TRUE(a.has_value());
  EXPECT_LE(a->cost, budget);
  // Locally optimal too: no single layer's change within the budget helps.
  for (size_t l = 0; l < layers.size(); ++l)
    for (const Option &o : layers[l]) {
      const Option &cur = layers[l][a->choice[l]];
      if (a->cost - cur.cost + o.cost <= budget - 70 * largest / 20000)
        EXPECT_GE(o.error, cur.error - 1e-12);
    }
}

} // namespace
