//===- QuantizeWeights.cpp - pack constant weights ------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-quantize-weights: fits dense f32 linear weights to a group-wise integer
// encoding by round-to-nearest and replaces them with packed constants.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/GlobPattern.h"

#include <cmath>
#include <random>

namespace mlir::lbc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;
using namespace mlir::lbc::lowbit;

namespace {

/// Scalar type named in a pass option; null when the name is unknown.
Type parseScalarTypeName(MLIRContext *context, StringRef name) {
  return llvm::StringSwitch<Type>(name)
      .Case("f16", Float16Type::get(context))
      .Case("bf16", BFloat16Type::get(context))
      .Case("f32", Float32Type::get(context))
      .Case("ui8", IntegerType::get(context, 8, IntegerType::Unsigned))
      .Default(Type());
}

struct QuantizeWeightsPass
    : public mlir::lbc::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using Base::Base;

  /// Options are checked once, before any IR is touched.
  LogicalResult initialize(MLIRContext *context) override {
    encoding = buildEncoding(UnknownLoc::get(context));
    fitMethod = fit == "hqq" ? ::lbc::FitMethod::HalfQuadratic
                             : ::lbc::FitMethod::RoundToNearest;
    if (fit != "hqq" && fit != "rtn" && fit != "gptq") {
      emitError(UnknownLoc::get(context))
          << "lbc-quantize-weights: unknown fit '" << fit
          << "'; expected rtn, hqq or gptq";
      return failure();
    }
    keepPatterns.clear();
    for (const std::string &text : keep) {
      llvm::Expected<llvm::GlobPattern> pattern =
          llvm::GlobPattern::create(text);
      if (!pattern) {
        emitError(UnknownLoc::get(context))
            << "keep pattern '" << text
            << "': " << llvm::toString(pattern.takeError());
        return failure();
      }
      keepPatterns.push_back(std::move(*pattern));
    }
    return success(static_cast<bool>(encoding));
  }

  void runOnOperation() override;

private:
  /// The encoding the options ask for; emits an error at `loc` if invalid.
  Attribute buildEncoding(Location loc);
  /// The packed form of `constant` in `type`, created once per pair.
  /// `gram`: GPTQ's statistics of the one linear that reads the result
  /// (not shared with other linears then).
  FailureOr<Value> getPackedConstant(arith::ConstantOp constant,
                                     PackedWeightType type,
                                     ArrayRef<float> gram = {},
                                     ArrayRef<float> importance = {});

  /// Relative errors of one packed weight: ||Q(W) - W||_F / ||W||_F, and
  /// of its outputs for seeded standard-normal inputs.
  struct LayerErrors {
    double weight = 0, output = 0;
  };
  static LayerErrors measureErrors(ArrayRef<float> original,
                                   ArrayRef<float> decoded,
                                   PackedWeightType type);

  /// The index of the first keep pattern that names `linear`, if any.
  std::optional<size_t> keepPatternFor(LinearOp linear);

  Attribute encoding;
  ::lbc::FitMethod fitMethod = ::lbc::FitMethod::RoundToNearest;
  SmallVector<llvm::GlobPattern> keepPatterns;
  DenseMap<std::pair<Operation *, Type>, Value> packedConstants;
  /// With `stats`: the errors of each packed constant.
  DenseMap<Value, LayerErrors> errors;
};

Attribute QuantizeWeightsPass::buildEncoding(Location loc) {
  MLIRContext *context = loc.getContext();
  auto fail = [&]() { return emitError(loc) << "lbc-quantize-weights: "; };
  if (format == "kquant")
    return KQuantEncodingAttr::getChecked(fail, context,
                                          static_cast<unsigned>(bits));
  if (format == "nf4")
    return Nf4EncodingAttr::getChecked(fail, context,
                                       static_cast<unsigned>(groupSize));
  if (format != "groupwise") {
    fail() << "unknown format '" << format
           << "'; expected groupwise, kquant or nf4";
    return {};
  }
  std::optional<QuantScheme> parsedScheme = symbolizeQuantScheme(scheme);
  if (!parsedScheme) {
    fail() << "unknown scheme '" << scheme
           << "'; expected symmetric or asymmetric";
    return {};
  }
  std::optional<PackOrder> parsedOrder = symbolizePackOrder(order);
  if (!parsedOrder) {
    fail() << "unknown order '" << order
           << "'; expected lsb_first or split_halves";
    return {};
  }
  Type scale = parseScalarTypeName(context, scaleType);
  if (!scale) {
    fail() << "unknown scale type '" << scaleType
           << "'; expected f16, bf16 or f32";
    return {};
  }
  Type zeroPoint;
  if (*parsedScheme == QuantScheme::asymmetric) {
    zeroPoint = parseScalarTypeName(context, zeroPointType);
    if (!zeroPoint) {
      fail() << "unknown zero point type '" << zeroPointType
             << "'; expected ui8, f16, bf16 or f32";
      return {};
    }
  }
  return GroupwiseEncodingAttr::getChecked(
      fail, context, static_cast<unsigned>(bits),
      static_cast<unsigned>(groupSize), *parsedScheme, scale, zeroPoint,
      *parsedOrder);
}

FailureOr<Value> QuantizeWeightsPass::getPackedConstant(
    arith::ConstantOp constant, PackedWeightType type, ArrayRef<float> gram,
    ArrayRef<float> importance) {
  Value unshared;
  Value &packed = gram.empty() && importance.empty()
                      ? packedConstants[{constant.getOperation(), type}]
                      : unshared;
  if (packed)
    return packed;
  FailureOr<F32Elements> weights = readF32Elements(
      cast<ElementsAttr>(constant.getValue()), constant.getLoc());
  if (failed(weights))
    return failure();
  ::lbc::GptqOptions gptq;
  gptq.actOrder = actOrder;
  FailureOr<DenseResourceElementsAttr> blob =
      packWeights(weights->values, type, constant.getLoc(), fitMethod, gram,
                  importance, gptq);
  if (failed(blob))
    return failure();
  OpBuilder builder(constant);
  builder.setInsertionPointAfter(constant);
  auto packedConstant =
      ConstantOp::create(builder, constant.getLoc(), type, *blob);
  packed = packedConstant;
  if (stats) {
    FailureOr<DenseResourceElementsAttr> decoded =
        unpackWeights(packedConstant);
    if (failed(decoded))
      return failure();
    errors[packed] = measureErrors(
        weights->values, decoded->getRawHandle().getBlob()->getDataAs<float>(),
        type);
  }
  return packed;
}

QuantizeWeightsPass::LayerErrors QuantizeWeightsPass::measureErrors(
    ArrayRef<float> original, ArrayRef<float> decoded, PackedWeightType type) {
  RankedTensorType logical = type.getLogicalType();
  int64_t cols = logical.getShape().back();
  int64_t rows = logical.getNumElements() / std::max<int64_t>(cols, 1);
  double difference = 0, total = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    double e = double(decoded[i]) - original[i];
    difference += e * e;
    total += double(original[i]) * original[i];
  }
  // Outputs for seeded standard-normal inputs (data-free; calibration data
  // will replace them): ||(Q(W) - W) x|| / ||W x|| over a few samples.
  constexpr int kSamples = 4;
  std::mt19937 generator(0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(cols);
  double outputDifference = 0, outputTotal = 0;
  for (int sample = 0; sample < kSamples; ++sample) {
    for (float &v : x)
      v = normal(generator);
    for (int64_t r = 0; r < rows; ++r) {
      double exact = 0, approximate = 0;
      for (int64_t c = 0; c < cols; ++c) {
        exact += double(original[r * cols + c]) * x[c];
        approximate += double(decoded[r * cols + c]) * x[c];
      }
      outputDifference += (approximate - exact) * (approximate - exact);
      outputTotal += exact * exact;
    }
  }
  auto relative = [](double part, double whole) {
    return whole > 0 ? std::sqrt(part / whole) : 0.0;
  };
  return {relative(difference, total), relative(outputDifference, outputTotal)};
}

/// The names a location carries (NameLoc, also inside fused and call-site
/// locations).
static void collectNames(Location loc, SmallVectorImpl<StringRef> &names) {
  if (auto named = dyn_cast<NameLoc>(loc)) {
    names.push_back(named.getName().getValue());
    collectNames(named.getChildLoc(), names);
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      collectNames(inner, names);
  } else if (auto call = dyn_cast<CallSiteLoc>(loc)) {
    collectNames(call.getCallee(), names);
  }
}

std::optional<size_t> QuantizeWeightsPass::keepPatternFor(LinearOp linear) {
  if (keepPatterns.empty())
    return std::nullopt;
  SmallVector<StringRef> names;
  collectNames(linear.getLoc(), names);
  if (Operation *weight = linear.getWeight().getDefiningOp())
    collectNames(weight->getLoc(), names);
  for (auto [index, pattern] : llvm::enumerate(keepPatterns))
    for (StringRef name : names)
      if (pattern.match(name))
        return index;
  return std::nullopt;
}

void QuantizeWeightsPass::runOnOperation() {
  ModuleOp module = getOperation();

  SmallVector<QuantizeOp> quantizeOps;
  SmallVector<LinearOp> linearOps;
  module.walk([&](Operation *op) {
    if (auto quantize = dyn_cast<QuantizeOp>(op))
      quantizeOps.push_back(quantize);
    else if (auto linear = dyn_cast<LinearOp>(op))
      linearOps.push_back(linear);
  });

  SmallVector<arith::ConstantOp> touchedConstants;
  bool anyFailed = false;
  auto constantF32Tensor = [](Value value) -> arith::ConstantOp {
    auto constant = value.getDefiningOp<arith::ConstantOp>();
    if (!constant)
      return {};
    auto type = dyn_cast<RankedTensorType>(constant.getType());
    return type && type.getElementType().isF32() ? constant : nullptr;
  };

  // lowbit.quantize of a constant: the result type names the encoding.
  for (QuantizeOp quantize : quantizeOps) {
    arith::ConstantOp constant = constantF32Tensor(quantize.getInput());
    if (!constant)
      continue;
    FailureOr<Value> packed = getPackedConstant(constant, quantize.getType());
    if (failed(packed)) {
      anyFailed = true;
      continue;
    }
    quantize.replaceAllUsesWith(*packed);
    quantize.erase();
    touchedConstants.push_back(constant);
  }

  // lowbit.linear with a dense constant weight: the options name it, unless
  // a keep pattern names the linear.
  SmallVector<bool> patternUsed(keepPatterns.size(), false);
  for (LinearOp linear : linearOps) {
    if (std::optional<size_t> pattern = keepPatternFor(linear)) {
      patternUsed[*pattern] = true;
      continue;
    }
    arith::ConstantOp constant = constantF32Tensor(linear.getWeight());
    if (!constant) {
      if (auto other = linear.getWeight().getDefiningOp<arith::ConstantOp>())
        linear.emitWarning("weight of type ")
            << other.getType()
            << " left unquantized: lbc-quantize-weights reads f32 weights";
      continue;
    }
    auto weightType = cast<RankedTensorType>(constant.getType());
    Attribute chosen = encoding;
    // K-quant super-blocks span 256 inputs; a layer with fewer (or a
    // remainder) would pay for padding, so it gets the Q4_0 / Q5_0
    // arithmetic at the same bits/weight instead, as llama.cpp does.
    if (auto kquant = dyn_cast<KQuantEncodingAttr>(encoding);
        kquant && weightType.getShape().back() % ::lbc::kKQuantSuperBlock != 0)
      chosen = GroupwiseEncodingAttr::get(
          &getContext(), kquant.getBits(), 32, QuantScheme::symmetric,
          Float16Type::get(&getContext()), Type(),
          kquant.getBits() == 4 ? PackOrder::split_halves
                                : PackOrder::lsb_first);
    auto type = PackedWeightType::get(
        weightType, cast<WeightEncodingAttrInterface>(chosen));
    // GPTQ: the layer's X^T X from calibration (lib/Compiler/Calibration).
    std::optional<F32Elements> gram;
    if (fit == "gptq") {
      auto statistics = linear->getAttrOfType<ElementsAttr>("lbc.input_gram");
      if (!isa<GroupwiseEncodingAttr>(chosen)) {
        linear.emitError("lbc-quantize-weights: fit=gptq fits group-wise "
                         "formats, not ")
            << chosen;
        anyFailed = true;
        continue;
      }
      if (!statistics) {
        linear.emitError("lbc-quantize-weights: fit=gptq needs this "
                         "linear's calibration statistics (lbc.input_gram); "
                         "compile with --calib");
        anyFailed = true;
        continue;
      }
      FailureOr<F32Elements> values =
          readF32Elements(statistics, linear.getLoc());
      if (failed(values)) {
        anyFailed = true;
        continue;
      }
      gram = std::move(*values);
    }
    // imatrix: K-quants weigh their fit by the channels' mean squares.
    std::vector<float> channelImportance;
    if (importance && isa<KQuantEncodingAttr>(chosen)) {
      auto statistics =
          linear->getAttrOfType<DenseElementsAttr>("lbc.input_mean_square");
      if (!statistics) {
        linear.emitError("lbc-quantize-weights: importance needs this "
                         "linear's calibration statistics "
                         "(lbc.input_mean_square); compile with --calib");
        anyFailed = true;
        continue;
      }
      channelImportance.assign(statistics.getValues<float>().begin(),
                               statistics.getValues<float>().end());
    }
    FailureOr<Value> packed = getPackedConstant(
        constant, type, gram ? gram->values : ArrayRef<float>(),
        channelImportance);
    if (failed(packed)) {
      anyFailed = true;
      continue;
    }
    linear.getWeightMutable().assign(*packed);
    if (gram)
      noteTransform(linear, actOrder ? "GPTQ fit (act-order)" : "GPTQ fit");
    if (!channelImportance.empty())
      noteTransform(linear, "importance-weighted fit (imatrix)");
    if (stats) {
      LayerErrors measured = errors.lookup(*packed);
      Builder b(linear);
      linear->setAttr("lbc.weight_error", b.getF64FloatAttr(measured.weight));
      linear->setAttr("lbc.output_error", b.getF64FloatAttr(measured.output));
    }
    touchedConstants.push_back(constant);
  }

  for (auto [index, used] : llvm::enumerate(patternUsed))
    if (!used)
      mlir::emitWarning(module.getLoc(), "keep pattern '")
          << keep[index] << "' names no linear layer; nothing was kept for it";

  SmallVector<DenseResourceElementsAttr> replaced;
  for (arith::ConstantOp constant : touchedConstants)
    if (constant->use_empty()) {
      if (auto resource =
              dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
        replaced.push_back(resource);
      constant.erase();
    }
  packedConstants.clear();
  releaseUnusedWeightBlobs(module, replaced);
  errors.clear();
  if (anyFailed)
    signalPassFailure();
}

} // namespace
