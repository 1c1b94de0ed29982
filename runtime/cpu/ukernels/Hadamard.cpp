//===- Hadamard.cpp - the online Hadamard transform (lowbit.hadamard) -----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// y = x M_n row by row, M_n = (H_{2^m} (x) H_K) / sqrt(n) as
// lib/Support/Hadamard.h defines it: each chunk of K inputs times the
// K x K factor (H_K already scaled by 1 / sqrt(n), passed by the compiler),
// then Sylvester's butterflies across the 2^m chunks. For K = 1 the first
// four butterfly stages run inside 16-lane vectors; later stages (and all
// of them for K >= 16) pair contiguous spans, which vectorize as they are.
// Depends on nothing but the compiler.
//
//===----------------------------------------------------------------------===//

#include "HadamardRow.h"
#include "VectorOps.h"

#include <cstdint>

namespace lbc::ukernels {
namespace {

/// Stage `h` (1, 2, 4 or 8) of the butterflies inside one 16-lane vector:
/// lanes with bit h clear get u + v, the others u - v, v the partner lane.
#define LBC_BUTTERFLY(v, h, ...)                                               \
  do {                                                                         \
    Floats16 partner = __builtin_shufflevector(v, v, __VA_ARGS__);             \
    Floats16 sign = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};          \
    for (int lane = 0; lane < 16; ++lane)                                      \
      if (lane & (h))                                                          \
        sign[lane] = -1;                                                       \
    v = partner + sign * v;                                                    \
  } while (0)

/// The first four stages for chunks of one element, 16 outputs at a time.
inline void butterfliesInVectors(float *row, int64_t n) {
  for (int64_t i = 0; i + 16 <= n; i += 16) {
    Floats16 v = load<Floats16>(row + i);
    LBC_BUTTERFLY(v, 1, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    LBC_BUTTERFLY(v, 2, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    LBC_BUTTERFLY(v, 4, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    LBC_BUTTERFLY(v, 8, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    std::memcpy(row + i, &v, sizeof(v));
  }
}
#undef LBC_BUTTERFLY

/// Butterflies between contiguous spans of `span` floats.
inline void butterflySpans(float *__restrict row, int64_t n, int64_t span) {
  for (int64_t base = 0; base < n; base += 2 * span) {
    float *__restrict a = row + base;
    float *__restrict b = row + base + span;
    for (int64_t i = 0; i < span; ++i) {
      float u = a[i], v = b[i];
      a[i] = u + v;
      b[i] = u - v;
    }
  }
}

} // namespace

void hadamardRow(const float *__restrict source, float *__restrict row,
                 int64_t n, int64_t powerOfTwo, int64_t k,
                 const float *__restrict h) {
  if (k == 1) {
    float scale = h[0];
    for (int64_t j = 0; j < n; ++j)
      row[j] = source[j] * scale;
  } else {
    // Row-vector products: output j of a chunk accumulates input i times
    // factor row i, so the inner loop runs along contiguous factor rows.
    for (int64_t c = 0; c < powerOfTwo; ++c) {
      const float *__restrict chunk = source + c * k;
      float *__restrict result = row + c * k;
      for (int64_t j = 0; j < k; ++j)
        result[j] = 0;
      for (int64_t i = 0; i < k; ++i) {
        float value = chunk[i];
        const float *__restrict factorRow = h + i * k;
        for (int64_t j = 0; j < k; ++j)
          result[j] += value * factorRow[j];
      }
    }
  }
  int64_t span = k;
  if (k == 1 && n >= 16) {
    butterfliesInVectors(row, n);
    span = 16;
  }
  for (; span < n; span *= 2)
    butterflySpans(row, n, span);
}

} // namespace lbc::ukernels

using namespace lbc::ukernels;

extern "C" {

/// y[r * yStride + j] = (x_r M_n)[j] for r < rows, with n = powerOfTwo * k
/// and `factor` the k x k scaled H_K (row-major f32). x and y must not
/// overlap. Returns 0, or -1 when n != powerOfTwo * k.
int64_t lbc_ukernel_hadamard(int64_t x, int64_t rows, int64_t n,
                             int64_t xStride, int64_t y, int64_t yStride,
                             int64_t powerOfTwo, int64_t k, int64_t factor) {
  if (n != powerOfTwo * k || k < 1)
    return -1;
  const float *in = reinterpret_cast<const float *>(x);
  float *out = reinterpret_cast<float *>(y);
  const float *h = reinterpret_cast<const float *>(factor);
  for (int64_t r = 0; r < rows; ++r)
    hadamardRow(in + r * xStride, out + r * yStride, n, powerOfTwo, k, h);
  return 0;
}

} // extern "C"
