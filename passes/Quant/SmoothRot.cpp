//===- SmoothRot.cpp - smoothing scales and online rotation of down_proj --===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-smoothrot: SmoothRot (arXiv 2506.05413) on MLP down projections:
// channel-wise smoothing scales fused exactly into up and down, then an
// online Hadamard rotation of down's input with down's weight rotated to
// match. Function-preserving; it prepares the layer for 4-bit activations.
// alpha is fixed, or searched per layer: the alpha whose transformed,
// quantized layer reproduces the original outputs best on calibration rows.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/MlpStructure.h"
#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

#include "lib/Support/ActivationQuantization.h"
#include "lib/Support/GroupwiseCodec.h"
#include "lib/Support/Hadamard.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <cstdio>

namespace mlir::lbc {
#define GEN_PASS_DEF_SMOOTHROTPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

/// The statistics attribute the driver attaches (lib/Compiler/Calibration).
constexpr llvm::StringLiteral kInputAbsMax = "lbc.input_absmax";
constexpr llvm::StringLiteral kInputMeanSquare = "lbc.input_mean_square";
constexpr llvm::StringLiteral kInputRows = "lbc.input_rows";
constexpr float kScaleFloor = 1e-5f;
/// The search scores at most this many output channels of down (evenly
/// spaced): the error estimate stays unbiased, the cost bounded.
constexpr int64_t kScoredOutputs = 128;
/// Candidates: alpha = 0, 0.05, ..., 1.
constexpr int kAlphaSteps = 20;

/// s_j = m_j^alpha / w_j^(1 - alpha), m the input ranges, w the column
/// ranges of down's weight [outputs, channels].
std::vector<float> smoothingScales(ArrayRef<float> absMax,
                                   ArrayRef<float> weight, int64_t outputs,
                                   int64_t channels, double alpha) {
  std::vector<float> scales(channels);
  for (int64_t j = 0; j < channels; ++j) {
    float m = std::max(absMax[j], kScaleFloor);
    float w = 0;
    for (int64_t i = 0; i < outputs; ++i)
      w = std::max(w, std::fabs(weight[i * channels + j]));
    scales[j] =
        static_cast<float>(std::pow(static_cast<double>(m), alpha) /
                           std::pow(std::max(w, kScaleFloor), 1.0 - alpha));
  }
  return scales;
}

/// 0.5 as "0.5" in remarks.
std::string formatAlpha(double alpha) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", alpha);
  return text;
}

struct SmoothRotPass
    : public mlir::lbc::impl::SmoothRotPassBase<SmoothRotPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *) override {
    if (!(alpha >= 0.0 && alpha <= 1.0))
      return emitError(UnknownLoc::get(&getContext()),
                       "lbc-smoothrot: alpha must be in [0, 1], got ")
             << alpha;
    return success();
  }

  void runOnOperation() override {
    chosenAlphas.clear();
    SmallVector<MlpDown> matches;
    getOperation().walk([&](lowbit::LinearOp linear) {
      if (std::optional<MlpDown> match = matchMlpDown(linear))
        matches.push_back(*match);
    });
    int64_t rotated = 0;
    for (const MlpDown &match : matches) {
      FailureOr<bool> result = transform(match);
      if (failed(result))
        return signalPassFailure();
      rotated += *result;
    }
    noteTransform(getOperation(),
                  "MLP down projections: " + std::to_string(matches.size()) +
                      (smooth ? " smoothed, " : " found, ") +
                      std::to_string(rotated) + " rotated online (R4)");
    if (matches.empty())
      getOperation().emitRemark("lbc-smoothrot: no MLP down projection "
                                "(a linear fed by another linear's output "
                                "times a gate) in @")
          << getOperation().getSymName() << "; nothing to do";
    else if (smooth)
      getOperation().emitRemark("lbc-smoothrot: smoothed ")
          << matches.size() << " MLP down projection(s) of @"
          << getOperation().getSymName() << " (alpha " << describeAlphas()
          << "), " << rotated << " rotated online";
    else
      getOperation().emitRemark("lbc-smoothrot: rotated ")
          << rotated << " of " << matches.size()
          << " MLP down projection(s) of @" << getOperation().getSymName()
          << " online";
  }

  /// "0.5", or with the search the alphas chosen, layer by layer.
  std::string describeAlphas() const {
    if (!alphaSearch)
      return formatAlpha(alpha);
    std::string text = "searched:";
    for (double chosen : chosenAlphas)
      text += " " + formatAlpha(chosen);
    return text;
  }

  /// Smooths (and rotates) one down projection; true when rotated.
  FailureOr<bool> transform(const MlpDown &match) {
    lowbit::LinearOp down = match.down, up = match.up;
    auto absMaxAttr = down->getAttrOfType<DenseElementsAttr>(kInputAbsMax);
    arith::ConstantOp downConstant = constantF32Weight(down);
    auto downType = cast<RankedTensorType>(downConstant.getType());
    int64_t outputs = downType.getDimSize(0), channels = downType.getDimSize(1);
    if (smooth && (!absMaxAttr || absMaxAttr.getNumElements() != channels))
      return down.emitError("lbc-smoothrot: this MLP down projection has no "
                            "calibration statistics (")
             << kInputAbsMax
             << "); compile with --calib=DIR or --calib=synthetic";
    FailureOr<std::vector<float>> downWeights = readF32Values(downConstant);
    if (failed(downWeights))
      return failure();
    std::vector<float> &newDown = *downWeights;
    std::optional<::lbc::HadamardSize> size =
        hadamard ? ::lbc::factorHadamardSize(channels) : std::nullopt;
    // s_j = m_j^alpha / w_j^(1 - alpha); 1 without smoothing.
    std::vector<float> scales(channels, 1.0f), absMax;
    double layerAlpha = alpha;
    std::string searched;
    if (smooth) {
      absMax.assign(absMaxAttr.getValues<float>().begin(),
                    absMaxAttr.getValues<float>().end());
      if (alphaSearch) {
        FailureOr<double> best = searchAlpha(down, absMax, newDown, outputs,
                                             channels, size, searched);
        if (failed(best))
          return failure();
        layerAlpha = *best;
      }
      scales = smoothingScales(absMax, newDown, outputs, channels, layerAlpha);
    }
    for (int64_t j = 0; j < channels; ++j)
      for (int64_t i = 0; i < outputs; ++i)
        newDown[i * channels + j] *= scales[j];
    if (smooth && failed(divideUpOutputs(up, scales, "lbc_smoothed")))
      return failure();
    OpBuilder b(down);

    // W' = W diag(s) M and x' = (x / s) M, when M_n exists.
    if (size) {
      std::vector<float> factor = ::lbc::scaledHadamardFactor(channels);
      ::lbc::hadamardTransformRows(newDown.data(), outputs, channels, channels,
                                   *size, factor.data());
      auto rotation =
          lowbit::HadamardOp::create(b, down.getLoc(), down.getInput());
      down.getInputMutable().assign(rotation);
    } else if (hadamard) {
      down.emitRemark("lbc-smoothrot: no Hadamard matrix of size ")
          << channels
          << " (2^m * K with K = 1, a Paley or a Goethals-Seidel order); this "
             "down "
          << "projection is smoothed but not rotated";
    }
    replaceF32Constant(down.getWeightMutable(), downConstant, newDown,
                       "lbc_smoothed_weight", down);
    if (smooth) {
      noteTransform(down, "smoothed (alpha " + formatAlpha(layerAlpha) +
                              searched + ")");
      chosenAlphas.push_back(layerAlpha);
      noteTransform(up, "output rows / smoothing scales");
    }
    if (size)
      noteTransform(down, "R4: online Hadamard " + std::to_string(channels) +
                              " = " + std::to_string(size->powerOfTwo) + " x " +
                              std::to_string(size->k));
    // The statistics describe the input before the transform.
    down->removeAttr(kInputAbsMax);
    down->removeAttr(kInputMeanSquare);
    down->removeAttr(kInputRows);
    return size.has_value();
  }

  /// The alpha in {0, 0.05, ..., 1} whose smoothed (and rotated) layer,
  /// quantized as the recipe will quantize it, reproduces down's original
  /// outputs on its calibration rows (lbc.input_rows) best. `summary` says
  /// by how much against alpha = 0.5.
  FailureOr<double> searchAlpha(lowbit::LinearOp down, ArrayRef<float> absMax,
                                ArrayRef<float> weight, int64_t outputs,
                                int64_t channels,
                                const std::optional<::lbc::HadamardSize> &size,
                                std::string &summary) {
    auto rowsAttr = down->getAttrOfType<ElementsAttr>(kInputRows);
    auto rowsType =
        rowsAttr ? dyn_cast<RankedTensorType>(rowsAttr.getType()) : nullptr;
    if (!rowsType || rowsType.getRank() != 2 ||
        rowsType.getDimSize(1) != channels)
      return down.emitError("lbc-smoothrot: alpha-search needs this down "
                            "projection's calibration rows (")
             << kInputRows << "); compile with --calib";
    FailureOr<F32Elements> rows = readF32Elements(rowsAttr, down.getLoc());
    if (failed(rows))
      return failure();
    const int64_t numRows = rowsType.getDimSize(0);
    // The scored output channels and their original outputs y = x W^T.
    std::vector<int64_t> scored;
    for (int64_t o = 0; o < outputs;
         o += std::max<int64_t>(1, outputs / kScoredOutputs))
      scored.push_back(o);
    const int64_t numScored = static_cast<int64_t>(scored.size());
    auto product = [&](const float *x, const float *w) {
      std::vector<double> y(numRows * numScored);
      for (int64_t r = 0; r < numRows; ++r)
        for (int64_t o = 0; o < numScored; ++o) {
          float sum = 0;
          for (int64_t j = 0; j < channels; ++j)
            sum += x[r * channels + j] * w[o * channels + j];
          y[r * numScored + o] = sum;
        }
      return y;
    };
    std::vector<float> scoredWeight(numScored * channels);
    for (int64_t o = 0; o < numScored; ++o)
      std::copy_n(weight.begin() + scored[o] * channels, channels,
                  scoredWeight.begin() + o * channels);
    const std::vector<double> reference =
        product(rows->values.data(), scoredWeight.data());
    std::vector<float> factor =
        size ? ::lbc::scaledHadamardFactor(channels) : std::vector<float>();
    ::lbc::GroupwiseFormat weightFormat;
    weightFormat.bits = searchWeightBits;
    weightFormat.groupSize = searchGroupSize;
    ::lbc::ActivationQuantization activations;
    activations.bits = static_cast<int>(searchActivationBits);
    activations.perToken = searchPerToken;
    activations.clip = static_cast<float>(searchClip);
    auto outputError = [&](double candidate) {
      std::vector<float> s =
          smoothingScales(absMax, weight, outputs, channels, candidate);
      std::vector<float> w = scoredWeight,
                         x(rows->values.begin(), rows->values.end());
      for (int64_t o = 0; o < numScored; ++o)
        for (int64_t j = 0; j < channels; ++j)
          w[o * channels + j] *= s[j];
      for (int64_t r = 0; r < numRows; ++r)
        for (int64_t j = 0; j < channels; ++j)
          x[r * channels + j] /= s[j];
      if (size) {
        ::lbc::hadamardTransformRows(w.data(), numScored, channels, channels,
                                     *size, factor.data());
        ::lbc::hadamardTransformRows(x.data(), numRows, channels, channels,
                                     *size, factor.data());
      }
      if (searchWeightBits > 0)
        (void)::lbc::roundTripRoundToNearest(weightFormat, w.data(), numScored,
                                             channels);
      ::lbc::roundTripActivations(x.data(), numRows, channels, activations);
      std::vector<double> y = product(x.data(), w.data());
      double total = 0;
      for (size_t e = 0; e < y.size(); ++e)
        total += (y[e] - reference[e]) * (y[e] - reference[e]);
      return total;
    };
    double bestAlpha = 0, bestError = outputError(0), halfError = 0;
    for (int step = 1; step <= kAlphaSteps; ++step) {
      double candidate = double(step) / kAlphaSteps;
      double error = outputError(candidate);
      if (2 * step == kAlphaSteps)
        halfError = error;
      if (error < bestError) {
        bestError = error;
        bestAlpha = candidate;
      }
    }
    char text[96];
    std::snprintf(text, sizeof(text),
                  ", searched: output error %.3g of alpha 0.5's",
                  halfError > 0 ? bestError / halfError : 1.0);
    summary = text;
    return bestAlpha;
  }

  std::vector<double> chosenAlphas;
};

} // namespace
