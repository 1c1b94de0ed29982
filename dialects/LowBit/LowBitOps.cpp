//===- LowBitOps.cpp - lowbit operations ----------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Verifiers, folders and canonicalization patterns of the lowbit ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/LowBit/LowBitDialect.h"
#include "lib/Support/Hadamard.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::lbc::lowbit;

#define GET_OP_CLASSES
#include "dialects/LowBit/LowBitOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto blob = dyn_cast<DenseResourceElementsAttr>(getValue());
  if (!blob)
    return emitOpError("expects its bytes as a dense_resource blob, got ")
           << getValue();
  ShapedType blobType = blob.getType();
  if (blobType.getRank() != 1 || !blobType.getElementType().isInteger(8))
    return emitOpError("expects a blob of type tensor<Nxi8>, got ") << blobType;
  PackedWeightType type = getType();
  int64_t expected = type.getPackedByteSize();
  if (blobType.getDimSize(0) != expected)
    return emitOpError("blob holds ") << blobType.getDimSize(0) << " bytes but "
                                      << type << " needs " << expected;
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

RankedTensorType LinearOp::getLogicalWeightType() {
  Type weightType = getWeight().getType();
  if (auto packed = dyn_cast<PackedWeightType>(weightType))
    return packed.getLogicalType();
  return cast<RankedTensorType>(weightType);
}

/// Two dimension sizes agree unless both are static and differ.
static bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

LogicalResult LinearOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType weightType = getLogicalWeightType();
  RankedTensorType resultType = getResult().getType();
  if (weightType.getRank() != 2)
    return emitOpError("expects a weight of rank 2 ([out, in]), got ")
           << weightType;
  if (inputType.getRank() < 1)
    return emitOpError("expects an input of rank >= 1");
  int64_t outFeatures = weightType.getDimSize(0);
  int64_t inFeatures = weightType.getDimSize(1);
  if (!dimsCompatible(inputType.getShape().back(), inFeatures))
    return emitOpError("input's last dimension (")
           << inputType.getShape().back()
           << ") does not match the weight's in-features (" << inFeatures
           << ")";
  Type elementType = inputType.getElementType();
  if (weightType.getElementType() != elementType ||
      resultType.getElementType() != elementType)
    return emitOpError("expects one element type for input, weight and "
                       "result, got ")
           << elementType << ", " << weightType.getElementType() << " and "
           << resultType.getElementType();
  if (resultType.getRank() != inputType.getRank())
    return emitOpError("expects a result of rank ")
           << inputType.getRank() << ", got " << resultType;
  for (int64_t i = 0, e = inputType.getRank() - 1; i < e; ++i)
    if (!dimsCompatible(inputType.getDimSize(i), resultType.getDimSize(i)))
      return emitOpError("result dimension ")
             << i << " (" << resultType.getDimSize(i)
             << ") does not match the input's (" << inputType.getDimSize(i)
             << ")";
  if (!dimsCompatible(resultType.getShape().back(), outFeatures))
    return emitOpError("result's last dimension (")
           << resultType.getShape().back()
           << ") does not match the weight's out-features (" << outFeatures
           << ")";
  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        !dimsCompatible(biasType.getDimSize(0), outFeatures))
      return emitOpError("expects a bias of shape [")
             << outFeatures << "], got " << biasType;
    if (biasType.getElementType() != elementType)
      return emitOpError("expects a bias of element type ")
             << elementType << ", got " << biasType.getElementType();
  }
  if (!getActivationBits() &&
      (getActivationPerToken() || getActivationClipAttr()))
    return emitOpError("activation_per_token and activation_clip need "
                       "activation_bits");
  if (FloatAttr clip = getActivationClipAttr();
      clip && !(clip.getValueAsDouble() > 0 && clip.getValueAsDouble() <= 1))
    return emitOpError("activation_clip must be in (0, 1], got ")
           << clip.getValueAsDouble();
  return success();
}

namespace {
/// linear(x, dequantize(w)) -> linear(x, w): the linear op consumes packed
/// weights directly, so expanding them first only costs memory and time.
struct ConsumePackedWeight : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    auto dequantize = op.getWeight().getDefiningOp<DequantizeOp>();
    if (!dequantize)
      return failure();
    rewriter.modifyOpInPlace(
        op, [&] { op.getWeightMutable().assign(dequantize.getInput()); });
    return success();
  }
};
} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<ConsumePackedWeight>(context);
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  if (getType().getLogicalType() != getInput().getType())
    return emitOpError("result's logical type ")
           << getType().getLogicalType() << " differs from the input type "
           << getInput().getType();
  return success();
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(w)) with w of the result type is w itself: the input
  // is exactly representable, and w is that representation.
  if (auto dequantize = getInput().getDefiningOp<DequantizeOp>())
    if (dequantize.getInput().getType() == getType())
      return dequantize.getInput();
  return {};
}

LogicalResult DequantizeOp::verify() {
  if (getInput().getType().getLogicalType() != getType())
    return emitOpError("result type ")
           << getType() << " differs from the packed weight's logical type "
           << getInput().getType().getLogicalType();
  return success();
}

LogicalResult HadamardOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() < 1 || ShapedType::isDynamic(type.getShape().back()))
    return emitOpError("expects a static last dimension, got ") << type;
  if (!type.getElementType().isF32())
    return emitOpError("expects f32 elements, got ") << type.getElementType();
  int64_t n = type.getShape().back();
  if (!::lbc::factorHadamardSize(n))
    return emitOpError("has no Hadamard matrix of size ")
           << n
           << ": n must be 2^m * K with K = 1, a Paley or a Goethals-Seidel "
              "order";
  return success();
}
