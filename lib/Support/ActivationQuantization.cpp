//===- ActivationQuantization.cpp - linear inputs as the kernels see them -===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/ActivationQuantization.h"

#include <algorithm>
#include <cmath>

namespace lbc {

void roundTripActivations(float *x, int64_t rows, int64_t k,
                          const ActivationQuantization &quantization) {
  if (quantization.bits <= 0)
    return;
  const float largest = float((1 << (quantization.bits - 1)) - 1);
  const int64_t block = quantization.perToken ? k : kActivationScaleBlock;
  for (int64_t r = 0; r < rows; ++r) {
    float *row = x + r * k;
    for (int64_t begin = 0; begin < k; begin += block) {
      const int64_t end = std::min(k, begin + block);
      float absMax = 0.0f;
      for (int64_t j = begin; j < end; ++j)
        absMax = std::max(absMax, std::fabs(row[j]));
      const float scale = absMax * quantization.clip / largest;
      for (int64_t j = begin; j < end; ++j) {
        if (scale == 0.0f) {
          row[j] = 0.0f;
          continue;
        }
        float q = std::round(row[j] / scale);
        row[j] = std::clamp(q, -largest, largest) * scale;
      }
    }
  }
}

} // namespace lbc
