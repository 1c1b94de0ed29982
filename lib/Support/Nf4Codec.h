//===- Nf4Codec.h - NF4 (4-bit NormalFloat) weight codec --------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The byte-level definition of lbc's NF4 format (bitsandbytes' 4-bit
// NormalFloat): blocks of `blockSize` weights along K, each scaled by its
// absolute maximum (stored as f16), codes indexing a fixed 16-value codebook
// of normal quantiles:
//
//   x = kNf4Codebook[q] * absmax
//
// A packed blob of a rows x cols weight (the last block of a row padded with
// the code of 0, which takes no part in the fit):
//   [codes][pad to 64][scales]
//   codes: per row, per block blockSize / 2 bytes; byte j holds code j in its
//     low nibble and code j + blockSize / 2 in its high one (split halves).
//   scales: per row, per block the f16 absmax.
//   bits/weight = 4 + 16 / blockSize (4.25 for blocks of 64; bitsandbytes'
//   double quantization of the absmax, 4.127, is not implemented).
// Depends on neither MLIR nor LLVM: the compiler and the kernels share it.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_NF4CODEC_H
#define LBC_SUPPORT_NF4CODEC_H

#include "lib/Support/GroupwiseCodec.h"

#include <cstdint>
#include <string>

namespace lbc {

/// The NF4 codebook (QLoRA, arXiv 2305.14314): 16 quantiles of N(0, 1)
/// scaled to [-1, 1], with an exact 0 (code 7).
constexpr float kNf4Codebook[16] = {
    -1.0f,       -0.6961928f, -0.5250731f, -0.3949175f,
    -0.2844414f, -0.1847734f, -0.0910500f, 0.0f,
    0.0795803f,  0.1609302f,  0.2461123f,  0.3379152f,
    0.4407098f,  0.5626170f,  0.7229568f,  1.0f};
constexpr unsigned kNf4ZeroCode = 7;

struct Nf4Format {
  unsigned blockSize = 64;
};

struct Nf4Layout {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t blocksPerRow = 0;
  int64_t blockBytes = 0;
  int64_t codesOffset = 0;
  int64_t scalesOffset = 0;
  int64_t totalBytes = 0;
};

/// Returns an empty string when `format` is valid, otherwise the reason.
std::string validateNf4Format(const Nf4Format &format);

double bitsPerWeight(const Nf4Format &format);

Nf4Layout computeNf4Layout(const Nf4Format &format, int64_t rows, int64_t cols);

/// Fits and packs a rows x cols weight (absmax scale, nearest codebook
/// entry to x / absmax, ties to the lower code).
CodecStatus quantizeNf4(const Nf4Format &format, const float *weights,
                        int64_t rows, int64_t cols, uint8_t *packed);

/// Expands a packed blob back to rows x cols fp32 values.
void dequantizeNf4(const Nf4Format &format, const uint8_t *packed, int64_t rows,
                   int64_t cols, float *weights);

} // namespace lbc

#endif // LBC_SUPPORT_NF4CODEC_H
