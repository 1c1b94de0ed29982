//===- RecipeTest.cpp - recipe parsing tests ------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Checks the --pipeline recipe language: valid steps, canonical spelling, and
// the errors for unknown, malformed and contradictory steps.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines/Recipe.h"

#include <gtest/gtest.h>

using namespace mlir::lbc;

namespace {

TEST(Recipe, ParsesWeightSteps) {
  std::string error;
  std::optional<Recipe> w4 = parseRecipe("w4", error);
  ASSERT_TRUE(w4) << error;
  ASSERT_TRUE(w4->weights);
  EXPECT_EQ(w4->weights->bits, 4u);
  EXPECT_EQ(w4->weights->groupSize, 32u);
  EXPECT_EQ(w4->str(), "w4");

  std::optional<Recipe> w3g128 = parseRecipe(" w3g128 ", error);
  ASSERT_TRUE(w3g128) << error;
  EXPECT_EQ(w3g128->weights->bits, 3u);
  EXPECT_EQ(w3g128->weights->groupSize, 128u);
  EXPECT_EQ(w3g128->str(), "w3g128");

  std::optional<Recipe> fp32 = parseRecipe("fp32", error);
  ASSERT_TRUE(fp32) << error;
  EXPECT_FALSE(fp32->weights);
  EXPECT_EQ(fp32->str(), "fp32");
}

TEST(Recipe, ParsesZeroPointAndHalfQuadraticFit) {
  std::string error;
  std::optional<Recipe> w4z = parseRecipe("hqq,w4zg128", error);
  ASSERT_TRUE(w4z) << error;
  EXPECT_TRUE(w4z->weights->zeroPoint);
  EXPECT_TRUE(w4z->weights->halfQuadraticFit);
  EXPECT_EQ(w4z->weights->groupSize, 128u);
  EXPECT_EQ(w4z->str(), "w4zg128,hqq");
  std::optional<Recipe> w4 = parseRecipe("w4,hqq,a8", error);
  ASSERT_TRUE(w4) << error;
  EXPECT_FALSE(w4->weights->zeroPoint);
  EXPECT_EQ(w4->str(), "w4,hqq,a8");
  EXPECT_FALSE(parseRecipe("hqq", error));
  EXPECT_NE(error.find("group-wise weight step"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("q4k,hqq", error));
  EXPECT_NE(error.find("q4k and nf4 have fits of their own"), std::string::npos)
      << error;
  std::optional<Recipe> nf4 = parseRecipe("nf4g128", error);
  ASSERT_TRUE(nf4) << error;
  EXPECT_EQ(nf4->weights->format, WeightQuantStep::Format::Nf4);
  EXPECT_EQ(nf4->weights->groupSize, 128u);
  EXPECT_EQ(nf4->str(), "nf4g128");
  EXPECT_EQ(parseRecipe("nf4", error)->str(), "nf4");
  EXPECT_FALSE(parseRecipe("nf4g48", error));
  EXPECT_FALSE(parseRecipe("nf4x", error));
  EXPECT_FALSE(parseRecipe("w4zz", error));
}

TEST(Recipe, ParsesKQuantStep) {
  std::string error;
  std::optional<Recipe> q4k = parseRecipe("q4k,a8", error);
  ASSERT_TRUE(q4k) << error;
  EXPECT_EQ(q4k->weights->format, WeightQuantStep::Format::KQuant);
  EXPECT_EQ(q4k->weights->bits, 4u);
  EXPECT_EQ(q4k->str(), "q4k,a8");
  EXPECT_FALSE(parseRecipe("q4k,w4", error));
  EXPECT_NE(error.find("contradict"), std::string::npos) << error;
  EXPECT_EQ(parseRecipe("q5k", error)->weights->bits, 5u);
  EXPECT_EQ(parseRecipe("q5k", error)->str(), "q5k");
  EXPECT_EQ(parseRecipe("q3k", error)->weights->bits, 3u);
  EXPECT_EQ(parseRecipe("q6k,a8", error)->str(), "q6k,a8");
  EXPECT_FALSE(parseRecipe("q7k", error));
  EXPECT_FALSE(parseRecipe("q2k", error));
  EXPECT_FALSE(parseRecipe("q8k", error));
  EXPECT_NE(error.find("'q8k'"), std::string::npos) << error;
}

TEST(Recipe, ActivationStepNeedsWeightStep) {
  std::string error;
  std::optional<Recipe> w4a8 = parseRecipe("a8,w4", error);
  ASSERT_TRUE(w4a8) << error;
  EXPECT_EQ(w4a8->activations->bits, 8u);
  EXPECT_EQ(w4a8->str(), "w4,a8");
  EXPECT_FALSE(parseRecipe("a8", error));
  EXPECT_NE(error.find("add a weight step"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("fp32,a8", error));
  w4a8->keep = {"*lm_head*", "*embed*"};
  EXPECT_EQ(w4a8->str(), "w4,a8 keep=*lm_head*,*embed*");
}

TEST(Recipe, ActivationSteps) {
  std::string error;
  std::optional<Recipe> recipe = parseRecipe("a4t=0.9,w4", error);
  ASSERT_TRUE(recipe) << error;
  EXPECT_EQ(recipe->activations->bits, 4u);
  EXPECT_TRUE(recipe->activations->perToken);
  EXPECT_DOUBLE_EQ(recipe->activations->clip, 0.9);
  EXPECT_EQ(recipe->str(), "w4,a4t=0.9");
  EXPECT_EQ(parseRecipe("w4,a8t", error)->str(), "w4,a8t");
  EXPECT_EQ(parseRecipe("w4,a4", error)->str(), "w4,a4");
  EXPECT_FALSE(parseRecipe("w4,a9", error));
  EXPECT_NE(error.find("'a9': activation bits must be 2..8"), std::string::npos)
      << error;
  EXPECT_FALSE(parseRecipe("w4,a4t=1.5", error));
  EXPECT_NE(error.find("clipping ratio"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("w4,a4t=x", error));
  EXPECT_FALSE(parseRecipe("w4,a8,a4t", error));
  EXPECT_NE(error.find("both quantize activations"), std::string::npos)
      << error;
}

TEST(Recipe, SmoothRotStep) {
  std::string error;
  std::optional<Recipe> recipe = parseRecipe("a4t=0.9,w4,smoothrot", error);
  ASSERT_TRUE(recipe) << error;
  EXPECT_TRUE(recipe->needsCalibration());
  EXPECT_DOUBLE_EQ(recipe->smoothRot->alpha, 0.5);
  EXPECT_EQ(recipe->str(), "smoothrot,w4,a4t=0.9");
  EXPECT_EQ(parseRecipe("smoothrot=0.3,q4k", error)->str(),
            "smoothrot=0.3,q4k");
  EXPECT_EQ(parseRecipe("smoothrot", error)->str(), "smoothrot,fp32");
  std::optional<Recipe> search =
      parseRecipe("w4,smoothrot=search,a4t=0.9", error);
  ASSERT_TRUE(search) << error;
  EXPECT_TRUE(search->smoothRot->searchAlpha);
  EXPECT_TRUE(search->needsRanges());
  EXPECT_EQ(search->str(), "smoothrot=search,w4,a4t=0.9");
  EXPECT_FALSE(parseRecipe("w4", error)->needsCalibration());
  EXPECT_EQ(parseRecipe("w4,rotate", error)->str(), "rotate,w4");
  EXPECT_FALSE(parseRecipe("w4,rotate", error)->needsCalibration());
  EXPECT_EQ(parseRecipe("rotate,smoothrot,w4", error)->str(), "smoothrot,w4");
  std::optional<Recipe> gptq = parseRecipe("gptq,w4g128", error);
  ASSERT_TRUE(gptq) << error;
  EXPECT_TRUE(gptq->needsGram());
  EXPECT_FALSE(gptq->needsRanges());
  EXPECT_EQ(gptq->calibrationStep(), "gptq");
  EXPECT_EQ(gptq->str(), "w4g128,gptq");
  std::optional<Recipe> actOrder = parseRecipe("gptq=act-order,w4", error);
  ASSERT_TRUE(actOrder) << error;
  EXPECT_TRUE(actOrder->weights->gptq && actOrder->weights->gptqActOrder);
  EXPECT_EQ(actOrder->str(), "w4,gptq=act-order");
  EXPECT_FALSE(parseRecipe("w4,hqq,gptq=act-order", error));
  EXPECT_NE(error.find("contradict"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("q4k,gptq", error));
  EXPECT_NE(error.find("'gptq' fits the scales of a group-wise"),
            std::string::npos)
      << error;
  std::optional<Recipe> imatrix = parseRecipe("imatrix,q4k", error);
  ASSERT_TRUE(imatrix) << error;
  EXPECT_EQ(imatrix->str(), "q4k,imatrix");
  EXPECT_TRUE(imatrix->needsLateStatistics());
  EXPECT_FALSE(imatrix->needsGram());
  EXPECT_EQ(imatrix->calibrationStep(), "imatrix");
  EXPECT_FALSE(parseRecipe("w4,imatrix", error));
  std::optional<Recipe> awq = parseRecipe("awq,w4g128", error);
  ASSERT_TRUE(awq) << error;
  EXPECT_EQ(awq->str(), "w4g128,awq");
  EXPECT_TRUE(awq->needsGram());
  EXPECT_EQ(awq->calibrationStep(), "awq");
  EXPECT_FALSE(parseRecipe("w4z,awq", error));
  EXPECT_NE(error.find("'awq' scales symmetric group-wise weights"),
            std::string::npos)
      << error;
  EXPECT_FALSE(parseRecipe("w4,awq,gptq", error));
  EXPECT_FALSE(parseRecipe("w4,hqq,gptq", error));
  EXPECT_NE(error.find("both choose how weights are fitted"), std::string::npos)
      << error;
  EXPECT_FALSE(parseRecipe("smoothrot=2,w4", error));
  EXPECT_NE(error.find("'smoothrot=2': after '=' comes alpha"),
            std::string::npos)
      << error;
}

TEST(Recipe, UnknownStepNamesItAndListsValidSteps) {
  std::string error;
  EXPECT_FALSE(parseRecipe("w4,frobnicate", error));
  EXPECT_NE(error.find("'frobnicate'"), std::string::npos) << error;
  EXPECT_NE(error.find("w8, w5, w4"), std::string::npos) << error;
}

TEST(Recipe, RejectsMalformedAndContradictorySteps) {
  std::string error;
  EXPECT_FALSE(parseRecipe("w4,w8", error));
  EXPECT_NE(error.find("contradict"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("fp32,w4", error));
  EXPECT_NE(error.find("contradict"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("w9", error));
  EXPECT_NE(error.find("'w9'"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("w4g12", error));
  EXPECT_FALSE(parseRecipe("w4g", error));
  EXPECT_FALSE(parseRecipe("wx", error));
  EXPECT_FALSE(parseRecipe("w4,,", error));
  EXPECT_NE(error.find("empty step"), std::string::npos) << error;
  EXPECT_FALSE(parseRecipe("", error));
}

} // namespace
