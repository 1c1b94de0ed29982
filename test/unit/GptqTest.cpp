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

// On inputs with correlated channels, GPTQ's output error on the same data
// is well below round-to-nearest's (the paper's premise).
TEST(Gptq, ReducesOutputErrorBelowRoundToNearest) {
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  const int64_t rows = 24, cols = 128, n = 512;
  std::vector<float> w(rows * cols), x(n * cols), mix(cols * cols);
  for (float &v : w)
    v = normal(rng);
  for (float &v : mix)
    v = normal(rng) / std::sqrt(static_cast<float>(cols));
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> z(cols);
    for (float &v : z)
      v = normal(rng);
    for (int64_t c = 0; c < cols; ++c) {
      double sum = z[c];
      for (int64_t k = 0; k < cols; ++k)
        sum += 2.0 * z[k] * mix[k * cols + c];
      x[t * cols + c] = static_cast<float>(sum * (c % 7 == 0 ? 5.0 : 1.0));
    }
  }
  std::vector<float> gram(cols * cols, 0.0f);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        gram[i * cols + j] += x[t * cols + i] * x[t * cols + j];
  for (unsigned groupSize : {32u, 128u}) {
    GroupwiseFormat format = q4Format(groupSize);
    GroupwiseLayout layout = computeLayout(format, rows, cols);
    std::vector<uint8_t> rtn(layout.totalBytes), gptq(layout.totalBytes);
    ASSERT_EQ(quantizeRoundToNearest(format, w.data(), rows, cols, rtn.data()),
              CodecStatus::Ok);
    std::string error;
    ASSERT_EQ(quantizeGptq(format, w.data(), rows, cols, gram.data(),
                           GptqOptions(), gptq.data(), error),
              CodecStatus::Ok)
        << error;
    std::vector<float> qRtn(rows * cols), qGptq(rows * cols);
    dequantize(format, rtn.data(), rows, cols, qRtn.data());
    dequantize(format, gptq.data(), rows, cols, qGptq.data());
    double rtnError = outputError(w, qRtn, x, rows, cols, n);
    double gptqError = outputError(w, qGptq, x, rows, cols, n);
    EXPECT_LT(gptqError, 0.8 * rtnError) << "group " << groupSize << ": GPTQ "
                                         << gptqError << " vs RTN " << rtnError;
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
