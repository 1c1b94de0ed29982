//===- SymbolicDimTest.cpp - symbolic dim arithmetic and text tests -------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The importer writes dim expressions as text and the runtime reads them
// back: the text must round-trip, arithmetic must agree with evaluation at
// random points, and exact division must refuse what is not exact.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/SymbolicDim.h"

#include <gtest/gtest.h>

#include <random>

using namespace lbc;

namespace {

TEST(SymbolicDimTest, CanonicalTextRoundTrips) {
  SymbolicDim past = SymbolicDim::symbol("past");
  SymbolicDim batch = SymbolicDim::symbol("batch");
  SymbolicDim sum = past + SymbolicDim::constant(1);
  EXPECT_EQ(sum.str(), "past + 1");
  EXPECT_EQ((batch * past * SymbolicDim::constant(2)).str(), "2*batch*past");
  EXPECT_EQ((SymbolicDim::constant(3) - past).str(), "-past + 3");
  for (const SymbolicDim &dim :
       {sum, batch * past + past - SymbolicDim::constant(7),
        SymbolicDim::constant(0), SymbolicDim::constant(-4), batch * batch})
    EXPECT_EQ(SymbolicDim::parse(dim.str()), dim) << dim.str();
  // The artifact writes expressions without spaces.
  EXPECT_EQ(SymbolicDim::parse("past+1"), sum);
}

TEST(SymbolicDimTest, NonPolynomialNamesAreOneSymbol) {
  SymbolicDim dim = SymbolicDim::parse("batch size");
  EXPECT_EQ(dim.getSymbol(), "batch size");
  EXPECT_FALSE(dim.isConstant());
  EXPECT_EQ(SymbolicDim::parse("sequence").getSymbol(), "sequence");
  EXPECT_EQ(SymbolicDim::parse("12").getConstant(), 12);
}

TEST(SymbolicDimTest, ArithmeticAgreesWithEvaluation) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> value(0, 50);
  SymbolicDim a = SymbolicDim::symbol("a"), b = SymbolicDim::symbol("b");
  SymbolicDim x = a * b + SymbolicDim::constant(3) * a;
  SymbolicDim y = b - SymbolicDim::constant(2);
  for (int trial = 0; trial < 100; ++trial) {
    std::map<std::string, int64_t> at = {{"a", value(rng)}, {"b", value(rng)}};
    int64_t xv = at["a"] * at["b"] + 3 * at["a"], yv = at["b"] - 2;
    EXPECT_EQ((x + y).evaluate(at), xv + yv);
    EXPECT_EQ((x - y).evaluate(at), xv - yv);
    EXPECT_EQ((x * y).evaluate(at), xv * yv);
  }
  EXPECT_EQ(x.evaluate({{"a", 1}}), std::nullopt);
}

TEST(SymbolicDimTest, ExactDivisionOnly) {
  SymbolicDim s = SymbolicDim::symbol("s"), b = SymbolicDim::symbol("b");
  SymbolicDim total = SymbolicDim::constant(64) * b * s;
  EXPECT_EQ(total.divideExactly(SymbolicDim::constant(16) * b),
            SymbolicDim::constant(4) * s);
  EXPECT_EQ(total.divideExactly(b * s), SymbolicDim::constant(64));
  EXPECT_EQ(total.divideExactly(SymbolicDim::constant(3)), std::nullopt);
  EXPECT_EQ((s + SymbolicDim::constant(1)).divideExactly(s), std::nullopt);
  EXPECT_EQ((s + SymbolicDim::constant(1))
                .divideExactly(s + SymbolicDim::constant(1)),
            SymbolicDim::constant(1));
}

} // namespace
