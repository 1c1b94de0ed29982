//===- Recipe.h - the --pipeline recipe language ----------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Parses a comma-separated recipe such as "w4g128" into the steps the
// pipeline builder runs. Steps run in the canonical stage order whatever
// their textual order; unknown or contradictory steps are errors.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_PIPELINES_RECIPE_H
#define LBC_PASSES_PIPELINES_RECIPE_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::lbc {

/// Weight quantization: group-wise `wB` / `wBgG` (symmetric) or `wBz` /
/// `wBzgG` (with an f16 zero point per group), the K-quant super-block
/// formats `q4k` and `q5k`, or NF4 `nf4` / `nf4gG` (absmax blocks, default 64).
struct WeightQuantStep {
  enum class Format { Groupwise, KQuant, Nf4 };
  Format format = Format::Groupwise;
  unsigned bits = 4;
  /// Group size of the group-wise format (K-quants: fixed super-blocks).
  unsigned groupSize = 32;
  /// Group-wise only: asymmetric, x = (q - zero point) * scale.
  bool zeroPoint = false;
  /// Group-wise only: the `hqq` step (half-quadratic fit instead of
  /// round-to-nearest).
  bool halfQuadraticFit = false;
  /// Group-wise only: the `gptq` step (GPTQ with calibration statistics);
  /// `gptq=act-order` takes the columns in decreasing calibration energy.
  bool gptq = false;
  bool gptqActOrder = false;
  /// Symmetric group-wise only: the `awq` step (activation-aware scales
  /// folded into the producers, then round-to-nearest).
  bool awq = false;
  /// K-quants only: the `imatrix` step (llama.cpp's importance matrix: the
  /// weighted least-squares fit weighs each input channel by its mean
  /// squared calibration input).
  bool importance = false;
};

/// Dynamic quantization of the inputs of low-bit linears: `aB` (B-bit codes
/// per block of 32 input channels), `aBt` (one scale per token, i.e. per row,
/// as SmoothRot and QuaRot quantize activations), either with `=C` to clip
/// at C times the block's max|x| (e.g. `a4t=0.9`).
struct ActivationQuantStep {
  unsigned bits = 8;
  bool perToken = false;
  /// Clipping ratio in (0, 1]; 1 keeps max|x| representable.
  double clip = 1.0;
};

/// `smoothrot[=ALPHA]`: SmoothRot's smoothing scales and online Hadamard
/// rotation on MLP down projections (needs calibration statistics);
/// `smoothrot=search` picks alpha per down projection by the output error
/// of the recipe's quantization on calibration rows.
struct SmoothRotStep {
  double alpha = 0.5;
  bool searchAlpha = false;
};

/// A parsed recipe: what each stage of the pipeline does.
struct Recipe {
  /// Function-preserving transforms before quantization. `rotate`: QuaRot's
  /// rotations (R1 on the residual stream, R2 per attention head of the
  /// value/output projections, R4 online before MLP down projections)
  /// without smoothing; `smoothrot` implies it.
  bool rotate = false;
  std::optional<SmoothRotStep> smoothRot;
  /// Absent for `fp32`: weights stay dense.
  std::optional<WeightQuantStep> weights;
  /// `a8`, `a4t=0.9`, ...: the inputs of low-bit linears are quantized
  /// dynamically to integers (needs a weight step).
  std::optional<ActivationQuantStep> activations;
  /// Glob patterns of linears that keep f32 weights (the driver's --keep):
  /// matched against ONNX node and initializer names.
  std::vector<std::string> keep;
  /// Record per-layer errors on the packed linears (for --report); not part
  /// of the recipe's spelling, it changes no weight.
  bool measureErrors = false;

  /// The canonical spelling, recorded in artifacts.
  std::string str() const;

  /// Whether a step needs activation statistics from calibration, and the
  /// first such step's spelling (for messages): smoothrot needs the
  /// channels' ranges before its transform, gptq each linear's X^T X after
  /// the function-preserving transforms.
  bool needsRanges() const { return smoothRot.has_value(); }
  bool needsGram() const { return weights && (weights->gptq || weights->awq); }
  /// Statistics of the model after the rotations (gptq, imatrix).
  bool needsLateStatistics() const {
    return needsGram() || (weights && weights->importance);
  }
  bool needsCalibration() const {
    return needsRanges() || needsLateStatistics();
  }
  std::string calibrationStep() const {
    if (needsRanges())
      return "smoothrot";
    if (weights && weights->awq)
      return "awq";
    return needsGram() ? "gptq" : "imatrix";
  }
};

/// Parses `text`; on failure returns std::nullopt and sets `error` to a
/// message that names the offending step and lists the valid ones.
std::optional<Recipe> parseRecipe(llvm::StringRef text, std::string &error);

} // namespace mlir::lbc

#endif // LBC_PASSES_PIPELINES_RECIPE_H
