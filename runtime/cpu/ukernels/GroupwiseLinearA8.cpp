//===- GroupwiseLinearA8.cpp - low-bit linear on int8 activations ---------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The kernels of the `a8` recipe step: inputs quantized to int8 per block of
// 32 (QuantizedActivations.h), weights in lbc's group-wise format (w2..w8),
// products summed in integers and scaled once per 4-code lane. Integer dot
// products need 4x fewer instructions than decoding to f32, which is what
// lets a 4-bit weight stream at memory speed.
//
// Two implementations of one contract: a portable one in Clang vector types,
// and one with AVX-512 VNNI (vpdpbusd: 64 unsigned x signed byte products
// into 16 i32 lanes) that lbc links instead when the artifact's CPU has it
// (lib/Target/Ukernels.cpp picks a `__avx512vnni` variant by its suffix).
//
//===----------------------------------------------------------------------===//

#include "HadamardRow.h"
#include "PackedWeights.h"
#include "QuantizedActivations.h"
#include "VectorOps.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace lbc::ukernels;

namespace {

/// The sections of one quantized row.
struct QuantizedRow {
  const uint8_t *bytes;
  ActivationLayout layout;
  /// VNNI kernel only: per weight group covered by the chunks, the sum of
  /// the row's dequantized inputs (block scale x sum of codes).
  const float *groupSums = nullptr;

  const int8_t *codes(int64_t chunk) const {
    return reinterpret_cast<const int8_t *>(bytes + chunk * kChunkCodes);
  }
  const int32_t *laneCorrections(int64_t chunk) const {
    return reinterpret_cast<const int32_t *>(bytes + layout.correctionsOffset) +
           chunk * kChunkLanes;
  }
  /// The two block scales of a chunk (its lane 0's, its lane 15's).
  const float *chunkScales(int64_t chunk) const {
    return reinterpret_cast<const float *>(bytes + layout.chunkScalesOffset) +
           2 * chunk;
  }
  const float *blockScales() const {
    return reinterpret_cast<const float *>(bytes + layout.blockScalesOffset);
  }
  const int8_t *tail() const {
    return reinterpret_cast<const int8_t *>(bytes + layout.tailOffset);
  }
};

/// How lowbit.linear quantizes its input (activation_bits and the rest).
struct QuantizeSettings {
  int bits = 8;
  bool perToken = false;
  float clip = 1.0f;
};

/// The settings of the quantize kernels' arguments (the clip as f32 bits).
QuantizeSettings quantizeSettings(int64_t activationBits, int64_t perToken,
                                  int64_t clipBits) {
  QuantizeSettings settings;
  settings.bits = static_cast<int>(activationBits);
  settings.perToken = perToken != 0;
  uint32_t clip = static_cast<uint32_t>(clipBits);
  std::memcpy(&settings.clip, &clip, sizeof(clip));
  return settings;
}

void quantizeRow(const float *x, int64_t k, int64_t bits, int64_t groupSize,
                 const QuantizeSettings &settings,
                 const ActivationLayout &layout, uint8_t *out) {
  float *blockScales =
      reinterpret_cast<float *>(out + layout.blockScalesOffset);
  const float largest = float((1 << (settings.bits - 1)) - 1);
  // Per token, every block carries the row's scale.
  const int64_t scaleBlock = settings.perToken ? k : kActivationBlock;
  for (int64_t begin = 0; begin < k; begin += scaleBlock) {
    int64_t end = begin + scaleBlock < k ? begin + scaleBlock : k;
    float absMax = 0.0f;
    for (int64_t j = begin; j < end; ++j)
      absMax = __builtin_fmaxf(absMax, __builtin_fabsf(x[j]));
    float scale = absMax * settings.clip / largest;
    for (int64_t j = begin; j < end; j += kActivationBlock)
      blockScales[j / kActivationBlock] = scale;
  }
  auto code = [&](int64_t index) -> int8_t {
    float scale = blockScales[index / kActivationBlock];
    if (scale == 0.0f)
      return 0;
    float q = __builtin_roundf(x[index] / scale);
    return static_cast<int8_t>(q > largest    ? largest
                               : q < -largest ? -largest
                                              : q);
  };
  int32_t offset = static_cast<int32_t>(codeOffset(bits));
  for (int64_t chunk = 0; chunk < layout.chunks; ++chunk) {
    int8_t *codes = reinterpret_cast<int8_t *>(out + chunk * kChunkCodes);
    int32_t *laneCorrections =
        reinterpret_cast<int32_t *>(out + layout.correctionsOffset) +
        chunk * kChunkLanes;
    float *chunkScales =
        reinterpret_cast<float *>(out + layout.chunkScalesOffset) + 2 * chunk;
    for (int64_t lane = 0; lane < kChunkLanes; ++lane) {
      int32_t laneSum = 0;
      for (int64_t i = 0; i < 4; ++i) {
        int8_t q = code(chunkCodeIndex(chunk, 4 * lane + i, bits, groupSize));
        codes[4 * lane + i] = q;
        laneSum += q;
      }
      laneCorrections[lane] = -offset * laneSum;
    }
    chunkScales[0] = blockScales[chunkCodeIndex(chunk, 0, bits, groupSize) /
                                 kActivationBlock];
    chunkScales[1] = blockScales[chunkCodeIndex(chunk, 4 * (kChunkLanes - 1),
                                                bits, groupSize) /
                                 kActivationBlock];
  }
  int8_t *tail = reinterpret_cast<int8_t *>(out + layout.tailOffset);
  for (int64_t index = layout.chunks * kChunkCodes; index < k; ++index)
    tail[index - layout.chunks * kChunkCodes] = code(index);
  float *blockSums = reinterpret_cast<float *>(out + layout.blockSumsOffset);
  for (int64_t begin = 0; begin < k; begin += kActivationBlock) {
    int64_t end = begin + kActivationBlock < k ? begin + kActivationBlock : k;
    int32_t total = 0;
    for (int64_t j = begin; j < end; ++j)
      total += code(j);
    blockSums[begin / kActivationBlock] =
        blockScales[begin / kActivationBlock] * float(total);
  }
}

/// Per 4-code lane of a chunk, the product of its weight group's scale and
/// its activation block's scale. A chunk spans two weight groups (groups of
/// 32; one otherwise) and two activation blocks, so the 16 lanes take two
/// values, laid out as QuantizedActivations.h's interleavedLanes says.
template <int Bits>
inline Floats16 combinedScales(const uint8_t *rowScales, int64_t chunk,
                               int64_t groupSize, const float *blockPair) {
  float a, b;
  if (groupSize == 32) {
    a = loadHalf(rowScales + 4 * chunk) * blockPair[0];
    b = loadHalf(rowScales + 4 * chunk + 2) * blockPair[1];
  } else {
    float weight = loadHalf(rowScales + 2 * (chunk * kChunkCodes / groupSize));
    a = weight * blockPair[0];
    b = weight * blockPair[1];
  }
  if (interleavedLanes(Bits, groupSize))
    return Floats16{a, a, a, a, b, b, b, b, a, a, a, a, b, b, b, b};
  return Floats16{a, a, a, a, a, a, a, a, b, b, b, b, b, b, b, b};
}

/// The inputs after the chunks, one product at a time.
inline float tailDot(const PackedLayout &weights, int64_t n,
                     const QuantizedRow &row, int64_t k, int64_t bits,
                     int64_t groupSize) {
  const uint8_t *rowCodes = weights.rowCodes(n);
  const uint8_t *rowScales = weights.rowScales(n);
  const int8_t *tail = row.tail();
  int64_t first = row.layout.chunks * kChunkCodes;
  int offset = static_cast<int>(codeOffset(bits));
  float total = 0.0f;
  for (int64_t index = first; index < k; ++index) {
    int64_t group = index / groupSize;
    int code = storedCode(rowCodes + group * weights.groupBytes,
                          index % groupSize, bits, groupSize);
    float scale = loadHalf(rowScales + 2 * group) *
                  row.blockScales()[index / kActivationBlock];
    if (weights.zeroPoints)
      total += (float(code) - loadHalf(weights.rowZeroPoints(n) + 2 * group)) *
               float(tail[index - first]) * scale;
    else
      total += float((code - offset) * tail[index - first]) * scale;
  }
  return total;
}

/// For weights with zero points: sum over the chunks' groups g of scale_g
/// x (offset - z_g) x inputSum_g, what the kernels' dot products on codes
/// minus the fixed offset leave out (x = scale (q - z) and z need not be
/// the offset). 0 without zero points.
inline float zeroPointShare(const PackedLayout &weights, int64_t n,
                            const QuantizedRow &row, int64_t bits,
                            int64_t groupSize) {
  if (!weights.zeroPoints)
    return 0.0f;
  const uint8_t *rowScales = weights.rowScales(n);
  const uint8_t *rowZeroPoints = weights.rowZeroPoints(n);
  int64_t groups = row.layout.chunks * kChunkCodes / groupSize;
  float offset = float(codeOffset(bits)), total = 0.0f;
  for (int64_t g = 0; g < groups; ++g)
    total += loadHalf(rowScales + 2 * g) *
             (offset - loadHalf(rowZeroPoints + 2 * g)) * row.groupSums[g];
  return total;
}

/// A chunk's 64 stored weight codes in the order chunkCodeIndex describes
/// (a chunk's codes are 8 * Bits consecutive bytes: groups hold whole
/// chunks or, of 32, half of one).
template <int Bits>
inline Bytes64 chunkWeightCodes(const uint8_t *rowCodes, int64_t chunk) {
  if (Bits == 8)
    return load<Bytes64>(rowCodes + chunk * kChunkCodes);
  if (Bits == 4)
    return splitNibbles(rowCodes + chunk * 32);
  Bytes64 codes;
  unpackLsbFirst64<Bits>(rowCodes + chunk * 8 * Bits, codes);
  return codes;
}

/// Which row-block implementation to run.
enum class Isa { Portable, Vnni, Dotprod };

/// Per lane of a chunk, sum over its 4 codes of (weight - offset) x input
/// code: the stored codes' dot product plus the row's lane corrections.
template <Isa Which, int Bits>
inline Ints16 chunkDots(Bytes64 w, const QuantizedRow &row, int64_t chunk) {
  SignedBytes64 a = load<SignedBytes64>(row.codes(chunk));
#if defined(__aarch64__)
  if (Which == Isa::Dotprod) {
    // sdot multiplies signed bytes. A stored 8-bit code xor 128 is the
    // signed weight itself (no correction); 4-bit codes fit as stored.
    if (Bits == 8)
      return laneDotsSdot(w ^ (uint8_t)128, a);
    return load<Ints16>(row.laneCorrections(chunk)) + laneDotsSdot(w, a);
  }
#endif
  return load<Ints16>(row.laneCorrections(chunk)) + laneDots(w, a);
}

/// Rows [0, Rows) of the block for outputs [nBegin, nEnd), in vector code
/// (portable, or with aarch64's sdot): each chunk of weight codes is
/// decoded once for all rows.
template <Isa Which, int Rows, int Bits>
void rowBlock(const QuantizedRow *rows, const PackedLayout &weights, int64_t k,
              int64_t groupSize, int64_t nBegin, int64_t nEnd,
              float *__restrict ys, int64_t yStride) {
  int64_t chunks = rows[0].layout.chunks;
  for (int64_t n = nBegin; n < nEnd; ++n) {
    const uint8_t *rowCodes = weights.rowCodes(n);
    const uint8_t *rowScales = weights.rowScales(n);
    Floats16 acc[Rows] = {};
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      Bytes64 w = chunkWeightCodes<Bits>(rowCodes, chunk);
      for (int r = 0; r < Rows; ++r) {
        Ints16 dots = chunkDots<Which, Bits>(w, rows[r], chunk);
        acc[r] += __builtin_convertvector(dots, Floats16) *
                  combinedScales<Bits>(rowScales, chunk, groupSize,
                                       rows[r].chunkScales(chunk));
      }
    }
    for (int r = 0; r < Rows; ++r)
      ys[r * yStride + n] =
          sum(acc[r]) + zeroPointShare(weights, n, rows[r], Bits, groupSize) +
          tailDot(weights, n, rows[r], k, Bits, groupSize);
  }
}

#if defined(__x86_64__)
#define LBC_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/// A chunk's weight codes in a register: 4-bit codes as one broadcast of 32
/// packed bytes, the upper copy shifted to its high nibbles, then masked;
/// other widths below 8 through the portable unpacking (its byte shuffles
/// become vpermb where the CPU has AVX-512 VBMI).
template <int Bits>
LBC_VNNI inline __m512i chunkWeightCodesVnni(const uint8_t *rowCodes,
                                             int64_t chunk) {
  if (Bits == 8)
    return _mm512_loadu_si512(rowCodes + chunk * kChunkCodes);
  if (Bits != 4) {
    Bytes64 codes;
    unpackLsbFirst64<Bits>(rowCodes + chunk * 8 * Bits, codes);
    return __builtin_bit_cast(__m512i, codes);
  }
  __m512i both = _mm512_broadcast_i64x4(_mm256_loadu_si256(
      reinterpret_cast<const __m256i *>(rowCodes + chunk * 32)));
  __m512i shifted = _mm512_mask_srli_epi16(both, 0xFFFF0000u, both, 4);
  return _mm512_and_si512(shifted, _mm512_set1_epi8(15));
}

/// The lane pattern of a chunk's two scales (QuantizedActivations.h's
/// interleavedLanes): lane l takes value pattern[l] of a pair.
template <int Bits>
LBC_VNNI inline __m512i scalePatternVnni(int64_t groupSize) {
  return interleavedLanes(Bits, groupSize)
             ? _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1)
             : _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1,
                                 1);
}

/// Per lane of a chunk, its weight group's scale.
LBC_VNNI inline __m512 weightScalesVnni(const uint8_t *rowScales, int64_t chunk,
                                        int64_t groupSize, __m512i pattern) {
  if (groupSize != 32)
    return _mm512_set1_ps(
        loadHalf(rowScales + 2 * (chunk * kChunkCodes / groupSize)));
  int32_t pair;
  std::memcpy(&pair, rowScales + 4 * chunk, sizeof(pair));
  return _mm512_permutexvar_ps(
      pattern, _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128(pair))));
}

/// The AVX-512 VNNI block for rows [0, Rows) and outputs [n, n + Cols):
/// one vpdpbusd per chunk, row and output on the stored (offset) codes,
/// each chunk's weight codes and scales decoded once for all rows and its
/// input codes loaded once for all outputs; the offset's share, offset x
/// sum over groups of scale x input sum, is subtracted once per output
/// from the rows' group sums, so the loop reads only codes and chunk
/// scales (72 bytes per chunk and row: long rows stream from L2). A single
/// row and output alternates two accumulators so that the FMA latency does
/// not bound the loop.
template <int Rows, int Cols, int Bits>
LBC_VNNI void blockVnni(const QuantizedRow *rows, const PackedLayout &weights,
                        int64_t k, int64_t groupSize, int64_t n,
                        float *__restrict ys, int64_t yStride) {
  constexpr int Chains = Rows == 1 && Cols == 1 ? 2 : 1;
  int64_t chunks = rows[0].layout.chunks;
  const __m512i pattern = scalePatternVnni<Bits>(groupSize);
  const uint8_t *codes[Cols], *scales[Cols];
  for (int c = 0; c < Cols; ++c) {
    codes[c] = weights.rowCodes(n + c);
    scales[c] = weights.rowScales(n + c);
  }
  __m512 acc[Chains][Rows][Cols];
  for (int h = 0; h < Chains; ++h)
    for (int r = 0; r < Rows; ++r)
      for (int c = 0; c < Cols; ++c)
        acc[h][r][c] = _mm512_setzero_ps();
  int64_t chunk = 0;
  if constexpr (Rows == 1 && Cols == 1) {
    // Decode with groups of 32 (one activation block per group): the
    // products of 16 groups' weight and activation scales in one multiply,
    // each chunk's pair of them spread over its lanes by one permute (the
    // general path below costs three shuffles and a multiply per chunk:
    // the narrow widths' loop bottleneck, with their unpacking shuffles).
    if (groupSize == 32) {
      const float *blockScales = rows[0].blockScales();
      for (; chunk + 8 <= chunks; chunk += 8) {
        __m512 products = _mm512_mul_ps(
            _mm512_cvtph_ps(_mm256_loadu_si256(
                reinterpret_cast<const __m256i *>(scales[0] + 4 * chunk))),
            _mm512_loadu_ps(blockScales + 2 * chunk));
        for (int i = 0; i < 8; ++i) {
          __m512i dots = _mm512_dpbusd_epi32(
              _mm512_setzero_si512(),
              chunkWeightCodesVnni<Bits>(codes[0], chunk + i),
              _mm512_loadu_si512(rows[0].codes(chunk + i)));
          __m512 laneScales = _mm512_permutexvar_ps(
              _mm512_add_epi32(pattern, _mm512_set1_epi32(2 * i)), products);
          acc[i % Chains][0][0] = _mm512_fmadd_ps(
              _mm512_cvtepi32_ps(dots), laneScales, acc[i % Chains][0][0]);
        }
      }
    }
  }
  for (; chunk < chunks; ++chunk) {
    __m512i w[Cols];
    __m512 weightScales[Cols];
    for (int c = 0; c < Cols; ++c) {
      w[c] = chunkWeightCodesVnni<Bits>(codes[c], chunk);
      weightScales[c] = weightScalesVnni(scales[c], chunk, groupSize, pattern);
    }
    for (int r = 0; r < Rows; ++r) {
      __m512i inputs = _mm512_loadu_si512(rows[r].codes(chunk));
      __m512 inputScales = _mm512_permutexvar_ps(
          pattern,
          _mm512_castps128_ps512(_mm_castpd_ps(_mm_load_sd(
              reinterpret_cast<const double *>(rows[r].chunkScales(chunk))))));
      for (int c = 0; c < Cols; ++c) {
        __m512i dots =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[c], inputs);
        __m512 &sum = acc[chunk % Chains][r][c];
        sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots),
                              _mm512_mul_ps(weightScales[c], inputScales), sum);
      }
    }
  }
  int64_t groups = chunks * kChunkCodes / groupSize;
  for (int c = 0; c < Cols; ++c) {
    const uint8_t *rowScales = scales[c];
    for (int r = 0; r < Rows; ++r) {
      __m512 both = acc[0][r][c];
      if (Chains == 2)
        both = _mm512_add_ps(both, acc[Chains - 1][r][c]);
      // sum_g scale_g * z_g * inputSum_g, 16 groups per step; z_g is the
      // fixed code offset without zero points.
      const uint8_t *rowZeroPoints =
          weights.zeroPoints ? weights.rowZeroPoints(n + c) : nullptr;
      __m512 offsets = _mm512_setzero_ps();
      int64_t g = 0;
      for (; g + 16 <= groups; g += 16) {
        __m512 scaled = _mm512_mul_ps(
            _mm512_cvtph_ps(_mm256_loadu_si256(
                reinterpret_cast<const __m256i *>(rowScales + 2 * g))),
            _mm512_loadu_ps(rows[r].groupSums + g));
        __m512 zero =
            rowZeroPoints
                ? _mm512_cvtph_ps(_mm256_loadu_si256(
                      reinterpret_cast<const __m256i *>(rowZeroPoints + 2 * g)))
                : _mm512_set1_ps(float(codeOffset(Bits)));
        offsets = _mm512_fmadd_ps(scaled, zero, offsets);
      }
      float offset = _mm512_reduce_add_ps(offsets);
      for (; g < groups; ++g)
        offset += loadHalf(rowScales + 2 * g) * rows[r].groupSums[g] *
                  (rowZeroPoints ? loadHalf(rowZeroPoints + 2 * g)
                                 : float(codeOffset(Bits)));
      ys[r * yStride + n + c] =
          _mm512_reduce_add_ps(both) - offset +
          tailDot(weights, n + c, rows[r], k, Bits, groupSize);
    }
  }
}

/// Rows [0, Rows) for outputs [nBegin, nEnd): blocks of four outputs when
/// there are several rows (each input chunk then feeds four products), one
/// output at a time for a single row (decode: bound by the weight stream).
template <int Rows, int Bits>
LBC_VNNI void rowBlockVnni(const QuantizedRow *rows,
                           const PackedLayout &weights, int64_t k,
                           int64_t groupSize, int64_t nBegin, int64_t nEnd,
                           float *__restrict ys, int64_t yStride) {
  constexpr int Cols = Rows == 1 ? 1 : 4;
  int64_t n = nBegin;
  for (; n + Cols <= nEnd; n += Cols)
    blockVnni<Rows, Cols, Bits>(rows, weights, k, groupSize, n, ys, yStride);
  for (; n < nEnd; ++n)
    blockVnni<Rows, 1, Bits>(rows, weights, k, groupSize, n, ys, yStride);
}
#endif

/// The rows' group sums for rowBlockVnni: the quantized rows' block sums
/// themselves for groups of 32, else added up per group into `storage`
/// (rows x groups).
void fillGroupSums(QuantizedRow *rows, int count, int64_t groupSize,
                   float *storage) {
  const ActivationLayout &layout = rows[0].layout;
  int64_t groups = layout.chunks * kChunkCodes / groupSize;
  int64_t blocksPerGroup = groupSize / kActivationBlock;
  for (int r = 0; r < count; ++r) {
    const float *blockSums =
        reinterpret_cast<const float *>(rows[r].bytes + layout.blockSumsOffset);
    if (blocksPerGroup == 1) {
      rows[r].groupSums = blockSums;
      continue;
    }
    float *sums = storage + r * groups;
    for (int64_t g = 0; g < groups; ++g) {
      float total = 0.0f;
      for (int64_t b = 0; b < blocksPerGroup; ++b)
        total += blockSums[g * blocksPerGroup + b];
      sums[g] = total;
    }
    rows[r].groupSums = sums;
  }
}

template <Isa Which, int Rows, int Bits>
void runRowBlock(const QuantizedRow *rows, const PackedLayout &weights,
                 int64_t k, int64_t groupSize, int64_t nBegin, int64_t nEnd,
                 float *ys, int64_t yStride) {
#if defined(__x86_64__)
  if (Which == Isa::Vnni)
    return rowBlockVnni<Rows, Bits>(rows, weights, k, groupSize, nBegin, nEnd,
                                    ys, yStride);
#endif
  rowBlock<Which, Rows, Bits>(rows, weights, k, groupSize, nBegin, nEnd, ys,
                              yStride);
}

template <Isa Which, int Bits>
void allRows(const uint8_t *qx, int64_t rowCount, int64_t k,
             const PackedLayout &weights, int64_t groupSize, int64_t nBegin,
             int64_t nEnd, float *y, int64_t yStride) {
  ActivationLayout layout = activationLayout(k, groupSize);
  auto rowsFrom = [&](int64_t first, QuantizedRow *rows, int count) {
    for (int r = 0; r < count; ++r)
      rows[r] =
          QuantizedRow{qx + (first + r) * layout.rowBytes, layout, nullptr};
  };
  QuantizedRow rows[4];
  // Group sums: the VNNI kernel's offset term, every kernel's zero points.
  bool needSums = Which == Isa::Vnni || weights.zeroPoints;
  float *groupSums = needSums
                         ? static_cast<float *>(__builtin_alloca(
                               sizeof(float) * 4 *
                               (layout.chunks * kChunkCodes / groupSize + 1)))
                         : nullptr;
  auto prepare = [&](int count) {
    if (needSums)
      fillGroupSums(rows, count, groupSize, groupSums);
  };
  int64_t r = 0;
  for (; r + 4 <= rowCount; r += 4) {
    rowsFrom(r, rows, 4);
    prepare(4);
    runRowBlock<Which, 4, Bits>(rows, weights, k, groupSize, nBegin, nEnd,
                                y + r * yStride, yStride);
  }
  int left = static_cast<int>(rowCount - r);
  rowsFrom(r, rows, left);
  prepare(left);
  if (left == 3)
    runRowBlock<Which, 3, Bits>(rows, weights, k, groupSize, nBegin, nEnd,
                                y + r * yStride, yStride);
  else if (left == 2)
    runRowBlock<Which, 2, Bits>(rows, weights, k, groupSize, nBegin, nEnd,
                                y + r * yStride, yStride);
  else if (left == 1)
    runRowBlock<Which, 1, Bits>(rows, weights, k, groupSize, nBegin, nEnd,
                                y + r * yStride, yStride);
}

template <Isa Which>
int64_t groupwiseLinearA8(const uint8_t *qx, int64_t rows, int64_t k,
                          const uint8_t *packed, int64_t nTotal, int64_t nBegin,
                          int64_t nEnd, float *y, int64_t yStride, int64_t bits,
                          int64_t groupSize, int64_t zeroPoints) {
  if (!a8KernelHandles(bits, groupSize))
    return -1;
  PackedLayout weights(packed, nTotal, k, bits, groupSize, zeroPoints != 0);
  withCodeBits(bits, [&](auto bitsConstant) {
    allRows<Which, decltype(bitsConstant)::value>(
        qx, rows, k, weights, groupSize, nBegin, nEnd, y, yStride);
  });
  return 0;
}

} // namespace

extern "C" {

/// Quantizes rows x[r * xStride + j] (r < rows, j < k) to `out`, rows of
/// activationLayout(k, groupSize).rowBytes bytes each, for a weight of
/// `bits` with groups of `groupSize` (activationCodesHandle), as
/// lowbit.linear defines it: `activationBits`-bit codes, a scale per block
/// of 32 or, when `perToken`, per row, covering `clipBits` (an f32's bits)
/// times max|x|. Returns 0, or -1 for a format the a8 kernels do not handle.
int64_t lbc_ukernel_quantize_activations(int64_t x, int64_t rows, int64_t k,
                                         int64_t xStride, int64_t out,
                                         int64_t bits, int64_t groupSize,
                                         int64_t activationBits,
                                         int64_t perToken, int64_t clipBits) {
  if (!activationCodesHandle(bits, groupSize) || activationBits < 2 ||
      activationBits > 8)
    return -1;
  QuantizeSettings settings =
      quantizeSettings(activationBits, perToken, clipBits);
  ActivationLayout layout = activationLayout(k, groupSize);
  for (int64_t r = 0; r < rows; ++r)
    quantizeRow(reinterpret_cast<const float *>(x) + r * xStride, k, bits,
                groupSize, settings, layout,
                reinterpret_cast<uint8_t *>(out) + r * layout.rowBytes);
  return 0;
}

/// lbc_ukernel_quantize_activations of the rows x M_n (lowbit.hadamard
/// followed by a linear with activation_bits), each row rotated into a
/// stack buffer and quantized from there: the rotated rows never go to
/// memory. n = k = powerOfTwo * hk, `factor` the hk x hk scaled H_K (as
/// lbc_ukernel_hadamard takes them). Returns -1 for k above
/// kMaxRotatedInputs or a format the a8 kernels do not handle.
int64_t lbc_ukernel_quantize_rotated_activations(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t out,
    int64_t bits, int64_t groupSize, int64_t activationBits, int64_t perToken,
    int64_t clipBits, int64_t powerOfTwo, int64_t hk, int64_t factor) {
  if (!activationCodesHandle(bits, groupSize) || activationBits < 2 ||
      activationBits > 8 || k > kMaxRotatedInputs || k != powerOfTwo * hk)
    return -1;
  QuantizeSettings settings =
      quantizeSettings(activationBits, perToken, clipBits);
  ActivationLayout layout = activationLayout(k, groupSize);
  float rotated[kMaxRotatedInputs] __attribute__((aligned(64)));
  for (int64_t r = 0; r < rows; ++r) {
    hadamardRow(reinterpret_cast<const float *>(x) + r * xStride, rotated, k,
                powerOfTwo, hk, reinterpret_cast<const float *>(factor));
    quantizeRow(rotated, k, bits, groupSize, settings, layout,
                reinterpret_cast<uint8_t *>(out) + r * layout.rowBytes);
  }
  return 0;
}

/// y[r * yStride + n] = sum_j xq[r, j] * W[n, j] for r < rows and n in
/// [nBegin, nEnd): lbc_ukernel_groupwise_linear's contract (zeroPoints != 0:
/// f16 zero points after the scales) with the input given as `qx`, rows
/// quantized by lbc_ukernel_quantize_activations.
int64_t lbc_ukernel_groupwise_linear_a8(int64_t qx, int64_t rows, int64_t k,
                                        int64_t packed, int64_t nTotal,
                                        int64_t nBegin, int64_t nEnd, int64_t y,
                                        int64_t yStride, int64_t bits,
                                        int64_t groupSize, int64_t zeroPoints) {
  return groupwiseLinearA8<Isa::Portable>(
      reinterpret_cast<const uint8_t *>(qx), rows, k,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits, groupSize, zeroPoints);
}

#if defined(__x86_64__)
/// lbc_ukernel_groupwise_linear_a8 for CPUs with AVX-512 VNNI.
LBC_VNNI int64_t lbc_ukernel_groupwise_linear_a8__avx512vnni(
    int64_t qx, int64_t rows, int64_t k, int64_t packed, int64_t nTotal,
    int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride, int64_t bits,
    int64_t groupSize, int64_t zeroPoints) {
  return groupwiseLinearA8<Isa::Vnni>(
      reinterpret_cast<const uint8_t *>(qx), rows, k,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits, groupSize, zeroPoints);
}
#endif

#if defined(__aarch64__)
/// lbc_ukernel_groupwise_linear_a8 for CPUs with the dot-product extension.
LBC_DOTPROD int64_t lbc_ukernel_groupwise_linear_a8__dotprod(
    int64_t qx, int64_t rows, int64_t k, int64_t packed, int64_t nTotal,
    int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride, int64_t bits,
    int64_t groupSize, int64_t zeroPoints) {
  return groupwiseLinearA8<Isa::Dotprod>(
      reinterpret_cast<const uint8_t *>(qx), rows, k,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits, groupSize, zeroPoints);
}
#endif

} // extern "C"
