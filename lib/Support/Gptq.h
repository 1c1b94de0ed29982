//===- Gptq.h - GPTQ weight fitting for group-wise formats ------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// GPTQ (arXiv 2210.17323): quantize a linear's weight column by column in
// input order, spreading each column's rounding error over the columns not
// yet quantized with the inverse Hessian of the layer's calibration inputs,
// H = X^T X (+ damping), so the layer's outputs on that data move less than
// with round-to-nearest. Groups take their round-to-nearest parameters from
// the weights as updated when the group's first column is reached; blocks of
// columns are updated lazily (the error of a block reaches later columns as
// one matrix product). Optionally in act-order (largest diag H first).
// Depends on neither MLIR nor LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_GPTQ_H
#define LBC_SUPPORT_GPTQ_H

#include "lib/Support/GroupwiseCodec.h"

#include <cstdint>
#include <string>

namespace lbc {

struct GptqOptions {
  /// Added to H's diagonal: damping * mean(diag H).
  double damping = 0.01;
  /// Columns per lazy block (raised to the group size when smaller).
  int64_t blockSize = 128;
  /// GPTQ's act-order: quantize the columns with the largest calibration
  /// energy (diag H) first, so the error of the hardest columns can still
  /// be spread over the others. Groups stay contiguous in the stored layout:
  /// a group's parameters are fitted (to its columns' values at that moment)
  /// when its first column in that order is reached.
  bool actOrder = false;
};

/// Packs `weights` (rows x cols) in `format` by GPTQ, given `gram` = X^T X
/// (cols x cols, row-major, summed over calibration rows). Writes
/// computeLayout(...).totalBytes bytes to `packed`. Fails (with `error`)
/// when H is not positive definite even after damping, or on non-finite
/// weights.
CodecStatus quantizeGptq(const GroupwiseFormat &format, const float *weights,
                         int64_t rows, int64_t cols, const float *gram,
                         const GptqOptions &options, uint8_t *packed,
                         std::string &error);

} // namespace lbc

#endif // LBC_SUPPORT_GPTQ_H
