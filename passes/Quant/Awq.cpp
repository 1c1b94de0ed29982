//===- Awq.cpp - activation-aware weight scaling (AWQ) --------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-awq: per-channel weight scales chosen on calibration statistics and
// folded exactly into the op that produces the scaled linears' input (an
// RMSNorm's weight, or an MLP's up projection), so that round-to-nearest
// afterwards loses less on the channels that carry large activations.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/MlpStructure.h"
#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

#include "lib/Support/GroupwiseCodec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <cstdio>

namespace mlir::lbc {
#define GEN_PASS_DEF_AWQPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

/// Rows of each weight the search scores (evenly spaced).
constexpr int64_t kScoredRows = 64;

/// Linears that read one value, and how to divide that value's channels.
struct ScaleGroup {
  SmallVector<lowbit::LinearOp> readers;
  /// An RMSNorm's weight (z = y * g) ...
  arith::ConstantOp normWeight;
  OpOperand *normWeightUse = nullptr;
  /// ... or an MLP's up projection.
  lowbit::LinearOp up;
};

/// The linears reading `value` through channel-keeping reshapes, if every
/// reader is a linear's input with a constant f32 weight and no bias.
bool collectReaders(Value value, SmallVectorImpl<lowbit::LinearOp> &readers) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto linear = dyn_cast<lowbit::LinearOp>(user)) {
      if (use.getOperandNumber() != 0 || !constantF32Weight(linear) ||
          linear.getBias())
        return false;
      readers.push_back(linear);
      continue;
    }
    if (!keepsChannels(user) || !collectReaders(user->getResult(0), readers))
      return false;
  }
  return !readers.empty();
}

struct AwqPass : public mlir::lbc::impl::AwqPassBase<AwqPass> {
  using Base::Base;

  void runOnOperation() override {
    ::lbc::GroupwiseFormat format;
    format.bits = bits;
    format.groupSize = groupSize;
    if (std::string problem = ::lbc::validateFormat(format); !problem.empty()) {
      getOperation().emitError("lbc-awq: ") << problem;
      return signalPassFailure();
    }
    SmallVector<ScaleGroup> groups;
    getOperation().walk([&](linalg::GenericOp generic) {
      OpOperand *weight = channelWeightOperand(generic);
      ScaleGroup group;
      if (weight && collectReaders(generic.getResult(0), group.readers)) {
        group.normWeight = weight->get().getDefiningOp<arith::ConstantOp>();
        group.normWeightUse = weight;
        groups.push_back(group);
      }
    });
    getOperation().walk([&](lowbit::LinearOp linear) {
      if (std::optional<MlpDown> mlp = matchMlpDown(linear);
          mlp && !mlp->down.getBias()) {
        ScaleGroup group;
        group.readers.push_back(mlp->down);
        group.up = mlp->up;
        groups.push_back(group);
      }
    });
    int64_t scaled = 0;
    for (ScaleGroup &group : groups) {
      FailureOr<bool> result = scaleGroup(group, format);
      if (failed(result))
        return signalPassFailure();
      scaled += *result;
    }
    getOperation().emitRemark("lbc-awq: ")
        << scaled << " of " << groups.size()
        << " groups of linears scaled (RMSNorm readers, MLP down "
           "projections)";
  }

  /// Searches alpha for one group and applies the scales; true if scaled.
  FailureOr<bool> scaleGroup(ScaleGroup &group,
                             const ::lbc::GroupwiseFormat &format) {
    lowbit::LinearOp first = group.readers.front();
    auto meanSquare =
        first->getAttrOfType<DenseElementsAttr>("lbc.input_mean_square");
    auto gramAttr = first->getAttrOfType<ElementsAttr>("lbc.input_gram");
    if (!meanSquare || !gramAttr)
      return first.emitError("lbc-awq: needs this linear's calibration "
                             "statistics (lbc.input_mean_square, "
                             "lbc.input_gram); compile with --calib");
    FailureOr<F32Elements> gram = readF32Elements(gramAttr, first.getLoc());
    if (failed(gram))
      return failure();
    int64_t k = meanSquare.getNumElements();
    std::vector<double> magnitude(k);
    for (int64_t j = 0; j < k; ++j)
      magnitude[j] =
          std::sqrt(std::max<double>(meanSquare.getValues<float>()[j], 1e-12));

    // The readers' weights, and the rows the search scores.
    struct Weight {
      std::vector<float> values;
      int64_t rows;
    };
    std::vector<Weight> weights;
    for (lowbit::LinearOp linear : group.readers) {
      arith::ConstantOp constant = constantF32Weight(linear);
      FailureOr<std::vector<float>> values = readF32Values(constant);
      if (failed(values))
        return failure();
      weights.push_back(
          {std::move(*values),
           cast<RankedTensorType>(constant.getType()).getDimSize(0)});
    }
    auto scales = [&](double alpha) {
      std::vector<double> s(k);
      double logSum = 0;
      for (int64_t j = 0; j < k; ++j) {
        s[j] = std::max(std::pow(magnitude[j], alpha), 1e-4);
        logSum += std::log(s[j]);
      }
      double mean = std::exp(logSum / k);
      for (double &v : s)
        v /= mean;
      return s;
    };
    auto error = [&](const std::vector<double> &s) {
      double total = 0;
      std::vector<float> row(k);
      std::vector<double> e(k);
      for (const Weight &w : weights) {
        int64_t step = std::max<int64_t>(1, w.rows / kScoredRows);
        for (int64_t r = 0; r < w.rows; r += step) {
          for (int64_t j = 0; j < k; ++j)
            row[j] = static_cast<float>(w.values[r * k + j] * s[j]);
          ::lbc::roundTripRoundToNearest(format, row.data(), 1, k);
          for (int64_t j = 0; j < k; ++j)
            e[j] = row[j] / s[j] - w.values[r * k + j];
          for (int64_t i = 0; i < k; ++i) {
            if (e[i] == 0)
              continue;
            const float *g = gram->values.data() + i * k;
            double dot = 0;
            for (int64_t j = 0; j < k; ++j)
              dot += g[j] * e[j];
            total += e[i] * dot;
          }
        }
      }
      return total;
    };
    double bestAlpha = 0, bestError = error(scales(0));
    for (int step = 1; step < 20; ++step) {
      double alpha = 0.05 * step;
      double candidate = error(scales(alpha));
      if (candidate < bestError) {
        bestError = candidate;
        bestAlpha = alpha;
      }
    }
    if (bestAlpha == 0)
      return false;
    std::vector<double> s = scales(bestAlpha);

    // W diag(s) for the readers, the producer's channels / s.
    for (auto [linear, w] : llvm::zip(group.readers, weights)) {
      for (int64_t r = 0; r < w.rows; ++r)
        for (int64_t j = 0; j < k; ++j)
          w.values[r * k + j] = static_cast<float>(w.values[r * k + j] * s[j]);
      replaceF32Constant(linear.getWeightMutable(), constantF32Weight(linear),
                         w.values, "lbc_awq_weight", linear);
      char note[64];
      std::snprintf(note, sizeof(note), "AWQ scales (alpha %g)", bestAlpha);
      noteTransform(linear, note);
    }
    if (group.normWeight) {
      FailureOr<std::vector<float>> values = readF32Values(group.normWeight);
      if (failed(values))
        return failure();
      for (int64_t j = 0; j < k; ++j)
        (*values)[j] = static_cast<float>((*values)[j] / s[j]);
      replaceF32Constant(*group.normWeightUse, group.normWeight, *values,
                         "lbc_awq_norm_weight",
                         group.normWeightUse->getOwner());
    } else {
      std::vector<float> divisors(s.begin(), s.end());
      if (failed(divideUpOutputs(group.up, divisors, "lbc_awq")))
        return failure();
      noteTransform(group.up, "output rows / AWQ scales");
    }
    return true;
  }
};

} // namespace
