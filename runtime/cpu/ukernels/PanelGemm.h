//===- PanelGemm.h - prefill GEMM over decoded weight panels ----*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The f32-input microkernels' prefill path (many rows): each tile of the
// packed weight (Width outputs x a k chunk) is decoded once into a k-major
// f32 panel on the stack and reused by every block of rows, so the decode
// is paid once per call instead of once per block of 4 rows. The register
// tile is 6 rows x 16 Vectors outputs: 6 x 4 (24 zmm accumulators) in the
// AVX-512 variants, 6 x 1 elsewhere. Each format supplies a decoder of one
// output's weights over a k range (whole blocks of its format).
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_PANELGEMM_H
#define LBC_RUNTIME_CPU_UKERNELS_PANELGEMM_H

#include "VectorOps.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace lbc::ukernels {

/// The panel path's k chunk bound (64 KiB of panel at width 64).
constexpr int64_t kPanelChunk = 256;

/// From this many rows on, the panel path beats decoding per row block
/// (4096 x 4096 w4, 1 thread, AVX-512: 16 rows 5.6 ms per row block vs
/// 7.6 ms with panels, 32 rows 11.2 vs 9.8, 64 rows 22.4 vs 13.9).
constexpr int64_t kPanelMinRows = 24;

/// C[Rows x 16 Vectors] (+)= A[Rows x kc] P[kc x 16 Vectors] with P a
/// k-major decoded panel: per k, Vectors loads of P and a broadcast of each
/// row's A element feed Rows x Vectors FMAs into register accumulators.
template <int Rows, int Vectors>
inline void panelTile(const float *__restrict a, int64_t aStride,
                      const float *__restrict panel, int64_t kc,
                      float *__restrict c, int64_t cStride, bool accumulate) {
  constexpr int64_t Width = 16 * Vectors;
  Floats16 acc[Rows][Vectors];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v)
      acc[r][v] = accumulate ? load<Floats16>(c + r * cStride + 16 * v)
                             : Floats16(0.0f);
  for (int64_t kk = 0; kk < kc; ++kk) {
    Floats16 w[Vectors];
    for (int v = 0; v < Vectors; ++v)
      w[v] = load<Floats16>(panel + kk * Width + 16 * v);
    for (int r = 0; r < Rows; ++r) {
      float x = a[r * aStride + kk];
      for (int v = 0; v < Vectors; ++v)
        acc[r][v] += w[v] * x;
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v)
      std::memcpy(c + r * cStride + 16 * v, &acc[r][v], sizeof(Floats16));
}

/// y[r, n] = sum_j x[r, j] W[n, j] for r < rows, n in [nBegin, nEnd), where
/// decodeRow(n, k0, kc, out) writes W[n, k0 .. k0 + kc) as floats; k chunks
/// of `chunk` (<= kPanelChunk, whole blocks of the format) start at
/// multiples of `chunk`.
template <int Vectors, typename DecodeRow>
void panelGemm(const float *__restrict x, int64_t rows, int64_t k,
               int64_t xStride, int64_t chunk, int64_t nBegin, int64_t nEnd,
               float *__restrict y, int64_t yStride, DecodeRow decodeRow) {
  constexpr int Rows = 6;
  constexpr int64_t Width = 16 * Vectors;
  float panel[kPanelChunk * Width] __attribute__((aligned(64)));
  float decoded[kPanelChunk] __attribute__((aligned(64)));
  float edge[Rows * Width] __attribute__((aligned(64)));
  for (int64_t n0 = nBegin; n0 < nEnd; n0 += Width) {
    const int64_t width = nEnd - n0 < Width ? nEnd - n0 : Width;
    for (int64_t k0 = 0; k0 < k; k0 += chunk) {
      const int64_t kc = k - k0 < chunk ? k - k0 : chunk;
      for (int64_t j = 0; j < Width; ++j) {
        if (j < width)
          decodeRow(n0 + j, k0, kc, decoded);
        for (int64_t kk = 0; kk < kc; ++kk)
          panel[kk * Width + j] = j < width ? decoded[kk] : 0.0f;
      }
      const bool accumulate = k0 > 0;
      auto tile = [&](auto rowCount, int64_t r) {
        constexpr int R = decltype(rowCount)::value;
        const float *a = x + r * xStride + k0;
        if (width == Width) {
          panelTile<R, Vectors>(a, xStride, panel, kc, y + r * yStride + n0,
                                yStride, accumulate);
          return;
        }
        // A narrow last block: through a full-width scratch tile.
        for (int i = 0; i < R; ++i)
          for (int64_t j = 0; j < Width; ++j)
            edge[i * Width + j] =
                accumulate && j < width ? y[(r + i) * yStride + n0 + j] : 0.0f;
        panelTile<R, Vectors>(a, xStride, panel, kc, edge, Width, true);
        for (int i = 0; i < R; ++i)
          for (int64_t j = 0; j < width; ++j)
            y[(r + i) * yStride + n0 + j] = edge[i * Width + j];
      };
      int64_t r = 0;
      for (; r + Rows <= rows; r += Rows)
        tile(std::integral_constant<int, Rows>(), r);
      switch (rows - r) {
      case 5:
        tile(std::integral_constant<int, 5>(), r);
        break;
      case 4:
        tile(std::integral_constant<int, 4>(), r);
        break;
      case 3:
        tile(std::integral_constant<int, 3>(), r);
        break;
      case 2:
        tile(std::integral_constant<int, 2>(), r);
        break;
      case 1:
        tile(std::integral_constant<int, 1>(), r);
        break;
      default:
        break;
      }
    }
  }
}

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_PANELGEMM_H
