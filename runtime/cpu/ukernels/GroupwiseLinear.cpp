//===- GroupwiseLinear.cpp - fused dequantize + linear microkernel --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// y = x W^T for a weight packed in lbc's group-wise format (symmetric, f16
// scales; 8-bit codes lsb-first, 4-bit codes in split-halves order;
// lib/Support/GroupwiseCodec.h defines the bytes), decoding each group in
// registers: the weight is never expanded to f32 in memory. Written with
// Clang's target-independent vector types and compiled to LLVM bitcode at
// build time; lbc links the bitcode into every artifact that calls it, where
// it is code-generated for the artifact's CPU (AVX-512, AVX2). Depends on
// nothing but the compiler.
//
//===----------------------------------------------------------------------===//

#include "PackedWeights.h"
#include "PanelGemm.h"
#include "PreparedRow.h"
#include "SpanWalk.h"
#include "VectorOps.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace lbc::ukernels;

namespace {

// The decoders return codes as stored (0 .. 2^bits - 1), as floats: the
// zero point (2^(bits-1) without one) is applied through each group's input
// sum, computed once per call, rather than per weight.

/// Codes 0..15 and 16..31 of a 4-bit group of 32 in llama.cpp's Q4_0 nibble
/// order (16 bytes; byte j holds code j in its low nibble and code j + 16 in
/// its high one) as floats: the bytes widened to 32 bits in one load, then
/// two contiguous halves by a mask and a shift, no shuffles.
inline void decode4(const uint8_t *codes, Floats16 &first, Floats16 &second) {
  Ints16 bytes = widenBytes(load<Bytes16>(codes));
  first = __builtin_convertvector(bytes & 15, Floats16);
  second = __builtin_convertvector(bytes >> 4, Floats16);
}

/// Codes of an 8-bit group piece of 16 as floats.
inline Floats16 decode8(const uint8_t *codes) {
  return __builtin_convertvector(
      __builtin_convertvector(load<Bytes16>(codes), Ints16), Floats16);
}

#define LBC_SEQ16(F, o)                                                        \
  F(o + 0), F(o + 1), F(o + 2), F(o + 3), F(o + 4), F(o + 5), F(o + 6),        \
      F(o + 7), F(o + 8), F(o + 9), F(o + 10), F(o + 11), F(o + 12),           \
      F(o + 13), F(o + 14), F(o + 15)
#define LBC_SEQ32(F) LBC_SEQ16(F, 0), LBC_SEQ16(F, 16)

/// Codes 0..15 and 16..31 of a piece of 32 `Bits`-bit codes packed
/// lsb-first (code i at bits [Bits i, Bits i + Bits) of the piece's 4 Bits
/// bytes) as floats. Each code is the 16-bit window of
/// the two bytes it touches shifted right by its bit offset: two byte
/// shuffles and one variable 16-bit shift (vpsrlvw) for 32 codes. Reads
/// 32 bytes from `codes`: the blob's sections are padded to 64 bytes.
template <int Bits>
inline void decodeLsbFirst(const uint8_t *codes, Floats16 &first,
                           Floats16 &second) {
  typedef uint16_t Shorts32 __attribute__((ext_vector_type(32)));
  typedef uint16_t Shorts16 __attribute__((ext_vector_type(16)));
  Bytes32 raw = load<Bytes32>(codes);
#define LBC_LOW_BYTE(i) ((Bits * (i)) / 8)
#define LBC_HIGH_BYTE(i) ((Bits * (i)) / 8 + 1)
#define LBC_SHIFT(i) ((Bits * (i)) % 8)
  Shorts32 low = __builtin_convertvector(
      __builtin_shufflevector(raw, raw, LBC_SEQ32(LBC_LOW_BYTE)), Shorts32);
  Shorts32 high = __builtin_convertvector(
      __builtin_shufflevector(raw, raw, LBC_SEQ32(LBC_HIGH_BYTE)), Shorts32);
  const Shorts32 shifts = {LBC_SEQ32(LBC_SHIFT)};
#undef LBC_LOW_BYTE
#undef LBC_HIGH_BYTE
#undef LBC_SHIFT
  Shorts32 values =
      ((low | high << (uint16_t)8) >> shifts) & (uint16_t)((1 << Bits) - 1);
  Shorts16 a = __builtin_shufflevector(values, values, LBC_SEQ16(, 0));
  Shorts16 b = __builtin_shufflevector(values, values, LBC_SEQ16(, 16));
  first = __builtin_convertvector(a, Floats16);
  second = __builtin_convertvector(b, Floats16);
}

#undef LBC_SEQ32
#undef LBC_SEQ16

/// Codes [piece, piece + 32) of a group in stored order as two vectors of
/// floats: w0 holds the codes of inputs [first, first + 16), w1 those of
/// [second, second + 16). 4-bit groups keep llama.cpp's Q4_0 order (bytes
/// [piece/2, piece/2 + 16): low nibbles for piece/2 on, high nibbles for
/// groupSize/2 + piece/2 on); other widths are in input order.
template <int Bits>
inline void decodePiece(const uint8_t *codes, int64_t piece, int64_t groupSize,
                        Floats16 &w0, Floats16 &w1, int64_t &first,
                        int64_t &second) {
  if (Bits == 4) {
    decode4(codes + piece / 2, w0, w1);
    first = piece / 2;
    second = groupSize / 2 + piece / 2;
  } else if (Bits == 8) {
    w0 = decode8(codes + piece);
    w1 = decode8(codes + piece + 16);
    first = piece;
    second = piece + 16;
  } else {
    decodeLsbFirst<Bits>(codes + piece * Bits / 8, w0, w1);
    first = piece;
    second = piece + 16;
  }
}

/// The scales of output n's groups [g0, g0 + count) as f32, into `scales`.
inline void loadScales(const PackedLayout &layout, int64_t n, int64_t g0,
                       int64_t count, float *__restrict scales) {
  for (int64_t i = 0; i < count; ++i)
    scales[i] = loadHalf(layout.rowScales(n) + 2 * (g0 + i));
}

/// Adds the last group of a k that the group size does not divide (when
/// there is one) to rows [0, Rows) of y, one product at a time.
template <int Rows, int Bits, bool ZeroPoints>
void addLastGroup(const float *__restrict xs, int64_t k, int64_t xStride,
                  const PackedLayout &layout, int64_t groupSize, int64_t nBegin,
                  int64_t nEnd, float *__restrict ys, int64_t yStride) {
  if (layout.fullGroups == layout.groupsPerRow)
    return;
  const int64_t tailStart = layout.fullGroups * groupSize;
  for (int64_t n = nBegin; n < nEnd; ++n) {
    const uint8_t *codes =
        layout.rowCodes(n) + layout.fullGroups * layout.groupBytes;
    float scale = loadHalf(layout.rowScales(n) + 2 * layout.fullGroups);
    float zeroPoint =
        ZeroPoints ? loadHalf(layout.rowZeroPoints(n) + 2 * layout.fullGroups)
                   : float(1 << (Bits - 1));
    for (int r = 0; r < Rows; ++r) {
      float partial = 0.0f;
      for (int64_t j = tailStart; j < k; ++j)
        partial += (float(storedCode(codes, j - tailStart, Bits, groupSize)) -
                    zeroPoint) *
                   xs[r * xStride + j];
      ys[r * yStride + n] += partial * scale;
    }
  }
}

/// Rows [r0, r0 + Rows) of y for outputs [nBegin, nEnd): each decoded group
/// serves all Rows rows, k walked in spans (SpanWalk.h). Compile-time Rows
/// and Bits keep the accumulators in registers; a single row uses two
/// accumulators (even and odd groups) so that the FMA latency of one chain
/// does not bound the loop. Per group g: s_g (sum_j q_j x_j - z_g sum_j x_j),
/// the second term from the span's input sums and the scales, outside the
/// code loop.
template <int Rows, int Bits, bool ZeroPoints>
void rowBlock(const float *__restrict xs, int64_t k, int64_t xStride,
              const PackedLayout &layout, int64_t groupSize, int64_t nBegin,
              int64_t nEnd, float *__restrict ys, int64_t yStride) {
  constexpr int Chains = Rows == 1 ? 2 : 1;
  constexpr int64_t kMaxSpanGroups = kSpanInputs / Rows / 32;
  const int64_t span = unitsPerSpan(Rows, groupSize);
  const int64_t ahead = outputsAhead(span * layout.groupBytes);
  // The span's group scales as f32: the FMA that applies a group's scale
  // then broadcasts it from memory instead of converting it (three
  // shuffle-port operations per group, the loop's bottleneck). Fixed
  // buffers: a variable-length one would keep the kernel from being inlined
  // and specialized for the call's constant shapes.
  float scales[kMaxSpanGroups], offsets[kMaxSpanGroups];
  float inputSums[Rows][kMaxSpanGroups];
  auto startSpan = [&](int64_t g0, int64_t g1) {
    for (int r = 0; r < Rows; ++r)
      for (int64_t g = g0; g < g1; ++g) {
        const float *at = xs + r * xStride + g * groupSize;
        Floats16 partial = load<Floats16>(at);
        for (int64_t j = 16; j < groupSize; j += 16)
          partial += load<Floats16>(at + j);
        inputSums[r][g - g0] = sum(partial);
      }
  };
  auto spanDot = [&](int64_t n, int64_t g0, int64_t g1, float *partial) {
    const int64_t count = g1 - g0;
    const uint8_t *rowCodes = layout.rowCodes(n) + g0 * layout.groupBytes;
    const uint8_t *aheadCodes =
        layout.rowCodes(n + ahead) + g0 * layout.groupBytes;
    loadScales(layout, n, g0, count, scales);
    for (int64_t i = 0; i < count; ++i)
      offsets[i] =
          (ZeroPoints ? loadHalf(layout.rowZeroPoints(n) + 2 * (g0 + i))
                      : float(1 << (Bits - 1))) *
          scales[i];
    prefetchRun(layout.rowScales(n + ahead) + 2 * g0, 2 * count);
    if (ZeroPoints)
      prefetchRun(layout.rowZeroPoints(n + ahead) + 2 * g0, 2 * count);
    Floats16 acc[Chains][Rows] = {};
    for (int64_t i = 0; i < count; ++i) {
      const uint8_t *codes = rowCodes + i * layout.groupBytes;
      const float *at = xs + (g0 + i) * groupSize;
      // One prefetch per group keeps them spread over the loop (a burst at
      // the run's start measured slower for 8-bit codes).
      prefetchLine(aheadCodes + i * layout.groupBytes);
      Floats16 dot[Rows];
      // 32 codes per step: w0 pairs with x at `first`, w1 at `second`.
      for (int64_t piece = 0; piece < groupSize; piece += 32) {
        Floats16 w0, w1;
        int64_t first, second;
        decodePiece<Bits>(codes, piece, groupSize, w0, w1, first, second);
        for (int r = 0; r < Rows; ++r) {
          Floats16 x0 = load<Floats16>(at + r * xStride + first);
          Floats16 x1 = load<Floats16>(at + r * xStride + second);
          // The first piece starts the sums (adding to zero would cost an
          // add: -0.0 + x is not folded).
          dot[r] = piece == 0 ? w0 * x0 + w1 * x1 : dot[r] + w0 * x0 + w1 * x1;
        }
      }
      // The scale multiplies the group's partial dot product once.
      for (int r = 0; r < Rows; ++r)
        acc[i % Chains][r] += dot[r] * scales[i];
    }
    for (int r = 0; r < Rows; ++r) {
      // The zero points' share, 16 groups per vector (a scalar chain of
      // dependent FMAs would cost more than the codes).
      Floats16 corrections = 0.0f;
      int64_t i = 0;
      for (; i + 16 <= count; i += 16)
        corrections +=
            load<Floats16>(offsets + i) * load<Floats16>(inputSums[r] + i);
      float correction = sum(corrections);
      for (; i < count; ++i)
        correction += offsets[i] * inputSums[r][i];
      Floats16 both = acc[0][r];
      if (Chains == 2)
        both += acc[Chains - 1][r];
      partial[r] = sum(both) - correction;
    }
  };
  walkSpans<Rows>(layout.fullGroups, span, nBegin, nEnd, ys, yStride, startSpan,
                  spanDot);
  addLastGroup<Rows, Bits, ZeroPoints>(xs, k, xStride, layout, groupSize,
                                       nBegin, nEnd, ys, yStride);
}

#if defined(__x86_64__)
/// rowBlock for 4-bit codes on AVX-512. A 4-bit group has only 16 distinct
/// weights: (q - z) s for q < 16 is computed once per group into one
/// register (exact: a product of two f16 values fits f32's significand) and
/// the codes are looked up in it with vpermps, which reads only an index's
/// low 4 bits, so the low nibble needs no mask. Per 32 weights: a widening
/// load, a shift, two lookups, the table and two FMAs, where rowBlock
/// converts both halves and scales the group's dot product afterwards (one
/// operation more, the loop's bound: it is as fast on weights in L3 as from
/// DRAM).
template <int Rows, bool ZeroPoints>
LBC_AVX512 void lookupRowBlock(const float *__restrict xs, int64_t k,
                               int64_t xStride, const PackedLayout &layout,
                               int64_t groupSize, int64_t nBegin, int64_t nEnd,
                               float *__restrict ys, int64_t yStride) {
  // Accumulator chains per half for one row: a single one would be bound
  // by the FMA latency (2 and 4 measured the same).
  constexpr int Chains = Rows == 1 ? 4 : 1;
  constexpr int64_t kMaxSpanGroups = kSpanInputs / Rows / 32;
  const int64_t span = unitsPerSpan(Rows, groupSize);
  const int64_t ahead = outputsAhead(span * layout.groupBytes);
  const int64_t half = groupSize / 2;
  const __m512 codeValues =
      _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 centred = _mm512_sub_ps(codeValues, _mm512_set1_ps(8.0f));
  float scales[kMaxSpanGroups], shifts[kMaxSpanGroups];
  auto spanDot = [&](int64_t n, int64_t g0, int64_t g1,
                     float *partial) LBC_AVX512 {
    const int64_t count = g1 - g0;
    const uint8_t *rowCodes = layout.rowCodes(n) + g0 * layout.groupBytes;
    const uint8_t *aheadCodes =
        layout.rowCodes(n + ahead) + g0 * layout.groupBytes;
    loadScales(layout, n, g0, count, scales);
    if (ZeroPoints)
      for (int64_t i = 0; i < count; ++i)
        shifts[i] =
            -loadHalf(layout.rowZeroPoints(n) + 2 * (g0 + i)) * scales[i];
    prefetchRun(layout.rowScales(n + ahead) + 2 * g0, 2 * count);
    if (ZeroPoints)
      prefetchRun(layout.rowZeroPoints(n + ahead) + 2 * g0, 2 * count);
    __m512 acc[Chains][2][Rows];
    for (int c = 0; c < Chains; ++c)
      for (int h = 0; h < 2; ++h)
        for (int r = 0; r < Rows; ++r)
          acc[c][h][r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < count; ++i) {
      const uint8_t *codes = rowCodes + i * layout.groupBytes;
      const float *at = xs + (g0 + i) * groupSize;
      prefetchLine(aheadCodes + i * layout.groupBytes);
      const __m512 table =
          ZeroPoints ? _mm512_fmadd_ps(codeValues, _mm512_set1_ps(scales[i]),
                                       _mm512_set1_ps(shifts[i]))
                     : _mm512_mul_ps(centred, _mm512_set1_ps(scales[i]));
      // Q4_0 order: byte j of a piece holds input j (low nibble) and input
      // half + j (high nibble).
      for (int64_t piece = 0; piece < half; piece += 16) {
        __m512i bytes = _mm512_cvtepu8_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i *>(codes + piece)));
        __m512 low = _mm512_permutexvar_ps(bytes, table);
        __m512 high = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), table);
        for (int r = 0; r < Rows; ++r) {
          __m512 &lowSum = acc[i % Chains][0][r];
          __m512 &highSum = acc[i % Chains][1][r];
          lowSum = _mm512_fmadd_ps(
              low, _mm512_loadu_ps(at + r * xStride + piece), lowSum);
          highSum = _mm512_fmadd_ps(
              high, _mm512_loadu_ps(at + r * xStride + half + piece), highSum);
        }
      }
    }
    for (int r = 0; r < Rows; ++r) {
      __m512 total = _mm512_add_ps(acc[0][0][r], acc[0][1][r]);
      for (int c = 1; c < Chains; ++c)
        total = _mm512_add_ps(total, _mm512_add_ps(acc[c][0][r], acc[c][1][r]));
      partial[r] = _mm512_reduce_add_ps(total);
    }
  };
  walkSpans<Rows>(
      layout.fullGroups, span, nBegin, nEnd, ys, yStride,
      [](int64_t, int64_t) {}, spanDot);
  addLastGroup<Rows, 4, ZeroPoints>(xs, k, xStride, layout, groupSize, nBegin,
                                    nEnd, ys, yStride);
}

/// Whether int16Row takes a 4-bit or 8-bit weight: groups of 32, 64 or 128
/// (whole 32-byte code loads: two 4-bit groups of 32 share one).
inline bool int16RowHandles(const PackedLayout &layout, int64_t groupSize) {
  return (groupSize == 32 || groupSize == 64 || groupSize == 128) &&
         layout.fullGroups * layout.groupBytes % 32 == 0;
}

/// x of one row for int16Row: int16 codes with a step per group
/// (quantizeInputsInt16) in the order int16Row's 32-byte code loads see
/// them. 8-bit codes keep the inputs' order; for 4-bit ones, per load (64
/// inputs), the 32 inputs of its low nibbles, then the 32 of its high ones
/// (a byte j of a group's codes holds inputs j and groupBytes + j, Q4_0
/// order, so each 16-byte piece reads two runs of 16 inputs). groupSums
/// (room for one per 16 inputs) gets each full group's sum of the quantized
/// inputs.
template <int Bits>
LBC_AVX512_BF16 void
quantizeGroupwiseInputs(const float *x, const PackedLayout &layout,
                        int64_t groupSize, int16_t *scratch, int16_t *codes,
                        float *steps, float *groupSums) {
  const int64_t inputs = layout.fullGroups * groupSize;
  // Per 16 inputs first, then summed per group in place; 8-bit codes take
  // the inputs in order, 4-bit ones are reordered from `scratch` below.
  quantizeInputsInt16(x, inputs, groupSize, Bits == 8 ? codes : scratch, steps,
                      groupSums);
  for (int64_t g = 0; g < layout.fullGroups; ++g) {
    float sum = 0.0f;
    for (int64_t i = 0; i < groupSize / 16; ++i)
      sum += groupSums[g * groupSize / 16 + i];
    groupSums[g] = sum;
  }
  if (Bits == 8)
    return;
  const int64_t pieces = inputs / 32;
  for (int64_t q = 0; q < pieces; ++q) {
    const int64_t group = q * 16 / layout.groupBytes;
    const int64_t first = q * 16 % layout.groupBytes;
    for (int64_t nibble = 0; nibble < 2; ++nibble)
      std::memcpy(codes + q / 2 * 64 + nibble * 32 + q % 2 * 16,
                  scratch + group * groupSize + nibble * layout.groupBytes +
                      first,
                  16 * sizeof(int16_t));
  }
}

/// Whether rows of x end in a single row that int16Row takes (the
/// AVX512-BF16 variant, 4- and 8-bit codes): fewer rows than the
/// register-tiled GEMM wants (or groups too long for its chunks), one more
/// than a multiple of 4.
inline bool takesOneRowForm(int64_t rows, int64_t bits,
                            const PackedLayout &layout, int64_t groupSize) {
  return (rows < kPanelMinRows || groupSize > kPanelChunk) && rows % 4 == 1 &&
         (bits == 4 || bits == 8) && int16RowHandles(layout, groupSize);
}

/// A prepared row (PreparedRow.h) for int16Row: the codes, room to reorder
/// them, a sum per 16 inputs then per group, and a step per group.
struct GroupwiseRow {
  int16_t *codes, *scratch;
  float *groupSums, *steps;
};

inline GroupwiseRow rowSections(const PackedLayout &layout, int64_t groupSize,
                                uint8_t *buffer) {
  const int64_t inputs = layout.fullGroups * groupSize;
  PreparedRowCursor cursor{buffer};
  GroupwiseRow row;
  row.codes = cursor.take<int16_t>(inputs);
  row.scratch = cursor.take<int16_t>(inputs);
  row.groupSums = cursor.take<float>(inputs / 16);
  row.steps = cursor.take<float>(layout.fullGroups);
  return row;
}

/// Writes int16Row's form of x into `buffer`.
template <int Bits>
LBC_AVX512_BF16 void prepareRow(const float *x, const PackedLayout &layout,
                                int64_t groupSize, uint8_t *buffer) {
  const GroupwiseRow row = rowSections(layout, groupSize, buffer);
  quantizeGroupwiseInputs<Bits>(x, layout, groupSize, row.scratch, row.codes,
                                row.steps, row.groupSums);
}

/// lookupRowBlock (4-bit codes) or rowBlock (8-bit) for one row on CPUs
/// with AVX512-VNNI, -BF16 and -VBMI (Zen 4 and later, Sapphire Rapids and
/// later), with 16-bit integer dot products on quantizeGroupwiseInputs'
/// codes, where the lookups and tables ran out of shuffle ports: a load's
/// 32 code bytes widened to 16-bit lanes give 64 4-bit codes by an AND (low
/// nibbles) and highNibbles, or 32 8-bit ones as they are; vpmaddwd and
/// vpdpwssd dot them with x's codes into int32 lanes, and one conversion and
/// one FMA by scale * step finish the load (for 4-bit groups of 32, lanes
/// 0..7 take one group's factor and 8..15 the next's). For 8-bit codes this
/// is four operations per 32 weights where rowBlock's conversions to f32
/// take seven. The zero point's term comes from
/// the sums of the quantized inputs: y = sum_g s_g step_g dot_g - sum_g z_g
/// s_g sum_{j in g} x_j. Session 12's bf16 form of this loop (x in bf16 hi
/// and lo parts, four vdpbf16ps per load) ran 1.5 times slower on a
/// Sapphire Rapids class Xeon, which issues one vdpbf16ps per cycle.
template <int Bits, bool ZeroPoints, int GroupSize>
LBC_AVX512_BF16 void int16Row(const int16_t *inputs, const float *inputSteps,
                              const float *groupSums,
                              const PackedLayout &layout, int64_t nBegin,
                              int64_t nEnd, float *__restrict ys) {
  constexpr int Chains = 4;
  constexpr int64_t kMaxSpanGroups = kSpanInputs / 32;
  constexpr int64_t kGroupBytes = GroupSize * Bits / 8;
  // Inputs per 32-byte load.
  constexpr int64_t kLoadInputs = 256 / Bits;
  constexpr bool kPairedGroups = kGroupBytes == 16;
  constexpr int64_t kLoadsPerGroup = kPairedGroups ? 1 : kGroupBytes / 32;
  const int64_t span = unitsPerSpan(1, GroupSize);
  const int64_t ahead = outputsAhead(span * kGroupBytes);
  const __m512i lowNibble = _mm512_set1_epi16(15);
  alignas(64) float factors[kMaxSpanGroups];
  auto spanDot = [&](int64_t n, int64_t g0, int64_t g1,
                     float *partial) LBC_AVX512_BF16 {
    const int64_t count = g1 - g0;
    // scale * step for the products, and the zero point's term, 16 groups
    // at a time.
    __m512 offsets = _mm512_setzero_ps();
    for (int64_t i = 0; i < count; i += 16) {
      const __mmask16 valid = count - i >= 16
                                  ? __mmask16(0xFFFF)
                                  : __mmask16((1u << (count - i)) - 1);
      __m512 scale = _mm512_cvtph_ps(
          _mm256_maskz_loadu_epi16(valid, layout.rowScales(n) + 2 * (g0 + i)));
      _mm512_store_ps(factors + i,
                      _mm512_mul_ps(scale, _mm512_maskz_loadu_ps(
                                               valid, inputSteps + g0 + i)));
      __m512 zero = ZeroPoints
                        ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(
                              valid, layout.rowZeroPoints(n) + 2 * (g0 + i)))
                        : _mm512_set1_ps(float(1 << (Bits - 1)));
      offsets = _mm512_fmadd_ps(
          _mm512_mul_ps(zero, scale),
          _mm512_maskz_loadu_ps(valid, groupSums + g0 + i), offsets);
    }
    prefetchRun(layout.rowScales(n + ahead) + 2 * g0, 2 * count);
    if (ZeroPoints)
      prefetchRun(layout.rowZeroPoints(n + ahead) + 2 * g0, 2 * count);
    const uint8_t *rowCodes = layout.rowCodes(n) + g0 * kGroupBytes;
    const uint8_t *aheadCodes = layout.rowCodes(n + ahead) + g0 * kGroupBytes;
    const int16_t *xs = inputs + g0 * GroupSize;
    const int64_t loads = count * kGroupBytes / 32;
    __m512 acc[Chains];
    for (int c = 0; c < Chains; ++c)
      acc[c] = _mm512_setzero_ps();
    auto addLoad = [&](int64_t l, __m512 &sum) LBC_AVX512_BF16 {
      if (l % 2 == 0)
        prefetchLine(aheadCodes + 32 * l);
      __m512i words = _mm512_cvtepu8_epi16(_mm256_loadu_si256(
          reinterpret_cast<const __m256i *>(rowCodes + 32 * l)));
      const int16_t *x = xs + kLoadInputs * l;
      __m512i dot;
      if (Bits == 8) {
        dot = _mm512_madd_epi16(words, _mm512_loadu_si512(x));
      } else {
        dot = _mm512_madd_epi16(_mm512_and_si512(words, lowNibble),
                                _mm512_loadu_si512(x));
        dot = dotAccumulateInt16(dot, highNibbles(words),
                                 _mm512_loadu_si512(x + 32));
      }
      __m512 factor =
          kPairedGroups
              ? _mm512_shuffle_f32x4(_mm512_set1_ps(factors[2 * l]),
                                     _mm512_set1_ps(factors[2 * l + 1]), 0)
              : _mm512_set1_ps(factors[l / kLoadsPerGroup]);
      sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), factor, sum);
    };
    int64_t l = 0;
    for (; l + Chains <= loads; l += Chains)
      for (int c = 0; c < Chains; ++c)
        addLoad(l + c, acc[c]);
    for (; l < loads; ++l)
      addLoad(l, acc[0]);
    __m512 total = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
                                 _mm512_add_ps(acc[2], acc[3]));
    partial[0] = _mm512_reduce_add_ps(total) - _mm512_reduce_add_ps(offsets);
  };
  walkSpans<1>(
      layout.fullGroups, span, nBegin, nEnd, ys, 0, [](int64_t, int64_t) {},
      spanDot);
}
#endif

/// The kernels an entry point is built from.
enum class Isa { Portable, Avx512, Avx512Bf16 };

/// Decodes one weight row's codes [k0, k0 + count) (k0 a multiple of the
/// group size) to f32, scales and zero points applied, into `out`.
template <int Bits, bool ZeroPoints>
void decodeRowRange(const PackedLayout &layout, int64_t groupSize, int64_t n,
                    int64_t k0, int64_t count, float *__restrict out) {
  const uint8_t *rowCodes = layout.rowCodes(n);
  const uint8_t *rowScales = layout.rowScales(n);
  for (int64_t base = 0; base < count; base += groupSize) {
    int64_t g = (k0 + base) / groupSize;
    const uint8_t *codes = rowCodes + g * layout.groupBytes;
    float scale = loadHalf(rowScales + 2 * g);
    // (q - z) s with z the zero point (2^(b-1) without one).
    float shift = -(ZeroPoints ? loadHalf(layout.rowZeroPoints(n) + 2 * g)
                               : float(1 << (Bits - 1))) *
                  scale;
    float *at = out + base;
    if (g >= layout.fullGroups) {
      // The last group of a k that the group size does not divide.
      for (int64_t j = 0; base + j < count; ++j)
        at[j] = float(storedCode(codes, j, Bits, groupSize)) * scale + shift;
      continue;
    }
    for (int64_t piece = 0; piece < groupSize; piece += 32) {
      Floats16 w0, w1;
      int64_t first, second;
      decodePiece<Bits>(codes, piece, groupSize, w0, w1, first, second);
      w0 = w0 * scale + shift;
      w1 = w1 * scale + shift;
      std::memcpy(at + first, &w0, sizeof(w0));
      std::memcpy(at + second, &w1, sizeof(w1));
    }
  }
}

/// Prefill-shaped calls: weight panels decoded once per k chunk
/// (PanelGemm.h), a chunk of whole groups.
template <int Bits, bool ZeroPoints, int Vectors>
void panelRows(const float *__restrict x, int64_t rows, int64_t k,
               int64_t xStride, const PackedLayout &layout, int64_t groupSize,
               int64_t nBegin, int64_t nEnd, float *__restrict y,
               int64_t yStride) {
  panelGemm<Vectors>(
      x, rows, k, xStride, kPanelChunk / groupSize * groupSize, nBegin, nEnd, y,
      yStride, [&](int64_t n, int64_t k0, int64_t kc, float *out) {
        decodeRowRange<Bits, ZeroPoints>(layout, groupSize, n, k0, kc, out);
      });
}

template <int Bits, bool ZeroPoints, Isa Which>
void allRows(const float *__restrict x, int64_t rows, int64_t k,
             int64_t xStride, const PackedLayout &layout, int64_t groupSize,
             int64_t nBegin, int64_t nEnd, float *__restrict y, int64_t yStride,
             [[maybe_unused]] uint8_t *prepared) {
  if (rows >= kPanelMinRows && groupSize <= kPanelChunk) {
    // A 6 x 64 register tile in 32 zmm registers, 6 x 8 in 16 ymm.
    panelRows<Bits, ZeroPoints, Which == Isa::Portable ? 1 : 4>(
        x, rows, k, xStride, layout, groupSize, nBegin, nEnd, y, yStride);
    return;
  }
#if defined(__x86_64__)
  if constexpr (Which == Isa::Avx512Bf16 && (Bits == 4 || Bits == 8)) {
    if (prepared && takesOneRowForm(rows, Bits, layout, groupSize)) {
      // Rows in blocks of 4 below (sharing each decoded group); a last
      // single row takes the 16-bit integer dot products on x as prepared.
      const int64_t last = rows - 1;
      const GroupwiseRow row = rowSections(layout, groupSize, prepared);
      float *lastY = y + last * yStride;
      if (groupSize == 32)
        int16Row<Bits, ZeroPoints, 32>(row.codes, row.steps, row.groupSums,
                                       layout, nBegin, nEnd, lastY);
      else if (groupSize == 64)
        int16Row<Bits, ZeroPoints, 64>(row.codes, row.steps, row.groupSums,
                                       layout, nBegin, nEnd, lastY);
      else
        int16Row<Bits, ZeroPoints, 128>(row.codes, row.steps, row.groupSums,
                                        layout, nBegin, nEnd, lastY);
      addLastGroup<1, Bits, ZeroPoints>(x + last * xStride, k, xStride, layout,
                                        groupSize, nBegin, nEnd,
                                        y + last * yStride, yStride);
      rows = last;
    }
  }
#endif
  auto block = [&](auto rowCount, int64_t r) {
#if defined(__x86_64__)
    if constexpr (Which != Isa::Portable && Bits == 4) {
      lookupRowBlock<decltype(rowCount)::value, ZeroPoints>(
          x + r * xStride, k, xStride, layout, groupSize, nBegin, nEnd,
          y + r * yStride, yStride);
      return;
    }
#endif
    rowBlock<decltype(rowCount)::value, Bits, ZeroPoints>(
        x + r * xStride, k, xStride, layout, groupSize, nBegin, nEnd,
        y + r * yStride, yStride);
  };
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4)
    block(std::integral_constant<int, 4>(), r);
  switch (rows - r) {
  case 3:
    block(std::integral_constant<int, 3>(), r);
    break;
  case 2:
    block(std::integral_constant<int, 2>(), r);
    break;
  case 1:
    block(std::integral_constant<int, 1>(), r);
    break;
  default:
    break;
  }
}

template <Isa Which>
int64_t groupwiseLinear(const float *__restrict x, int64_t rows, int64_t k,
                        int64_t xStride, const uint8_t *__restrict packed,
                        int64_t nTotal, int64_t nBegin, int64_t nEnd,
                        float *__restrict y, int64_t yStride, int64_t bits,
                        int64_t groupSize, bool zeroPoints, int64_t prepared) {
  if (bits < 2 || bits > 8 || groupSize % 32 != 0)
    return -1;
  PackedLayout layout(packed, nTotal, k, bits, groupSize, zeroPoints);
  auto run = [&](auto bitsConstant, auto zeroPointsConstant) {
    allRows<decltype(bitsConstant)::value, decltype(zeroPointsConstant)::value,
            Which>(x, rows, k, xStride, layout, groupSize, nBegin, nEnd, y,
                   yStride, reinterpret_cast<uint8_t *>(prepared));
  };
  withCodeBits(bits, [&](auto bitsConstant) {
    if (zeroPoints)
      run(bitsConstant, std::true_type());
    else
      run(bitsConstant, std::false_type());
  });
  return 0;
}

} // namespace

extern "C" {

/// y[r * yStride + n] = sum_j x[r * xStride + j] * W[n, j] for r < rows and
/// n in [nBegin, nEnd), where W is the n x k weight packed with `bits` (4:
/// split halves; 2, 3, 5, 6, 7, 8: lsb first) bits per code, groups of
/// `groupSize` (a multiple of 32) along k, an f16 scale per group and, when
/// `zeroPoints` is non-zero, an f16 zero point per group (x = (q - z) * scale;
/// otherwise z = 2^(bits-1)); `packed` is the whole blob of all nTotal rows.
/// `prepared` is 0 or a buffer that lbc_ukernel_groupwise_prepare_row filled
/// from the same x (PreparedRow.h; with 0 the one-row kernel is not used).
/// The buffers are passed as addresses (the generated code's calling
/// convention); `y` overlaps neither `x` nor `packed`. Returns 0, or -1 for a
/// format this kernel does not handle.
int64_t lbc_ukernel_groupwise_linear(int64_t x, int64_t rows, int64_t k,
                                     int64_t xStride, int64_t packed,
                                     int64_t nTotal, int64_t nBegin,
                                     int64_t nEnd, int64_t y, int64_t yStride,
                                     int64_t bits, int64_t groupSize,
                                     int64_t zeroPoints, int64_t prepared) {
  return groupwiseLinear<Isa::Portable>(
      reinterpret_cast<const float *>(x), rows, k, xStride,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits, groupSize, zeroPoints != 0,
      prepared);
}

/// Prepares x (rows of k inputs) for lbc_ukernel_groupwise_linear's calls
/// over a weight of (bits, groupSize, zeroPoints) in the buffer `prepared`
/// of preparedRowBytes(k) bytes. The portable kernels read x itself:
/// nothing to do. Returns 0.
int64_t lbc_ukernel_groupwise_prepare_row(int64_t, int64_t, int64_t, int64_t,
                                          int64_t, int64_t, int64_t, int64_t) {
  return 0;
}

#if defined(__x86_64__)
/// lbc_ukernel_groupwise_linear for CPUs with AVX-512: 4-bit codes looked
/// up in a per-group table (lookupRowBlock), and the prefill path's register
/// tile sized for 32 zmm registers.
int64_t lbc_ukernel_groupwise_linear__avx512(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t packed,
    int64_t nTotal, int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride,
    int64_t bits, int64_t groupSize, int64_t zeroPoints, int64_t prepared) {
  return groupwiseLinear<Isa::Avx512>(
      reinterpret_cast<const float *>(x), rows, k, xStride,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits, groupSize, zeroPoints != 0,
      prepared);
}

/// lbc_ukernel_groupwise_linear__avx512 for CPUs with AVX512-BF16 and
/// AVX512-VNNI (the `__avx512bf16` variant of lib/Target/Ukernels.cpp): a
/// single row of 4- or 8-bit codes takes int16Row's 16-bit dot products.
LBC_AVX512_BF16 int64_t lbc_ukernel_groupwise_linear__avx512bf16(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t packed,
    int64_t nTotal, int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride,
    int64_t bits, int64_t groupSize, int64_t zeroPoints, int64_t prepared) {
  return groupwiseLinear<Isa::Avx512Bf16>(
      reinterpret_cast<const float *>(x), rows, k, xStride,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits, groupSize, zeroPoints != 0,
      prepared);
}

/// lbc_ukernel_groupwise_prepare_row for the `__avx512bf16` linear kernel:
/// the last row's int16 form, when it takes int16Row.
LBC_AVX512_BF16 int64_t lbc_ukernel_groupwise_prepare_row__avx512bf16(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t prepared,
    int64_t bits, int64_t groupSize, int64_t zeroPoints) {
  if (groupSize <= 0 || groupSize % 32 != 0)
    return 0;
  const PackedLayout layout(nullptr, 0, k, bits, groupSize, zeroPoints != 0);
  if (!takesOneRowForm(rows, bits, layout, groupSize))
    return 0;
  const float *last = reinterpret_cast<const float *>(x) + (rows - 1) * xStride;
  uint8_t *buffer = reinterpret_cast<uint8_t *>(prepared);
  if (bits == 4)
    prepareRow<4>(last, layout, groupSize, buffer);
  else
    prepareRow<8>(last, layout, groupSize, buffer);
  return 0;
}
#endif

} // extern "C"
