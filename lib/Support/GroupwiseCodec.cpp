//===- GroupwiseCodec.cpp - Group-wise integer weight codec ---------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Packing, round-to-nearest fitting and dequantization of group-wise integer
// weights. The format is documented in docs/dialect.md.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/GroupwiseCodec.h"
#include "lib/Support/HalfFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace lbc {

namespace {

int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// Stores `value` as `kind` at `dst` and returns the value as stored.
float storeScalar(ScalarKind kind, float value, uint8_t *dst) {
  switch (kind) {
  case ScalarKind::F32:
    std::memcpy(dst, &value, sizeof(value));
    return value;
  case ScalarKind::F16: {
    const uint16_t bits = floatToHalfBits(value);
    std::memcpy(dst, &bits, sizeof(bits));
    return halfBitsToFloat(bits);
  }
  case ScalarKind::BF16: {
    const uint16_t bits = floatToBFloat16Bits(value);
    std::memcpy(dst, &bits, sizeof(bits));
    return bfloat16BitsToFloat(bits);
  }
  case ScalarKind::U8: {
    const float clamped = std::clamp(std::round(value), 0.0f, 255.0f);
    *dst = static_cast<uint8_t>(clamped);
    return clamped;
  }
  case ScalarKind::None:
    break;
  }
  return 0.0f;
}

float loadScalar(ScalarKind kind, const uint8_t *src) {
  switch (kind) {
  case ScalarKind::F32: {
    float value;
    std::memcpy(&value, src, sizeof(value));
    return value;
  }
  case ScalarKind::F16: {
    uint16_t bits;
    std::memcpy(&bits, src, sizeof(bits));
    return halfBitsToFloat(bits);
  }
  case ScalarKind::BF16: {
    uint16_t bits;
    std::memcpy(&bits, src, sizeof(bits));
    return bfloat16BitsToFloat(bits);
  }
  case ScalarKind::U8:
    return static_cast<float>(*src);
  case ScalarKind::None:
    break;
  }
  return 0.0f;
}

/// Calls fn(groupIndex, firstElement, count) for every group of the weight in
/// blob order; `count` < groupSize for the padded last group of a row. Stops
/// early when fn returns false.
template <typename Fn>
bool forEachGroup(const GroupwiseLayout &layout, unsigned groupSize, Fn &&fn) {
  for (int64_t row = 0; row < layout.rows; ++row)
    for (int64_t group = 0; group < layout.groupsPerRow; ++group) {
      const int64_t begin = group * groupSize;
      if (!fn(row * layout.groupsPerRow + group, row * layout.cols + begin,
              std::min<int64_t>(groupSize, layout.cols - begin)))
        return false;
    }
  return true;
}

uint8_t roundToCode(float value, unsigned maxCode) {
  const float rounded = std::round(value);
  return static_cast<uint8_t>(
      std::clamp(rounded, 0.0f, static_cast<float>(maxCode)));
}

} // namespace

std::string validateFormat(const GroupwiseFormat &format) {
  if (format.bits < 2 || format.bits > 8)
    return "bits must be in [2, 8], got " + std::to_string(format.bits);
  if (format.groupSize == 0 || format.groupSize % 8 != 0)
    return "group size must be a positive multiple of 8, got " +
           std::to_string(format.groupSize);
  if (format.scaleKind != ScalarKind::F32 &&
      format.scaleKind != ScalarKind::F16 &&
      format.scaleKind != ScalarKind::BF16)
    return "scale must be stored as f16, bf16 or f32";
  if (format.symmetric && format.zeroPointKind != ScalarKind::None)
    return "the symmetric scheme has no zero point";
  if (!format.symmetric && format.zeroPointKind == ScalarKind::None)
    return "the asymmetric scheme needs a zero point type";
  if (format.order == PackOrder::SplitHalves && format.bits != 4)
    return "split_halves packing is defined for 4-bit codes only, got " +
           std::to_string(format.bits) + " bits";
  return {};
}

unsigned scalarByteSize(ScalarKind kind) {
  switch (kind) {
  case ScalarKind::F32:
    return 4;
  case ScalarKind::F16:
  case ScalarKind::BF16:
    return 2;
  case ScalarKind::U8:
    return 1;
  case ScalarKind::None:
    break;
  }
  return 0;
}

double bitsPerWeight(const GroupwiseFormat &format) {
  const double sideBits = 8.0 * (scalarByteSize(format.scaleKind) +
                                 scalarByteSize(format.zeroPointKind));
  return format.bits + sideBits / format.groupSize;
}

GroupwiseLayout computeLayout(const GroupwiseFormat &format, int64_t rows,
                              int64_t cols) {
  GroupwiseLayout layout;
  layout.rows = rows;
  layout.cols = cols;
  layout.groupsPerRow = (cols + format.groupSize - 1) / format.groupSize;
  layout.groupBytes = static_cast<int64_t>(format.groupSize) * format.bits / 8;
  const int64_t groups = rows * layout.groupsPerRow;
  layout.codesOffset = 0;
  layout.scalesOffset = alignUp(groups * layout.groupBytes, kSectionAlignment);
  const int64_t scalesEnd =
      layout.scalesOffset + groups * scalarByteSize(format.scaleKind);
  if (format.zeroPointKind == ScalarKind::None) {
    layout.zeroPointsOffset = scalesEnd;
    layout.totalBytes = scalesEnd;
  } else {
    layout.zeroPointsOffset = alignUp(scalesEnd, kSectionAlignment);
    layout.totalBytes =
        layout.zeroPointsOffset + groups * scalarByteSize(format.zeroPointKind);
  }
  return layout;
}

void packGroupCodes(const GroupwiseFormat &format, const uint8_t *codes,
                    uint8_t *packed) {
  const unsigned groupSize = format.groupSize;
  if (format.order == PackOrder::SplitHalves) {
    const unsigned half = groupSize / 2;
    for (unsigned j = 0; j < half; ++j)
      packed[j] = static_cast<uint8_t>((codes[j] & 0xfu) |
                                       ((codes[j + half] & 0xfu) << 4));
    return;
  }
  const unsigned bits = format.bits;
  std::memset(packed, 0, groupSize * bits / 8);
  for (unsigned i = 0; i < groupSize; ++i) {
    const unsigned bitPos = i * bits;
    // A code spans at most two bytes because bits <= 8.
    const unsigned word = static_cast<unsigned>(codes[i]) << (bitPos % 8);
    packed[bitPos / 8] |= static_cast<uint8_t>(word & 0xffu);
    if ((bitPos % 8) + bits > 8)
      packed[bitPos / 8 + 1] |= static_cast<uint8_t>(word >> 8);
  }
}

void unpackGroupCodes(const GroupwiseFormat &format, const uint8_t *packed,
                      uint8_t *codes) {
  const unsigned groupSize = format.groupSize;
  if (format.order == PackOrder::SplitHalves) {
    const unsigned half = groupSize / 2;
    for (unsigned j = 0; j < half; ++j) {
      codes[j] = packed[j] & 0xfu;
      codes[j + half] = packed[j] >> 4;
    }
    return;
  }
  const unsigned bits = format.bits;
  const unsigned mask = (1u << bits) - 1u;
  for (unsigned i = 0; i < groupSize; ++i) {
    const unsigned bitPos = i * bits;
    unsigned word = packed[bitPos / 8];
    if ((bitPos % 8) + bits > 8)
      word |= static_cast<unsigned>(packed[bitPos / 8 + 1]) << 8;
    codes[i] = static_cast<uint8_t>((word >> (bitPos % 8)) & mask);
  }
}

/// Fits one group of `count` values (the rest of the group is padding) and
/// writes its scale, zero point (asymmetric) and codes.
static CodecStatus fitGroupRoundToNearest(const GroupwiseFormat &format,
                                          const float *values, int64_t count,
                                          uint8_t *scaleDst,
                                          uint8_t *zeroPointDst,
                                          uint8_t *codes) {
  const unsigned maxCode = (1u << format.bits) - 1u;
  float minValue = values[0], maxValue = values[0];
  float signedMax = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i]))
      return CodecStatus::NonFiniteInput;
    minValue = std::min(minValue, values[i]);
    maxValue = std::max(maxValue, values[i]);
    if (std::fabs(values[i]) > std::fabs(signedMax))
      signedMax = values[i];
  }

  float scale, zeroPoint;
  if (format.symmetric) {
    // Q4_0's rule: the value of largest magnitude maps to code 0.
    zeroPoint = static_cast<float>(1u << (format.bits - 1));
    scale = storeScalar(format.scaleKind, signedMax / -zeroPoint, scaleDst);
  } else {
    // Integer zero points must lie on the code grid, which needs 0 inside the
    // range; a constant group needs it too to get a non-zero scale.
    if (format.zeroPointKind == ScalarKind::U8 || minValue == maxValue) {
      minValue = std::min(minValue, 0.0f);
      maxValue = std::max(maxValue, 0.0f);
    }
    scale = storeScalar(format.scaleKind, (maxValue - minValue) / maxCode,
                        scaleDst);
    zeroPoint =
        storeScalar(format.zeroPointKind,
                    scale != 0.0f ? -minValue / scale : 0.0f, zeroPointDst);
  }
  if (!std::isfinite(scale))
    return CodecStatus::NonFiniteScale;

  // Padding positions (past `count`) get the code of the value 0.
  const uint8_t zeroCode = roundToCode(zeroPoint, maxCode);
  for (unsigned i = 0; i < format.groupSize; ++i)
    codes[i] = (i < count && scale != 0.0f)
                   ? roundToCode(values[i] / scale + zeroPoint, maxCode)
                   : zeroCode;
  return CodecStatus::Ok;
}

/// The HQQ refinement of one group's parameters (see FitMethod): `scale`
/// and `zeroPoint` come in as round-to-nearest's and leave refined, the
/// scale for the symmetric scheme, the zero point for the asymmetric one.
static void refineHalfQuadratic(const GroupwiseFormat &format,
                                const float *values, int64_t count,
                                float &scale, float &zeroPoint) {
  constexpr int kIterations = 20;
  constexpr float kNorm = 0.7f, kKappa = 1.01f;
  const float maxCode = static_cast<float>((1u << format.bits) - 1u);
  float beta = 10.0f;
  auto codeOf = [&](float x, float s, float z) {
    return std::clamp(std::round(x / s + z), 0.0f, maxCode);
  };
  auto meanAbsError = [&](float s, float z) {
    double total = 0;
    for (int64_t i = 0; i < count; ++i)
      total += std::fabs(values[i] - (codeOf(values[i], s, z) - z) * s);
    return total / double(count);
  };
  double best = meanAbsError(scale, zeroPoint);
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    // Shrink the error toward a sparse one (the lp proximal step), then fit
    // the free parameter to the weights minus that error in least squares.
    double numerator = 0, denominator = 0;
    for (int64_t i = 0; i < count; ++i) {
      float q = codeOf(values[i], scale, zeroPoint);
      float error = values[i] - (q - zeroPoint) * scale;
      float magnitude = std::fabs(error);
      float shrunk =
          magnitude > 0.0f
              ? std::copysign(
                    std::max(magnitude -
                                 std::pow(magnitude, kNorm - 1.0f) / beta,
                             0.0f),
                    error)
              : 0.0f;
      float target = values[i] - shrunk;
      if (format.symmetric) {
        numerator += double(q - zeroPoint) * target;
        denominator += double(q - zeroPoint) * (q - zeroPoint);
      } else {
        numerator += q - target / scale;
        denominator += 1;
      }
    }
    beta *= kKappa;
    float nextScale = scale, nextZeroPoint = zeroPoint;
    if (format.symmetric) {
      if (denominator <= 0)
        break;
      nextScale = float(numerator / denominator);
    } else {
      nextZeroPoint = float(numerator / denominator);
    }
    if (!std::isfinite(nextScale) || nextScale == 0.0f ||
        !std::isfinite(nextZeroPoint))
      break;
    double error = meanAbsError(nextScale, nextZeroPoint);
    if (error >= best)
      break;
    best = error;
    scale = nextScale;
    zeroPoint = nextZeroPoint;
  }
}

/// fitGroupRoundToNearest's parameters refined by HQQ, then stored and used
/// for the codes the same way.
static CodecStatus fitGroupHalfQuadratic(const GroupwiseFormat &format,
                                         const float *values, int64_t count,
                                         uint8_t *scaleDst,
                                         uint8_t *zeroPointDst,
                                         uint8_t *codes) {
  CodecStatus status = fitGroupRoundToNearest(format, values, count, scaleDst,
                                              zeroPointDst, codes);
  if (status != CodecStatus::Ok)
    return status;
  float scale = loadScalar(format.scaleKind, scaleDst);
  if (scale == 0.0f || count == 0)
    return status;
  float zeroPoint = format.symmetric
                        ? static_cast<float>(1u << (format.bits - 1))
                        : loadScalar(format.zeroPointKind, zeroPointDst);
  refineHalfQuadratic(format, values, count, scale, zeroPoint);
  scale = storeScalar(format.scaleKind, scale, scaleDst);
  if (!format.symmetric)
    zeroPoint = storeScalar(format.zeroPointKind, zeroPoint, zeroPointDst);
  if (!std::isfinite(scale) || scale == 0.0f)
    return fitGroupRoundToNearest(format, values, count, scaleDst, zeroPointDst,
                                  codes);
  const unsigned maxCode = (1u << format.bits) - 1u;
  const uint8_t zeroCode = roundToCode(zeroPoint, maxCode);
  for (unsigned i = 0; i < format.groupSize; ++i)
    codes[i] = i < count ? roundToCode(values[i] / scale + zeroPoint, maxCode)
                         : zeroCode;
  return CodecStatus::Ok;
}

CodecStatus quantizeRoundToNearest(const GroupwiseFormat &format,
                                   const float *weights, int64_t rows,
                                   int64_t cols, uint8_t *packed) {
  return quantizeGroupwise(format, FitMethod::RoundToNearest, weights, rows,
                           cols, packed);
}

CodecStatus quantizeGroupwise(const GroupwiseFormat &format, FitMethod fit,
                              const float *weights, int64_t rows, int64_t cols,
                              uint8_t *packed) {
  const GroupwiseLayout layout = computeLayout(format, rows, cols);
  std::memset(packed, 0, static_cast<size_t>(layout.totalBytes));
  const unsigned scaleBytes = scalarByteSize(format.scaleKind);
  const unsigned zeroPointBytes = scalarByteSize(format.zeroPointKind);
  std::vector<uint8_t> codes(format.groupSize);
  CodecStatus status = CodecStatus::Ok;
  forEachGroup(
      layout, format.groupSize,
      [&](int64_t group, int64_t first, int64_t count) {
        auto fitGroup = fit == FitMethod::HalfQuadratic
                            ? fitGroupHalfQuadratic
                            : fitGroupRoundToNearest;
        status =
            fitGroup(format, weights + first, count,
                     packed + layout.scalesOffset + group * scaleBytes,
                     packed + layout.zeroPointsOffset + group * zeroPointBytes,
                     codes.data());
        packGroupCodes(format, codes.data(),
                       packed + layout.codesOffset + group * layout.groupBytes);
        return status == CodecStatus::Ok;
      });
  return status;
}

CodecStatus fitGroupParameters(const GroupwiseFormat &format,
                               const float *values, int64_t count,
                               GroupParameters &parameters) {
  uint8_t scaleBytes[4], zeroPointBytes[4];
  std::vector<uint8_t> codes(format.groupSize);
  CodecStatus status = fitGroupRoundToNearest(format, values, count, scaleBytes,
                                              zeroPointBytes, codes.data());
  parameters.scale = loadScalar(format.scaleKind, scaleBytes);
  parameters.zeroPoint = format.symmetric
                             ? static_cast<float>(1u << (format.bits - 1))
                             : loadScalar(format.zeroPointKind, zeroPointBytes);
  return status;
}

uint8_t encodeValue(const GroupwiseFormat &format,
                    const GroupParameters &parameters, float value) {
  const unsigned maxCode = (1u << format.bits) - 1u;
  if (parameters.scale == 0.0f)
    return roundToCode(parameters.zeroPoint, maxCode);
  return roundToCode(value / parameters.scale + parameters.zeroPoint, maxCode);
}

float decodeValue(const GroupwiseFormat &format,
                  const GroupParameters &parameters, uint8_t code) {
  return (static_cast<float>(code) - parameters.zeroPoint) * parameters.scale;
}

void packGroupwise(const GroupwiseFormat &format,
                   const GroupParameters *parameters, const uint8_t *codes,
                   int64_t rows, int64_t cols, uint8_t *packed) {
  const GroupwiseLayout layout = computeLayout(format, rows, cols);
  std::memset(packed, 0, static_cast<size_t>(layout.totalBytes));
  const unsigned scaleBytes = scalarByteSize(format.scaleKind);
  const unsigned zeroPointBytes = scalarByteSize(format.zeroPointKind);
  std::vector<uint8_t> group(format.groupSize);
  forEachGroup(
      layout, format.groupSize,
      [&](int64_t index, int64_t first, int64_t count) {
        const GroupParameters &p = parameters[index];
        storeScalar(format.scaleKind, p.scale,
                    packed + layout.scalesOffset + index * scaleBytes);
        if (!format.symmetric)
          storeScalar(format.zeroPointKind, p.zeroPoint,
                      packed + layout.zeroPointsOffset +
                          index * zeroPointBytes);
        // Padding gets the code of 0.
        uint8_t zeroCode = roundToCode(p.zeroPoint, (1u << format.bits) - 1u);
        for (unsigned i = 0; i < format.groupSize; ++i)
          group[i] = i < count ? codes[first + i] : zeroCode;
        packGroupCodes(format, group.data(),
                       packed + layout.codesOffset + index * layout.groupBytes);
        return true;
      });
}

void dequantize(const GroupwiseFormat &format, const uint8_t *packed,
                int64_t rows, int64_t cols, float *weights) {
  const GroupwiseLayout layout = computeLayout(format, rows, cols);
  const unsigned groupSize = format.groupSize;
  const float symmetricOffset = static_cast<float>(1u << (format.bits - 1));
  const unsigned scaleBytes = scalarByteSize(format.scaleKind);
  const unsigned zeroPointBytes = scalarByteSize(format.zeroPointKind);
  std::vector<uint8_t> codes(groupSize);

  forEachGroup(
      layout, groupSize, [&](int64_t groupIndex, int64_t first, int64_t count) {
        const float scale =
            loadScalar(format.scaleKind,
                       packed + layout.scalesOffset + groupIndex * scaleBytes);
        const float zeroPoint =
            format.symmetric ? symmetricOffset
                             : loadScalar(format.zeroPointKind,
                                          packed + layout.zeroPointsOffset +
                                              groupIndex * zeroPointBytes);
        unpackGroupCodes(format,
                         packed + layout.codesOffset +
                             groupIndex * layout.groupBytes,
                         codes.data());
        for (int64_t i = 0; i < count; ++i)
          weights[first + i] =
              (static_cast<float>(codes[i]) - zeroPoint) * scale;
        return true;
      });
}

CodecStatus roundTripRoundToNearest(const GroupwiseFormat &format,
                                    float *weights, int64_t rows,
                                    int64_t cols) {
  std::vector<uint8_t> packed(computeLayout(format, rows, cols).totalBytes);
  CodecStatus status =
      quantizeRoundToNearest(format, weights, rows, cols, packed.data());
  if (status == CodecStatus::Ok)
    dequantize(format, packed.data(), rows, cols, weights);
  return status;
}

} // namespace lbc
