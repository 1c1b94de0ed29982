//===- MlpStructure.cpp - recognising SwiGLU MLP down projections ---------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/MlpStructure.h"
#include "passes/Quant/WeightBlobs.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lbc;

namespace {
/// Whether `slice` keeps whole leading dims and channels [0, c) of the last
/// one: the importer's cut of a linear padded to a multiple of 8 outputs.
bool isChannelPrefix(tensor::ExtractSliceOp slice) {
  auto sourceType = slice.getSourceType();
  auto resultType = slice.getResultType();
  if (sourceType.getRank() != resultType.getRank() ||
      !llvm::all_of(slice.getStaticOffsets(),
                    [](int64_t offset) { return offset == 0; }) ||
      !llvm::all_of(slice.getStaticStrides(),
                    [](int64_t stride) { return stride == 1; }))
    return false;
  for (int64_t d = 0; d + 1 < sourceType.getRank(); ++d)
    if (sourceType.isDynamicDim(d) ||
        sourceType.getDimSize(d) != resultType.getDimSize(d))
      return false;
  return true;
}

} // namespace

bool mlir::lbc::keepsChannels(Operation *op) {
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
    return collapse.getReassociationIndices().back().size() == 1;
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
    return expand.getReassociationIndices().back().size() == 1;
  return false;
}

OpOperand *mlir::lbc::channelWeightOperand(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumReductionLoops() != 0 ||
      generic.getBody()->getOperations().size() != 2 ||
      !isa<arith::MulFOp>(generic.getBody()->front()))
    return nullptr;
  unsigned channel = generic.getNumLoops() - 1;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    auto constant = input->get().getDefiningOp<arith::ConstantOp>();
    auto type = constant ? dyn_cast<RankedTensorType>(constant.getType())
                         : RankedTensorType();
    AffineMap map = generic.getMatchingIndexingMap(input);
    if (type && type.getRank() == 1 && type.getElementType().isF32() &&
        map.getNumResults() == 1 &&
        map.getResult(0) == getAffineDimExpr(channel, generic.getContext()))
      return input;
  }
  return nullptr;
}

/// `value` seen through single-use reshapes that keep the last (channel)
/// dimension as a group of its own (the collapse/expand of leading dims
/// that lbc-raise-linear puts around linears) and channel-prefix slices: the
/// value whose channel j is `value`'s channel j.
Value mlir::lbc::throughChannelReshapes(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (!op->hasOneUse())
      break;
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      if (!isChannelPrefix(slice))
        break;
      value = slice.getSource();
      continue;
    }
    if (!keepsChannels(op))
      break;
    value = op->getOperand(0);
  }
  return value;
}

/// Whether `down`'s input is up(x) * g elementwise, with g independent of
/// up(x), each value used once, up and down with constant f32 weights and
/// constant (or no) bias on up.
std::optional<MlpDown> mlir::lbc::matchMlpDown(lowbit::LinearOp down) {
  if (!constantF32Weight(down))
    return std::nullopt;
  auto product = throughChannelReshapes(down.getInput())
                     .getDefiningOp<linalg::GenericOp>();
  if (!product || !product->hasOneUse() || product.getNumDpsInputs() != 2 ||
      product.getNumDpsInits() != 1 || product.getNumReductionLoops() != 0 ||
      !llvm::all_of(product.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(product.getBody()->getTerminator());
  auto multiply = yield.getValues()[0].getDefiningOp<arith::MulFOp>();
  if (!multiply)
    return std::nullopt;
  for (OpOperand *input : product.getDpsInputOperands()) {
    auto up =
        throughChannelReshapes(input->get()).getDefiningOp<lowbit::LinearOp>();
    if (!up || !up->hasOneUse() || !constantF32Weight(up) ||
        input->get().getType() != product.getResult(0).getType() ||
        !input->get().hasOneUse())
      continue;
    if (Value bias = up.getBias();
        bias && !bias.getDefiningOp<arith::ConstantOp>())
      continue;
    BlockArgument scaled = product.getMatchingBlockArgument(input);
    Value lhs = multiply.getLhs(), rhs = multiply.getRhs();
    Value other = lhs == scaled ? rhs : rhs == scaled ? lhs : Value();
    if (!other)
      continue;
    // The other factor must not see up's output.
    SetVector<Operation *> slice;
    getForwardSlice(scaled, &slice);
    if (Operation *producer = other.getDefiningOp();
        other == scaled || (producer && slice.contains(producer)))
      continue;
    return MlpDown{down, up, product};
  }
  return std::nullopt;
}

LogicalResult mlir::lbc::divideUpOutputs(lowbit::LinearOp up,
                                         ArrayRef<float> scales,
                                         llvm::StringRef name) {
  arith::ConstantOp weight = constantF32Weight(up);
  FailureOr<std::vector<float>> values = readF32Values(weight);
  if (failed(values))
    return failure();
  int64_t columns = cast<RankedTensorType>(weight.getType()).getDimSize(1);
  for (size_t j = 0; j < scales.size(); ++j)
    for (int64_t c = 0; c < columns; ++c)
      (*values)[j * columns + c] /= scales[j];
  if (Value bias = up.getBias()) {
    auto biasConstant = bias.getDefiningOp<arith::ConstantOp>();
    FailureOr<std::vector<float>> biasValues = readF32Values(biasConstant);
    if (failed(biasValues))
      return failure();
    for (size_t j = 0; j < scales.size(); ++j)
      (*biasValues)[j] /= scales[j];
    replaceF32Constant(up.getBiasMutable()[0], biasConstant, *biasValues,
                       (name + "_bias").str(), up);
  }
  replaceF32Constant(up.getWeightMutable(), weight, *values,
                     (name + "_weight").str(), up);
  return success();
}
