//===- Nf4Linear.cpp - fused NF4 linear microkernels ----------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// y = x W^T for a weight in lbc's NF4 format (lib/Support/Nf4Codec.h: absmax
// blocks, codes into a 16-value codebook), on f32 inputs. The codebook fits
// one 512-bit register, so the AVX-512 variant decodes 16 codes with one
// vpermps; the portable kernel looks codes up one by one.
//
//===----------------------------------------------------------------------===//

#include "PackedWeights.h"
#include "PanelGemm.h"
#include "SpanWalk.h"
#include "VectorOps.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace lbc::ukernels;

namespace {

/// Nf4Codec.h's kNf4Codebook (kept in sync by the kernel-vs-reference test,
/// whose reference decodes with the codec's table).
constexpr float kCodebook[16] = {
    -1.0f,       -0.6961928f, -0.5250731f, -0.3949175f,
    -0.2844414f, -0.1847734f, -0.0910500f, 0.0f,
    0.0795803f,  0.1609302f,  0.2461123f,  0.3379152f,
    0.4407098f,  0.5626170f,  0.7229568f,  1.0f};

/// Where an NF4 blob's sections are.
struct Nf4Weights {
  int64_t blocksPerRow, blockBytes;
  const uint8_t *codes, *scales;

  Nf4Weights(const uint8_t *packed, int64_t nTotal, int64_t k,
             int64_t blockSize)
      : blocksPerRow((k + blockSize - 1) / blockSize),
        blockBytes(blockSize / 2), codes(packed) {
    int64_t codeBytes = nTotal * blocksPerRow * blockBytes;
    scales = packed + (codeBytes + 63) / 64 * 64;
  }
  const uint8_t *blockCodes(int64_t n, int64_t block) const {
    return codes + (n * blocksPerRow + block) * blockBytes;
  }
  float scale(int64_t n, int64_t block) const {
    return loadHalf(scales + 2 * (n * blocksPerRow + block));
  }
};

/// The partial last block of a row, one product at a time.
inline float tailDot(const float *x, const Nf4Weights &weights, int64_t n,
                     int64_t k, int64_t blockSize) {
  int64_t fullBlocks = k / blockSize, half = blockSize / 2;
  if (fullBlocks == weights.blocksPerRow)
    return 0.0f;
  const uint8_t *codes = weights.blockCodes(n, fullBlocks);
  float total = 0.0f;
  for (int64_t j = fullBlocks * blockSize; j < k; ++j) {
    int64_t i = j - fullBlocks * blockSize;
    unsigned code = i < half ? codes[i] & 15 : codes[i - half] >> 4;
    total += kCodebook[code] * x[j];
  }
  return total * weights.scale(n, fullBlocks);
}

/// Adds the partial last block of a k that the block size does not divide
/// (when there is one) to rows [0, Rows) of y.
template <int Rows>
void addLastBlock(const float *__restrict xs, int64_t xStride, int64_t k,
                  const Nf4Weights &weights, int64_t blockSize, int64_t nBegin,
                  int64_t nEnd, float *__restrict ys, int64_t yStride) {
  if (k / blockSize == weights.blocksPerRow)
    return;
  for (int64_t n = nBegin; n < nEnd; ++n)
    for (int r = 0; r < Rows; ++r)
      ys[r * yStride + n] +=
          tailDot(xs + r * xStride, weights, n, k, blockSize);
}

/// Output n's weights [k0, k0 + count) (k0 a multiple of the block size)
/// as floats, for the panel path.
void decodeRowRange(const Nf4Weights &weights, int64_t blockSize, int64_t n,
                    int64_t k0, int64_t count, float *__restrict out) {
  const int64_t half = blockSize / 2;
  for (int64_t base = 0; base < count; base += blockSize) {
    int64_t block = (k0 + base) / blockSize;
    const uint8_t *codes = weights.blockCodes(n, block);
    float scale = weights.scale(n, block);
    int64_t length = count - base < blockSize ? count - base : blockSize;
    for (int64_t i = 0; i < length; ++i) {
      unsigned code = i < half ? codes[i] & 15 : codes[i - half] >> 4;
      out[base + i] = kCodebook[code] * scale;
    }
  }
}

/// Rows [0, Rows) for outputs [nBegin, nEnd): k walked in spans of blocks
/// (SpanWalk.h), blockDot(codes, at, dot) adding a block's code products
/// with the rows' inputs at `at` to dot[0 .. Rows), then the block scale;
/// the partial last block after the walk.
template <int Rows, typename BlockDot>
void nf4Rows(const float *__restrict xs, int64_t xStride, int64_t k,
             const Nf4Weights &weights, int64_t blockSize, int64_t nBegin,
             int64_t nEnd, float *__restrict ys, int64_t yStride,
             BlockDot blockDot) {
  const int64_t fullBlocks = k / blockSize;
  const int64_t span = unitsPerSpan(Rows, blockSize);
  const int64_t ahead = outputsAhead(span * weights.blockBytes);
  walkSpans<Rows>(
      fullBlocks, span, nBegin, nEnd, ys, yStride, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) {
        prefetchRun(weights.blockCodes(n + ahead, b0),
                    (b1 - b0) * weights.blockBytes);
        prefetchRun(weights.scales +
                        2 * ((n + ahead) * weights.blocksPerRow + b0),
                    2 * (b1 - b0));
        Floats16 acc[Rows] = {};
        for (int64_t block = b0; block < b1; ++block) {
          Floats16 dot[Rows] = {};
          blockDot(weights.blockCodes(n, block), xs + block * blockSize, dot);
          float scale = weights.scale(n, block);
          for (int r = 0; r < Rows; ++r)
            acc[r] += dot[r] * scale;
        }
        for (int r = 0; r < Rows; ++r)
          partial[r] = sum(acc[r]);
      });
  addLastBlock<Rows>(xs, xStride, k, weights, blockSize, nBegin, nEnd, ys,
                     yStride);
}

/// Rows [0, Rows) portably: 16 bytes of codes decode to the 16 values at
/// `first` (low nibbles) and `first + half`.
template <int Rows>
void portableRows(const float *__restrict xs, int64_t xStride, int64_t k,
                  const Nf4Weights &weights, int64_t blockSize, int64_t nBegin,
                  int64_t nEnd, float *__restrict ys, int64_t yStride) {
  const int64_t half = blockSize / 2;
  nf4Rows<Rows>(xs, xStride, k, weights, blockSize, nBegin, nEnd, ys, yStride,
                [&](const uint8_t *codes, const float *at, Floats16 *dot) {
                  for (int64_t piece = 0; piece < half; piece += 16) {
                    float low[16], high[16];
                    for (int i = 0; i < 16; ++i) {
                      low[i] = kCodebook[codes[piece + i] & 15];
                      high[i] = kCodebook[codes[piece + i] >> 4];
                    }
                    for (int r = 0; r < Rows; ++r)
                      dot[r] +=
                          load<Floats16>(low) *
                              load<Floats16>(at + r * xStride + piece) +
                          load<Floats16>(high) *
                              load<Floats16>(at + r * xStride + piece + half);
                  }
                });
}

#if defined(__x86_64__)
/// portableRows with the block's 16 weights (the codebook times the block
/// scale, one multiply per block) in a register: one vpermps per 16 codes,
/// which reads only an index's low 4 bits, so the low nibbles need no mask,
/// and the products go straight into the row's sums (no scale per block
/// after the dot product).
template <int Rows>
LBC_AVX512 void avx512Rows(const float *__restrict xs, int64_t xStride,
                           int64_t k, const Nf4Weights &weights,
                           int64_t blockSize, int64_t nBegin, int64_t nEnd,
                           float *__restrict ys, int64_t yStride) {
  // Independent FMA chains per row: the two nibbles' sums, and for a single
  // row odd and even pieces as well (the FMA latency would bound fewer).
  constexpr int Chains = Rows == 1 ? 4 : 2;
  const int64_t half = blockSize / 2;
  const int64_t fullBlocks = k / blockSize;
  const int64_t span = unitsPerSpan(Rows, blockSize);
  const int64_t ahead = outputsAhead(span * weights.blockBytes);
  const __m512 codebook = _mm512_loadu_ps(kCodebook);
  walkSpans<Rows>(
      fullBlocks, span, nBegin, nEnd, ys, yStride, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) LBC_AVX512 {
        prefetchRun(weights.scales +
                        2 * ((n + ahead) * weights.blocksPerRow + b0),
                    2 * (b1 - b0));
        __m512 acc[Chains][Rows];
        for (int c = 0; c < Chains; ++c)
          for (int r = 0; r < Rows; ++r)
            acc[c][r] = _mm512_setzero_ps();
        for (int64_t block = b0; block < b1; ++block) {
          const uint8_t *codes = weights.blockCodes(n, block);
          const float *at = xs + block * blockSize;
          // One prefetch per block keeps them spread over the loop (a burst
          // at the run's start measured 14% slower).
          prefetchLine(weights.blockCodes(n + ahead, block));
          const __m512 table =
              _mm512_mul_ps(codebook, _mm512_set1_ps(weights.scale(n, block)));
          for (int64_t piece = 0; piece < half; piece += 16) {
            __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(
                reinterpret_cast<const __m128i *>(codes + piece)));
            __m512 low = _mm512_permutexvar_ps(bytes, table);
            __m512 high =
                _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), table);
            const int lowChain = Chains == 4 ? 2 * ((piece / 16) % 2) : 0;
            for (int r = 0; r < Rows; ++r) {
              acc[lowChain][r] = _mm512_fmadd_ps(
                  low, _mm512_loadu_ps(at + r * xStride + piece),
                  acc[lowChain][r]);
              acc[lowChain + 1][r] = _mm512_fmadd_ps(
                  high, _mm512_loadu_ps(at + r * xStride + piece + half),
                  acc[lowChain + 1][r]);
            }
          }
        }
        for (int r = 0; r < Rows; ++r) {
          __m512 total = acc[0][r];
          for (int c = 1; c < Chains; ++c)
            total = _mm512_add_ps(total, acc[c][r]);
          partial[r] = _mm512_reduce_add_ps(total);
        }
      });
  addLastBlock<Rows>(xs, xStride, k, weights, blockSize, nBegin, nEnd, ys,
                     yStride);
}
#endif

enum class Isa { Portable, Avx512 };

template <Isa Which, int Rows>
void runRows(const float *xs, int64_t xStride, int64_t k,
             const Nf4Weights &weights, int64_t blockSize, int64_t nBegin,
             int64_t nEnd, float *ys, int64_t yStride) {
#if defined(__x86_64__)
  if (Which == Isa::Avx512)
    return avx512Rows<Rows>(xs, xStride, k, weights, blockSize, nBegin, nEnd,
                            ys, yStride);
#endif
  portableRows<Rows>(xs, xStride, k, weights, blockSize, nBegin, nEnd, ys,
                     yStride);
}

template <Isa Which>
int64_t nf4Linear(int64_t x, int64_t rows, int64_t k, int64_t xStride,
                  int64_t packed, int64_t nTotal, int64_t nBegin, int64_t nEnd,
                  int64_t y, int64_t yStride, int64_t blockSize) {
  if (blockSize <= 0 || blockSize % 32 != 0)
    return -1;
  const float *xs = reinterpret_cast<const float *>(x);
  float *ys = reinterpret_cast<float *>(y);
  Nf4Weights weights(reinterpret_cast<const uint8_t *>(packed), nTotal, k,
                     blockSize);
  if (rows >= kPanelMinRows && blockSize <= kPanelChunk) {
    panelGemm<Which == Isa::Avx512 ? 4 : 1>(
        xs, rows, k, xStride, kPanelChunk / blockSize * blockSize, nBegin, nEnd,
        ys, yStride, [&](int64_t n, int64_t k0, int64_t count, float *out) {
          decodeRowRange(weights, blockSize, n, k0, count, out);
        });
    return 0;
  }
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4)
    runRows<Which, 4>(xs + r * xStride, xStride, k, weights, blockSize, nBegin,
                      nEnd, ys + r * yStride, yStride);
  int64_t left = rows - r;
  if (left == 3)
    runRows<Which, 3>(xs + r * xStride, xStride, k, weights, blockSize, nBegin,
                      nEnd, ys + r * yStride, yStride);
  else if (left == 2)
    runRows<Which, 2>(xs + r * xStride, xStride, k, weights, blockSize, nBegin,
                      nEnd, ys + r * yStride, yStride);
  else if (left == 1)
    runRows<Which, 1>(xs + r * xStride, xStride, k, weights, blockSize, nBegin,
                      nEnd, ys + r * yStride, yStride);
  return 0;
}

} // namespace

extern "C" {

/// y[r * yStride + n] = sum_j x[r * xStride + j] * W[n, j] for r < rows and
/// n in [nBegin, nEnd), W the n x k weight of `packed` in NF4 with blocks of
/// `blockSize` (a multiple of 32). Returns 0, or -1 for a block size it does
/// not handle.
int64_t lbc_ukernel_nf4_linear(int64_t x, int64_t rows, int64_t k,
                               int64_t xStride, int64_t packed, int64_t nTotal,
                               int64_t nBegin, int64_t nEnd, int64_t y,
                               int64_t yStride, int64_t blockSize) {
  return nf4Linear<Isa::Portable>(x, rows, k, xStride, packed, nTotal, nBegin,
                                  nEnd, y, yStride, blockSize);
}

#if defined(__x86_64__)
/// lbc_ukernel_nf4_linear for CPUs with AVX-512.
LBC_AVX512 int64_t lbc_ukernel_nf4_linear__avx512(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t packed,
    int64_t nTotal, int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride,
    int64_t blockSize) {
  return nf4Linear<Isa::Avx512>(x, rows, k, xStride, packed, nTotal, nBegin,
                                nEnd, y, yStride, blockSize);
}
#endif

} // extern "C"
