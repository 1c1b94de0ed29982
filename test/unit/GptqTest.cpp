//===- GptqTest.cpp - GPTQ against round-to-nearest -----------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Gptq.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lbc;

namespace {

GroupwiseFormat q4Format(unsigned groupSize) {
  GroupwiseFormat format;
  format.bits = 4;
  format.groupSize = groupSize;
  return format;
}

/// ||(W - Q) X^T||_F^2 for weights rows x cols and inputs n x cols.
double outputError(const std::vector<float> &w, const std::vector<float> &q,
                   const std::vector<float> &x, int64_t rows, int64_t cols,
                   int64_t n) {
  double total = 0;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c)
        sum += (w[r * cols + c] - q[r * cols + c]) * x[t * cols + c];
      total += sum * sum;
    }
  return total;
}

// The parameters and codes GPTQ writes through packGroupwise make the same
// bytes as round-to-nearest when the codes are round-to-nearest's.
TEST(Gptq, PackGroupwiseMatchesRoundToNearest) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (GroupwiseFormat format : {q4Format(32), q4Format(64)}) {
    int64_t rows = 3, cols = 100;
    std::vector<float> w(rows * cols);
    for (float &v : w)
      v = normal(rng);
    GroupwiseLayout layout = computeLayout(format, rows, cols);
    std::vector<uint8_t> expected(layout.totalBytes), actual(layout.totalBytes);
    ASSERT_EQ(
        quantizeRoundToNearest(format, w.data(), rows, cols, expected.data()),
        CodecStatus::Ok);
    std::vector<GroupParameters> parameters;
    std::vector<uint8_t> codes(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < layout.groupsPerRow; ++g) {
        int64_t begin = g * format.groupSize;
        int64_t count = std::min<int64_t>(format.groupSize, cols - begin);
        GroupParameters p;
        ASSERT_EQ(fitGroupParameters(format, &w[r * cols + begin], count, p),
                  CodecStatus::Ok);
        parameters.push_back(p);
        for (int64_t i = 0; i < count; ++i)
          codes[r * cols + begin + i] =
              encodeValue(format, p, w[r * cols + begin + i]);
      }
    packGroupwise(format, parameters.data(), codes.data(), rows, cols,
                  actual.data());
    EXPECT_EQ(actual, expected);
  }
}

/// Calibration inputs with correlated channels; channel c is scaled by
/// `scale(c)`. Fills x (n x cols) and gram = X^T X.
template <typename Scale>
void correlatedInputs(std::mt19937 &rng, int64_t cols, int64_t n, Scale scale,
                      std::vector<float> &x, std::vector<float> &gram) {
  std::normal_distribution<float> normal;
  std::vector<float> mix(cols * cols);
  for (float &v : mix)
    v = normal(rng) / std::sqrt(static_cast<float>(cols));
  x.assign(n * cols, 0.0f);
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> z(cols);
    for (float &v : z)
      v = normal(rng);
    for (int64_t c = 0; c < cols; ++c) {
      double sum = z[c];
      for (int64_t k = 0; k < cols; ++k)
        sum += 2.0 * z[k] * mix[k * cols + c];
      x[t * cols + c] = static_cast<float>(sum * scale(c));
    }
  }
  gram.assign(cols * cols, 0.0f);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        gram[i * cols + j] += x[t * cols + i] * x[t * cols + j];
}

/// A seeded layer: standard-normal weights (rows x cols) and correlatedInputs.
template <typename Scale>
void makeLayer(unsigned seed, int64_t rows, int64_t cols, int64_t n,
               Scale scale, std::vector<float> &w, std::vector<float> &x,
               std::vector<float> &gram) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  w.resize(rows * cols);
  for (float &v : w)
    v = normal(rng);
  correlatedInputs(rng, cols, n, scale, x, gram);
}

/// The output error of `w` quantized by GPTQ with `options`.
double gptqOutputError(const GroupwiseFormat &format,
                       const std::vector<float> &w, const std::vector<float> &x,
                       const std::vector<float> &gram, int64_t rows,
                       int64_t cols, int64_t n, const GptqOptions &options) {
  GroupwiseLayout layout = computeLayout(format, rows, cols);
  std::vector<uint8_t> packed(layout.totalBytes);
  std::string error;
  EXPECT_EQ(quantizeGptq(format, w.data(), rows, cols, gram.data(), options,
                         packed.data(), error),
            CodecStatus::Ok)
      << error;
  std::vector<float> q(rows * cols);
  dequantize(format, packed.data(), rows, cols, q.data());
  return outputError(w, q, x, rows, cols, n);
}

// On inputs with correlated channels, GPTQ's output error on the same data
// is well below round-to-nearest's (the paper's premise).
TEST(Gptq, ReducesOutputErrorBelowRoundToNearest) {
  const int64_t rows = 24, cols = 128, n = 512;
  std::vector<float> w, x, gram;
  makeLayer(
      2, rows, cols, n, [](int64_t c) { return c % 7 == 0 ? 5.0 : 1.0; }, w, x,
      gram);
  for (unsigned groupSize : {32u, 128u}) {
    GroupwiseFormat format = q4Format(groupSize);
    GroupwiseLayout layout = computeLayout(format, rows, cols);
    std::vector<uint8_t> rtn(layout.totalBytes);
    ASSERT_EQ(quantizeRoundToNearest(format, w.data(), rows, cols, rtn.data()),
              CodecStatus::Ok);
    std::vector<float> qRtn(rows * cols);
    dequantize(format, rtn.data(), rows, cols, qRtn.data());
    double rtnError = outputError(w, qRtn, x, rows, cols, n);
    double gptqError =
        gptqOutputError(format, w, x, gram, rows, cols, n, GptqOptions());
    EXPECT_LT(gptqError, 0.8 * rtnError) << "group " << groupSize << ": GPTQ "
                                         << gptqError << " vs RTN " << rtnError;
  }
}

// Act-order: when the channels with the most energy come last in input
// order, plain GPTQ has no columns left to absorb their rounding error;
// taking them first does better. With groups the stored layout is unchanged
// (the codes still decode with the plain dequantizer above).
TEST(Gptq, ActOrderHelpsWhenStrongChannelsComeLast) {
  const int64_t rows = 24, cols = 128, n = 512;
  std::vector<float> w, x, gram;
  makeLayer(
      3, rows, cols, n, [&](int64_t c) { return c >= cols - 24 ? 8.0 : 1.0; },
      w, x, gram);
  GptqOptions actOrder;
  actOrder.actOrder = true;
  for (unsigned groupSize : {32u, 128u}) {
    GroupwiseFormat format = q4Format(groupSize);
    double plain =
        gptqOutputError(format, w, x, gram, rows, cols, n, GptqOptions());
    double ordered =
        gptqOutputError(format, w, x, gram, rows, cols, n, actOrder);
    EXPECT_LT(ordered, 0.9 * plain) << "group " << groupSize << ": act-order "
                                    << ordered << " vs " << plain;
  }
}

TEST(Gptq, RejectsIndefiniteHessian) {
  GroupwiseFormat format = q4Format(32);
  std::vector<float> w(2 * 32, 1.0f), gram(32 * 32, 0.0f);
  gram[0] = -100.0f; // a negative diagonal stays negative after damping
  GroupwiseLayout layout = computeLayout(format, 2, 32);
  std::vector<uint8_t> packed(layout.totalBytes);
  std::string error;
  EXPECT_NE(quantizeGptq(format, w.data(), 2, 32, gram.data(), GptqOptions(),
                         packed.data(), error),
            CodecStatus::Ok);
  EXPECT_NE(error.find("not positive definite"), std::string::npos) << error;
}

} // namespace
