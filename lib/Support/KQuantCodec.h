//===- KQuantCodec.h - K-quant super-block weight codec ---------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The byte-level definition of lbc's K-quant format (llama.cpp's Q4_K
// arithmetic): super-blocks of 256 weights along K, each of 8 sub-blocks of
// 32 with its own scale and min, those quantized to 6 bits against two f16
// super-block scales:
//
//   x = d * sc[j] * q - dmin * m[j]     (q in [0, 2^bits), sc, m in [0, 63])
//
// with 4-bit (q4k, 4.5 bits/weight) or 5-bit (q5k, 5.5) codes.
//
// The fit is a weighted least-squares search per sub-block (importance
// w_i = sqrt(2 mean(x^2)) + |x_i|, or calibration importance when given).
// Like GroupwiseCodec.h this depends on neither MLIR nor LLVM: the compiler
// and the kernels share it.
//
// A packed blob of a rows x cols weight (cols padded to whole super-blocks
// with zeros, which take no part in the fit):
//   [codes][pad to 64][headers]
//   codes: per row, per super-block 128 bytes; bytes [32p, 32p + 32) hold
//     sub-block 2p's codes in their low nibbles and sub-block 2p + 1's in
//     their high nibbles (codes i and 32 + i of a 64-weight piece share byte
//     32p + i: the split-halves order of a 64-group). 5-bit codes add 32
//     bytes of fifth bits after those 128: bytes [128 + 8p, 128 + 8p + 8), as
//     a little-endian 64-bit word, hold at bit t the fifth bit of the code
//     at position t of piece p (t < 32: sub-block 2p element t; else
//     sub-block 2p + 1 element t - 32), the order the kernels decode in.
//   headers: per row, per super-block 16 bytes: d (f16), dmin (f16), then the
//     16 six-bit values v0..v15 (v0..v7 = sc[0..7], v8..v15 = m[0..7]) as
//     8 bytes of low nibbles (byte i: v_i | v_{i+8} << 4) and 4 bytes of high
//     bit pairs (byte i: bits 4-5 of v_{4i + t} at bits 2t, t < 4).
//   4.5 (4-bit) or 5.5 (5-bit) bits per weight.
//
// The symmetric K-quants (llama.cpp's Q3_K and Q6_K arithmetic) split a
// super-block into 16 sub-blocks of 16 with one signed scale each and no
// min:
//
//   x = (d * sc[j]) * (q - 2^(bits-1))    (q in [0, 2^bits))
//
// q6k: sc int8, 6-bit codes, 6.5625 bits/weight; q3k: sc 6-bit signed
// ([-32, 31], stored + 32), 3-bit codes, 3.4375 bits/weight. Codes are
// numbered per 64-weight piece p (sub-blocks 4p..4p+3) by position t < 64
// (sub-block 4p + t / 16, element t % 16):
//   6-bit: low nibbles as the 4-bit layout (byte 32p + t % 32, high nibble
//     for t >= 32), then bits 4-5 at byte 128 + 16p + t % 16, bits
//     2 * (t / 16); 192 bytes per super-block.
//   3-bit: bits 0-1 at byte 16p + t % 16, bits 2 * (t / 16); bit 2 at byte
//     64 + 8p + t / 8, bit t % 8; 96 bytes per super-block.
//   headers: d (f16), then q6k: sc[0..15] as int8 (18 bytes); q3k: the 16
//     six-bit values sc + 32 packed like the 4-bit header's but from byte 2
//     (8 bytes of low nibbles, 4 of high bit pairs; 14 bytes).
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_KQUANTCODEC_H
#define LBC_SUPPORT_KQUANTCODEC_H

#include "lib/Support/GroupwiseCodec.h"

#include <cstdint>
#include <string>

namespace lbc {

constexpr int64_t kKQuantSuperBlock = 256;
constexpr int64_t kKQuantSubBlock = 32;
constexpr int64_t kKQuantSubBlocks = kKQuantSuperBlock / kKQuantSubBlock;
constexpr int64_t kKQuantHeaderBytes = 16;
/// Sub-blocks of the symmetric K-quants (q3k, q6k).
constexpr int64_t kKQuantSymmetricSubBlock = 16;

struct KQuantFormat {
  unsigned bits = 4;
};

/// Whether `bits` selects a symmetric K-quant (3 or 6) rather than the
/// scale-and-min ones (4 or 5).
constexpr bool isSymmetricKQuant(unsigned bits) {
  return bits == 3 || bits == 6;
}

/// Header bytes per super-block.
constexpr int64_t kquantHeaderBytes(unsigned bits) {
  return bits == 3 ? 14 : bits == 6 ? 18 : kKQuantHeaderBytes;
}

/// The code at position `t` (< 64) of piece `piece` of a symmetric K-quant
/// super-block's code bytes.
inline unsigned symmetricKQuantCode(const uint8_t *codes, unsigned bits,
                                    int64_t piece, int64_t t) {
  if (bits == 6)
    return ((codes[32 * piece + t % 32] >> (4 * (t / 32))) & 15) |
           ((codes[128 + 16 * piece + t % 16] >> (2 * (t / 16))) & 3) << 4;
  return ((codes[16 * piece + t % 16] >> (2 * (t / 16))) & 3) |
         ((codes[64 + 8 * piece + t / 8] >> (t % 8)) & 1) << 2;
}

struct KQuantLayout {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t superBlocksPerRow = 0;
  /// Code bytes of one super-block: 256 * bits / 8.
  int64_t superBlockBytes = 0;
  int64_t codesOffset = 0;
  int64_t headersOffset = 0;
  int64_t totalBytes = 0;
};

/// Returns an empty string when `format` is valid, otherwise the reason.
std::string validateKQuantFormat(const KQuantFormat &format);

/// Storage bits per weight, headers included (4.5 for 4 bits).
double bitsPerWeight(const KQuantFormat &format);

KQuantLayout computeKQuantLayout(const KQuantFormat &format, int64_t rows,
                                 int64_t cols);

/// The bit position, in its super-block's high-bit plane, of the fifth bit
/// of element `element` of sub-block `subBlock` (5-bit codes).
inline unsigned kquantHighBitPosition(int64_t subBlock, int64_t element) {
  return unsigned((subBlock / 2) * 64 + (subBlock % 2) * 32 + element);
}

/// Six-bit value `index` (0..15) of a super-block header whose packed
/// values start at byte `first` (4 for q4k/q5k, 2 for q3k).
inline unsigned kquantHeaderValue(const uint8_t *header, unsigned index,
                                  unsigned first = 4) {
  unsigned low = (header[first + index % 8] >> (4 * (index / 8))) & 15;
  unsigned high = (header[first + 8 + index / 4] >> (2 * (index % 4))) & 3;
  return low | high << 4;
}

/// Sub-block `j`'s signed scale sc[j] in a symmetric K-quant header.
inline int symmetricKQuantScale(const uint8_t *header, unsigned bits,
                                unsigned j) {
  if (bits == 6)
    return int(static_cast<int8_t>(header[2 + j]));
  return int(kquantHeaderValue(header, j, 2)) - 32;
}

/// Fits and packs a rows x cols weight. `importance`, when not null, holds
/// one non-negative weight per column (e.g. the mean squared calibration
/// input of that channel) and replaces the data-free importance.
CodecStatus quantizeKQuant(const KQuantFormat &format, const float *weights,
                           int64_t rows, int64_t cols, const float *importance,
                           uint8_t *packed);

/// Expands a packed blob back to rows x cols fp32 values.
void dequantizeKQuant(const KQuantFormat &format, const uint8_t *packed,
                      int64_t rows, int64_t cols, float *weights);

} // namespace lbc

#endif // LBC_SUPPORT_KQUANTCODEC_H
