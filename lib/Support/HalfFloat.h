//===- HalfFloat.h - fp16/bf16 <-> fp32 conversions -------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Scalar IEEE binary16 and bfloat16 conversions with round-to-nearest-even.
// Kept free of MLIR and LLVM so the runtime can share it with the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_HALFFLOAT_H
#define LBC_SUPPORT_HALFFLOAT_H

#include <cstdint>
#include <cstring>

namespace lbc {

/// Converts an fp32 value to IEEE binary16 bits, rounding to nearest even.
/// Values past the fp16 range become infinities; NaN stays NaN.
inline uint16_t floatToHalfBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t exponent = (bits >> 23) & 0xffu;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0xffu) // Inf or NaN; keep NaN quiet.
    return static_cast<uint16_t>(sign | 0x7c00u | (mantissa ? 0x200u : 0u));
  const int halfExponent = static_cast<int>(exponent) - 127 + 15;
  if (halfExponent >= 31)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (halfExponent <= 0) {
    // Subnormal half (or zero): value = m * 2^-24.
    if (halfExponent < -10)
      return static_cast<uint16_t>(sign);
    const uint32_t full = mantissa | 0x800000u;
    const uint32_t shift = static_cast<uint32_t>(14 - halfExponent);
    uint32_t half = full >> shift;
    const uint32_t rest = full & ((1u << shift) - 1u);
    const uint32_t tie = 1u << (shift - 1u);
    if (rest > tie || (rest == tie && (half & 1u)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half =
      (static_cast<uint32_t>(halfExponent) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fffu;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
    ++half;
  return static_cast<uint16_t>(sign | half);
}

/// Converts IEEE binary16 bits to fp32 (exact).
inline float halfBitsToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31)
    bits = sign | 0x7f800000u | (mantissa << 13);
  else
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// Converts an fp32 value to bfloat16 bits, rounding to nearest even.
inline uint16_t floatToBFloat16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu))
    return static_cast<uint16_t>((bits >> 16) | 0x40u); // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

/// Converts bfloat16 bits to fp32 (exact).
inline float bfloat16BitsToFloat(uint16_t bf16) {
  const uint32_t bits = static_cast<uint32_t>(bf16) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

} // namespace lbc

#endif // LBC_SUPPORT_HALFFLOAT_H
