//===- VectorOps.h - portable vector types and helpers of the kernels -----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Clang's target-independent vector types and the few operations every
// microkernel needs: unaligned loads, a tree sum, the 4-way byte dot product
// that vpdpbusd computes, and 64 packed codes (4-bit nibbles, or other widths
// packed lsb-first) as one byte vector.
// Depends on nothing but the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_VECTOROPS_H
#define LBC_RUNTIME_CPU_UKERNELS_VECTOROPS_H

#include <cstdint>
#include <cstring>

#if defined(__aarch64__)
#include <arm_neon.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lbc::ukernels {

typedef float Floats16 __attribute__((ext_vector_type(16)));
typedef float Floats8 __attribute__((ext_vector_type(8)));
typedef float Floats4 __attribute__((ext_vector_type(4)));
typedef uint8_t Bytes8 __attribute__((ext_vector_type(8)));
typedef uint8_t Bytes16 __attribute__((ext_vector_type(16)));
typedef uint8_t Bytes32 __attribute__((ext_vector_type(32)));
typedef uint8_t Bytes64 __attribute__((ext_vector_type(64)));
typedef int8_t SignedBytes16 __attribute__((ext_vector_type(16)));
typedef int8_t SignedBytes64 __attribute__((ext_vector_type(64)));
typedef int32_t Ints16 __attribute__((ext_vector_type(16)));

/// An unaligned load of a vector (or any trivially copyable value).
template <typename T> inline T load(const void *p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

/// The 16 bytes of `bytes` zero-extended to 32 bits each, in a form the
/// optimizer keeps: written as a conversion, a following `& 15` or `>> 4`
/// is narrowed to byte lanes (InstCombine), which x86 then widens twice (two
/// vpmovzxbd and a GFNI byte shift per 16 codes instead of one vpmovzxbd and
/// two dword operations). A shuffle with zeros is not narrowed, and the
/// backend still emits one vpmovzxbd for it.
inline Ints16 widenBytes(Bytes16 bytes) {
#define LBC_ZERO_EXTENDED(i) i, 16, 16, 16
  Bytes64 wide = __builtin_shufflevector(
      bytes, (Bytes16)0, LBC_ZERO_EXTENDED(0), LBC_ZERO_EXTENDED(1),
      LBC_ZERO_EXTENDED(2), LBC_ZERO_EXTENDED(3), LBC_ZERO_EXTENDED(4),
      LBC_ZERO_EXTENDED(5), LBC_ZERO_EXTENDED(6), LBC_ZERO_EXTENDED(7),
      LBC_ZERO_EXTENDED(8), LBC_ZERO_EXTENDED(9), LBC_ZERO_EXTENDED(10),
      LBC_ZERO_EXTENDED(11), LBC_ZERO_EXTENDED(12), LBC_ZERO_EXTENDED(13),
      LBC_ZERO_EXTENDED(14), LBC_ZERO_EXTENDED(15));
#undef LBC_ZERO_EXTENDED
  return __builtin_bit_cast(Ints16, wide);
}

/// Horizontal sum by halving (a tree, as SIMD reductions do).
inline float sum(Floats16 v) {
  Floats8 h8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
               __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  Floats4 h4 = __builtin_shufflevector(h8, h8, 0, 1, 2, 3) +
               __builtin_shufflevector(h8, h8, 4, 5, 6, 7);
  return (h4[0] + h4[2]) + (h4[1] + h4[3]);
}

#define LBC_EVERY_FOURTH(o)                                                    \
  o, o + 4, o + 8, o + 12, o + 16, o + 20, o + 24, o + 28, o + 32, o + 36,     \
      o + 40, o + 44, o + 48, o + 52, o + 56, o + 60
#define LBC_LANE_TERM(o)                                                       \
  __builtin_convertvector(__builtin_shufflevector(w, w, LBC_EVERY_FOURTH(o)),  \
                          Ints16) *                                            \
      __builtin_convertvector(                                                 \
          __builtin_shufflevector(a, a, LBC_EVERY_FOURTH(o)), Ints16)

/// Per lane l: the sum over i < 4 of w[4l + i] * a[4l + i] (unsigned times
/// signed bytes: what vpdpbusd computes), in portable vector code.
inline Ints16 laneDots(Bytes64 w, SignedBytes64 a) {
  return LBC_LANE_TERM(0) + LBC_LANE_TERM(1) + LBC_LANE_TERM(2) +
         LBC_LANE_TERM(3);
}

#undef LBC_LANE_TERM
#undef LBC_EVERY_FOURTH

#if defined(__x86_64__)
/// The AVX-512 variants' kernels (intrinsics need the feature in the
/// function that uses them; lib/Target/Ukernels.cpp drops the attribute and
/// links such a variant only for CPUs that have it).
#define LBC_AVX512 __attribute__((target("avx512f")))
/// The kernels that also use AVX512-BF16's and AVX512-VNNI's dot products,
/// AVX512-BW's 16-bit lanes and AVX512-VBMI's byte shifts (Zen 4 and later,
/// Sapphire Rapids and later; Cooper Lake, without VBMI, takes the
/// `__avx512vnni` variant).
#define LBC_AVX512_BF16                                                        \
  __attribute__((                                                              \
      target("avx512f,avx512bw,avx512vl,avx512bf16,avx512vnni,avx512vbmi")))

/// acc + the int16 dot product pairs of a and b (vpdpwssd), kept one
/// instruction: LLVM's machine combiner splits a vpdpwssd whose accumulator
/// is another one's result into vpmaddwd + vpaddd on Intel tunings, which
/// shortens the chain but adds an operation per product, and the one-row
/// kernels are bound by operations, not by latency.
LBC_AVX512_BF16 inline __m512i dotAccumulateInt16(__m512i acc, __m512i a,
                                                  __m512i b) {
  asm("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
}

/// The high nibbles of 32 code bytes widened to 16-bit lanes (words >> 4)
/// by one vpmultishiftqb (each byte of a lane taken 4 and 8 bits up), which
/// issues where the widening does, where a shift would take the port of the
/// multiplies and dot products (Sapphire Rapids class Xeons).
LBC_AVX512_BF16 inline __m512i highNibbles(__m512i words) {
  return _mm512_multishift_epi64_epi8(_mm512_set1_epi64(0x3834282418140804ll),
                                      words);
}

/// The largest int16 input code of quantizeInputsInt16.
constexpr float kInt16InputRange = 32767.0f;

/// One row of x as int16 multiples of a step per `blockInputs` inputs (a
/// multiple of 16; k a multiple of it): step = max |x| / 32767 over the
/// block, code = x / step rounded to nearest, so each input is kept within
/// half a step (2^-16 of the block's largest |x|). Like llama.cpp's Q8_K
/// activations, at 256 times the resolution. `sums16` gets the sum of each
/// 16 inputs as the codes give them (step times the codes' sum): a kernel's
/// zero-point or min term must see the inputs its products see, or the
/// rounding of x would not cancel against it. A block with an infinite or
/// NaN input gets a NaN step, so that the outputs it reaches are NaN.
LBC_AVX512_BF16 inline void quantizeInputsInt16(const float *x, int64_t k,
                                                int64_t blockInputs,
                                                int16_t *codes, float *steps,
                                                float *sums16) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t b = 0; b < k / blockInputs; ++b) {
    const float *at = x + b * blockInputs;
    // x * 0 is NaN exactly for infinite and NaN x (vmaxps drops NaNs).
    __m512 largest = zero, poison = zero;
    for (int64_t i = 0; i < blockInputs; i += 16) {
      __m512 value = _mm512_loadu_ps(at + i);
      largest = _mm512_max_ps(largest, _mm512_abs_ps(value));
      poison = _mm512_add_ps(poison, _mm512_mul_ps(value, zero));
    }
    const float top = _mm512_reduce_max_ps(largest);
    steps[b] = top / kInt16InputRange + _mm512_reduce_add_ps(poison);
    // A block whose largest |x| is below 1e-30 counts as zeros (32767 / top
    // would overflow to infinity below ~1e-34, and 0 * infinity is NaN).
    const __m512 inverse =
        _mm512_set1_ps(top > 1e-30f ? kInt16InputRange / top : 0.0f);
    for (int64_t i = 0; i < blockInputs; i += 16) {
      __m512i rounded =
          _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(at + i), inverse));
      _mm256_storeu_si256(
          reinterpret_cast<__m256i *>(codes + b * blockInputs + i),
          _mm512_cvtsepi32_epi16(rounded));
      sums16[(b * blockInputs + i) / 16] =
          steps[b] * float(_mm512_reduce_add_epi32(rounded));
    }
  }
}

/// Rounds 16 inputs to bf16 (`high`) and their remainders value - high to
/// bf16 again (`low`), stored 16 each, and returns high + low as f32: the
/// inputs the bf16 kernels' products see (16 of f32's 24 significant bits).
LBC_AVX512_BF16 inline __m512 storeBf16Split(__m512 value, uint16_t *high,
                                             uint16_t *low) {
  auto widen = [](__m256i halves) LBC_AVX512_BF16 {
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(halves), 16));
  };
  __m256i highHalves = (__m256i)_mm512_cvtneps_pbh(value);
  __m512 highValue = widen(highHalves);
  __m256i lowHalves =
      (__m256i)_mm512_cvtneps_pbh(_mm512_sub_ps(value, highValue));
  _mm256_storeu_si256(reinterpret_cast<__m256i *>(high), highHalves);
  _mm256_storeu_si256(reinterpret_cast<__m256i *>(low), lowHalves);
  return _mm512_add_ps(highValue, widen(lowHalves));
}
#endif

#if defined(__aarch64__)
#define LBC_DOTPROD __attribute__((target("dotprod")))

/// laneDots with the Armv8.2 dot-product instruction (four sdot), for
/// weight bytes below 128: sdot multiplies signed bytes, so larger codes
/// must be recentred by the caller. Not inlined into portable code when
/// the bitcode is built; lib/Target/Ukernels.cpp drops the target
/// attributes, and the artifact's optimizer inlines it for a CPU with
/// dotprod.
LBC_DOTPROD inline Ints16 laneDotsSdot(Bytes64 w, SignedBytes64 a) {
  int32x4_t parts[4];
  for (int q = 0; q < 4; ++q) {
    int8x16_t wq, aq;
    std::memcpy(&wq, reinterpret_cast<const uint8_t *>(&w) + 16 * q, 16);
    std::memcpy(&aq, reinterpret_cast<const int8_t *>(&a) + 16 * q, 16);
    parts[q] = vdotq_s32(vdupq_n_s32(0), wq, aq);
  }
  Ints16 result;
  std::memcpy(&result, parts, sizeof(result));
  return result;
}
#endif

/// The 64 codes of 32 packed bytes of 4-bit codes: the low nibbles, then
/// the high nibbles.
inline Bytes64 splitNibbles(const uint8_t *packed) {
  Bytes32 bytes = load<Bytes32>(packed);
  Bytes32 low = bytes & (uint8_t)15, high = bytes >> (uint8_t)4;
  return __builtin_shufflevector(
      low, high, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
      18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
      36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
      54, 55, 56, 57, 58, 59, 60, 61, 62, 63);
}

/// The 64 codes of 8 * Bits bytes of `Bits`-bit codes packed lsb-first
/// (code i at bits [Bits i, Bits i + Bits); 2, 3, 5, 6 or 7 bits), one per
/// byte. Each code lies in the 16-bit window of its first byte and the
/// next: one byte shuffle gathers the windows of 32 codes as 16-bit lanes
/// (vpermb), a variable shift (vpsrlvw) brings each code down, a second
/// shuffle keeps the low bytes of both halves (vpermt2b) and a mask ends
/// it: four instructions and a mask per 64 codes with AVX-512 VBMI. Reads
/// exactly 8 * Bits bytes, as 64-bit words: a memcpy of the 24 bytes of
/// 3-bit codes became a <24 x i8> load, on which LLVM 22's instruction
/// selection never finished for Intel CPUs with VBMI (icelake-server,
/// sapphirerapids; test/Integration/ukernels-codegen.test). The result goes
/// out through a reference: a
/// 512-bit vector may not be returned into the kernels' target("avx512f")
/// functions (psABI), while this inlines into them.
template <int Bits>
inline void unpackLsbFirst64(const uint8_t *packed, Bytes64 &result) {
  typedef uint16_t Shorts32 __attribute__((ext_vector_type(32)));
  typedef uint64_t Words8 __attribute__((ext_vector_type(8)));
  Words8 words = {};
  for (int i = 0; i < Bits; ++i) {
    uint64_t word;
    std::memcpy(&word, packed + 8 * i, sizeof(word));
    words[i] = word;
  }
  Bytes64 raw = __builtin_bit_cast(Bytes64, words);
#define LBC_WINDOW(i) (Bits * (i)) / 8, (Bits * (i)) / 8 + 1
#define LBC_WINDOWS8(o)                                                        \
  LBC_WINDOW(o), LBC_WINDOW(o + 1), LBC_WINDOW(o + 2), LBC_WINDOW(o + 3),      \
      LBC_WINDOW(o + 4), LBC_WINDOW(o + 5), LBC_WINDOW(o + 6),                 \
      LBC_WINDOW(o + 7)
#define LBC_WINDOWS32(o)                                                       \
  LBC_WINDOWS8(o), LBC_WINDOWS8(o + 8), LBC_WINDOWS8(o + 16),                  \
      LBC_WINDOWS8(o + 24)
  Bytes64 first = __builtin_shufflevector(raw, raw, LBC_WINDOWS32(0));
  Bytes64 second = __builtin_shufflevector(raw, raw, LBC_WINDOWS32(32));
#undef LBC_WINDOWS32
#undef LBC_WINDOWS8
#undef LBC_WINDOW
  // Code i and code i + 32 start at the same bit offset within a byte.
#define LBC_SHIFT(i) (Bits * (i)) % 8
#define LBC_SHIFTS8(o)                                                         \
  LBC_SHIFT(o), LBC_SHIFT(o + 1), LBC_SHIFT(o + 2), LBC_SHIFT(o + 3),          \
      LBC_SHIFT(o + 4), LBC_SHIFT(o + 5), LBC_SHIFT(o + 6), LBC_SHIFT(o + 7)
  const Shorts32 shifts = {LBC_SHIFTS8(0), LBC_SHIFTS8(8), LBC_SHIFTS8(16),
                           LBC_SHIFTS8(24)};
#undef LBC_SHIFTS8
#undef LBC_SHIFT
  Bytes64 low = __builtin_bit_cast(
      Bytes64, __builtin_bit_cast(Shorts32, first) >> shifts);
  Bytes64 high = __builtin_bit_cast(
      Bytes64, __builtin_bit_cast(Shorts32, second) >> shifts);
#define LBC_EVEN8(o) o, o + 2, o + 4, o + 6, o + 8, o + 10, o + 12, o + 14
  Bytes64 codes = __builtin_shufflevector(
      low, high, LBC_EVEN8(0), LBC_EVEN8(16), LBC_EVEN8(32), LBC_EVEN8(48),
      LBC_EVEN8(64), LBC_EVEN8(80), LBC_EVEN8(96), LBC_EVEN8(112));
#undef LBC_EVEN8
  result = codes & (uint8_t)((1 << Bits) - 1);
}

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_VECTOROPS_H
