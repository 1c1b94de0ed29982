//===- GroupwiseCodec.h - Group-wise integer weight codec -------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The byte-level definition of lbc's group-wise integer weight format: the
// packed layout, round-to-nearest fitting, and dequantization. The compiler
// (lowbit dialect, quantization passes) and the runtime's kernels both build
// on this one definition, so it depends on neither MLIR nor LLVM.
//
// A weight of logical shape [d0, ..., dn-1, K] is seen as rows x K with
// rows = d0 * ... * dn-1; groups of `groupSize` consecutive elements run along
// K. When K is not a multiple of the group size the last group of each row is
// padded (see docs/dialect.md, "Padding rule").
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_GROUPWISECODEC_H
#define LBC_SUPPORT_GROUPWISECODEC_H

#include <cstdint>
#include <string>

namespace lbc {

/// Storage kinds of per-group scales and zero points.
enum class ScalarKind : uint8_t { None, F32, F16, BF16, U8 };

/// Order of the integer codes of one group inside its packed bytes.
enum class PackOrder : uint8_t {
  /// Code i occupies bits [i*bits, (i+1)*bits) of the group's little-endian
  /// bit stream. Valid for every bit width.
  LsbFirst,
  /// 4-bit only (llama.cpp's Q4_0 nibble order): byte j holds code j in its
  /// low nibble and code j + groupSize/2 in its high nibble.
  SplitHalves,
};

/// A group-wise integer format: `bits`-bit codes, one scale (and for the
/// asymmetric scheme one zero point) per `groupSize` weights.
///   symmetric:  x = (q - 2^(bits-1)) * scale
///   asymmetric: x = (q - zeroPoint) * scale
struct GroupwiseFormat {
  unsigned bits = 4;
  unsigned groupSize = 32;
  bool symmetric = true;
  ScalarKind scaleKind = ScalarKind::F16;
  /// None for the symmetric scheme; U8, F16, BF16 or F32 when asymmetric.
  ScalarKind zeroPointKind = ScalarKind::None;
  PackOrder order = PackOrder::LsbFirst;
};

/// Alignment in bytes of every section of a packed blob (one cache line, so
/// that SIMD loads of each section start aligned).
constexpr int64_t kSectionAlignment = 64;

/// Byte offsets of the sections of a packed blob for a rows x cols weight:
/// [codes][pad to 64][scales][pad to 64][zero points, asymmetric only].
struct GroupwiseLayout {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t groupsPerRow = 0;
  /// Packed code bytes of one group: groupSize * bits / 8.
  int64_t groupBytes = 0;
  int64_t codesOffset = 0;
  int64_t scalesOffset = 0;
  int64_t zeroPointsOffset = 0;
  int64_t totalBytes = 0;
};

/// Outcome of fitting a weight to a format.
enum class CodecStatus { Ok, NonFiniteInput, NonFiniteScale };

/// Returns an empty string when `format` is valid, otherwise the reason.
std::string validateFormat(const GroupwiseFormat &format);

/// Bytes one scalar of `kind` occupies in a packed blob (0 for None).
unsigned scalarByteSize(ScalarKind kind);

/// Nominal storage cost per weight: bits + (scale + zero point bits)/group.
double bitsPerWeight(const GroupwiseFormat &format);

/// Layout of the packed blob of a rows x cols weight in `format`.
GroupwiseLayout computeLayout(const GroupwiseFormat &format, int64_t rows,
                              int64_t cols);

/// Packs `format.groupSize` codes (each < 2^bits) into groupBytes bytes.
void packGroupCodes(const GroupwiseFormat &format, const uint8_t *codes,
                    uint8_t *packed);

/// Inverse of packGroupCodes.
void unpackGroupCodes(const GroupwiseFormat &format, const uint8_t *packed,
                      uint8_t *codes);

/// Fits every group by round-to-nearest (ties away from zero) and writes the
/// packed blob to `packed`, which must hold computeLayout(...).totalBytes
/// bytes. Codes are computed against the scale and zero point as stored (after
/// rounding to their storage kind), so dequantization sees consistent values.
CodecStatus quantizeRoundToNearest(const GroupwiseFormat &format,
                                   const float *weights, int64_t rows,
                                   int64_t cols, uint8_t *packed);

/// How a group's scale (symmetric) or zero point (asymmetric) is chosen.
enum class FitMethod {
  /// Round-to-nearest from the group's range (Q4_0's and Q4_1's rules).
  RoundToNearest,
  /// HQQ (half-quadratic quantization, data-free): starting from the
  /// round-to-nearest parameters, alternate an lp-norm (p = 0.7) shrinkage of
  /// the quantization error with a closed-form update of the zero point
  /// (asymmetric) or the scale (symmetric), 20 iterations at most, stopping
  /// when the mean absolute error stops falling.
  HalfQuadratic,
};

/// quantizeRoundToNearest with a choice of fit; the stored bytes follow the
/// same rules (codes against the stored scale and zero point).
CodecStatus quantizeGroupwise(const GroupwiseFormat &format, FitMethod fit,
                              const float *weights, int64_t rows, int64_t cols,
                              uint8_t *packed);

/// One group's parameters as stored (rounded to their storage kinds): the
/// symmetric scheme's zero point is the fixed 2^(bits-1).
struct GroupParameters {
  float scale = 0.0f;
  float zeroPoint = 0.0f;
};

/// Round-to-nearest parameters of a group of `count` values (the rules of
/// quantizeRoundToNearest), for fits that choose codes themselves (GPTQ).
CodecStatus fitGroupParameters(const GroupwiseFormat &format,
                               const float *values, int64_t count,
                               GroupParameters &parameters);

/// The code of `value` under `parameters` (nearest, clamped to the grid).
uint8_t encodeValue(const GroupwiseFormat &format,
                    const GroupParameters &parameters, float value);

/// The value a code stands for.
float decodeValue(const GroupwiseFormat &format,
                  const GroupParameters &parameters, uint8_t code);

/// Writes the packed blob of a rows x cols weight from per-group parameters
/// (row-major over rows and groups) and codes (rows x cols).
void packGroupwise(const GroupwiseFormat &format,
                   const GroupParameters *parameters, const uint8_t *codes,
                   int64_t rows, int64_t cols, uint8_t *packed);

/// Expands a packed blob back to rows x cols fp32 values.
void dequantize(const GroupwiseFormat &format, const uint8_t *packed,
                int64_t rows, int64_t cols, float *weights);

/// weights -> dequantize(quantizeRoundToNearest(weights)) in place: what the
/// format keeps of them (searches score candidate transforms by it).
CodecStatus roundTripRoundToNearest(const GroupwiseFormat &format,
                                    float *weights, int64_t rows, int64_t cols);

} // namespace lbc

#endif // LBC_SUPPORT_GROUPWISECODEC_H
