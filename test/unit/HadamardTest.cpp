//===- HadamardTest.cpp - Hadamard constructions and the reference FWHT ---===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Hadamard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace lbc;

namespace {

// Every order of methods.md's table (Paley's constructions; 156 and 172 by
// Goethals-Seidel from searched circulants), 44 (5632 = 44 * 128), 344
// (GF(7^3)), and doublings.
TEST(Hadamard, MatricesAreHadamard) {
  for (int64_t k : {2, 4, 12, 20, 24, 28, 36, 40, 44, 52, 60, 108, 140, 156, 172, 344}) {
    std::vector<int8_t> h = hadamardMatrix(k);
    ASSERT_EQ(h.size(), static_cast<size_t>(k * k)) << "K = " << k;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        int64_t dot = 0;
        for (int64_t c = 0; c < k; ++c)
          dot += h[i * k + c] * h[j * k + c];
        ASSERT_EQ(dot, i == j ? k : 0)
            << "K = " << k << " rows " << i << ", " << j;
      }
  }
}

TEST(Hadamard, OrdersWithoutConstruction) {
  // Odd orders have none; 90 = 2 x 45 neither (not a multiple of 4, and no
  // Paley order).
  for (int64_t k : {3, 90})
    EXPECT_TRUE(hadamardMatrix(k).empty()) << "K = " << k;
  EXPECT_FALSE(factorHadamardSize(90).has_value());
  EXPECT_FALSE(factorHadamardSize(0).has_value());
}

TEST(Hadamard, Factorization) {
  struct Case {
    int64_t n, powerOfTwo, k;
  } cases[] = {{768, 64, 12},    {14336, 512, 28}, {5632, 128, 44},
               {4096, 4096, 1},  {40, 2, 20},      {1, 1, 1},
               {10240, 512, 20}, {96, 8, 12},      {11008, 64, 172},
               {156, 1, 156},     {172, 1, 172},  {90, 0, 0}};
  for (const Case &c : cases) {
    std::optional<HadamardSize> size = factorHadamardSize(c.n);
    if (c.k == 0) {
      EXPECT_FALSE(size.has_value()) << c.n;
      continue;
    }
    ASSERT_TRUE(size.has_value()) << c.n;
    EXPECT_EQ(size->powerOfTwo, c.powerOfTwo) << c.n;
    EXPECT_EQ(size->k, c.k) << c.n;
  }
}

// The reference transform against the dense product x (S (x) H_K) / sqrt(n).
TEST(Hadamard, TransformMatchesDenseProduct) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  for (int64_t n : {12, 24, 96, 160, 768}) {
    HadamardSize size = *factorHadamardSize(n);
    std::vector<int8_t> hk = hadamardMatrix(size.k);
    std::vector<float> factor = scaledHadamardFactor(n);
    std::vector<float> x(2 * n);
    for (float &v : x)
      v = normal(rng);
    std::vector<float> y = x;
    hadamardTransformRows(y.data(), 2, n, n, size, factor.data());
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t j = 0; j < n; ++j) {
        double expected = 0;
        for (int64_t i = 0; i < n; ++i) {
          // Sylvester's entry is (-1)^popcount(a & c).
          int64_t a = i / size.k, c = j / size.k;
          int sign = __builtin_popcountll(a & c) % 2 ? -1 : 1;
          expected +=
              x[r * n + i] * sign * hk[(i % size.k) * size.k + j % size.k];
        }
        expected /= std::sqrt(static_cast<double>(n));
        ASSERT_NEAR(y[r * n + j], expected, 1e-4) << "n = " << n;
      }
  }
}

} // namespace
