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

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"

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
    return success(static_cast<bool>(encoding));
  }

  void runOnOperation() override;

private:
  /// The encoding the options ask for; emits an error at `loc` if invalid.
  GroupwiseEncodingAttr buildEncoding(Location loc);
  /// The packed form of `constant` in `type`, created once per pair.
  FailureOr<Value> getPackedConstant(arith::ConstantOp constant,
                                     PackedWeightType type);

  GroupwiseEncodingAttr encoding;
  DenseMap<std::pair<Operation *, Type>, Value> packedConstants;
};

GroupwiseEncodingAttr QuantizeWeightsPass::buildEncoding(Location loc) {
  MLIRContext *context = loc.getContext();
  auto fail = [&]() { return emitError(loc) << "lbc-quantize-weights: "; };
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

FailureOr<Value>
QuantizeWeightsPass::getPackedConstant(arith::ConstantOp constant,
                                       PackedWeightType type) {
  Value &packed = packedConstants[{constant.getOperation(), type}];
  if (packed)
    return packed;
  FailureOr<F32Elements> weights = readF32Elements(
      cast<ElementsAttr>(constant.getValue()), constant.getLoc());
  if (failed(weights))
    return failure();
  FailureOr<DenseResourceElementsAttr> blob =
      packWeights(weights->values, type, constant.getLoc());
  if (failed(blob))
    return failure();
  OpBuilder builder(constant);
  builder.setInsertionPointAfter(constant);
  packed = ConstantOp::create(builder, constant.getLoc(), type, *blob);
  return packed;
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

  // lowbit.linear with a dense constant weight: the options name it.
  for (LinearOp linear : linearOps) {
    arith::ConstantOp constant = constantF32Tensor(linear.getWeight());
    if (!constant) {
      if (auto other = linear.getWeight().getDefiningOp<arith::ConstantOp>())
        linear.emitWarning("weight of type ")
            << other.getType()
            << " left unquantized: lbc-quantize-weights reads f32 weights";
      continue;
    }
    auto type =
        PackedWeightType::get(cast<RankedTensorType>(constant.getType()),
                              cast<WeightEncodingAttrInterface>(encoding));
    FailureOr<Value> packed = getPackedConstant(constant, type);
    if (failed(packed)) {
      anyFailed = true;
      continue;
    }
    linear.getWeightMutable().assign(*packed);
    touchedConstants.push_back(constant);
  }

  for (arith::ConstantOp constant : touchedConstants)
    if (constant->use_empty())
      constant.erase();
  packedConstants.clear();
  if (anyFailed)
    signalPassFailure();
}

} // namespace
