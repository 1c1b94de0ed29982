//===- ControlFlowOps.cpp - ONNX If ---------------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// If with a condition known at compile time is inlined before import (see
// ShapeFolding.cpp); one that depends on data becomes scf.if on tensors, each
// branch graph converted into its region.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lbc::onnx_import;

namespace {

LogicalResult convertIf(NodeContext &ctx) {
  SmallVector<Type> resultTypes;
  for (unsigned i = 0; i < ctx.numResults(); ++i) {
    RankedTensorType type = ctx.resultType(i);
    if (!type)
      return failure();
    resultTypes.push_back(type);
  }
  const onnx::AttributeProto *thenBranch = ctx.attr("then_branch");
  const onnx::AttributeProto *elseBranch = ctx.attr("else_branch");
  if (!thenBranch || !elseBranch || !thenBranch->has_g() ||
      !elseBranch->has_g())
    return ctx.error() << "expects then_branch and else_branch graphs";
  OpBuilder &b = ctx.b();
  Value condition = tensor::ExtractOp::create(
      b, ctx.loc(), ctx.input(0),
      SmallVector<Value>(
          cast<RankedTensorType>(ctx.input(0).getType()).getRank(),
          arith::ConstantIndexOp::create(b, ctx.loc(), 0)));
  if (!condition.getType().isInteger(1))
    condition = castScalar(b, ctx.loc(), condition, b.getI1Type());
  auto ifOp = scf::IfOp::create(b, ctx.loc(), resultTypes, condition,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  for (auto [branch, block] :
       {std::pair{thenBranch, &ifOp.getThenRegion().front()},
        std::pair{elseBranch, &ifOp.getElseRegion().front()}}) {
    b.setInsertionPointToStart(block);
    const onnx::GraphProto &graph = branch->g();
    if (failed(ctx.getGraph().convertNodes(graph)))
      return failure();
    if (graph.output_size() != static_cast<int>(resultTypes.size()))
      return ctx.error() << "branch '" << branch->name() << "' has "
                         << graph.output_size() << " outputs, the node "
                         << resultTypes.size();
    SmallVector<Value> yielded;
    for (auto [index, output] : llvm::enumerate(graph.output())) {
      Value value = ctx.getGraph().lookup(output.name());
      if (!value)
        return ctx.error() << "branch output '" << output.name()
                           << "' is never computed";
      if (value.getType() != resultTypes[index])
        value = tensor::CastOp::create(b, ctx.loc(), resultTypes[index], value);
      yielded.push_back(value);
    }
    scf::YieldOp::create(b, ctx.loc(), yielded);
  }
  for (unsigned i = 0; i < ctx.numResults(); ++i)
    ctx.setResult(i, ifOp.getResult(i));
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendControlFlowConverters(
    std::vector<OpConverter> &converters) {
  converters.push_back({"If", 1, convertIf});
}
