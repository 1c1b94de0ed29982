//===- KQuantCodec.cpp - K-quant super-block weight codec -----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Weighted least-squares fitting, packing and dequantization of K-quant
// super-blocks (KQuantCodec.h has the bytes, docs/dialect.md the rules).
//
//===----------------------------------------------------------------------===//

#include "lib/Support/KQuantCodec.h"
#include "lib/Support/HalfFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lbc {

namespace {

constexpr unsigned kSixBitMax = 63;

int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

float storeHalf(float value, uint8_t *dst) {
  uint16_t bits = floatToHalfBits(value);
  std::memcpy(dst, &bits, sizeof(bits));
  return halfBitsToFloat(bits);
}

float loadHalf(const uint8_t *src) {
  uint16_t bits;
  std::memcpy(&bits, src, sizeof(bits));
  return halfBitsToFloat(bits);
}

/// x ~ scale * q - min for one sub-block: a grid over the inverse scale,
/// each candidate's codes refitted by weighted least squares (min kept
/// >= 0 so that 0 stays inside the range's reach). Returns (scale, min).
std::pair<float, float> fitScaleMin(const float *x, const float *w, int64_t n,
                                    unsigned maxCode) {
  float lo = 0.0f, hi = x[0];
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  if (hi <= lo)
    return {0.0f, -lo};
  auto solve = [&](float inverseScale, float &scale, float &offset) {
    double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
    for (int64_t i = 0; i < n; ++i) {
      float l = std::clamp(std::round(inverseScale * (x[i] - lo)), 0.0f,
                           float(maxCode));
      sw += w[i];
      sl += w[i] * l;
      sll += w[i] * l * l;
      sx += w[i] * x[i];
      slx += w[i] * l * x[i];
    }
    double det = sw * sll - sl * sl;
    if (det <= 0 || sll <= 0)
      return false;
    double s = (sw * slx - sx * sl) / det;
    double o = (sll * sx - sl * slx) / det;
    if (o > 0) {
      o = 0;
      s = slx / sll;
    }
    scale = float(s);
    offset = float(o);
    return scale > 0;
  };
  auto error = [&](float scale, float offset) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      float l =
          std::clamp(std::round((x[i] - offset) / scale), 0.0f, float(maxCode));
      double e = scale * l + offset - x[i];
      total += w[i] * e * e;
    }
    return total;
  };
  float bestScale = (hi - lo) / float(maxCode), bestOffset = lo;
  double bestError = error(bestScale, bestOffset);
  // Inverse scales from (maxCode - 1) / range to (maxCode + 1) / range.
  constexpr int kSteps = 20;
  for (int step = 0; step <= kSteps; ++step) {
    float inverseScale =
        (float(maxCode) - 1.0f + 2.0f * float(step) / kSteps) / (hi - lo);
    float scale, offset;
    if (!solve(inverseScale, scale, offset))
      continue;
    double candidate = error(scale, offset);
    if (candidate < bestError) {
      bestError = candidate;
      bestScale = scale;
      bestOffset = offset;
    }
  }
  return {bestScale, -bestOffset};
}

void storeHeaderValue(uint8_t *header, unsigned index, unsigned value,
                      unsigned first = 4) {
  header[first + index % 8] |= uint8_t((value & 15) << (4 * (index / 8)));
  header[first + 8 + index / 4] |= uint8_t((value >> 4) << (2 * (index % 4)));
}

/// x ~ scale * (q - half), q in [0, 2 half), for one sub-block: a grid over
/// the inverse scale around half / max|x| (both signs: the code range is
/// one step longer on the negative side), each candidate's codes refitted
/// by weighted least squares. Returns the scale (possibly negative).
float fitSymmetricScale(const float *x, const float *w, int64_t n, int half) {
  float extreme = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(extreme))
      extreme = x[i];
  if (extreme == 0.0f)
    return 0.0f;
  auto codeOf = [&](float value, float inverseScale) {
    return std::clamp(std::round(value * inverseScale), float(-half),
                      float(half - 1));
  };
  auto error = [&](float scale) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      double e = scale * codeOf(x[i], 1.0f / scale) - x[i];
      total += w[i] * e * e;
    }
    return total;
  };
  float best = -extreme / float(half);
  double bestError = error(best);
  constexpr int kSteps = 18;
  for (int sign = -1; sign <= 1; sign += 2)
    for (int step = 0; step <= kSteps; ++step) {
      float inverseScale =
          float(sign) * (float(half) - 0.9f + 0.1f * float(step)) / extreme;
      double sxq = 0, sqq = 0;
      for (int64_t i = 0; i < n; ++i) {
        float q = codeOf(x[i], inverseScale);
        sxq += w[i] * x[i] * q;
        sqq += w[i] * q * q;
      }
      if (sqq <= 0 || sxq == 0)
        continue;
      float scale = float(sxq / sqq);
      double candidate = error(scale);
      if (candidate < bestError) {
        bestError = candidate;
        best = scale;
      }
    }
  return best;
}

/// Fits and packs one symmetric K-quant super-block (q3k, q6k) of `valid`
/// values x with importance w.
CodecStatus packSymmetricSuperBlock(unsigned bits, const float *x,
                                    const float *w, int64_t valid,
                                    uint8_t *codes, uint8_t *header) {
  constexpr int64_t subBlocks = kKQuantSuperBlock / kKQuantSymmetricSubBlock;
  int half = 1 << (bits - 1);
  float scales[subBlocks] = {};
  float maxScale = 0;
  for (int64_t j = 0; j < subBlocks; ++j) {
    int64_t begin = j * kKQuantSymmetricSubBlock;
    int64_t count =
        std::clamp<int64_t>(valid - begin, 0, kKQuantSymmetricSubBlock);
    if (count == 0)
      continue;
    scales[j] = fitSymmetricScale(x + begin, w + begin, count, half);
    maxScale = std::max(maxScale, std::fabs(scales[j]));
  }
  // sc in [-127, 127] (int8) or [-32, 31] (six bits, stored + 32).
  int scaleMax = bits == 6 ? 127 : 31, scaleMin = bits == 6 ? -127 : -32;
  float d = storeHalf(maxScale / float(scaleMax), header);
  if (!std::isfinite(d))
    return CodecStatus::NonFiniteScale;
  for (int64_t j = 0; j < subBlocks; ++j) {
    int sc = d > 0 ? int(std::clamp(std::round(scales[j] / d), float(scaleMin),
                                    float(scaleMax)))
                   : 0;
    if (bits == 6)
      header[2 + j] = uint8_t(static_cast<int8_t>(sc));
    else
      storeHeaderValue(header, unsigned(j), unsigned(sc + 32), 2);
    // Codes against the scale as stored.
    float step = d * float(sc);
    for (int64_t i = 0; i < kKQuantSymmetricSubBlock; ++i) {
      int64_t at = j * kKQuantSymmetricSubBlock + i;
      float value = at < valid ? x[at] : 0.0f;
      unsigned q = step != 0.0f
                       ? unsigned(std::clamp(std::round(value / step),
                                             float(-half), float(half - 1)) +
                                  float(half))
                       : unsigned(half);
      int64_t piece = at / 64, t = at % 64;
      if (bits == 6) {
        codes[32 * piece + t % 32] |= uint8_t((q & 15) << (4 * (t / 32)));
        codes[128 + 16 * piece + t % 16] |= uint8_t((q >> 4) << (2 * (t / 16)));
      } else {
        codes[16 * piece + t % 16] |= uint8_t((q & 3) << (2 * (t / 16)));
        codes[64 + 8 * piece + t / 8] |= uint8_t((q >> 2) << (t % 8));
      }
    }
  }
  return CodecStatus::Ok;
}

} // namespace

std::string validateKQuantFormat(const KQuantFormat &format) {
  if (format.bits < 3 || format.bits > 6)
    return "K-quant super-blocks are implemented for 3- to 6-bit codes (q3k, "
           "q4k, q5k, q6k), got " +
           std::to_string(format.bits) + " bits";
  return {};
}

double bitsPerWeight(const KQuantFormat &format) {
  return double(format.bits) +
         double(8 * kquantHeaderBytes(format.bits)) / double(kKQuantSuperBlock);
}

KQuantLayout computeKQuantLayout(const KQuantFormat &format, int64_t rows,
                                 int64_t cols) {
  KQuantLayout layout;
  layout.rows = rows;
  layout.cols = cols;
  layout.superBlocksPerRow = (cols + kKQuantSuperBlock - 1) / kKQuantSuperBlock;
  layout.superBlockBytes = kKQuantSuperBlock * format.bits / 8;
  int64_t blocks = rows * layout.superBlocksPerRow;
  layout.codesOffset = 0;
  layout.headersOffset =
      alignUp(blocks * layout.superBlockBytes, kSectionAlignment);
  layout.totalBytes =
      layout.headersOffset + blocks * kquantHeaderBytes(format.bits);
  return layout;
}

CodecStatus quantizeKQuant(const KQuantFormat &format, const float *weights,
                           int64_t rows, int64_t cols, const float *importance,
                           uint8_t *packed) {
  KQuantLayout layout = computeKQuantLayout(format, rows, cols);
  std::memset(packed, 0, layout.totalBytes);
  unsigned maxCode = (1u << format.bits) - 1;
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(weights[i]))
      return CodecStatus::NonFiniteInput;
  float x[kKQuantSuperBlock], w[kKQuantSuperBlock];
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t block = 0; block < layout.superBlocksPerRow; ++block) {
      int64_t first = block * kKQuantSuperBlock;
      int64_t valid = std::min<int64_t>(kKQuantSuperBlock, cols - first);
      double sumSquares = 0;
      for (int64_t i = 0; i < valid; ++i) {
        x[i] = weights[row * cols + first + i];
        sumSquares += double(x[i]) * x[i];
      }
      float spread = float(std::sqrt(2.0 * sumSquares / double(valid)));
      for (int64_t i = 0; i < valid; ++i)
        w[i] = importance ? importance[first + i] *
                                std::sqrt(spread * spread / 2 + x[i] * x[i])
                          : spread + std::fabs(x[i]);
      int64_t index = row * layout.superBlocksPerRow + block;
      uint8_t *header = packed + layout.headersOffset +
                        index * kquantHeaderBytes(format.bits);
      uint8_t *codes =
          packed + layout.codesOffset + index * layout.superBlockBytes;
      if (isSymmetricKQuant(format.bits)) {
        CodecStatus status =
            packSymmetricSuperBlock(format.bits, x, w, valid, codes, header);
        if (status != CodecStatus::Ok)
          return status;
        continue;
      }
      float scales[kKQuantSubBlocks] = {}, mins[kKQuantSubBlocks] = {};
      float maxScale = 0, maxMin = 0;
      for (int64_t j = 0; j < kKQuantSubBlocks; ++j) {
        int64_t begin = j * kKQuantSubBlock;
        int64_t count = std::clamp<int64_t>(valid - begin, 0, kKQuantSubBlock);
        if (count == 0)
          continue;
        auto [scale, min] = fitScaleMin(x + begin, w + begin, count, maxCode);
        scales[j] = scale;
        mins[j] = min;
        maxScale = std::max(maxScale, scale);
        maxMin = std::max(maxMin, min);
      }
      float d = storeHalf(maxScale / kSixBitMax, header);
      float dmin = storeHalf(maxMin / kSixBitMax, header + 2);
      if (!std::isfinite(d) || !std::isfinite(dmin))
        return CodecStatus::NonFiniteScale;
      for (int64_t j = 0; j < kKQuantSubBlocks; ++j) {
        auto sixBit = [](float value, float unit) {
          return unit > 0 ? unsigned(std::clamp(std::round(value / unit), 0.0f,
                                                float(kSixBitMax)))
                          : 0u;
        };
        unsigned sc = sixBit(scales[j], d), m = sixBit(mins[j], dmin);
        storeHeaderValue(header, unsigned(j), sc);
        storeHeaderValue(header, unsigned(j + kKQuantSubBlocks), m);
        // Codes against the scale and min as stored.
        float step = d * float(sc), offset = dmin * float(m);
        for (int64_t i = 0; i < kKQuantSubBlock; ++i) {
          int64_t at = j * kKQuantSubBlock + i;
          float value = at < valid ? x[at] : 0.0f;
          unsigned q =
              step > 0
                  ? unsigned(std::clamp(std::round((value + offset) / step),
                                        0.0f, float(maxCode)))
                  : 0u;
          codes[(j / 2) * 32 + i] |= uint8_t((q & 15) << (4 * (j % 2)));
          if (q > 15) {
            unsigned position = kquantHighBitPosition(j, i);
            codes[128 + position / 8] |= uint8_t(1u << (position % 8));
          }
        }
      }
    }
  return CodecStatus::Ok;
}

void dequantizeKQuant(const KQuantFormat &format, const uint8_t *packed,
                      int64_t rows, int64_t cols, float *weights) {
  KQuantLayout layout = computeKQuantLayout(format, rows, cols);
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col = 0; col < cols; ++col) {
      int64_t block = col / kKQuantSuperBlock;
      int64_t within = col % kKQuantSuperBlock;
      int64_t j = within / kKQuantSubBlock, i = within % kKQuantSubBlock;
      int64_t index = row * layout.superBlocksPerRow + block;
      const uint8_t *header = packed + layout.headersOffset +
                              index * kquantHeaderBytes(format.bits);
      const uint8_t *codes =
          packed + layout.codesOffset + index * layout.superBlockBytes;
      if (isSymmetricKQuant(format.bits)) {
        int half = 1 << (format.bits - 1);
        unsigned q =
            symmetricKQuantCode(codes, format.bits, within / 64, within % 64);
        int sc = symmetricKQuantScale(
            header, format.bits, unsigned(within / kKQuantSymmetricSubBlock));
        weights[row * cols + col] =
            (loadHalf(header) * float(sc)) * float(int(q) - half);
        continue;
      }
      unsigned q = (codes[(j / 2) * 32 + i] >> (4 * (j % 2))) & 15;
      if (format.bits == 5) {
        unsigned position = kquantHighBitPosition(j, i);
        q |= ((codes[128 + position / 8] >> (position % 8)) & 1u) << 4;
      }
      float d = loadHalf(header), dmin = loadHalf(header + 2);
      unsigned sc = kquantHeaderValue(header, unsigned(j));
      unsigned m = kquantHeaderValue(header, unsigned(j + kKQuantSubBlocks));
      weights[row * cols + col] = d * float(sc) * float(q) - dmin * float(m);
    }
}

} // namespace lbc
