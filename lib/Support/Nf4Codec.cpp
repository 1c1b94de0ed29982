//===- Nf4Codec.cpp - NF4 (4-bit NormalFloat) weight codec ----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Absmax fitting, packing and dequantization of NF4 blocks (Nf4Codec.h has
// the bytes).
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Nf4Codec.h"
#include "lib/Support/HalfFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lbc {

namespace {

int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// The code whose codebook value is nearest to `normalized` (in [-1, 1]).
unsigned nearestCode(float normalized) {
  unsigned best = 0;
  float bestDistance = std::fabs(normalized - kNf4Codebook[0]);
  for (unsigned code = 1; code < 16; ++code) {
    float distance = std::fabs(normalized - kNf4Codebook[code]);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = code;
    }
  }
  return best;
}

} // namespace

std::string validateNf4Format(const Nf4Format &format) {
  if (format.blockSize == 0 || format.blockSize % 32 != 0)
    return "NF4 block size must be a positive multiple of 32, got " +
           std::to_string(format.blockSize);
  return {};
}

double bitsPerWeight(const Nf4Format &format) {
  return 4.0 + 16.0 / double(format.blockSize);
}

Nf4Layout computeNf4Layout(const Nf4Format &format, int64_t rows,
                           int64_t cols) {
  Nf4Layout layout;
  layout.rows = rows;
  layout.cols = cols;
  layout.blocksPerRow = (cols + format.blockSize - 1) / format.blockSize;
  layout.blockBytes = format.blockSize / 2;
  int64_t blocks = rows * layout.blocksPerRow;
  layout.codesOffset = 0;
  layout.scalesOffset = alignUp(blocks * layout.blockBytes, kSectionAlignment);
  layout.totalBytes = layout.scalesOffset + blocks * 2;
  return layout;
}

CodecStatus quantizeNf4(const Nf4Format &format, const float *weights,
                        int64_t rows, int64_t cols, uint8_t *packed) {
  Nf4Layout layout = computeNf4Layout(format, rows, cols);
  std::memset(packed, 0, layout.totalBytes);
  const int64_t half = format.blockSize / 2;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t block = 0; block < layout.blocksPerRow; ++block) {
      const float *x = weights + row * cols + block * format.blockSize;
      int64_t count =
          std::min<int64_t>(format.blockSize, cols - block * format.blockSize);
      float absMax = 0.0f;
      for (int64_t i = 0; i < count; ++i) {
        if (!std::isfinite(x[i]))
          return CodecStatus::NonFiniteInput;
        absMax = std::max(absMax, std::fabs(x[i]));
      }
      int64_t index = row * layout.blocksPerRow + block;
      uint16_t bits = floatToHalfBits(absMax);
      float stored = halfBitsToFloat(bits);
      if (!std::isfinite(stored))
        return CodecStatus::NonFiniteScale;
      std::memcpy(packed + layout.scalesOffset + 2 * index, &bits, 2);
      uint8_t *codes = packed + layout.codesOffset + index * layout.blockBytes;
      for (int64_t i = 0; i < format.blockSize; ++i) {
        unsigned code = i < count && stored > 0.0f ? nearestCode(x[i] / stored)
                                                   : kNf4ZeroCode;
        codes[i % half] |= uint8_t(code << (i < half ? 0 : 4));
      }
    }
  return CodecStatus::Ok;
}

void dequantizeNf4(const Nf4Format &format, const uint8_t *packed, int64_t rows,
                   int64_t cols, float *weights) {
  Nf4Layout layout = computeNf4Layout(format, rows, cols);
  const int64_t half = format.blockSize / 2;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col = 0; col < cols; ++col) {
      int64_t block = col / format.blockSize, i = col % format.blockSize;
      int64_t index = row * layout.blocksPerRow + block;
      uint16_t bits;
      std::memcpy(&bits, packed + layout.scalesOffset + 2 * index, 2);
      uint8_t byte =
          packed[layout.codesOffset + index * layout.blockBytes + i % half];
      unsigned code = i < half ? byte & 15 : byte >> 4;
      weights[row * cols + col] = kNf4Codebook[code] * halfBitsToFloat(bits);
    }
}

} // namespace lbc
