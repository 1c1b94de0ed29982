//===- HalfFloatTest.cpp - fp16/bf16 conversion tests ---------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Checks lbc's scalar fp16/bf16 conversions against the compiler's own
// _Float16 arithmetic (an independent implementation) and exact identities.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/HalfFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace lbc;

namespace {

uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

TEST(HalfFloat, EveryHalfRoundTripsExactly) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const auto half = static_cast<uint16_t>(bits);
    const float value = halfBitsToFloat(half);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(halfBitsToFloat(floatToHalfBits(value))));
      continue;
    }
    ASSERT_EQ(floatToHalfBits(value), half)
        << "half bits 0x" << std::hex << bits;
  }
}

TEST(HalfFloat, KnownValues) {
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3c00u);
  EXPECT_EQ(floatToHalfBits(-0.5f), 0xb800u);
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7bffu);
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7c00u); // rounds up to infinity
  EXPECT_EQ(floatToHalfBits(0x1p-24f), 0x0001u); // smallest subnormal
  EXPECT_EQ(floatToHalfBits(0x1p-25f), 0x0000u); // tie rounds to even (0)
  EXPECT_EQ(floatToHalfBits(0x1.8p-25f), 0x0001u);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000u);
  EXPECT_EQ(floatToHalfBits(std::numeric_limits<float>::infinity()), 0x7c00u);
  // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1).
  EXPECT_EQ(floatToHalfBits(1.0f + 0x1p-11f), 0x3c00u);
  EXPECT_EQ(floatToHalfBits(1.0f + 0x1p-10f + 0x1p-11f), 0x3c02u);
}

#ifdef __FLT16_MAX__
TEST(HalfFloat, MatchesCompilerFloat16OnRandomFloats) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = anyBits(rng);
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    if (std::isnan(value))
      continue;
    const _Float16 reference = static_cast<_Float16>(value);
    uint16_t referenceBits;
    std::memcpy(&referenceBits, &reference, sizeof(referenceBits));
    ASSERT_EQ(floatToHalfBits(value), referenceBits) << "float " << value;
  }
}
#endif

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(floatToBFloat16Bits(1.0f), 0x3f80u);
  // 1 + 2^-8 is halfway between bf16 1.0 and 1 + 2^-7: ties to even.
  EXPECT_EQ(floatToBFloat16Bits(1.0f + 0x1p-8f), 0x3f80u);
  EXPECT_EQ(floatToBFloat16Bits(1.0f + 0x1p-7f + 0x1p-8f), 0x3f82u);
  EXPECT_TRUE(std::isnan(bfloat16BitsToFloat(
      floatToBFloat16Bits(std::numeric_limits<float>::quiet_NaN()))));
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const float value = bfloat16BitsToFloat(static_cast<uint16_t>(bits));
    if (!std::isnan(value)) {
      ASSERT_EQ(floatToBFloat16Bits(value), bits);
    }
    ASSERT_EQ(floatBits(value) >> 16, bits);
  }
}

} // namespace
