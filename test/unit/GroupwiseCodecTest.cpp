//===- GroupwiseCodecTest.cpp - group-wise codec vs a scalar reference ----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Checks packing, layout, round-to-nearest fitting and dequantization of the
// group-wise integer format against a bit-by-bit scalar reference written from
// the format's definition (docs/dialect.md), for every bit width, several group
// sizes, both schemes, every scale and zero point type, and odd shapes.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/GroupwiseCodec.h"
#include "lib/Support/HalfFloat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace lbc;

namespace {

//===----------------------------------------------------------------------===//
// The scalar reference
//===----------------------------------------------------------------------===//

/// Code i of a group lives in bits [i*bits, (i+1)*bits) of the group's
/// little-endian bit stream; set and read it one bit at a time.
std::vector<uint8_t> referencePack(const std::vector<uint8_t> &codes,
                                   unsigned bits, PackOrder order) {
  std::vector<uint8_t> bytes(codes.size() * bits / 8, 0);
  if (order == PackOrder::SplitHalves) {
    const size_t half = codes.size() / 2;
    for (size_t j = 0; j < half; ++j)
      bytes[j] = static_cast<uint8_t>(codes[j] + 16 * codes[j + half]);
    return bytes;
  }
  for (size_t i = 0; i < codes.size(); ++i)
    for (unsigned k = 0; k < bits; ++k)
      if ((codes[i] >> k) & 1u) {
        const size_t bit = i * bits + k;
        bytes[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      }
  return bytes;
}

unsigned referenceCode(const uint8_t *groupBytes, unsigned index, unsigned bits,
                       unsigned groupSize, PackOrder order) {
  if (order == PackOrder::SplitHalves) {
    const unsigned half = groupSize / 2;
    return index < half ? groupBytes[index] % 16
                        : groupBytes[index - half] / 16;
  }
  unsigned code = 0;
  for (unsigned k = 0; k < bits; ++k) {
    const unsigned bit = index * bits + k;
    code |= ((groupBytes[bit / 8] >> (bit % 8)) & 1u) << k;
  }
  return code;
}

float readScalar(ScalarKind kind, const uint8_t *src) {
  uint16_t half;
  float value;
  switch (kind) {
  case ScalarKind::F32:
    std::memcpy(&value, src, 4);
    return value;
  case ScalarKind::F16:
    std::memcpy(&half, src, 2);
    return halfBitsToFloat(half);
  case ScalarKind::BF16:
    std::memcpy(&half, src, 2);
    return bfloat16BitsToFloat(half);
  case ScalarKind::U8:
    return *src;
  case ScalarKind::None:
    break;
  }
  return 0;
}

/// A value as it reads back after being stored as `kind`.
float asStored(ScalarKind kind, float value) {
  switch (kind) {
  case ScalarKind::F16:
    return halfBitsToFloat(floatToHalfBits(value));
  case ScalarKind::BF16:
    return bfloat16BitsToFloat(floatToBFloat16Bits(value));
  case ScalarKind::U8:
    return std::min(255.0f, std::max(0.0f, std::round(value)));
  default:
    return value;
  }
}

int64_t align64(int64_t value) { return (value + 63) / 64 * 64; }

/// Decodes a blob using only the documented layout and the bit reader above.
std::vector<float> referenceDecode(const GroupwiseFormat &format,
                                   const std::vector<uint8_t> &blob,
                                   int64_t rows, int64_t cols) {
  const int64_t groups = (cols + format.groupSize - 1) / format.groupSize;
  const int64_t groupBytes = format.groupSize * format.bits / 8;
  const int64_t scaleBytes = scalarByteSize(format.scaleKind);
  const int64_t scales = align64(rows * groups * groupBytes);
  const int64_t zeros = align64(scales + rows * groups * scaleBytes);
  std::vector<float> out(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t g = r * groups + c / format.groupSize;
      const unsigned code =
          referenceCode(&blob[g * groupBytes], c % format.groupSize,
                        format.bits, format.groupSize, format.order);
      const float scale =
          readScalar(format.scaleKind, &blob[scales + g * scaleBytes]);
      const float zero =
          format.symmetric
              ? static_cast<float>(1u << (format.bits - 1))
              : readScalar(
                    format.zeroPointKind,
                    &blob[zeros + g * scalarByteSize(format.zeroPointKind)]);
      out[r * cols + c] = (static_cast<float>(code) - zero) * scale;
    }
  return out;
}

/// The round-to-nearest fit, element by element, as docs/dialect.md states it.
std::vector<float> referenceFit(const GroupwiseFormat &format,
                                const std::vector<float> &w, int64_t rows,
                                int64_t cols) {
  const float maxCode = static_cast<float>((1u << format.bits) - 1u);
  const float offset = static_cast<float>(1u << (format.bits - 1));
  std::vector<float> out(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t begin = 0; begin < cols; begin += format.groupSize) {
      const int64_t end = std::min<int64_t>(cols, begin + format.groupSize);
      const float *x = &w[r * cols];
      if (format.symmetric) {
        float pick = 0;
        for (int64_t c = begin; c < end; ++c)
          if (std::fabs(x[c]) > std::fabs(pick))
            pick = x[c];
        const float scale = asStored(format.scaleKind, pick / -offset);
        for (int64_t c = begin; c < end; ++c) {
          float q = scale == 0 ? offset : std::round(x[c] / scale) + offset;
          q = std::min(maxCode, std::max(0.0f, q));
          out[r * cols + c] = (q - offset) * scale;
        }
        continue;
      }
      float lo = *std::min_element(x + begin, x + end);
      float hi = *std::max_element(x + begin, x + end);
      if (format.zeroPointKind == ScalarKind::U8 || lo == hi) {
        lo = std::min(lo, 0.0f);
        hi = std::max(hi, 0.0f);
      }
      const float scale = asStored(format.scaleKind, (hi - lo) / maxCode);
      const float zero =
          asStored(format.zeroPointKind, scale == 0 ? 0.0f : -lo / scale);
      for (int64_t c = begin; c < end; ++c) {
        float q =
            scale == 0 ? std::round(zero) : std::round(x[c] / scale + zero);
        q = std::min(maxCode, std::max(0.0f, q));
        out[r * cols + c] = (q - zero) * scale;
      }
    }
  return out;
}

std::vector<float> randomWeights(int64_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(count);
  for (float &v : w)
    v = normal(rng);
  // An outlier and an all-zero stretch, as real weights have.
  if (count > 5)
    w[count / 3] = 1.5f;
  for (int64_t i = count / 2; i < std::min<int64_t>(count, count / 2 + 9); ++i)
    w[i] = 0.0f;
  return w;
}

std::vector<uint8_t> quantize(const GroupwiseFormat &format,
                              const std::vector<float> &w, int64_t rows,
                              int64_t cols) {
  std::vector<uint8_t> blob(computeLayout(format, rows, cols).totalBytes, 0xAB);
  EXPECT_EQ(quantizeRoundToNearest(format, w.data(), rows, cols, blob.data()),
            CodecStatus::Ok);
  return blob;
}

GroupwiseFormat makeFormat(unsigned bits, unsigned groupSize, bool symmetric,
                           ScalarKind scale, ScalarKind zeroPoint,
                           PackOrder order = PackOrder::LsbFirst) {
  GroupwiseFormat format;
  format.bits = bits;
  format.groupSize = groupSize;
  format.symmetric = symmetric;
  format.scaleKind = scale;
  format.zeroPointKind = zeroPoint;
  format.order = order;
  return format;
}

//===----------------------------------------------------------------------===//
// Tests
//===----------------------------------------------------------------------===//

const unsigned kGroupSizes[] = {8, 16, 24, 32, 64, 128, 256};

TEST(GroupwiseCodec, PackMatchesBitwiseReferenceForEveryWidth) {
  std::mt19937 rng(1);
  for (unsigned bits = 2; bits <= 8; ++bits)
    for (unsigned groupSize : kGroupSizes)
      for (PackOrder order : {PackOrder::LsbFirst, PackOrder::SplitHalves}) {
        GroupwiseFormat format = makeFormat(
            bits, groupSize, true, ScalarKind::F16, ScalarKind::None, order);
        if (!validateFormat(format).empty())
          continue;
        std::vector<uint8_t> codes(groupSize);
        for (uint8_t &code : codes)
          code = static_cast<uint8_t>(rng() % (1u << bits));
        std::vector<uint8_t> packed(groupSize * bits / 8, 0xCD);
        packGroupCodes(format, codes.data(), packed.data());
        EXPECT_EQ(packed, referencePack(codes, bits, order))
            << bits << " bits, group " << groupSize;
        std::vector<uint8_t> unpacked(groupSize);
        unpackGroupCodes(format, packed.data(), unpacked.data());
        EXPECT_EQ(unpacked, codes) << bits << " bits, group " << groupSize;
      }
}

TEST(GroupwiseCodec, FormatValidation) {
  EXPECT_EQ(validateFormat(
                makeFormat(4, 32, true, ScalarKind::F16, ScalarKind::None)),
            "");
  EXPECT_NE(validateFormat(
                makeFormat(1, 32, true, ScalarKind::F16, ScalarKind::None)),
            "");
  EXPECT_NE(validateFormat(
                makeFormat(9, 32, true, ScalarKind::F16, ScalarKind::None)),
            "");
  EXPECT_NE(validateFormat(
                makeFormat(4, 12, true, ScalarKind::F16, ScalarKind::None)),
            "");
  EXPECT_NE(
      validateFormat(makeFormat(4, 0, true, ScalarKind::F16, ScalarKind::None)),
      "");
  EXPECT_NE(
      validateFormat(makeFormat(4, 32, true, ScalarKind::U8, ScalarKind::None)),
      "");
  EXPECT_NE(
      validateFormat(makeFormat(4, 32, true, ScalarKind::F16, ScalarKind::U8)),
      "");
  EXPECT_NE(validateFormat(
                makeFormat(4, 32, false, ScalarKind::F16, ScalarKind::None)),
            "");
  EXPECT_NE(
      validateFormat(makeFormat(3, 32, true, ScalarKind::F16, ScalarKind::None,
                                PackOrder::SplitHalves)),
      "");
}

TEST(GroupwiseCodec, BitsPerWeightCountsScalesAndZeroPoints) {
  // llama.cpp's Q4_0, Q5_0, Q8_0 (fp16 scale per 32) and Q4_1 (+ fp16 min).
  EXPECT_DOUBLE_EQ(
      bitsPerWeight(makeFormat(4, 32, true, ScalarKind::F16, ScalarKind::None)),
      4.5);
  EXPECT_DOUBLE_EQ(
      bitsPerWeight(makeFormat(5, 32, true, ScalarKind::F16, ScalarKind::None)),
      5.5);
  EXPECT_DOUBLE_EQ(
      bitsPerWeight(makeFormat(8, 32, true, ScalarKind::F16, ScalarKind::None)),
      8.5);
  EXPECT_DOUBLE_EQ(
      bitsPerWeight(makeFormat(4, 32, false, ScalarKind::F16, ScalarKind::F16)),
      5.0);
  EXPECT_DOUBLE_EQ(
      bitsPerWeight(makeFormat(4, 128, false, ScalarKind::F16, ScalarKind::U8)),
      4.1875);
  EXPECT_DOUBLE_EQ(
      bitsPerWeight(makeFormat(2, 64, true, ScalarKind::F32, ScalarKind::None)),
      2.5);
}

TEST(GroupwiseCodec, LayoutSectionsAreAlignedAndSized) {
  GroupwiseFormat format =
      makeFormat(3, 32, false, ScalarKind::F16, ScalarKind::U8);
  GroupwiseLayout layout = computeLayout(format, 5, 70); // 3 groups per row
  EXPECT_EQ(layout.groupsPerRow, 3);
  EXPECT_EQ(layout.groupBytes, 12);
  EXPECT_EQ(layout.codesOffset, 0);
  EXPECT_EQ(layout.scalesOffset, 192);     // 15 groups * 12 bytes = 180 -> 192
  EXPECT_EQ(layout.zeroPointsOffset, 256); // 192 + 30 = 222 -> 256
  EXPECT_EQ(layout.totalBytes, 271);
  GroupwiseLayout symmetric = computeLayout(
      makeFormat(4, 32, true, ScalarKind::F16, ScalarKind::None), 2, 8);
  EXPECT_EQ(symmetric.totalBytes, 64 + 2 * 2);
}

TEST(GroupwiseCodec, HandComputedQ4Bytes) {
  // Same example as test/Quant/quantize-weights.mlir.
  GroupwiseFormat format =
      makeFormat(4, 8, true, ScalarKind::F16, ScalarKind::None);
  std::vector<float> w = {1,    -2,   3,     -4, 5, -6, 7, -8,
                          0.5f, 1.5f, -0.5f, 1,  2, -1, 0, 4};
  std::vector<uint8_t> blob = quantize(format, w, 2, 8);
  ASSERT_EQ(blob.size(), 68u);
  const std::vector<uint8_t> codes = {0x69, 0x4B, 0x2D, 0x0F,
                                      0x57, 0x69, 0xA4, 0x08};
  EXPECT_TRUE(std::equal(codes.begin(), codes.end(), blob.begin()));
  EXPECT_TRUE(std::all_of(blob.begin() + 8, blob.begin() + 64,
                          [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(blob[64], 0x00); // scale 1.0 = 0x3C00, little-endian
  EXPECT_EQ(blob[65], 0x3C);
  EXPECT_EQ(blob[66], 0x00); // scale -0.5 = 0xB800
  EXPECT_EQ(blob[67], 0xB8);
}

TEST(GroupwiseCodec, MatchesReferenceOnEveryWidthSchemeAndOddShape) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1},  {3, 7},   {2, 33},
                                                {5, 64}, {4, 100}, {7, 257}};
  const ScalarKind scaleKinds[] = {ScalarKind::F16, ScalarKind::BF16,
                                   ScalarKind::F32};
  const ScalarKind zeroKinds[] = {ScalarKind::U8, ScalarKind::F16,
                                  ScalarKind::F32};
  unsigned seed = 0;
  int checkedFormats = 0;
  for (unsigned bits = 2; bits <= 8; ++bits)
    for (unsigned groupSize : kGroupSizes)
      for (int scheme = 0; scheme < 4; ++scheme) {
        const bool symmetric = scheme == 0;
        GroupwiseFormat format = makeFormat(
            bits, groupSize, symmetric, scaleKinds[(bits + groupSize / 8) % 3],
            symmetric ? ScalarKind::None : zeroKinds[scheme - 1]);
        ASSERT_EQ(validateFormat(format), "");
        ++checkedFormats;
        for (auto [rows, cols] : shapes) {
          std::vector<float> w = randomWeights(rows * cols, ++seed);
          std::vector<uint8_t> blob = quantize(format, w, rows, cols);
          std::vector<float> decoded(rows * cols);
          dequantize(format, blob.data(), rows, cols, decoded.data());
          std::vector<float> expected = referenceFit(format, w, rows, cols);
          std::vector<float> fromBlob =
              referenceDecode(format, blob, rows, cols);
          for (int64_t i = 0; i < rows * cols; ++i) {
            ASSERT_EQ(decoded[i], expected[i])
                << bits << " bits, group " << groupSize << ", scheme " << scheme
                << ", shape " << rows << "x" << cols << ", element " << i;
            ASSERT_EQ(fromBlob[i], decoded[i]) << "layout mismatch at " << i;
          }
        }
      }
  EXPECT_EQ(checkedFormats, 7 * 7 * 4);
}

TEST(GroupwiseCodec, ErrorShrinksWithBits) {
  const int64_t rows = 16, cols = 256;
  std::vector<float> w = randomWeights(rows * cols, 99);
  double previous = std::numeric_limits<double>::infinity();
  for (unsigned bits = 2; bits <= 8; ++bits) {
    GroupwiseFormat format =
        makeFormat(bits, 32, true, ScalarKind::F32, ScalarKind::None);
    std::vector<float> decoded(w.size());
    std::vector<uint8_t> blob = quantize(format, w, rows, cols);
    dequantize(format, blob.data(), rows, cols, decoded.data());
    double error = 0;
    for (size_t i = 0; i < w.size(); ++i)
      error += (w[i] - decoded[i]) * (w[i] - decoded[i]);
    EXPECT_LT(error, previous) << bits << " bits";
    previous = error;
  }
}

TEST(GroupwiseCodec, PaddingRuleStoresTheZeroCodeAndIgnoresPadding) {
  // K = 12 with group 8: the second group has 4 real values and 4 padding
  // positions. Padding must not affect the scale and must hold the code of 0.
  const std::vector<float> row = {0.1f, 0.2f, 0.3f, 0.4f,  0.5f, 0.6f,
                                  0.7f, 0.8f, 1.0f, -3.0f, 2.0f, 0.5f};
  for (bool symmetric : {true, false}) {
    GroupwiseFormat format =
        makeFormat(4, 8, symmetric, ScalarKind::F32,
                   symmetric ? ScalarKind::None : ScalarKind::U8);
    std::vector<uint8_t> blob = quantize(format, row, 1, 12);
    GroupwiseLayout layout = computeLayout(format, 1, 12);
    std::vector<uint8_t> codes(8);
    unpackGroupCodes(format, blob.data() + layout.groupBytes, codes.data());
    float scale;
    std::memcpy(&scale, blob.data() + layout.scalesOffset + 4, 4);
    if (symmetric) {
      EXPECT_FLOAT_EQ(scale, -3.0f / -8.0f); // from real values only
      for (int i = 4; i < 8; ++i)
        EXPECT_EQ(codes[i], 8) << "padding position " << i;
    } else {
      EXPECT_FLOAT_EQ(scale, 5.0f / 15.0f); // range [-3, 2]
      const uint8_t zeroPoint = blob[layout.zeroPointsOffset + 1];
      EXPECT_EQ(zeroPoint, 9); // round(3 / (1/3))
      for (int i = 4; i < 8; ++i)
        EXPECT_EQ(codes[i], zeroPoint) << "padding position " << i;
    }
    // Identical to quantizing the 4 real values as a 1x4 weight.
    std::vector<float> tail(row.begin() + 8, row.end());
    std::vector<float> whole(12), alone(4);
    dequantize(format, blob.data(), 1, 12, whole.data());
    std::vector<uint8_t> tailBlob = quantize(format, tail, 1, 4);
    dequantize(format, tailBlob.data(), 1, 4, alone.data());
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(whole[8 + i], alone[i]);
  }
}

TEST(GroupwiseCodec, ConstantAndZeroGroupsAreExact) {
  for (bool symmetric : {true, false}) {
    GroupwiseFormat format =
        makeFormat(3, 8, symmetric, ScalarKind::F32,
                   symmetric ? ScalarKind::None : ScalarKind::F16);
    std::vector<float> w(24, 0.0f);
    std::fill(w.begin() + 8, w.begin() + 16, 0.75f);
    std::fill(w.begin() + 16, w.end(), -2.0f);
    std::vector<uint8_t> blob = quantize(format, w, 1, 24);
    std::vector<float> decoded(24);
    dequantize(format, blob.data(), 1, 24, decoded.data());
    for (int i = 0; i < 24; ++i)
      EXPECT_FLOAT_EQ(decoded[i], w[i]) << (symmetric ? "sym " : "asym ") << i;
  }
}

TEST(GroupwiseCodec, RejectsNonFiniteWeightsAndScaleOverflow) {
  GroupwiseFormat format =
      makeFormat(4, 8, true, ScalarKind::F16, ScalarKind::None);
  std::vector<uint8_t> blob(computeLayout(format, 1, 8).totalBytes);
  std::vector<float> w(8, 1.0f);
  w[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(quantizeRoundToNearest(format, w.data(), 1, 8, blob.data()),
            CodecStatus::NonFiniteInput);
  w[3] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(quantizeRoundToNearest(format, w.data(), 1, 8, blob.data()),
            CodecStatus::NonFiniteInput);
  w[3] = 1e9f; // scale 1.25e8 does not fit in f16
  EXPECT_EQ(quantizeRoundToNearest(format, w.data(), 1, 8, blob.data()),
            CodecStatus::NonFiniteScale);
}

TEST(GroupwiseCodec, HalfQuadraticFitBeatsRoundToNearest) {
  // HQQ starts from round-to-nearest's parameters and only accepts updates
  // that lower the mean absolute error, so it can only help; on a Gaussian
  // weight it lowers the squared error too, symmetric and asymmetric.
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  const int64_t rows = 32, cols = 1000;
  std::vector<float> w(rows * cols);
  for (float &x : w)
    x = normal(rng);
  for (bool symmetric : {true, false}) {
    GroupwiseFormat format =
        makeFormat(4, 32, symmetric, ScalarKind::F16,
                   symmetric ? ScalarKind::None : ScalarKind::F16);
    double squared[2], absolute[2];
    for (int method = 0; method < 2; ++method) {
      std::vector<uint8_t> blob(computeLayout(format, rows, cols).totalBytes);
      ASSERT_EQ(quantizeGroupwise(format,
                                  method ? FitMethod::HalfQuadratic
                                         : FitMethod::RoundToNearest,
                                  w.data(), rows, cols, blob.data()),
                CodecStatus::Ok);
      std::vector<float> decoded(w.size());
      dequantize(format, blob.data(), rows, cols, decoded.data());
      squared[method] = absolute[method] = 0;
      for (size_t i = 0; i < w.size(); ++i) {
        double e = decoded[i] - w[i];
        squared[method] += e * e;
        absolute[method] += std::fabs(e);
      }
    }
    EXPECT_LT(absolute[1], 0.99 * absolute[0]) << "symmetric " << symmetric;
    EXPECT_LT(squared[1], 0.97 * squared[0]) << "symmetric " << symmetric;
  }
}

} // namespace
