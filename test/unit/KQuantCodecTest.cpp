//===- KQuantCodecTest.cpp - K-quant codec tests --------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Checks the K-quant codec: header packing, the layout's byte counts, the
// decoding rule on hand-made bytes, and that the weighted least-squares fit
// beats round-to-nearest Q4_0 at the same 4.5 bits/weight.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/KQuantCodec.h"
#include "lib/Support/HalfFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace lbc;

namespace {

TEST(KQuantCodec, LayoutAndBitsPerWeight) {
  KQuantFormat format;
  EXPECT_DOUBLE_EQ(bitsPerWeight(format), 4.5);
  KQuantLayout layout = computeKQuantLayout(format, 3, 300);
  EXPECT_EQ(layout.superBlocksPerRow, 2);
  EXPECT_EQ(layout.superBlockBytes, 128);
  EXPECT_EQ(layout.headersOffset, 768);
  EXPECT_EQ(layout.totalBytes, 768 + 6 * 16);
  EXPECT_TRUE(validateKQuantFormat(KQuantFormat{5}).empty());
  EXPECT_DOUBLE_EQ(bitsPerWeight(KQuantFormat{5}), 5.5);
  EXPECT_EQ(computeKQuantLayout(KQuantFormat{5}, 3, 300).superBlockBytes, 160);
  EXPECT_TRUE(validateKQuantFormat(KQuantFormat{6}).empty());
  EXPECT_FALSE(validateKQuantFormat(KQuantFormat{2}).empty());
  EXPECT_FALSE(validateKQuantFormat(KQuantFormat{7}).empty());
  // The symmetric K-quants: llama.cpp's Q3_K / Q6_K storage arithmetic.
  EXPECT_DOUBLE_EQ(bitsPerWeight(KQuantFormat{3}), 3.4375);
  EXPECT_DOUBLE_EQ(bitsPerWeight(KQuantFormat{6}), 6.5625);
  KQuantLayout q3k = computeKQuantLayout(KQuantFormat{3}, 3, 300);
  EXPECT_EQ(q3k.superBlockBytes, 96);
  EXPECT_EQ(q3k.totalBytes, 576 + 6 * 14);
  KQuantLayout q6k = computeKQuantLayout(KQuantFormat{6}, 3, 300);
  EXPECT_EQ(q6k.superBlockBytes, 192);
  EXPECT_EQ(q6k.totalBytes, 1152 + 6 * 18);
}

TEST(KQuantCodec, DecodesHandMadeSymmetricBytes) {
  // q6k: d = 0.5, sc[j] = j - 8, code at position t of piece p = t; q3k:
  // d = 0.25, sc[j] = 31 - 4j, code = t % 8.
  for (unsigned bits : {6u, 3u}) {
    KQuantFormat format{bits};
    KQuantLayout layout = computeKQuantLayout(format, 1, 256);
    std::vector<uint8_t> blob(layout.totalBytes, 0);
    uint8_t *header = blob.data() + layout.headersOffset;
    float dValue = bits == 6 ? 0.5f : 0.25f;
    uint16_t d = floatToHalfBits(dValue);
    std::memcpy(header, &d, 2);
    auto scaleOf = [&](int j) { return bits == 6 ? j - 8 : 31 - 4 * j; };
    for (int j = 0; j < 16; ++j) {
      if (bits == 6) {
        header[2 + j] = uint8_t(static_cast<int8_t>(scaleOf(j)));
      } else {
        unsigned value = unsigned(scaleOf(j) + 32);
        header[2 + j % 8] |= uint8_t((value & 15) << (4 * (j / 8)));
        header[10 + j / 4] |= uint8_t((value >> 4) << (2 * (j % 4)));
      }
    }
    uint8_t *codes = blob.data() + layout.codesOffset;
    for (int p = 0; p < 4; ++p)
      for (int t = 0; t < 64; ++t) {
        unsigned q = bits == 6 ? unsigned(t) : unsigned(t % 8);
        if (bits == 6) {
          codes[32 * p + t % 32] |= uint8_t((q & 15) << (4 * (t / 32)));
          codes[128 + 16 * p + t % 16] |= uint8_t((q >> 4) << (2 * (t / 16)));
        } else {
          codes[16 * p + t % 16] |= uint8_t((q & 3) << (2 * (t / 16)));
          codes[64 + 8 * p + t / 8] |= uint8_t((q >> 2) << (t % 8));
        }
      }
    std::vector<float> decoded(256);
    dequantizeKQuant(format, blob.data(), 1, 256, decoded.data());
    int half = 1 << (bits - 1);
    for (int col = 0; col < 256; ++col) {
      int t = col % 64;
      int q = bits == 6 ? t : t % 8;
      EXPECT_EQ(decoded[col],
                dValue * float(scaleOf(col / 16)) * float(q - half))
          << "bits " << bits << " column " << col;
    }
  }
}

TEST(KQuantCodec, DecodesHandMadeBytes) {
  // One super-block: d = 0.5, dmin = 0.25, sc[j] = j + 1, m[j] = 63 - j,
  // codes q = i % 16 in every sub-block.
  KQuantFormat format;
  KQuantLayout layout = computeKQuantLayout(format, 1, 256);
  std::vector<uint8_t> blob(layout.totalBytes, 0);
  uint8_t *header = blob.data() + layout.headersOffset;
  uint16_t d = floatToHalfBits(0.5f), dmin = floatToHalfBits(0.25f);
  std::memcpy(header, &d, 2);
  std::memcpy(header + 2, &dmin, 2);
  for (unsigned v = 0; v < 16; ++v) {
    unsigned value = v < 8 ? v + 1 : 63 - (v - 8);
    header[4 + v % 8] |= uint8_t((value & 15) << (4 * (v / 8)));
    header[12 + v / 4] |= uint8_t((value >> 4) << (2 * (v % 4)));
  }
  for (unsigned v = 0; v < 16; ++v)
    EXPECT_EQ(kquantHeaderValue(header, v), v < 8 ? v + 1 : 63 - (v - 8));
  for (int j = 0; j < 8; ++j)
    for (int i = 0; i < 32; ++i)
      blob[(j / 2) * 32 + i] |= uint8_t((i % 16) << (4 * (j % 2)));
  std::vector<float> values(256);
  dequantizeKQuant(format, blob.data(), 1, 256, values.data());
  for (int j = 0; j < 8; ++j)
    for (int i = 0; i < 32; ++i)
      EXPECT_FLOAT_EQ(values[j * 32 + i], 0.5f * float(j + 1) * float(i % 16) -
                                              0.25f * float(63 - j))
          << "sub-block " << j << " element " << i;
}

TEST(KQuantCodec, FitBeatsRoundToNearestQ4At4Point5Bits) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t rows = 16, cols = 1000; // not a multiple of 256: padded
  std::vector<float> weights(rows * cols);
  for (float &w : weights)
    w = normal(rng) * 0.05f + (normal(rng) > 2.0f ? 0.2f : 0.0f);
  auto squaredError = [&](const std::vector<float> &decoded) {
    double total = 0;
    for (size_t i = 0; i < weights.size(); ++i)
      total += double(decoded[i] - weights[i]) * (decoded[i] - weights[i]);
    return total;
  };

  KQuantFormat kquant;
  KQuantLayout layout = computeKQuantLayout(kquant, rows, cols);
  std::vector<uint8_t> packed(layout.totalBytes);
  ASSERT_EQ(quantizeKQuant(kquant, weights.data(), rows, cols, nullptr,
                           packed.data()),
            CodecStatus::Ok);
  std::vector<float> decoded(weights.size());
  dequantizeKQuant(kquant, packed.data(), rows, cols, decoded.data());

  GroupwiseFormat q4;
  GroupwiseLayout q4Layout = computeLayout(q4, rows, cols);
  std::vector<uint8_t> q4Packed(q4Layout.totalBytes);
  ASSERT_EQ(
      quantizeRoundToNearest(q4, weights.data(), rows, cols, q4Packed.data()),
      CodecStatus::Ok);
  std::vector<float> q4Decoded(weights.size());
  dequantize(q4, q4Packed.data(), rows, cols, q4Decoded.data());

  EXPECT_DOUBLE_EQ(bitsPerWeight(kquant), bitsPerWeight(q4));
  EXPECT_LT(squaredError(decoded), 0.85 * squaredError(q4Decoded));

  std::vector<float> bad = weights;
  bad[5] = NAN;
  EXPECT_EQ(
      quantizeKQuant(kquant, bad.data(), rows, cols, nullptr, packed.data()),
      CodecStatus::NonFiniteInput);
}

/// Squared error of the K-quant fit (`bits`) of normal weights, and of
/// round-to-nearest group-wise quantization with `groupwiseBits`.
std::pair<double, double> kquantVersusGroupwise(unsigned bits,
                                                unsigned groupwiseBits,
                                                unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  const int64_t rows = 8, cols = 768;
  std::vector<float> weights(rows * cols);
  for (float &w : weights)
    w = normal(rng);
  auto squaredError = [&](const std::vector<float> &decoded) {
    double total = 0;
    for (size_t i = 0; i < weights.size(); ++i)
      total += double(decoded[i] - weights[i]) * (decoded[i] - weights[i]);
    return total;
  };
  KQuantFormat kquant{bits};
  std::vector<uint8_t> packed(
      computeKQuantLayout(kquant, rows, cols).totalBytes);
  EXPECT_EQ(quantizeKQuant(kquant, weights.data(), rows, cols, nullptr,
                           packed.data()),
            CodecStatus::Ok);
  std::vector<float> decoded(weights.size());
  dequantizeKQuant(kquant, packed.data(), rows, cols, decoded.data());
  GroupwiseFormat groupwise;
  groupwise.bits = groupwiseBits;
  std::vector<uint8_t> groupwisePacked(
      computeLayout(groupwise, rows, cols).totalBytes);
  EXPECT_EQ(quantizeRoundToNearest(groupwise, weights.data(), rows, cols,
                                   groupwisePacked.data()),
            CodecStatus::Ok);
  std::vector<float> groupwiseDecoded(weights.size());
  dequantize(groupwise, groupwisePacked.data(), rows, cols,
             groupwiseDecoded.data());
  return {squaredError(decoded), squaredError(groupwiseDecoded)};
}

TEST(KQuantCodec, FiveBitFitBeatsRoundToNearestQ5) {
  // q5k against w5 (Q5_0), both 5.5 bits/weight.
  auto [kquant, groupwise] = kquantVersusGroupwise(5, 5, 11);
  EXPECT_LT(kquant, 0.85 * groupwise);
}

TEST(KQuantCodec, ThreeBitFitBeatsRoundToNearestW3) {
  // q3k (3.4375 bits/weight) against w3 (3.5).
  auto [kquant, groupwise] = kquantVersusGroupwise(3, 3, 5);
  EXPECT_LT(kquant, 0.85 * groupwise);
}

TEST(KQuantCodec, SixBitFitBeatsRoundToNearestW6) {
  // q6k (6.5625 bits/weight) against w6 (6.5).
  auto [kquant, groupwise] = kquantVersusGroupwise(6, 6, 5);
  EXPECT_LT(kquant, 0.85 * groupwise);
}

} // namespace
