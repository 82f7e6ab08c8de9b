//===- LayoutAlgebraTest.cpp - CuTe's worked examples, exactly ------------===//
//
// The examples of CuTe's layout-algebra documentation (02_layout_algebra),
// each as an exact expected layout.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Layout/Layout.h"

#include <gtest/gtest.h>

using namespace lowbit::layout;

namespace {
Layout L(const std::string &s) {
  auto l = parseLayout(s);
  EXPECT_TRUE(l) << s << ": " << l.error();
  return l ? *l : Layout();
}
Tiler T(const std::string &s) {
  auto t = parseTiler(s);
  EXPECT_TRUE(t) << s << ": " << t.error();
  return t ? *t : Tiler{};
}
template <class E> std::string str(const E &e) { return e ? e->str() : "error: " + e.error(); }

TEST(LayoutBasics, SizeCosizeRankDepthEval) {
  Layout a = L("(4,(2,2)):(2,(1,8))");
  EXPECT_EQ(a.size(), 16);
  EXPECT_EQ(a.cosize(), 3 * 2 + 1 + 8 + 1);
  EXPECT_EQ(a.rank(), 2u);
  EXPECT_EQ(a.depth(), 2);
  EXPECT_EQ(a(5), 2 + 1);            // index 5 = (1, 1) -> (1, (1, 0))
  EXPECT_EQ(*a.eval(IntTuple(std::vector<IntTuple>{1, 3})), 2 + 1 + 8);
  EXPECT_EQ(a.coordinate(13).str(), "(1,(1,1))");
  EXPECT_FALSE(a.eval(IntTuple(std::vector<IntTuple>{4, 0})));
  EXPECT_EQ(L("(2,3)").str(), "(2,3):(1,2)"); // a shape alone is column-major
  EXPECT_EQ(L("(_2,_3):(_3,_1)").str(), "(2,3):(3,1)");
}

TEST(LayoutBasics, Coalesce) {
  EXPECT_EQ(L("(2,(1,6)):(1,(6,2))").coalesce().str(), "12:1");
  EXPECT_EQ(L("(2,(1,6)):(1,(6,2))").coalesceByMode().str(), "(2,6):(1,2)");
  EXPECT_EQ(L("(2,4):(1,2)").coalesce().str(), "8:1");
  EXPECT_EQ(L("(2,4):(4,1)").coalesce().str(), "(2,4):(4,1)");
  EXPECT_EQ(L("(1,1):(3,5)").coalesce().str(), "1:0");
}

TEST(CuteDocExamples, Composition) {
  EXPECT_EQ(str(composition(L("20:2"), L("(5,4):(4,1)"))), "(5,4):(8,2)");
  EXPECT_EQ(str(composition(L("(6,2):(8,2)"), L("(4,3):(3,1)"))), "((2,2),3):((24,2),8)");
  EXPECT_EQ(str(composition(L("(10,2):(16,4)"), L("(5,4):(1,5)"))), "(5,(2,2)):(16,(80,4))");
  // By-mode composition with a tiler.
  EXPECT_EQ(str(composition(L("(12,(4,8)):(59,(13,1))"), T("<3:4, 8:2>"))),
            "(3,(2,4)):(236,(26,1))");
  // A shape as tiler.
  EXPECT_EQ(str(composition(L("(12,(4,8)):(59,(13,1))"), T("(3,8)"))),
            "(3,(4,2)):(59,(13,1))");
}

TEST(CuteDocExamples, Complement) {
  EXPECT_EQ(str(complement(L("4:1"), 24)), "6:4");
  EXPECT_EQ(str(complement(L("6:4"), 24)), "4:1");
  EXPECT_EQ(str(complement(L("(4,6):(1,4)"), 24)), "1:0");
  EXPECT_EQ(str(complement(L("4:2"), 24)), "(2,3):(1,8)");
  EXPECT_EQ(str(complement(L("(2,4):(1,6)"), 24)), "3:2");
  EXPECT_EQ(str(complement(L("(2,2):(1,6)"), 24)), "(3,2):(2,12)");
}

TEST(CuteDocExamples, Divide) {
  EXPECT_EQ(str(logicalDivide(L("(4,2,3):(2,1,8)"), L("4:2"))),
            "((2,2),(2,3)):((4,1),(2,8))");
  Layout a = L("(9,(4,8)):(59,(13,1))");
  Tiler t = T("<3:3, (2,4):(1,8)>");
  EXPECT_EQ(str(logicalDivide(a, t)), "((3,3),((2,4),(2,2))):((177,59),((13,2),(26,1)))");
  EXPECT_EQ(str(zippedDivide(a, t)), "((3,(2,4)),(3,(2,2))):((177,(13,2)),(59,(26,1)))");
  EXPECT_EQ(str(tiledDivide(a, t)), "((3,(2,4)),3,(2,2)):((177,(13,2)),59,(26,1))");
  EXPECT_EQ(str(flatDivide(a, t)), "(3,(2,4),3,(2,2)):(177,(13,2),59,(26,1))");
}

TEST(CuteDocExamples, Product) {
  EXPECT_EQ(str(logicalProduct(L("(2,2):(4,1)"), L("6:1"))), "((2,2),(2,3)):((4,1),(2,8))");
  EXPECT_EQ(str(logicalProduct(L("(2,2):(4,1)"), L("(4,2):(2,1)"))),
            "((2,2),(4,2)):((4,1),(8,2))");
  Layout tile = L("(2,2):(1,2)"), matrix = L("(3,4):(4,1)");
  EXPECT_EQ(str(blockedProduct(tile, matrix)), "((2,3),(2,4)):((1,16),(2,4))");
  EXPECT_EQ(str(rakedProduct(tile, matrix)), "((3,2),(4,2)):((16,1),(4,2))");
}

TEST(LayoutInverse, RightAndLeft) {
  EXPECT_EQ(rightInverse(L("(4,2):(2,1)")).str(), "(2,4):(4,1)");
  EXPECT_EQ(rightInverse(L("(2,4):(4,1)")).str(), "(4,2):(2,1)");
  auto li = leftInverse(L("(4,2):(1,8)"));
  ASSERT_TRUE(li) << li.error();
  for (int64_t i = 0; i < 8; ++i)
    EXPECT_EQ((*li)(L("(4,2):(1,8)")(i)), i);
}

TEST(LayoutErrors, PreconditionsAreReportedNotAsserted) {
  // 4 does not divide 6: B = 2:4 stays inside A's first mode (valid, as
  // CuTe computes it); 4:4 reaches past it, where CuTe's answer is wrong.
  EXPECT_EQ(str(composition(L("(6,2):(1,7)"), L("2:4"))), "2:4");
  auto c = composition(L("(6,2):(1,7)"), L("4:4"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("stride divisibility"), std::string::npos) << c.error();
  auto n = composition(L("(6,2):(1,7)"), L("(2,3):(4,1)"));
  ASSERT_FALSE(n) << n->str();
  EXPECT_NE(n.error().find("other modes"), std::string::npos) << n.error();
  auto s = composition(L("(4,3):(1,10)"), L("6:1"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("shape divisibility"), std::string::npos) << s.error();
  auto k = complement(L("(2,2):(1,1)"), 8);
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().find("not complementable"), std::string::npos) << k.error();
  EXPECT_FALSE(composition(L("4:1"), L("2:-1")));
  EXPECT_FALSE(logicalDivide(L("8:1"), T("<2:1, 2:1>")));
  EXPECT_FALSE(composition(L("8:1"), Tiler{})); // an empty tuple would reach the algebra
  EXPECT_FALSE(zippedDivide(L("8:1"), Tiler{}));
}

TEST(LayoutNotation, ErrorsPointAtTheCharacter) {
  size_t col = 0;
  auto l = parseLayout("(4,(2,2):(2,(1,8))", &col);
  ASSERT_FALSE(l);
  EXPECT_EQ(col, 8u) << l.error();
  l = parseLayout("(4,2):(2,(1,8))", &col);
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().find("not congruent"), std::string::npos);
  l = parseLayout("(4,x):(1,4)", &col);
  ASSERT_FALSE(l);
  EXPECT_EQ(col, 3u);
  l = parseLayout("8:1 junk", &col);
  ASSERT_FALSE(l);
  EXPECT_EQ(col, 4u);
  EXPECT_FALSE(parseLayout("(0,2):(1,1)"));
  auto t = parseTiler("<3:4, 8:2", &col);
  ASSERT_FALSE(t);
  EXPECT_EQ(col, 9u);
}
} // namespace

// The classes issue 11 found to differ from CuTe, each with CuTe's answer
// (all of them are rows of cute-conformance.tsv too).
TEST(CuteClasses, CompositionExtendsAlongTheLastMode) {
  EXPECT_EQ(str(composition(L("1:3"), L("4:1"))), "4:3");
  EXPECT_EQ(str(composition(L("4:2"), L("1:3"))), "1:6");
  EXPECT_EQ(str(composition(L("(4,1):(1,0)"), L("8:1"))), "(4,2):(1,0)");
  EXPECT_EQ(str(composition(L("4:1"), L("8:1"))), "8:1");
  EXPECT_EQ(str(composition(L("((2,2),2):((1,4),2)"), L("4:1"))), "(2,2):(1,4)");
  EXPECT_EQ(str(composition(L("(3,4):(0,1)"), L("4:3"))), "4:1");
  EXPECT_EQ(str(composition(L("(2,2):(0,1)"), L("4:1"))), "(2,2):(0,1)");
  // By a tiler, A's modes past it are dropped.
  EXPECT_EQ(str(composition(L("(4,8):(1,4)"), T("<2:2>"))), "(2):(2)");
}

TEST(CuteClasses, DividesByALayout) {
  EXPECT_EQ(str(zippedDivide(L("(8,8):(1,8)"), L("4:1"))), "(4,16):(1,4)");
  EXPECT_EQ(str(tiledDivide(L("(8,8):(1,16)"), L("4:1"))), "(4,2,8):(1,4,16)");
  // The complement is to the shape (3,3): ceil_div((3,3), 2) = (2,3), so 6.
  EXPECT_EQ(str(zippedDivide(L("(3,3):(1,3)"), L("2:1"))), "(2,5):(1,2)");
  EXPECT_EQ(str(logicalDivide(L("1:0"), L("1:0"))), "(1,1):(0,0)");
  EXPECT_EQ(str(logicalDivide(L("4:1"), L("1:1"))), "(1,4):(1,1)");
  EXPECT_EQ(str(zippedDivide(L("8:1"), T("<2:1>"))), "((2),(4)):((1),(2))");
}

TEST(CuteClasses, ProductsOfStrideZeroBlocks) {
  EXPECT_EQ(str(logicalProduct(L("(2,2):(0,1)"), L("3:1"))), "((2,2),3):((0,1),2)");
  EXPECT_EQ(str(logicalProduct(L("4:0"), L("2:1"))), "(4,2):(0,1)");
  EXPECT_EQ(str(blockedProduct(L("(2,2):(1,0)"), L("(2,2):(1,2)"))), "((2,2),(2,2)):((1,2),(0,4))");
  EXPECT_EQ(str(rakedProduct(L("(2,1):(0,1)"), L("(2,3):(1,2)"))), "((2,2),(3,1)):((1,0),(2,1))");
  EXPECT_EQ(str(rakedProduct(L("8:1"), L("4:1"))), "((4,8)):((8,1))");
}

TEST(CuteClasses, LeftInverses) {
  EXPECT_EQ(str(leftInverse(L("2:2"))), "(2,2):(0,1)");          // a hole
  EXPECT_EQ(str(leftInverse(L("(4,2):(2,16)"))), "(2,8,2):(0,1,4)"); // holes
  EXPECT_EQ(str(leftInverse(L("(2,2):(1,1)"))), "2:2");          // not injective
  EXPECT_EQ(str(leftInverse(L("(2,2):(0,1)"))), "2:2");
  EXPECT_EQ(str(leftInverse(L("(2,3):(3,1)"))), "(3,2):(2,1)");
  // Overlapping modes whose strides tie: CuTe's form has no quasi-inverse.
  auto q = leftInverse(L("(2,(8,2)):(6,(6,3))"));
  ASSERT_FALSE(q) << q->str();
  EXPECT_NE(q.error().find("not injective"), std::string::npos) << q.error();
}
