//===- Nf4CodecTest.cpp - NF4 codec tests ---------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Checks the NF4 codec: layout and bits/weight, bytes worked out by hand, and
// that the codebook beats uniform 4-bit codes on normal weights (what it is
// designed for) at the same block size.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Nf4Codec.h"
#include "lib/Support/HalfFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace lbc;

namespace {

TEST(Nf4Codec, LayoutAndBitsPerWeight) {
  Nf4Format format;
  EXPECT_DOUBLE_EQ(bitsPerWeight(format), 4.25);
  Nf4Layout layout = computeNf4Layout(format, 3, 100);
  EXPECT_EQ(layout.blocksPerRow, 2);
  EXPECT_EQ(layout.blockBytes, 32);
  EXPECT_EQ(layout.scalesOffset, 192);
  EXPECT_EQ(layout.totalBytes, 192 + 12);
  EXPECT_FALSE(validateNf4Format(Nf4Format{48}).empty());
}

TEST(Nf4Codec, HandComputedBytes) {
  // One block of 32: absmax 2 (f16 0x4000); x = 2 * codebook[q] for q = i
  // % 16 round-trips exactly; byte j holds codes j and j + 16.
  Nf4Format format{32};
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i)
    w[i] = 2.0f * kNf4Codebook[i % 16];
  Nf4Layout layout = computeNf4Layout(format, 1, 32);
  std::vector<uint8_t> blob(layout.totalBytes);
  ASSERT_EQ(quantizeNf4(format, w.data(), 1, 32, blob.data()), CodecStatus::Ok);
  for (int j = 0; j < 16; ++j)
    EXPECT_EQ(blob[j], uint8_t(j | j << 4)) << "byte " << j;
  uint16_t scale;
  std::memcpy(&scale, blob.data() + layout.scalesOffset, 2);
  EXPECT_EQ(scale, 0x4000);
  std::vector<float> decoded(32);
  dequantizeNf4(format, blob.data(), 1, 32, decoded.data());
  for (int i = 0; i < 32; ++i)
    EXPECT_FLOAT_EQ(decoded[i], w[i]);
}

TEST(Nf4Codec, BeatsUniformCodesOnNormalWeights) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  const int64_t rows = 32, cols = 1000; // padded last block
  std::vector<float> w(rows * cols);
  for (float &x : w)
    x = normal(rng);
  Nf4Format nf4;
  std::vector<uint8_t> packed(computeNf4Layout(nf4, rows, cols).totalBytes);
  ASSERT_EQ(quantizeNf4(nf4, w.data(), rows, cols, packed.data()),
            CodecStatus::Ok);
  std::vector<float> decoded(w.size());
  dequantizeNf4(nf4, packed.data(), rows, cols, decoded.data());
  GroupwiseFormat q4;
  q4.groupSize = 64;
  std::vector<uint8_t> q4Packed(computeLayout(q4, rows, cols).totalBytes);
  ASSERT_EQ(quantizeRoundToNearest(q4, w.data(), rows, cols, q4Packed.data()),
            CodecStatus::Ok);
  std::vector<float> q4Decoded(w.size());
  dequantize(q4, q4Packed.data(), rows, cols, q4Decoded.data());
  double nf4Error = 0, q4Error = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    nf4Error += (decoded[i] - w[i]) * (decoded[i] - w[i]);
    q4Error += (q4Decoded[i] - w[i]) * (q4Decoded[i] - w[i]);
  }
  EXPECT_LT(nf4Error, 0.98 * q4Error);
  w[3] = INFINITY;
  EXPECT_EQ(quantizeNf4(nf4, w.data(), rows, cols, packed.data()),
            CodecStatus::NonFiniteInput);
}

} // namespace
