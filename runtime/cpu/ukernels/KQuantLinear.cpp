//===- KQuantLinear.cpp - fused K-quant (q4k) linear microkernels ---------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// y = x W^T for a weight in lbc's K-quant format (lib/Support/KQuantCodec.h:
// super-blocks of 256, sub-blocks of 32 with 6-bit scales and mins), decoded
// in registers. Each super-block contributes
//
//   sum_j (d sc[j]) * sum_i q_i x_i  -  sum_j (dmin m[j]) * sum_i x_i
//
// so the min term needs only the per-sub-block sums of x, computed once per
// call. Two kernels: f32 inputs (whose AVX-512 variant looks q4k and q5k
// codes up in a register of their sub-block's d sc q values instead of
// converting them), and int8 inputs quantized by
// lbc_ukernel_quantize_activations with the 4-bit, group-64 layout (a K-quant
// 64-weight piece is a split-halves group of 64), whose AVX-512 VNNI variant
// lib/Target/Ukernels.cpp links where the CPU has it.
//
//===----------------------------------------------------------------------===//

#include "PackedWeights.h"
#include "PanelGemm.h"
#include "PreparedRow.h"
#include "QuantizedActivations.h"
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

constexpr int64_t kSuperBlock = 256, kSubBlock = 32, kSubBlocks = 8;
constexpr int64_t kHeaderBytes = 16;

/// Where a K-quant blob's sections are (KQuantCodec.h). 5-bit codes keep
/// their low nibbles where 4-bit ones are and add a plane of fifth bits.
struct KQuantWeights {
  int64_t superBlocksPerRow;
  bool fiveBit;
  int64_t superBlockBytes;
  const uint8_t *codes, *headers;

  int64_t bits;
  /// KQuantCodec.h's kquantHeaderBytes (the kernels depend on no
  /// lib/Support header; ukernels.test would catch a disagreement).
  int64_t headerBytes;

  KQuantWeights(const uint8_t *packed, int64_t nTotal, int64_t k, int64_t bits)
      : superBlocksPerRow((k + kSuperBlock - 1) / kSuperBlock),
        fiveBit(bits == 5), superBlockBytes(kSuperBlock * bits / 8),
        codes(packed), bits(bits), headerBytes(bits == 3   ? 14
                                               : bits == 6 ? 18
                                                           : kHeaderBytes) {
    int64_t codeBytes = nTotal * superBlocksPerRow * superBlockBytes;
    headers = packed + (codeBytes + 63) / 64 * 64;
  }
  const uint8_t *blockCodes(int64_t n, int64_t block) const {
    return codes + (n * superBlocksPerRow + block) * superBlockBytes;
  }
  /// The fifth bits of piece `piece` of a block's codes: a little-endian
  /// 64-bit word, bit t for the piece's code t.
  static const uint8_t *fifthBits(const uint8_t *blockCodes, int64_t piece) {
    return blockCodes + kSuperBlock / 2 + 8 * piece;
  }
  const uint8_t *header(int64_t n, int64_t block) const {
    return headers + (n * superBlocksPerRow + block) * headerBytes;
  }
  /// Prefetches super-block `block`'s codes of output n.
  void prefetchCodes(int64_t n, int64_t block) const {
    prefetchRun(blockCodes(n, block), superBlockBytes);
  }
  /// Prefetches the headers of super-blocks [b0, b1) of output n, once per
  /// span: a prefetch per block (four or more per 64-byte line of headers)
  /// left q4k's one-row decode 15% slower on a Sapphire Rapids class Xeon.
  void prefetchHeaders(int64_t n, int64_t b0, int64_t b1) const {
    prefetchRun(header(n, b0), (b1 - b0) * headerBytes);
  }
};

/// A piece's fifth bits as 0 or 16 per code, in the piece's code order:
/// byte t / 8 of the word spread to code t, tested against bit t % 8 (a
/// byte broadcast and one vptestmb on AVX-512; no per-bit loop).
inline Bytes64 fifthBitValues(const uint8_t *plane) {
  Bytes8 bytes = load<Bytes8>(plane);
  Bytes64 spread = __builtin_shufflevector(
      bytes, bytes, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2,
      2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5,
      5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7);
  const Bytes64 bit = {
      1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
      1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
      1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
      1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  return (Bytes64)((spread & bit) != 0) & (uint8_t)16;
}

/// Per code of a 64-code piece, the 2-bit field of a plane of 16 bytes:
/// code t from byte t % 16, bits 2 * (t / 16) (four uniform shifts).
inline Bytes64 twoBitPlane(const uint8_t *plane) {
  Bytes16 bytes = load<Bytes16>(plane);
  Bytes32 low = __builtin_shufflevector(
      bytes & (uint8_t)3, (bytes >> (uint8_t)2) & (uint8_t)3, 0, 1, 2, 3, 4, 5,
      6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
      25, 26, 27, 28, 29, 30, 31);
  Bytes32 high = __builtin_shufflevector(
      (bytes >> (uint8_t)4) & (uint8_t)3, bytes >> (uint8_t)6, 0, 1, 2, 3, 4, 5,
      6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
      25, 26, 27, 28, 29, 30, 31);
  return __builtin_shufflevector(
      low, high, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
      18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
      36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
      54, 55, 56, 57, 58, 59, 60, 61, 62, 63);
}

/// The 64 codes of piece `piece` of a symmetric K-quant super-block (q3k,
/// q6k), in position order (KQuantCodec.h).
inline Bytes64 symmetricPieceCodes(const uint8_t *codes, int64_t piece,
                                   int64_t bits) {
  if (bits == 6)
    return splitNibbles(codes + 32 * piece) |
           twoBitPlane(codes + 128 + 16 * piece) << (uint8_t)4;
  return twoBitPlane(codes + 16 * piece) |
         fifthBitValues(codes + 64 + 8 * piece) >> (uint8_t)2;
}

/// A symmetric K-quant super-block's 16 steps d * sc[j].
inline Floats16 symmetricSteps(const uint8_t *header, int64_t bits);

/// symmetricPieceCodes and symmetricSteps into memory, for the AVX-512
/// kernels (a 512-bit vector return from a function without AVX-512 has
/// another ABI).
inline void storeSymmetricPiece(const uint8_t *codes, int64_t piece,
                                int64_t bits, void *out) {
  Bytes64 values = symmetricPieceCodes(codes, piece, bits);
  std::memcpy(out, &values, sizeof(values));
}
inline void storeSymmetricSteps(const uint8_t *header, int64_t bits,
                                void *out) {
  Floats16 values = symmetricSteps(header, bits);
  std::memcpy(out, &values, sizeof(values));
}

/// A symmetric K-quant super-block's 16 steps d * sc[j].
inline Floats16 symmetricSteps(const uint8_t *header, int64_t bits) {
  Ints16 scales;
  if (bits == 6) {
    scales = __builtin_convertvector(load<SignedBytes16>(header + 2), Ints16);
  } else {
    // The 16 bytes ending with the 14-byte header: from the header itself a
    // 16-byte load read 2 bytes past the blob's end at its last super-block
    // (a fault where the weights end a page); the 2 bytes before a header
    // are the previous header's or the codes'.
    Ints16 bytes = __builtin_convertvector(load<Bytes16>(header - 2), Ints16);
    Ints16 low = (__builtin_shufflevector(bytes, bytes, 4, 5, 6, 7, 8, 9, 10,
                                          11, 4, 5, 6, 7, 8, 9, 10, 11) >>
                  Ints16{0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4}) &
                 15;
    Ints16 high =
        (__builtin_shufflevector(bytes, bytes, 12, 12, 12, 12, 13, 13, 13, 13,
                                 14, 14, 14, 14, 15, 15, 15, 15) >>
         Ints16{0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6}) &
        3;
    scales = (low | high << 4) - 32;
  }
  return __builtin_convertvector(scales, Floats16) * loadHalf(header);
}

/// A super-block's steps d * sc[j] (lanes j < 8) and offsets dmin * m[j]
/// (lanes 8 + j), as the codec computes them, unpacked in vector registers:
/// lane v takes its low nibble from byte 4 + v % 8 and its top two bits from
/// byte 12 + v / 4.
inline Floats16 headerFactors(const uint8_t *header) {
  Ints16 bytes = __builtin_convertvector(load<Bytes16>(header), Ints16);
  Ints16 low = (__builtin_shufflevector(bytes, bytes, 4, 5, 6, 7, 8, 9, 10, 11,
                                        4, 5, 6, 7, 8, 9, 10, 11) >>
                Ints16{0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4}) &
               15;
  Ints16 high =
      (__builtin_shufflevector(bytes, bytes, 12, 12, 12, 12, 13, 13, 13, 13, 14,
                               14, 14, 14, 15, 15, 15, 15) >>
       Ints16{0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6}) &
      3;
  // d in lanes 0..7, dmin in 8..15: two broadcasts and a blend (a vector
  // initialised lane by lane costs 16 inserts per super-block).
  Floats16 steps = loadHalf(header), mins = loadHalf(header + 2);
  Floats16 units = __builtin_shufflevector(steps, mins, 0, 1, 2, 3, 4, 5, 6, 7,
                                           24, 25, 26, 27, 28, 29, 30, 31);
  return __builtin_convertvector(low | high << 4, Floats16) * units;
}

/// Accumulators per row for `Rows` rows of a loop that adds to each row's
/// sum `Wanted` times per piece: enough independent FMA chains to cover the
/// FMA latency (one row alone waited on one chain: 16 dependent FMAs per
/// super-block), few enough that they stay in AVX2's 16 registers.
template <int Rows, int Wanted> constexpr int accumulatorChains() {
  return Rows >= Wanted ? 1 : Wanted / Rows;
}

/// Factors of up to kTableBlocks super-blocks are kept in memory, so that
/// the kernels' FMAs broadcast a sub-block's factor from memory: taken from a
/// register, each broadcast was a shuffle (plus lane extracts to reach it),
/// on the port that the code widening needs. A fixed buffer: a
/// variable-length one would keep the kernel from being specialized for the
/// call's shapes.
constexpr int64_t kTableBlocks = 16;

/// The instruction sets the kernels are specialized for: the f32-input
/// kernels use Portable, Avx512 and Avx512Bf16, the int8-input ones
/// Portable, Vnni and Dotprod.
enum class Isa { Portable, Avx512, Avx512Bf16, Vnni, Dotprod };

/// The loop both portable kernels share, for rows [0, Rows) and outputs
/// [nBegin, nEnd), k walked `span` super-blocks at a time (SpanWalk.h): per
/// output, the span's header factors first, then addPiece(acc, factors,
/// codes, block, piece) for each 64-weight piece with the block's factors in
/// memory, and the min terms from `subSums` (every row's per-sub-block input
/// sums).
template <int Rows, typename AddPiece>
void superBlockRows(int64_t k, const KQuantWeights &weights,
                    const float *subSums, int64_t span, int64_t nBegin,
                    int64_t nEnd, float *__restrict ys, int64_t yStride,
                    AddPiece addPiece) {
  int64_t blocks = k / kSuperBlock, subBlocksPerRow = k / kSubBlock;
  const int64_t ahead = outputsAhead(span * weights.superBlockBytes);
  constexpr int Chains = accumulatorChains<Rows, 2>();
  alignas(64) float factorTable[kTableBlocks][16];
  walkSpans<Rows>(
      blocks, span, nBegin, nEnd, ys, yStride, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) {
        // acc[c * Rows + r]: chain c of row r.
        Floats16 acc[Chains * Rows] = {};
        // The min terms, a sub-block per lane (a scalar chain of dependent
        // FMAs per super-block would bound the loop).
        Floats8 offsets[Rows] = {};
        weights.prefetchHeaders(n + ahead, b0, b1);
        for (int64_t t0 = b0; t0 < b1; t0 += kTableBlocks) {
          const int64_t t1 = b1 - t0 < kTableBlocks ? b1 : t0 + kTableBlocks;
          for (int64_t block = t0; block < t1; ++block) {
            Floats16 factors = headerFactors(weights.header(n, block));
            std::memcpy(factorTable[block - t0], &factors, sizeof(factors));
            Floats8 mins = __builtin_shufflevector(factors, factors, 8, 9, 10,
                                                   11, 12, 13, 14, 15);
            for (int r = 0; r < Rows; ++r)
              offsets[r] += mins * load<Floats8>(subSums + r * subBlocksPerRow +
                                                 block * kSubBlocks);
          }
          for (int64_t block = t0; block < t1; ++block) {
            weights.prefetchCodes(n + ahead, block);
            const uint8_t *codes = weights.blockCodes(n, block);
            for (int64_t piece = 0; piece < 4; ++piece)
              addPiece(acc, factorTable[block - t0], codes, block, piece);
          }
        }
        for (int r = 0; r < Rows; ++r) {
          float offset = 0.0f;
          for (int j = 0; j < 8; ++j)
            offset += offsets[r][j];
          Floats16 total = acc[r];
          for (int c = 1; c < Chains; ++c)
            total += acc[c * Rows + r];
          partial[r] = sum(total) - offset;
        }
      });
}

/// Rows [0, Rows) on f32 inputs: per 64-weight piece the 32 packed bytes
/// decode to sub-block 2p (low nibbles) and 2p + 1 (high nibbles).
template <int Rows>
void floatRows(const float *__restrict xs, int64_t xStride, int64_t k,
               const KQuantWeights &weights, const float *subSums,
               int64_t nBegin, int64_t nEnd, float *__restrict ys,
               int64_t yStride) {
  superBlockRows<Rows>(
      k, weights, subSums, unitsPerSpan(Rows, kSuperBlock), nBegin, nEnd, ys,
      yStride,
      [&](Floats16 *acc, const float *factors, const uint8_t *codes,
          int64_t block, int64_t piece) {
        Floats16 dots[2][Rows] = {};
        Bytes64 fifth = {};
        if (weights.fiveBit)
          fifth = fifthBitValues(KQuantWeights::fifthBits(codes, piece));
        for (int half = 0; half < 2; ++half) {
          Bytes16 bytes = load<Bytes16>(codes + piece * 32 + half * 16);
          Floats16 low, high;
          if (!weights.fiveBit) {
            Ints16 wide = widenBytes(bytes);
            low = __builtin_convertvector(wide & 15, Floats16);
            high = __builtin_convertvector(wide >> 4, Floats16);
          } else {
            Bytes16 lowCodes = bytes & (uint8_t)15,
                    highCodes = bytes >> (uint8_t)4;
            // Codes 16h.. (low nibbles) and 32 + 16h.. (high nibbles).
            if (half == 0) {
              lowCodes |=
                  __builtin_shufflevector(fifth, fifth, 0, 1, 2, 3, 4, 5, 6, 7,
                                          8, 9, 10, 11, 12, 13, 14, 15);
              highCodes |= __builtin_shufflevector(fifth, fifth, 32, 33, 34, 35,
                                                   36, 37, 38, 39, 40, 41, 42,
                                                   43, 44, 45, 46, 47);
            } else {
              lowCodes |= __builtin_shufflevector(fifth, fifth, 16, 17, 18, 19,
                                                  20, 21, 22, 23, 24, 25, 26,
                                                  27, 28, 29, 30, 31);
              highCodes |= __builtin_shufflevector(fifth, fifth, 48, 49, 50, 51,
                                                   52, 53, 54, 55, 56, 57, 58,
                                                   59, 60, 61, 62, 63);
            }
            low = __builtin_convertvector(lowCodes, Floats16);
            high = __builtin_convertvector(highCodes, Floats16);
          }
          int64_t first = block * kSuperBlock + piece * 64 + half * 16;
          for (int r = 0; r < Rows; ++r) {
            const float *x = xs + r * xStride + first;
            dots[0][r] += low * load<Floats16>(x);
            dots[1][r] += high * load<Floats16>(x + 32);
          }
        }
        // Two FMAs (a multiply and an add of the two products cost one
        // more operation), in two chains where there are.
        constexpr int Chains = accumulatorChains<Rows, 2>();
        for (int r = 0; r < Rows; ++r) {
          acc[r] += dots[0][r] * factors[2 * piece];
          acc[(Chains - 1) * Rows + r] += dots[1][r] * factors[2 * piece + 1];
        }
      });
}

#if defined(__x86_64__)
/// A super-block header's sixteen 6-bit values in AVX-512 lanes (sc[j] in
/// lane j < 8, m[j] in lane 8 + j), the layout headerFactors reads: each
/// lane's low nibble by a variable shift of bytes 4..11 (broadcast to both
/// halves), its top two bits by a variable rotate of the header's last
/// 32-bit word (bits 2v, 2v + 1 to bits 4, 5), merged by one ternary-logic
/// operation.
LBC_AVX512 inline __m512i headerValuesAvx512(const uint8_t *header) {
  int64_t nibbles;
  int32_t topBits;
  std::memcpy(&nibbles, header + 4, sizeof(nibbles));
  std::memcpy(&topBits, header + 12, sizeof(topBits));
  __m512i low = _mm512_srlv_epi32(
      _mm512_cvtepu8_epi32(_mm_set1_epi64x(nibbles)),
      _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4));
  __m512i top =
      _mm512_rorv_epi32(_mm512_set1_epi32(topBits),
                        _mm512_setr_epi32(28, 30, 0, 2, 4, 6, 8, 10, 12, 14, 16,
                                          18, 20, 22, 24, 26));
  // (low & 15) | (top & 0x30).
  return _mm512_ternarylogic_epi32(_mm512_and_si512(low, _mm512_set1_epi32(15)),
                                   top, _mm512_set1_epi32(0x30), 0xF8);
}

/// A super-block header's d in lanes 0..7 and dmin in lanes 8..15.
LBC_AVX512 inline __m512 headerUnitsAvx512(const uint8_t *header) {
  int32_t units;
  std::memcpy(&units, header, sizeof(units));
  return _mm512_permutexvar_ps(
      _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
      _mm512_cvtph_ps(_mm256_set1_epi32(units)));
}

/// headerFactors in AVX-512 registers, in ten operations instead of
/// fifteen: headerValuesAvx512 times headerUnitsAvx512.
LBC_AVX512 inline __m512 headerFactorsAvx512(const uint8_t *header) {
  return _mm512_mul_ps(_mm512_cvtepi32_ps(headerValuesAvx512(header)),
                       headerUnitsAvx512(header));
}

/// Four consecutive q4k/q5k headers (64 bytes, one per 128-bit lane) for
/// int16Row, in about a third of the operations of four headerValuesAvx512
/// and headerUnitsAvx512 calls: `scales` gets sc[j] of block b in both
/// 16-bit halves of dword 8 b + j, `units` d of block b times its input
/// step, and the returned vector dmin m[j] S[j] of blocks 0, 1 (lanes 0..15)
/// plus those of blocks 2, 3, with S the sub-block sums of x (8 per block).
/// Each value's 16-bit lane holds its nibble byte (bytes 4..11) low and the
/// byte of its top two bits (bytes 12..15) high, so one variable shift
/// brings the top bits to bits 4, 5.
LBC_AVX512_BF16 inline __m512 decodeFourHeaders(const uint8_t *headers,
                                                const float *steps,
                                                const float *subBlockSums,
                                                int32_t *scales, float *units) {
  const __m512i bytes = _mm512_loadu_si512(headers);
  // Per 128-bit lane (one header), word j: byte 4 + j and byte 12 + j / 4
  // (sc) or 14 + j / 4 (m).
  const __m512i scaleBytes = _mm512_broadcast_i32x4(
      _mm_setr_epi8(4, 12, 5, 12, 6, 12, 7, 12, 8, 13, 9, 13, 10, 13, 11, 13));
  const __m512i minBytes = _mm512_broadcast_i32x4(
      _mm_setr_epi8(4, 14, 5, 14, 6, 14, 7, 14, 8, 15, 9, 15, 10, 15, 11, 15));
  const __m512i topShifts =
      _mm512_broadcast_i32x4(_mm_setr_epi16(4, 6, 8, 10, 4, 6, 8, 10));
  const __m512i topBits = _mm512_set1_epi16(0x30),
                nibble = _mm512_set1_epi16(0x0F);
  const __m512i scaleWords = _mm512_shuffle_epi8(bytes, scaleBytes);
  const __m512i minWords = _mm512_shuffle_epi8(bytes, minBytes);
  // (words & 15) | top bits (ternary-logic table 0xEC: A & C | B).
  const __m512i sc = _mm512_ternarylogic_epi32(
      scaleWords,
      _mm512_and_si512(_mm512_srlv_epi16(scaleWords, topShifts), topBits),
      nibble, 0xEC);
  const __m512i m = _mm512_ternarylogic_epi32(
      _mm512_srli_epi16(minWords, 4),
      _mm512_and_si512(_mm512_srlv_epi16(minWords, topShifts), topBits), nibble,
      0xEC);
  // sc in both halves of a dword: blocks 0, 1 and blocks 2, 3.
  _mm512_storeu_si512(
      scales, _mm512_permutexvar_epi16(
                  (__m512i)(__v32hi){0,  0,  1,  1,  2,  2,  3,  3,  4,  4,  5,
                                     5,  6,  6,  7,  7,  8,  8,  9,  9,  10, 10,
                                     11, 11, 12, 12, 13, 13, 14, 14, 15, 15},
                  sc));
  _mm512_storeu_si512(
      scales + 16,
      _mm512_permutexvar_epi16(
          (__m512i)(__v32hi){16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21,
                             21, 22, 22, 23, 23, 24, 24, 25, 25, 26, 26,
                             27, 27, 28, 28, 29, 29, 30, 30, 31, 31},
          sc));
  // d of blocks 0..3 in lanes 0..3, dmin in lanes 4..7.
  const __m256 factors =
      _mm256_cvtph_ps(_mm512_castsi512_si128(_mm512_permutexvar_epi16(
          (__m512i)(__v32hi){0, 8, 16, 24, 1, 9, 17, 25, 0, 0, 0,
                             0, 0, 0,  0,  0, 0, 0,  0,  0, 0, 0,
                             0, 0, 0,  0,  0, 0, 0,  0,  0, 0},
          bytes)));
  _mm_storeu_ps(
      units, _mm_mul_ps(_mm256_castps256_ps128(factors), _mm_loadu_ps(steps)));
  const __m512 wide = _mm512_castps256_ps512(factors);
  const __m512 minUnits01 = _mm512_permutexvar_ps(
      _mm512_setr_epi32(4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5), wide);
  const __m512 minUnits23 = _mm512_permutexvar_ps(
      _mm512_setr_epi32(6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7), wide);
  const __m512 mins01 =
      _mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(m)));
  const __m512 mins23 = _mm512_cvtepi32_ps(
      _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(m, 1)));
  return _mm512_fmadd_ps(
      _mm512_mul_ps(mins01, _mm512_loadu_ps(subBlockSums)), minUnits01,
      _mm512_mul_ps(_mm512_mul_ps(mins23, _mm512_loadu_ps(subBlockSums + 16)),
                    minUnits23));
}

/// floatRows for q4k and q5k on AVX-512. A sub-block's codes take only 16
/// (q4k) or 32 (q5k) values: q d sc for each is computed once per sub-block
/// into one (two) registers and the codes looked up in them with vpermps
/// (vpermt2ps), which read only an index's low 4 (5) bits, so the low
/// nibbles need no mask; the min terms come from the input sums, as in
/// floatRows. Per 32 q4k weights: a widening load, a shift, two lookups, a
/// table and two FMAs, where floatRows converts both halves and scales each
/// sub-block's dot product afterwards (it is as fast on weights in L3 as from
/// DRAM).
template <int Rows>
LBC_AVX512 void lookupFloatRows(const float *__restrict xs, int64_t xStride,
                                int64_t k, const KQuantWeights &weights,
                                const float *subSums, int64_t nBegin,
                                int64_t nEnd, float *__restrict ys,
                                int64_t yStride) {
  // Independent FMA chains per row: the two nibbles' sums, and for a single
  // row the two halves of a piece and odd and even pieces as well.
  constexpr int Chains = Rows == 1 ? 8 : 2;
  const int64_t span = unitsPerSpan(Rows, kSuperBlock);
  const int64_t ahead = outputsAhead(span * weights.superBlockBytes);
  const int64_t subBlocksPerRow = k / kSubBlock;
  const bool fiveBit = weights.fiveBit;
  alignas(64) float factorTable[kTableBlocks][16];
  const __m512 codeValues =
      _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 upperValues = _mm512_add_ps(codeValues, _mm512_set1_ps(16.0f));
  const __m512i nibble = _mm512_set1_epi32(15),
                fifthBit = _mm512_set1_epi32(16);
  walkSpans<Rows>(
      k / kSuperBlock, span, nBegin, nEnd, ys, yStride, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) LBC_AVX512 {
        __m512 acc[Chains][Rows];
        __m256 offsets[Rows];
        for (int r = 0; r < Rows; ++r) {
          offsets[r] = _mm256_setzero_ps();
          for (int c = 0; c < Chains; ++c)
            acc[c][r] = _mm512_setzero_ps();
        }
        weights.prefetchHeaders(n + ahead, b0, b1);
        for (int64_t t0 = b0; t0 < b1; t0 += kTableBlocks) {
          const int64_t t1 = b1 - t0 < kTableBlocks ? b1 : t0 + kTableBlocks;
          for (int64_t block = t0; block < t1; ++block)
            _mm512_store_ps(factorTable[block - t0],
                            headerFactorsAvx512(weights.header(n, block)));
          for (int64_t block = t0; block < t1; ++block) {
            weights.prefetchCodes(n + ahead, block);
            const uint8_t *codes = weights.blockCodes(n, block);
            const float *factors = factorTable[block - t0];
            // Read back from the table here, not next to the store: the
            // optimizer would forward the stored vector lane by lane.
            __m256 mins = _mm256_load_ps(factors + 8);
            for (int r = 0; r < Rows; ++r)
              offsets[r] = _mm256_fmadd_ps(mins,
                                           _mm256_loadu_ps(subSums +
                                                           r * subBlocksPerRow +
                                                           block * kSubBlocks),
                                           offsets[r]);
            for (int64_t piece = 0; piece < 4; ++piece) {
              // Sub-block 2 piece in the low nibbles, 2 piece + 1 in the
              // high ones.
              __m512 tables[2][2];
              for (int s = 0; s < 2; ++s) {
                __m512 step = _mm512_set1_ps(factors[2 * piece + s]);
                tables[s][0] = _mm512_mul_ps(codeValues, step);
                if (fiveBit)
                  tables[s][1] = _mm512_mul_ps(upperValues, step);
              }
              uint64_t fifth = 0;
              if (fiveBit)
                std::memcpy(&fifth, KQuantWeights::fifthBits(codes, piece),
                            sizeof(fifth));
              for (int half = 0; half < 2; ++half) {
                __m512i bytes = _mm512_cvtepu8_epi32(
                    _mm_loadu_si128(reinterpret_cast<const __m128i *>(
                        codes + piece * 32 + half * 16)));
                __m512i low = bytes, high = _mm512_srli_epi32(bytes, 4);
                __m512 lowValues, highValues;
                if (fiveBit) {
                  // Codes 16 half.. (low nibbles) and 32 + 16 half.. (high).
                  low = _mm512_mask_or_epi32(_mm512_and_si512(low, nibble),
                                             __mmask16(fifth >> (16 * half)),
                                             low, fifthBit);
                  high = _mm512_mask_or_epi32(
                      high, __mmask16(fifth >> (32 + 16 * half)), high,
                      fifthBit);
                  lowValues =
                      _mm512_permutex2var_ps(tables[0][0], low, tables[0][1]);
                  highValues =
                      _mm512_permutex2var_ps(tables[1][0], high, tables[1][1]);
                } else {
                  lowValues = _mm512_permutexvar_ps(low, tables[0][0]);
                  highValues = _mm512_permutexvar_ps(high, tables[1][0]);
                }
                const int64_t first =
                    block * kSuperBlock + piece * 64 + half * 16;
                const int lowChain =
                    Chains == 8 ? 4 * (piece % 2) + 2 * half : 0;
                for (int r = 0; r < Rows; ++r) {
                  const float *x = xs + r * xStride + first;
                  acc[lowChain][r] = _mm512_fmadd_ps(
                      lowValues, _mm512_loadu_ps(x), acc[lowChain][r]);
                  acc[lowChain + 1][r] =
                      _mm512_fmadd_ps(highValues, _mm512_loadu_ps(x + 32),
                                      acc[lowChain + 1][r]);
                }
              }
            }
          }
        }
        for (int r = 0; r < Rows; ++r) {
          __m512 total = acc[0][r];
          for (int c = 1; c < Chains; ++c)
            total = _mm512_add_ps(total, acc[c][r]);
          __m128 offset4 = _mm_add_ps(_mm256_castps256_ps128(offsets[r]),
                                      _mm256_extractf128_ps(offsets[r], 1));
          float offset = offset4[0] + offset4[1] + offset4[2] + offset4[3];
          partial[r] = _mm512_reduce_add_ps(total) - offset;
        }
      });
}

/// One row of x for symmetricBf16Row: per
/// 32 inputs, the inputs rounded to bf16 (hi) and their remainders x - hi
/// rounded to bf16 again (lo), 64 bytes each, so that hi + lo keeps 16 of
/// x's 24 significant bits (relative error below 2^-17); and in `sums16`
/// the sums of hi + lo per 16 inputs, the inputs the products see. Infinite
/// or NaN inputs give NaN outputs.
LBC_AVX512_BF16 void splitInputs(const float *x, int64_t k, uint16_t *split,
                                 float *sums16) {
  for (int64_t s = 0; s < k / 32; ++s)
    for (int64_t half = 0; half < 2; ++half)
      sums16[2 * s + half] = _mm512_reduce_add_ps(storeBf16Split(
          _mm512_loadu_ps(x + 32 * s + 16 * half), split + 64 * s + 16 * half,
          split + 64 * s + 32 + 16 * half));
}

/// How far ahead int16Row prefetches its codes.
constexpr int64_t kInt16RowPrefetchBytes = 2048;

/// q4k and q5k on one row of x with AVX512-VNNI 16-bit dot products, x
/// quantized to int16 per super-block (quantizeInputsInt16). The 6-bit
/// sub-block scales are integers, so a weight's sc[j] q (at most 63 * 31)
/// is an int16 product (vpmullw) and vpdpwssd sums a whole super-block's
/// sc[j] q x_i in int32 lanes (16 products per lane at most 2^31 / 16 each:
/// no overflow); one conversion and one FMA by d * step per super-block
/// finish it, and the min terms come from the sums of the quantized x
/// (S[j], one per sub-block). Per 64 weights: a widening load, an AND,
/// highNibbles, two vpmullw and two dot products (the fifth bits of q5k by a
/// masked add), where lookupFloatRows' lookups ran out of shuffle ports, and
/// session 12's bf16 form (x in bf16 hi and lo parts: four vdpbf16ps and two
/// FMAs) took 2.6 times as many cycles in a loop of this shape on a Sapphire
/// Rapids class Xeon (one vdpbf16ps per cycle). Headers are decoded four at
/// a time (decodeFourHeaders) into tables before the code loop; one at a
/// time they took a quarter of the kernel's time there.
LBC_AVX512_BF16 void int16Row(const int16_t *inputs, const float *inputSteps,
                              const float *subBlockSums, int64_t k,
                              const KQuantWeights &weights, int64_t nBegin,
                              int64_t nEnd, float *__restrict ys) {
  const int64_t span = unitsPerSpan(1, kSuperBlock);
  // 2 KiB ahead (one output of 4096 inputs), not kPrefetchBytes: on a
  // Sapphire Rapids class Xeon the one-row q4k decode of a 576 MiB chain ran
  // 10-15% faster at 1-2 KiB than at 8 KiB (which suits the other kernels:
  // w4's int16Row measured the same from 2 to 8 KiB).
  const int64_t ahead =
      outputsAhead(span * weights.superBlockBytes, kInt16RowPrefetchBytes);
  const bool fiveBit = weights.fiveBit;
  // Independent int32 sums per block: two dot-product chains four deep.
  constexpr int kDotChains = 2;
  // Per block: sc[j] in both 16-bit halves of dword j; d * step.
  alignas(64) int32_t scaleTable[kTableBlocks][8];
  alignas(64) float unitTable[kTableBlocks];
  const __m512i lowNibble = _mm512_set1_epi16(15),
                fifthBit = _mm512_set1_epi16(16);
  walkSpans<1>(
      k / kSuperBlock, span, nBegin, nEnd, ys, 0, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) LBC_AVX512_BF16 {
        __m512 total = _mm512_setzero_ps(), offsets = _mm512_setzero_ps();
        weights.prefetchHeaders(n + ahead, b0, b1);
        for (int64_t t0 = b0; t0 < b1; t0 += kTableBlocks) {
          const int64_t t1 = b1 - t0 < kTableBlocks ? b1 : t0 + kTableBlocks;
          int64_t block = t0;
          for (; block + 4 <= t1; block += 4)
            offsets = _mm512_add_ps(
                offsets, decodeFourHeaders(
                             weights.header(n, block), inputSteps + block,
                             subBlockSums + kSubBlocks * block,
                             scaleTable[block - t0], unitTable + (block - t0)));
          for (; block < t1; ++block) {
            const uint8_t *header = weights.header(n, block);
            __m512i values = headerValuesAvx512(header);
            __m512 units = headerUnitsAvx512(header);
            _mm256_store_si256(
                reinterpret_cast<__m256i *>(scaleTable[block - t0]),
                _mm512_castsi512_si256(
                    _mm512_or_si512(values, _mm512_slli_epi32(values, 16))));
            unitTable[block - t0] = _mm512_cvtss_f32(units) * inputSteps[block];
            // dmin m[j] S[j] (lanes 8..15; S is zero in lanes 0..7).
            offsets = _mm512_fmadd_ps(
                _mm512_mul_ps(_mm512_cvtepi32_ps(values), units),
                _mm512_castpd_ps(
                    _mm512_insertf64x4(_mm512_setzero_pd(),
                                       _mm256_castps_pd(_mm256_loadu_ps(
                                           subBlockSums + kSubBlocks * block)),
                                       1)),
                offsets);
          }
          for (int64_t block = t0; block < t1; ++block) {
            weights.prefetchCodes(n + ahead, block);
            const uint8_t *codes = weights.blockCodes(n, block);
            const int32_t *scales = scaleTable[block - t0];
            const int16_t *x = inputs + block * kSuperBlock;
            __m512i acc[kDotChains];
            for (int64_t piece = 0; piece < 4; ++piece) {
              __m512i words = _mm512_cvtepu8_epi16(_mm256_loadu_si256(
                  reinterpret_cast<const __m256i *>(codes + piece * 32)));
              __m512i values[2] = {_mm512_and_si512(words, lowNibble),
                                   highNibbles(words)};
              if (fiveBit) {
                uint64_t fifth;
                std::memcpy(&fifth, KQuantWeights::fifthBits(codes, piece),
                            sizeof(fifth));
                values[0] = _mm512_mask_add_epi16(values[0], __mmask32(fifth),
                                                  values[0], fifthBit);
                values[1] = _mm512_mask_add_epi16(
                    values[1], __mmask32(fifth >> 32), values[1], fifthBit);
              }
              for (int s = 0; s < 2; ++s) {
                const int64_t subBlock = 2 * piece + s;
                __m512i &sum = acc[subBlock % kDotChains];
                __m512i products = _mm512_mullo_epi16(
                    values[s], _mm512_set1_epi32(scales[subBlock]));
                __m512i xs = _mm512_loadu_si512(x + kSubBlock * subBlock);
                sum = subBlock < kDotChains
                          ? _mm512_madd_epi16(products, xs)
                          : dotAccumulateInt16(sum, products, xs);
              }
            }
            __m512i dots = acc[0];
            for (int c = 1; c < kDotChains; ++c)
              dots = _mm512_add_epi32(dots, acc[c]);
            total =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots),
                                _mm512_set1_ps(unitTable[block - t0]), total);
          }
        }
        partial[0] =
            _mm512_reduce_add_ps(total) - _mm512_reduce_add_ps(offsets);
      });
}

/// One row of the symmetric K-quants (q3k, q6k: 16 sub-blocks of 16 with a
/// step d sc[j] each) with AVX512-BF16 dot products, where
/// symmetricFloatRows' conversions ran out of ports: a piece's 64 codes
/// assembled in position order as
/// for symmetricFloatRows, shifted into the significand of bf16 1.0 (the
/// exact value 1 + q / 2^bits) in two 32-lane halves and dotted with
/// splitInputs' hi and lo parts; each half's dot holds two sub-blocks
/// (lanes 0..7 and 8..15), scaled by their two steps with one FMA. The code
/// offset 2^(bits-1) and the 1 leave through the per-16 input sums.
LBC_AVX512_BF16 void symmetricBf16Row(const uint16_t *split,
                                      const float *sums16, int64_t k,
                                      const KQuantWeights &weights,
                                      int64_t nBegin, int64_t nEnd,
                                      float *__restrict ys) {
  constexpr int Chains = 4;
  const int64_t span = unitsPerSpan(1, kSuperBlock);
  const int64_t ahead = outputsAhead(span * weights.superBlockBytes);
  const int64_t bits = weights.bits;
  // Codes shifted to the top of bf16 1.0's significand: 1 + q / 2^bits, a
  // bias small beside q x (128 + q for codes below 8 lost up to 2e-5 of y
  // to the sums' rounding).
  const __m128i codeShift = _mm_cvtsi64_si128(7 - bits);
  const __m512i one = _mm512_set1_epi16(0x3F80);
  const __m512 codeScale = _mm512_set1_ps(float(1 << bits));
  alignas(64) float stepTable[kTableBlocks][16];
  alignas(64) uint8_t pieceCodes[64];
  walkSpans<1>(
      k / kSuperBlock, span, nBegin, nEnd, ys, 0, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) LBC_AVX512_BF16 {
        __m512 acc[Chains];
        for (int c = 0; c < Chains; ++c)
          acc[c] = _mm512_setzero_ps();
        __m512 offsets = _mm512_setzero_ps();
        weights.prefetchHeaders(n + ahead, b0, b1);
        for (int64_t t0 = b0; t0 < b1; t0 += kTableBlocks) {
          const int64_t t1 = b1 - t0 < kTableBlocks ? b1 : t0 + kTableBlocks;
          for (int64_t block = t0; block < t1; ++block)
            storeSymmetricSteps(weights.header(n, block), bits,
                                stepTable[block - t0]);
          // 2^bits d sc[j]: the dot products hold q / 2^bits.
          for (int64_t block = t0; block < t1; ++block)
            _mm512_store_ps(stepTable[block - t0],
                            _mm512_mul_ps(_mm512_load_ps(stepTable[block - t0]),
                                          codeScale));
          for (int64_t block = t0; block < t1; ++block) {
            weights.prefetchCodes(n + ahead, block);
            const uint8_t *codes = weights.blockCodes(n, block);
            const float *steps = stepTable[block - t0];
            offsets =
                _mm512_fmadd_ps(_mm512_load_ps(steps),
                                _mm512_loadu_ps(sums16 + 16 * block), offsets);
            for (int64_t piece = 0; piece < 4; ++piece) {
              storeSymmetricPiece(codes, piece, bits, pieceCodes);
              for (int64_t half = 0; half < 2; ++half) {
                __m512i values = _mm512_or_si512(
                    _mm512_sll_epi16(_mm512_cvtepu8_epi16(_mm256_load_si256(
                                         reinterpret_cast<const __m256i *>(
                                             pieceCodes + 32 * half))),
                                     codeShift),
                    one);
                const uint16_t *x = split + 64 * (8 * block + 2 * piece + half);
                __m512 dot =
                    _mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)values,
                                     (__m512bh)_mm512_loadu_si512(x));
                dot = _mm512_dpbf16_ps(dot, (__m512bh)values,
                                       (__m512bh)_mm512_loadu_si512(x + 32));
                const int64_t subBlock = 4 * piece + 2 * half;
                __m512 scale = _mm512_shuffle_f32x4(
                    _mm512_set1_ps(steps[subBlock]),
                    _mm512_set1_ps(steps[subBlock + 1]), 0);
                __m512 &sum = acc[(2 * piece + half) % Chains];
                sum = _mm512_fmadd_ps(dot, scale, sum);
              }
            }
          }
        }
        __m512 total = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
                                     _mm512_add_ps(acc[2], acc[3]));
        // y = sum_j 2^b step_j (dot_j - (1 + 2^(b-1) / 2^b) sum_{i in j} x_i).
        partial[0] =
            _mm512_reduce_add_ps(total) - 1.5f * _mm512_reduce_add_ps(offsets);
      });
}
#endif

/// The loop both portable symmetric K-quant kernels (q3k, q6k) share, for
/// rows [0, Rows) and outputs [nBegin, nEnd), k walked `span` super-blocks
/// at a time (SpanWalk.h): per output the steps d * sc[j] of up to
/// kTableBlocks super-blocks into a table, then addPiece(acc, steps, codes,
/// block, piece) with each 64-code piece's codes and the block's 16 steps in
/// memory; acc holds Chains accumulators per row (acc[c * Rows + r]).
template <int Rows, int Chains, typename AddPiece>
void symmetricPieces(int64_t k, const KQuantWeights &weights, int64_t span,
                     int64_t nBegin, int64_t nEnd, float *__restrict ys,
                     int64_t yStride, AddPiece addPiece) {
  const int64_t ahead = outputsAhead(span * weights.superBlockBytes);
  alignas(64) float stepTable[kTableBlocks][16];
  walkSpans<Rows>(
      k / kSuperBlock, span, nBegin, nEnd, ys, yStride, [](int64_t, int64_t) {},
      [&](int64_t n, int64_t b0, int64_t b1, float *partial) {
        Floats16 acc[Chains * Rows] = {};
        weights.prefetchHeaders(n + ahead, b0, b1);
        for (int64_t t0 = b0; t0 < b1; t0 += kTableBlocks) {
          const int64_t t1 = b1 - t0 < kTableBlocks ? b1 : t0 + kTableBlocks;
          for (int64_t block = t0; block < t1; ++block) {
            Floats16 steps =
                symmetricSteps(weights.header(n, block), weights.bits);
            std::memcpy(stepTable[block - t0], &steps, sizeof(steps));
          }
          for (int64_t block = t0; block < t1; ++block) {
            weights.prefetchCodes(n + ahead, block);
            const uint8_t *codes = weights.blockCodes(n, block);
            for (int64_t piece = 0; piece < 4; ++piece)
              addPiece(acc, stepTable[block - t0],
                       symmetricPieceCodes(codes, piece, weights.bits), block,
                       piece);
          }
        }
        for (int r = 0; r < Rows; ++r) {
          Floats16 total = acc[r];
          for (int c = 1; c < Chains; ++c)
            total += acc[c * Rows + r];
          partial[r] = sum(total);
        }
      });
}

/// Rows [0, Rows) on f32 inputs for the symmetric K-quants: a piece's 64
/// codes, less the offset 2^(bits-1) as signed bytes, are four sub-blocks of
/// 16, one float vector each, scaled by the sub-block's step (broadcast from
/// the table) once for all rows.
template <int Rows>
void symmetricFloatRows(const float *__restrict xs, int64_t xStride, int64_t k,
                        const KQuantWeights &weights, int64_t nBegin,
                        int64_t nEnd, float *__restrict ys, int64_t yStride) {
  constexpr int Chains = accumulatorChains<Rows, 4>();
  const uint8_t half = uint8_t(1 << (weights.bits - 1));
  symmetricPieces<Rows, Chains>(
      k, weights, unitsPerSpan(Rows, kSuperBlock), nBegin, nEnd, ys, yStride,
      [&](Floats16 *acc, const float *steps, Bytes64 w, int64_t block,
          int64_t piece) {
        Bytes64 centered = w - half;
        for (int s = 0; s < 4; ++s) {
          SignedBytes16 sub;
          std::memcpy(
              &sub, reinterpret_cast<const uint8_t *>(&centered) + 16 * s, 16);
          // The sub-block's weights, decoded once for all rows.
          Floats16 values =
              __builtin_convertvector(sub, Floats16) * steps[4 * piece + s];
          int64_t first = block * kSuperBlock + piece * 64 + s * 16;
          for (int r = 0; r < Rows; ++r)
            acc[(s % Chains) * Rows + r] +=
                values * load<Floats16>(xs + r * xStride + first);
        }
      });
}

/// Super-block `block` of output n decoded to 256 floats (the panel path):
/// asymmetric formats d sc[j] q - dmin m[j] per sub-block of 32, symmetric
/// ones d sc[j] (q - 2^(bits-1)) per sub-block of 16.
void decodeSuperBlock(const KQuantWeights &weights, int64_t n, int64_t block,
                      float *__restrict out) {
  const uint8_t *codes = weights.blockCodes(n, block);
  if (weights.bits == 3 || weights.bits == 6) {
    Floats16 steps = symmetricSteps(weights.header(n, block), weights.bits);
    float half = float(1 << (weights.bits - 1));
    for (int64_t piece = 0; piece < 4; ++piece) {
      Bytes64 w = symmetricPieceCodes(codes, piece, weights.bits);
      for (int s = 0; s < 4; ++s) {
        Bytes16 sub;
        std::memcpy(&sub, reinterpret_cast<const uint8_t *>(&w) + 16 * s, 16);
        Floats16 values = (__builtin_convertvector(sub, Floats16) - half) *
                          steps[4 * piece + s];
        std::memcpy(out + piece * 64 + s * 16, &values, sizeof(values));
      }
    }
    return;
  }
  Floats16 factors = headerFactors(weights.header(n, block));
  for (int64_t piece = 0; piece < 4; ++piece) {
    Bytes64 fifth = {};
    if (weights.fiveBit)
      fifth = fifthBitValues(KQuantWeights::fifthBits(codes, piece));
    for (int half = 0; half < 2; ++half) {
      Bytes16 bytes = load<Bytes16>(codes + piece * 32 + half * 16);
      Bytes16 lowCodes = bytes & (uint8_t)15, highCodes = bytes >> (uint8_t)4;
      if (weights.fiveBit) {
        Bytes16 fifthLow, fifthHigh;
        std::memcpy(&fifthLow,
                    reinterpret_cast<const uint8_t *>(&fifth) + 16 * half, 16);
        std::memcpy(&fifthHigh,
                    reinterpret_cast<const uint8_t *>(&fifth) + 32 + 16 * half,
                    16);
        lowCodes |= fifthLow;
        highCodes |= fifthHigh;
      }
      // Low nibbles: sub-block 2 piece, high nibbles: 2 piece + 1.
      Floats16 low =
          __builtin_convertvector(lowCodes, Floats16) * factors[2 * piece] -
          factors[8 + 2 * piece];
      Floats16 high = __builtin_convertvector(highCodes, Floats16) *
                          factors[2 * piece + 1] -
                      factors[8 + 2 * piece + 1];
      std::memcpy(out + piece * 64 + half * 16, &low, sizeof(low));
      std::memcpy(out + piece * 64 + 32 + half * 16, &high, sizeof(high));
    }
  }
}

/// The a8 kernels' view of one quantized row (QuantizedActivations.h).
struct QuantizedRow {
  const uint8_t *bytes;
  const ActivationLayout *layout;
  const int8_t *codes(int64_t chunk) const {
    return reinterpret_cast<const int8_t *>(bytes + chunk * kChunkCodes);
  }
  const int32_t *laneCorrections(int64_t chunk) const {
    return reinterpret_cast<const int32_t *>(bytes +
                                             layout->correctionsOffset) +
           chunk * kChunkLanes;
  }
  /// The scales of the chunk's two blocks: sub-blocks 2c and 2c + 1.
  const float *chunkScales(int64_t chunk) const {
    return reinterpret_cast<const float *>(bytes + layout->chunkScalesOffset) +
           2 * chunk;
  }
  /// Every block's scale (8 per super-block).
  const float *blockScales() const {
    return reinterpret_cast<const float *>(bytes + layout->blockScalesOffset);
  }
};

/// Per row and sub-block (an activation block), its dequantized input sum:
/// the quantized layout's block sums.
void quantizedSubSums(const uint8_t *qx, int64_t rows, int64_t k,
                      const ActivationLayout &layout, float *subSums) {
  int64_t subBlocksPerRow = k / kSubBlock;
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(subSums + r * subBlocksPerRow,
                qx + r * layout.rowBytes + layout.blockSumsOffset,
                sizeof(float) * subBlocksPerRow);
}

/// Per lane, the 4-code dot product of K-quant codes (below 64: valid
/// signed bytes for sdot) with input codes, in vector code or with
/// aarch64's sdot.
template <Isa Which> inline Ints16 pieceDots(Bytes64 w, SignedBytes64 inputs) {
#if defined(__aarch64__)
  if (Which == Isa::Dotprod)
    return laneDotsSdot(w, inputs);
#endif
  return laneDots(w, inputs);
}

/// Rows [0, Rows) on int8 inputs in vector code (portable, or with
/// aarch64's sdot: K-quant codes are below 32, valid signed bytes).
template <Isa Which, int Rows>
void quantizedRows(const QuantizedRow *rows, int64_t k,
                   const KQuantWeights &weights, const float *subSums,
                   int64_t nBegin, int64_t nEnd, float *__restrict ys,
                   int64_t yStride) {
  // int8 rows of any k this kernel meets fit L1: one span.
  superBlockRows<Rows>(
      k, weights, subSums, k / kSuperBlock, nBegin, nEnd, ys, yStride,
      [&](Floats16 *acc, const float *factors, const uint8_t *codes,
          int64_t block, int64_t piece) {
        Bytes64 w = splitNibbles(codes + piece * 32);
        if (weights.fiveBit)
          w |= fifthBitValues(KQuantWeights::fifthBits(codes, piece));
        int64_t chunk = block * 4 + piece;
        for (int r = 0; r < Rows; ++r) {
          const float *blockPair = rows[r].chunkScales(chunk);
          float a = factors[2 * piece] * blockPair[0];
          float b = factors[2 * piece + 1] * blockPair[1];
          Floats16 steps = {a, a, a, a, a, a, a, a, b, b, b, b, b, b, b, b};
          SignedBytes64 inputs = load<SignedBytes64>(rows[r].codes(chunk));
          Ints16 dots = pieceDots<Which>(w, inputs);
          acc[r] += __builtin_convertvector(dots, Floats16) * steps;
        }
      });
}

/// Rows [0, Rows) on int8 inputs for the symmetric K-quants: per piece the
/// codes' lane dot products plus the rows' lane corrections (the code
/// offset's share), times per lane d * sc[j] (lanes 4s..4s+3: sub-block
/// 4p + s) and the block scale (lanes 0-7, 8-15: the chunk's two blocks).
template <Isa Which, int Rows>
void symmetricQuantizedRows(const QuantizedRow *rows, int64_t k,
                            const KQuantWeights &weights, int64_t nBegin,
                            int64_t nEnd, float *__restrict ys,
                            int64_t yStride) {
  symmetricPieces<Rows, /*Chains=*/1>(
      k, weights, k / kSuperBlock, nBegin, nEnd, ys, yStride,
      [&](Floats16 *acc, const float *steps, Bytes64 w, int64_t block,
          int64_t piece) {
        Floats4 four = load<Floats4>(steps + 4 * piece);
        Floats16 pieceSteps = __builtin_shufflevector(
            four, four, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        int64_t chunk = block * 4 + piece;
        for (int r = 0; r < Rows; ++r) {
          const float *blockPair = rows[r].chunkScales(chunk);
          float a = blockPair[0], b = blockPair[1];
          Floats16 blockScales = {a, a, a, a, a, a, a, a,
                                  b, b, b, b, b, b, b, b};
          SignedBytes64 inputs = load<SignedBytes64>(rows[r].codes(chunk));
          Ints16 dots = pieceDots<Which>(w, inputs);
          dots += load<Ints16>(rows[r].laneCorrections(chunk));
          acc[r] += __builtin_convertvector(dots, Floats16) * pieceSteps *
                    blockScales;
        }
      });
}

#if defined(__x86_64__)
#define LBC_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/// Rows [0, Rows) and outputs [n, n + Cols) on int8 inputs with AVX-512
/// VNNI: per 64-weight piece one vpdpbusd per row and output; each output's
/// header factors stay in one register and a piece's steps are a permute
/// of it, each row's block scales are spread once per piece for all
/// outputs.
template <int Rows, int Cols>
LBC_VNNI void kquantBlockVnni(const QuantizedRow *rows, int64_t k,
                              const KQuantWeights &weights,
                              const float *subSums, int64_t n,
                              float *__restrict ys, int64_t yStride) {
  int64_t blocks = k / kSuperBlock, subBlocksPerRow = k / kSubBlock;
  const __m512i mask = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16);
  // Lanes 0-7 take sub-block 2p's value, 8-15 sub-block 2p + 1's.
  __m512i pieceSteps[4];
  for (int p = 0; p < 4; ++p)
    pieceSteps[p] =
        _mm512_setr_epi32(2 * p, 2 * p, 2 * p, 2 * p, 2 * p, 2 * p, 2 * p,
                          2 * p, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1,
                          2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1);
  const __m512i halves =
      _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  __m512 acc[Rows][Cols];
  __m256 offsets[Rows][Cols];
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Cols; ++c) {
      acc[r][c] = _mm512_setzero_ps();
      offsets[r][c] = _mm256_setzero_ps();
    }
  for (int64_t block = 0; block < blocks; ++block) {
    __m512 factors[Cols];
    const uint8_t *codes[Cols];
    for (int c = 0; c < Cols; ++c) {
      factors[c] = headerFactorsAvx512(weights.header(n + c, block));
      codes[c] = weights.blockCodes(n + c, block);
    }
    // Decode (one row, one output): the 8 sub-blocks' d * sc times their
    // activation block scales in one multiply, each piece's pair spread
    // over its lanes by one permute (instead of two and a multiply).
    __m512 products;
    if constexpr (Rows == 1 && Cols == 1)
      products = _mm512_mul_ps(
          factors[0], _mm512_zextps256_ps512(_mm256_loadu_ps(
                          rows[0].blockScales() + block * kSubBlocks)));
    for (int p = 0; p < 4; ++p) {
      __m512i w[Cols];
      __m512 steps[Cols];
      for (int c = 0; c < Cols; ++c) {
        __m512i both = _mm512_broadcast_i64x4(_mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(codes[c] + p * 32)));
        w[c] = _mm512_and_si512(
            _mm512_mask_srli_epi16(both, 0xFFFF0000u, both, 4), mask);
        if (weights.fiveBit) {
          uint64_t plane;
          std::memcpy(&plane, KQuantWeights::fifthBits(codes[c], p),
                      sizeof(plane));
          w[c] = _mm512_or_si512(
              w[c], _mm512_and_si512(_mm512_movm_epi8(plane), sixteen));
        }
        if constexpr (Rows == 1 && Cols == 1)
          steps[c] = _mm512_permutexvar_ps(pieceSteps[p], products);
        else
          steps[c] = _mm512_permutexvar_ps(pieceSteps[p], factors[c]);
      }
      int64_t chunk = block * 4 + p;
      if constexpr (Rows == 1 && Cols == 1) {
        __m512i dots =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[0],
                                _mm512_loadu_si512(rows[0].codes(chunk)));
        acc[0][0] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots), steps[0], acc[0][0]);
        continue;
      }
      for (int r = 0; r < Rows; ++r) {
        __m512i inputs = _mm512_loadu_si512(rows[r].codes(chunk));
        __m512 blockScales = _mm512_permutexvar_ps(
            halves, _mm512_castps128_ps512(_mm_castpd_ps(
                        _mm_load_sd(reinterpret_cast<const double *>(
                            rows[r].chunkScales(chunk))))));
        for (int c = 0; c < Cols; ++c) {
          __m512i dots =
              _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[c], inputs);
          acc[r][c] =
              _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots),
                              _mm512_mul_ps(steps[c], blockScales), acc[r][c]);
        }
      }
    }
    for (int c = 0; c < Cols; ++c) {
      __m256 mins = _mm256_castpd_ps(
          _mm512_extractf64x4_pd(_mm512_castps_pd(factors[c]), 1));
      for (int r = 0; r < Rows; ++r)
        offsets[r][c] = _mm256_fmadd_ps(
            mins,
            _mm256_loadu_ps(subSums + r * subBlocksPerRow + block * kSubBlocks),
            offsets[r][c]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Cols; ++c)
      ys[r * yStride + n + c] =
          _mm512_reduce_add_ps(acc[r][c]) -
          _mm512_reduce_add_ps(_mm512_zextps256_ps512(offsets[r][c]));
}

/// The symmetric K-quants (q3k, q6k) with AVX-512 VNNI, rows [0, Rows)
/// and outputs [n, n + Cols): per piece one vpdpbusd per row and output,
/// started from the row's lane corrections (the code offset's share), then
/// per lane d * sc[j] (a permute of the header's 16 steps) times the
/// row's block scale.
template <int Rows, int Cols>
LBC_VNNI void symmetricBlockVnni(const QuantizedRow *rows, int64_t k,
                                 const KQuantWeights &weights, int64_t n,
                                 float *__restrict ys, int64_t yStride) {
  int64_t blocks = k / kSuperBlock;
  __m512i pieceSteps[4];
  for (int p = 0; p < 4; ++p)
    pieceSteps[p] = _mm512_setr_epi32(
        4 * p, 4 * p, 4 * p, 4 * p, 4 * p + 1, 4 * p + 1, 4 * p + 1, 4 * p + 1,
        4 * p + 2, 4 * p + 2, 4 * p + 2, 4 * p + 2, 4 * p + 3, 4 * p + 3,
        4 * p + 3, 4 * p + 3);
  const __m512i halves =
      _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  __m512 acc[Rows][Cols];
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Cols; ++c)
      acc[r][c] = _mm512_setzero_ps();
  for (int64_t block = 0; block < blocks; ++block) {
    __m512 steps[Cols];
    const uint8_t *codes[Cols];
    for (int c = 0; c < Cols; ++c) {
      storeSymmetricSteps(weights.header(n + c, block), weights.bits,
                          &steps[c]);
      codes[c] = weights.blockCodes(n + c, block);
    }
    // Decode (one row, one output): the 16 sub-blocks' steps times their
    // activation block scales (one per two sub-blocks) once per
    // super-block, each piece's four spread by one permute (instead of two
    // and a multiply).
    if constexpr (Rows == 1 && Cols == 1)
      steps[0] = _mm512_mul_ps(
          steps[0],
          _mm512_permutexvar_ps(
              _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7),
              _mm512_castps256_ps512(_mm256_loadu_ps(rows[0].blockScales() +
                                                     block * kSubBlocks))));
    for (int p = 0; p < 4; ++p) {
      __m512i w[Cols];
      __m512 laneSteps[Cols];
      for (int c = 0; c < Cols; ++c) {
        storeSymmetricPiece(codes[c], p, weights.bits, &w[c]);
        laneSteps[c] = _mm512_permutexvar_ps(pieceSteps[p], steps[c]);
      }
      int64_t chunk = block * 4 + p;
      if constexpr (Rows == 1 && Cols == 1) {
        __m512i dots = _mm512_dpbusd_epi32(
            _mm512_loadu_si512(rows[0].laneCorrections(chunk)), w[0],
            _mm512_loadu_si512(rows[0].codes(chunk)));
        acc[0][0] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots), laneSteps[0], acc[0][0]);
        continue;
      }
      for (int r = 0; r < Rows; ++r) {
        __m512i inputs = _mm512_loadu_si512(rows[r].codes(chunk));
        __m512i corrections =
            _mm512_loadu_si512(rows[r].laneCorrections(chunk));
        __m512 blockScales = _mm512_permutexvar_ps(
            halves, _mm512_castps128_ps512(_mm_castpd_ps(
                        _mm_load_sd(reinterpret_cast<const double *>(
                            rows[r].chunkScales(chunk))))));
        for (int c = 0; c < Cols; ++c) {
          __m512i dots = _mm512_dpbusd_epi32(corrections, w[c], inputs);
          acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots),
                                      _mm512_mul_ps(laneSteps[c], blockScales),
                                      acc[r][c]);
        }
      }
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Cols; ++c)
      ys[r * yStride + n + c] = _mm512_reduce_add_ps(acc[r][c]);
}

/// Rows [0, Rows) for outputs [nBegin, nEnd): blocks of four outputs when
/// there are several rows, one at a time for a single row (decode).
template <int Rows>
LBC_VNNI void quantizedRowsVnni(const QuantizedRow *rows, int64_t k,
                                const KQuantWeights &weights,
                                const float *subSums, int64_t nBegin,
                                int64_t nEnd, float *__restrict ys,
                                int64_t yStride) {
  constexpr int Cols = Rows == 1 ? 1 : 4;
  bool symmetric = weights.bits == 3 || weights.bits == 6;
  int64_t n = nBegin;
  for (; n + Cols <= nEnd; n += Cols)
    if (symmetric)
      symmetricBlockVnni<Rows, Cols>(rows, k, weights, n, ys, yStride);
    else
      kquantBlockVnni<Rows, Cols>(rows, k, weights, subSums, n, ys, yStride);
  for (; n < nEnd; ++n)
    if (symmetric)
      symmetricBlockVnni<Rows, 1>(rows, k, weights, n, ys, yStride);
    else
      kquantBlockVnni<Rows, 1>(rows, k, weights, subSums, n, ys, yStride);
}
#endif

template <Isa Which, int Rows>
void runQuantized(const QuantizedRow *rows, int64_t k,
                  const KQuantWeights &weights, const float *subSums,
                  int64_t nBegin, int64_t nEnd, float *ys, int64_t yStride) {
#if defined(__x86_64__)
  if (Which == Isa::Vnni)
    return quantizedRowsVnni<Rows>(rows, k, weights, subSums, nBegin, nEnd, ys,
                                   yStride);
#endif
  if (weights.bits == 3 || weights.bits == 6)
    return symmetricQuantizedRows<Which, Rows>(rows, k, weights, nBegin, nEnd,
                                               ys, yStride);
  quantizedRows<Which, Rows>(rows, k, weights, subSums, nBegin, nEnd, ys,
                             yStride);
}

template <Isa Which>
int64_t kquantLinearA8(const uint8_t *qx, int64_t rows, int64_t k,
                       const uint8_t *packed, int64_t nTotal, int64_t nBegin,
                       int64_t nEnd, float *y, int64_t yStride, int64_t bits) {
  if (k % kSuperBlock != 0 || bits < 3 || bits > 6)
    return -1;
  ActivationLayout layout = activationLayout(k, 64);
  KQuantWeights weights(packed, nTotal, k, bits);
  int64_t subBlocksPerRow = k / kSubBlock;
  float *subSums = static_cast<float *>(
      __builtin_alloca(sizeof(float) * 4 * subBlocksPerRow));
  int64_t r = 0;
  while (r < rows) {
    int block = rows - r >= 4 ? 4 : static_cast<int>(rows - r);
    QuantizedRow quantized[4];
    for (int i = 0; i < block; ++i)
      quantized[i] = QuantizedRow{qx + (r + i) * layout.rowBytes, &layout};
    quantizedSubSums(qx + r * layout.rowBytes, block, k, layout, subSums);
    float *ys = y + r * yStride;
    if (block == 4)
      runQuantized<Which, 4>(quantized, k, weights, subSums, nBegin, nEnd, ys,
                             yStride);
    else if (block == 3)
      runQuantized<Which, 3>(quantized, k, weights, subSums, nBegin, nEnd, ys,
                             yStride);
    else if (block == 2)
      runQuantized<Which, 2>(quantized, k, weights, subSums, nBegin, nEnd, ys,
                             yStride);
    else
      runQuantized<Which, 1>(quantized, k, weights, subSums, nBegin, nEnd, ys,
                             yStride);
    r += block;
  }
  return 0;
}

#if defined(__x86_64__)
/// Whether rows of x end in a single row that the AVX512-BF16 variant takes
/// in its one-row form (int16Row, symmetricBf16Row); more rows take the
/// register-tiled GEMM.
inline bool takesOneRowForm(int64_t rows, int64_t k) {
  return rows < kPanelMinRows && rows % 4 == 1 && k % kSuperBlock == 0;
}

/// A prepared row (PreparedRow.h) of the one-row kernels: bf16 parts and
/// sums per 16 (q3k, q6k), or int16 codes, steps per super-block and
/// sub-block sums (q4k, q5k; `sums16` holds the sums per 16 on the way).
struct KQuantRow {
  uint16_t *split = nullptr;
  int16_t *codes = nullptr;
  float *sums16 = nullptr, *steps = nullptr, *subBlockSums = nullptr;
};

inline KQuantRow rowSections(int64_t k, int64_t bits, uint8_t *buffer) {
  PreparedRowCursor cursor{buffer};
  KQuantRow row;
  if (bits == 3 || bits == 6) {
    row.split = cursor.take<uint16_t>(2 * k);
  } else {
    row.codes = cursor.take<int16_t>(k);
    row.steps = cursor.take<float>(k / kSuperBlock);
    row.subBlockSums = cursor.take<float>(k / kSubBlock);
  }
  row.sums16 = cursor.take<float>(k / 16);
  return row;
}

/// Writes the one-row form of x (k inputs) for `bits` into `buffer`.
LBC_AVX512_BF16 void prepareRow(const float *x, int64_t k, int64_t bits,
                                uint8_t *buffer) {
  const KQuantRow row = rowSections(k, bits, buffer);
  if (bits == 3 || bits == 6) {
    splitInputs(x, k, row.split, row.sums16);
    return;
  }
  quantizeInputsInt16(x, k, kSuperBlock, row.codes, row.steps, row.sums16);
  for (int64_t j = 0; j < k / kSubBlock; ++j)
    row.subBlockSums[j] = row.sums16[2 * j] + row.sums16[2 * j + 1];
}
#endif

template <Isa Which>
int64_t kquantLinear(int64_t x, int64_t rows, int64_t k, int64_t xStride,
                     int64_t packed, int64_t nTotal, int64_t nBegin,
                     int64_t nEnd, int64_t y, int64_t yStride, int64_t bits,
                     int64_t prepared) {
  if (k % kSuperBlock != 0 || bits < 3 || bits > 6)
    return -1;
  const float *xs = reinterpret_cast<const float *>(x);
  KQuantWeights weights(reinterpret_cast<const uint8_t *>(packed), nTotal, k,
                        bits);
  if (rows >= kPanelMinRows) {
    // A 6 x 64 register tile in 32 zmm registers, 6 x 16 in 16 ymm.
    panelGemm<Which == Isa::Portable ? 1 : 4>(
        xs, rows, k, xStride, kSuperBlock, nBegin, nEnd,
        reinterpret_cast<float *>(y), yStride,
        [&](int64_t n, int64_t k0, int64_t, float *out) {
          decodeSuperBlock(weights, n, k0 / kSuperBlock, out);
        });
    return 0;
  }
  // A last single row on AVX512-BF16 CPUs: 16-bit integer dot products for
  // q4k and q5k, bf16 ones for q3k and q6k (rows in blocks of 4 keep sharing
  // each decoded piece).
#if defined(__x86_64__)
  // Without a prepared row all rows take the f32-input kernels below.
  if (Which == Isa::Avx512Bf16 && prepared && takesOneRowForm(rows, k)) {
    const int64_t last = rows - 1;
    float *lastY = reinterpret_cast<float *>(y) + last * yStride;
    const KQuantRow row =
        rowSections(k, bits, reinterpret_cast<uint8_t *>(prepared));
    if (bits == 3 || bits == 6)
      symmetricBf16Row(row.split, row.sums16, k, weights, nBegin, nEnd, lastY);
    else
      int16Row(row.codes, row.steps, row.subBlockSums, k, weights, nBegin, nEnd,
               lastY);
    rows = last;
  }
#endif
  if (bits == 3 || bits == 6) {
    float *ys = reinterpret_cast<float *>(y);
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4)
      symmetricFloatRows<4>(xs + r * xStride, xStride, k, weights, nBegin, nEnd,
                            ys + r * yStride, yStride);
    for (; r < rows; ++r)
      symmetricFloatRows<1>(xs + r * xStride, xStride, k, weights, nBegin, nEnd,
                            ys + r * yStride, yStride);
    return 0;
  }
  int64_t subBlocksPerRow = k / kSubBlock;
  float *subSums = static_cast<float *>(
      __builtin_alloca(sizeof(float) * 4 * subBlocksPerRow));
  int64_t r = 0;
  while (r < rows) {
    int block = rows - r >= 4 ? 4 : static_cast<int>(rows - r);
    for (int i = 0; i < block; ++i)
      for (int64_t s = 0; s < subBlocksPerRow; ++s) {
        const float *at = xs + (r + i) * xStride + s * kSubBlock;
        float total = 0.0f;
        for (int64_t e = 0; e < kSubBlock; ++e)
          total += at[e];
        subSums[i * subBlocksPerRow + s] = total;
      }
    const float *rowX = xs + r * xStride;
    float *ys = reinterpret_cast<float *>(y) + r * yStride;
    auto run = [&](auto rowCount) {
      constexpr int Rows = decltype(rowCount)::value;
#if defined(__x86_64__)
      if (Which != Isa::Portable)
        return lookupFloatRows<Rows>(rowX, xStride, k, weights, subSums, nBegin,
                                     nEnd, ys, yStride);
#endif
      floatRows<Rows>(rowX, xStride, k, weights, subSums, nBegin, nEnd, ys,
                      yStride);
    };
    if (block == 4)
      run(std::integral_constant<int, 4>());
    else if (block == 3)
      run(std::integral_constant<int, 3>());
    else if (block == 2)
      run(std::integral_constant<int, 2>());
    else
      run(std::integral_constant<int, 1>());
    r += block;
  }
  return 0;
}

} // namespace

extern "C" {

/// y[r * yStride + n] = sum_j x[r * xStride + j] * W[n, j] for r < rows and
/// n in [nBegin, nEnd), W the n x k weight of `packed` in the K-quant format
/// (`bits` = 3 to 6; k a multiple of 256). `prepared` is 0 or a buffer that
/// lbc_ukernel_kquant_prepare_row filled from the same x (PreparedRow.h);
/// with 0 the one-row kernels are not used. Returns 0, or -1 for a format it
/// does not handle.
int64_t lbc_ukernel_kquant_linear(int64_t x, int64_t rows, int64_t k,
                                  int64_t xStride, int64_t packed,
                                  int64_t nTotal, int64_t nBegin, int64_t nEnd,
                                  int64_t y, int64_t yStride, int64_t bits,
                                  int64_t prepared) {
  return kquantLinear<Isa::Portable>(x, rows, k, xStride, packed, nTotal,
                                     nBegin, nEnd, y, yStride, bits, prepared);
}

/// Prepares x (rows of k inputs) for lbc_ukernel_kquant_linear's calls over
/// a weight of `bits` in the buffer `prepared` of preparedRowBytes(k) bytes.
/// The portable kernels read x itself: nothing to do. Returns 0.
int64_t lbc_ukernel_kquant_prepare_row(int64_t, int64_t, int64_t, int64_t,
                                       int64_t, int64_t) {
  return 0;
}

#if defined(__x86_64__)
/// lbc_ukernel_kquant_linear for CPUs with AVX-512: q4k and q5k codes looked
/// up in per-sub-block tables (lookupFloatRows), and the prefill path's
/// register tile sized for 32 zmm registers.
int64_t lbc_ukernel_kquant_linear__avx512(int64_t x, int64_t rows, int64_t k,
                                          int64_t xStride, int64_t packed,
                                          int64_t nTotal, int64_t nBegin,
                                          int64_t nEnd, int64_t y,
                                          int64_t yStride, int64_t bits,
                                          int64_t prepared) {
  return kquantLinear<Isa::Avx512>(x, rows, k, xStride, packed, nTotal, nBegin,
                                   nEnd, y, yStride, bits, prepared);
}

/// lbc_ukernel_kquant_linear__avx512 for CPUs with AVX512-BF16 and
/// AVX512-VNNI: a single row (decode) takes 16-bit integer dot products
/// (int16Row, q4k and q5k) or bf16 ones (symmetricBf16Row, q3k and q6k).
LBC_AVX512_BF16 int64_t lbc_ukernel_kquant_linear__avx512bf16(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t packed,
    int64_t nTotal, int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride,
    int64_t bits, int64_t prepared) {
  return kquantLinear<Isa::Avx512Bf16>(x, rows, k, xStride, packed, nTotal,
                                       nBegin, nEnd, y, yStride, bits,
                                       prepared);
}

/// lbc_ukernel_kquant_prepare_row for the `__avx512bf16` linear kernel:
/// the last row's int16 or bf16 form, when it takes the one-row kernels.
LBC_AVX512_BF16 int64_t lbc_ukernel_kquant_prepare_row__avx512bf16(
    int64_t x, int64_t rows, int64_t k, int64_t xStride, int64_t prepared,
    int64_t bits) {
  if (bits < 3 || bits > 6 || !takesOneRowForm(rows, k))
    return 0;
  prepareRow(reinterpret_cast<const float *>(x) + (rows - 1) * xStride, k, bits,
             reinterpret_cast<uint8_t *>(prepared));
  return 0;
}
#endif

/// lbc_ukernel_kquant_linear's contract with the input given as `qx`, rows
/// quantized by lbc_ukernel_quantize_activations for bits 4, group size 64.
int64_t lbc_ukernel_kquant_linear_a8(int64_t qx, int64_t rows, int64_t k,
                                     int64_t packed, int64_t nTotal,
                                     int64_t nBegin, int64_t nEnd, int64_t y,
                                     int64_t yStride, int64_t bits) {
  return kquantLinearA8<Isa::Portable>(
      reinterpret_cast<const uint8_t *>(qx), rows, k,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits);
}

#if defined(__x86_64__)
/// lbc_ukernel_kquant_linear_a8 for CPUs with AVX-512 VNNI.
LBC_VNNI int64_t lbc_ukernel_kquant_linear_a8__avx512vnni(
    int64_t qx, int64_t rows, int64_t k, int64_t packed, int64_t nTotal,
    int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride, int64_t bits) {
  return kquantLinearA8<Isa::Vnni>(reinterpret_cast<const uint8_t *>(qx), rows,
                                   k, reinterpret_cast<const uint8_t *>(packed),
                                   nTotal, nBegin, nEnd,
                                   reinterpret_cast<float *>(y), yStride, bits);
}
#endif

#if defined(__aarch64__)
/// lbc_ukernel_kquant_linear_a8 for CPUs with the dot-product extension.
LBC_DOTPROD int64_t lbc_ukernel_kquant_linear_a8__dotprod(
    int64_t qx, int64_t rows, int64_t k, int64_t packed, int64_t nTotal,
    int64_t nBegin, int64_t nEnd, int64_t y, int64_t yStride, int64_t bits) {
  return kquantLinearA8<Isa::Dotprod>(
      reinterpret_cast<const uint8_t *>(qx), rows, k,
      reinterpret_cast<const uint8_t *>(packed), nTotal, nBegin, nEnd,
      reinterpret_cast<float *>(y), yStride, bits);
}
#endif

} // extern "C"
