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
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/MlpStructure.h"
#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

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
constexpr float kScaleFloor = 1e-5f;

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
          << getOperation().getSymName() << " (alpha " << formatAlpha(alpha)
          << "), " << rotated << " rotated online";
    else
      getOperation().emitRemark("lbc-smoothrot: rotated ")
          << rotated << " of " << matches.size()
          << " MLP down projection(s) of @" << getOperation().getSymName()
          << " online";
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
    // s_j = m_j^alpha / w_j^(1 - alpha); 1 without smoothing.
    std::vector<float> scales(channels, 1.0f);
    for (int64_t j = 0; smooth && j < channels; ++j) {
      float m = std::max(absMaxAttr.getValues<float>()[j], kScaleFloor);
      float w = 0;
      for (int64_t i = 0; i < outputs; ++i)
        w = std::max(w, std::fabs(newDown[i * channels + j]));
      scales[j] =
          static_cast<float>(std::pow(static_cast<double>(m), alpha) /
                             std::pow(std::max(w, kScaleFloor), 1.0 - alpha));
    }
    for (int64_t j = 0; j < channels; ++j)
      for (int64_t i = 0; i < outputs; ++i)
        newDown[i * channels + j] *= scales[j];
    if (smooth && failed(divideUpOutputs(up, scales, "lbc_smoothed")))
      return failure();
    OpBuilder b(down);

    // W' = W diag(s) M and x' = (x / s) M, when M_n exists.
    std::optional<::lbc::HadamardSize> size =
        hadamard ? ::lbc::factorHadamardSize(channels) : std::nullopt;
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
      noteTransform(down, "smoothed (alpha " + formatAlpha(alpha) + ")");
      noteTransform(up, "output rows / smoothing scales");
    }
    if (size)
      noteTransform(down, "R4: online Hadamard " + std::to_string(channels) +
                              " = " + std::to_string(size->powerOfTwo) + " x " +
                              std::to_string(size->k));
    // The statistics describe the input before the transform.
    down->removeAttr(kInputAbsMax);
    down->removeAttr(kInputMeanSquare);
    return size.has_value();
  }
};

} // namespace
