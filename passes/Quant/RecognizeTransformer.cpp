//===- RecognizeTransformer.cpp - roles of a transformer's linears --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-recognize-transformer: names what each lowbit.linear is in a decoder
// block, from the dataflow alone (ONNX node names are not trusted): the
// attention projections by following the heads their output is split into
// (values reach the output projection with the head dimension intact,
// queries and keys are contracted over it in the scores, on the side of the
// query and the key token respectively), the MLP's down, up and gate by the
// SwiGLU product, the output head as the linear that writes a model output.
// Roles (`lowbit.role`) and block indices (`lowbit.block`, blocks delimited
// by the down projections) go on the linears; a per-block summary goes into
// the function's `lbc.transforms` for --report. Changes no computation.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/MlpStructure.h"
#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>

namespace mlir::lbc {
#define GEN_PASS_DEF_RECOGNIZETRANSFORMERPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

/// Where a linear's heads went.
struct HeadFlow {
  int64_t headDim = 0;
  /// Output projections reached with the head dimension intact (values).
  llvm::SetVector<lowbit::LinearOp> outputs;
  /// Contracted over the head dimension on the query's side or the key's.
  bool query = false, key = false;
  /// The head dimension was sliced or multiplied by a table varying along
  /// it on the way (the rotary embedding).
  bool rotary = false;
};

/// Follows a linear's output split into heads, tracking which dimension is
/// the head dimension through transposes, reshapes, slices, concatenations
/// and generics. Unlike lbc-rotate-heads it proves nothing about the values:
/// it only finds where the heads end.
class HeadFlowTrace {
public:
  HeadFlow run(lowbit::LinearOp linear) {
    visit(linear.getResult(), /*headPosition=*/-1, /*merged=*/false);
    return flow;
  }

private:
  /// headPosition < 0: `value`'s last dimension holds all channels (before
  /// the split, or merged back with `merged`).
  void visit(Value value, int64_t headPosition, bool merged) {
    if (!visited.insert({value.getAsOpaquePointer(), headPosition}).second ||
        visited.size() > kMaxVisits)
      return;
    for (OpOperand &use : value.getUses())
      step(use, headPosition, merged);
  }

  void step(OpOperand &use, int64_t head, bool merged) {
    Operation *user = use.getOwner();
    if (head < 0) {
      if (keepsChannels(user))
        return visit(user->getResult(0), -1, merged);
      if (merged) {
        if (auto linear = dyn_cast<lowbit::LinearOp>(user);
            linear && use.getOperandNumber() == 0)
          flow.outputs.insert(linear);
        return;
      }
      auto expand = dyn_cast<tensor::ExpandShapeOp>(user);
      if (!expand || expand.getReassociationIndices().back().size() < 2)
        return;
      auto type = cast<RankedTensorType>(expand.getResult().getType());
      if (type.isDynamicDim(type.getRank() - 1))
        return;
      flow.headDim = type.getShape().back();
      return visit(expand.getResult(), type.getRank() - 1, false);
    }
    if (auto transpose = dyn_cast<linalg::TransposeOp>(user)) {
      ArrayRef<int64_t> permutation = transpose.getPermutation();
      for (int64_t i = 0, e = permutation.size(); i < e; ++i)
        if (permutation[i] == head)
          return visit(transpose.getResult()[0], i, false);
      return;
    }
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(user)) {
      for (auto [index, group] :
           llvm::enumerate(expand.getReassociationIndices()))
        if (index == static_cast<size_t>(head) && group.size() == 1)
          return visit(expand.getResult(), group.front(), false);
      return;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(user)) {
      for (auto [index, group] :
           llvm::enumerate(collapse.getReassociationIndices())) {
        if (!llvm::is_contained(group, head))
          continue;
        bool last = index + 1 == collapse.getReassociationIndices().size();
        if (group.size() == 1)
          return visit(collapse.getResult(), index, false);
        // Heads merged back into the channels, head-major.
        if (last && group.back() == head)
          return visit(collapse.getResult(), -1, true);
        return;
      }
      return;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
      if (slice.getSourceType().getRank() != slice.getResultType().getRank())
        return;
      if (slice.getResultType().getDimSize(head) !=
          slice.getSourceType().getDimSize(head))
        flow.rotary = true;
      return visit(slice.getResult(), head, false);
    }
    if (isa<tensor::InsertSliceOp, tensor::ConcatOp>(user))
      return visit(user->getResult(0), head, false);
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !generic.isDpsInput(&use) || generic.getNumDpsInits() != 1)
      return;
    AffineMap map = generic.getMatchingIndexingMap(&use);
    auto dim = dyn_cast<AffineDimExpr>(map.getResult(head));
    if (!dim)
      return;
    unsigned loop = dim.getPosition();
    AffineMap output =
        generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
    if (generic.getIteratorTypesArray()[loop] ==
        utils::IteratorType::reduction) {
      // Scores: the head dimension is contracted. The query's token index
      // is the result's row dimension, the key's its column dimension.
      if (output.getNumResults() < 2)
        return;
      AffineExpr row = output.getResult(output.getNumResults() - 2);
      AffineExpr column = output.getResult(output.getNumResults() - 1);
      auto seen = [&](AffineExpr e) {
        auto d = dyn_cast<AffineDimExpr>(e);
        return d && map.isFunctionOfDim(d.getPosition());
      };
      if (seen(row) && !seen(column))
        flow.query = true;
      else if (seen(column) && !seen(row))
        flow.key = true;
      return;
    }
    for (OpOperand *other : generic.getDpsInputOperands())
      if (other != &use &&
          generic.getMatchingIndexingMap(other).isFunctionOfDim(loop))
        flow.rotary = true;
    for (unsigned i = 0; i < output.getNumResults(); ++i)
      if (output.getResult(i) == dim)
        return visit(generic.getResult(0), i, false);
  }

  static constexpr size_t kMaxVisits = 4096;
  HeadFlow flow;
  llvm::DenseSet<std::pair<const void *, int64_t>> visited;
};

/// The single linear that produces `value` through elementwise generics and
/// channel reshapes (the gate behind silu(gate)), if there is one.
lowbit::LinearOp producingLinear(Value value) {
  SmallVector<Value> worklist = {value};
  llvm::DenseSet<Operation *> seen;
  lowbit::LinearOp found;
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val().getDefiningOp();
    if (!op || !seen.insert(op).second)
      continue;
    if (auto linear = dyn_cast<lowbit::LinearOp>(op)) {
      if (found && found != linear)
        return {};
      found = linear;
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (generic && generic.getNumReductionLoops() == 0) {
      for (OpOperand *input : generic.getDpsInputOperands())
        worklist.push_back(input->get());
      continue;
    }
    if (keepsChannels(op))
      worklist.push_back(op->getOperand(0));
    // The importer's cut of a linear padded to a multiple of 8 outputs.
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op);
        slice && throughChannelReshapes(slice.getResult()) != slice.getResult())
      worklist.push_back(slice.getSource());
  }
  return found;
}

struct RecognizeTransformerPass
    : public mlir::lbc::impl::RecognizeTransformerPassBase<
          RecognizeTransformerPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    SmallVector<lowbit::LinearOp> linears;
    function.walk([&](lowbit::LinearOp linear) { linears.push_back(linear); });
    llvm::DenseMap<Operation *, llvm::StringLiteral> roles;
    auto assign = [&](lowbit::LinearOp linear, llvm::StringLiteral role) {
      roles.try_emplace(linear, role);
    };
    // The MLPs.
    for (lowbit::LinearOp linear : linears)
      if (std::optional<MlpDown> mlp = matchMlpDown(linear)) {
        assign(mlp->down, "down_proj");
        assign(mlp->up, "up_proj");
        for (OpOperand *input : mlp->product.getDpsInputOperands())
          if (lowbit::LinearOp gate = producingLinear(input->get());
              gate && gate != mlp->up)
            assign(gate, "gate_proj");
      }
    // Attention: where each linear's heads go.
    llvm::DenseMap<Operation *, HeadFlow> flows;
    for (lowbit::LinearOp linear : linears) {
      if (roles.count(linear))
        continue;
      HeadFlow flow = HeadFlowTrace().run(linear);
      if (!flow.headDim)
        continue;
      if (!flow.outputs.empty()) {
        assign(linear, "v_proj");
        for (lowbit::LinearOp output : flow.outputs)
          assign(output, "o_proj");
      } else if (flow.query != flow.key) {
        assign(linear, flow.query ? "q_proj" : "k_proj");
      }
      flows[linear] = flow;
    }
    // The output head of a recognised decoder: its last linear, writing a
    // model output.
    if (!roles.empty() && !roles.count(linears.back())) {
      lowbit::LinearOp last = linears.back();
      SetVector<Operation *> forward;
      getForwardSlice(last.getOperation(), &forward);
      if (llvm::any_of(forward,
                       [](Operation *op) { return isa<func::ReturnOp>(op); }))
        assign(last, "lm_head");
    }
    if (roles.empty()) {
      noteTransform(function, "no transformer structure recognised");
      return;
    }
    // Blocks end at their down projection.
    struct Block {
      std::vector<std::string> roles;
      bool rotary = false;
      int64_t queryHeads = 0, valueHeads = 0, headDim = 0;
    };
    std::vector<Block> blocks(1);
    Builder b(&getContext());
    for (lowbit::LinearOp linear : linears) {
      auto it = roles.find(linear);
      if (it == roles.end())
        continue;
      llvm::StringRef role = it->second;
      linear->setAttr("lowbit.role", b.getStringAttr(role));
      if (role == "lm_head")
        continue;
      int64_t index = static_cast<int64_t>(blocks.size()) - 1;
      linear->setAttr("lowbit.block", b.getI64IntegerAttr(index));
      Block &block = blocks.back();
      block.roles.push_back(role.drop_back(5).str());
      if (auto flow = flows.find(linear); flow != flows.end()) {
        block.rotary |= flow->second.rotary;
        block.headDim = flow->second.headDim;
        int64_t outputs = linear.getLogicalWeightType().getDimSize(0);
        if (role == "q_proj")
          block.queryHeads = outputs / flow->second.headDim;
        if (role == "v_proj")
          block.valueHeads = outputs / flow->second.headDim;
      }
      if (role == "down_proj")
        blocks.emplace_back();
    }
    if (blocks.back().roles.empty())
      blocks.pop_back();
    for (auto [index, block] : llvm::enumerate(blocks)) {
      std::string text = "block " + std::to_string(index) + ": " +
                         llvm::join(block.roles, ", ");
      if (block.headDim) {
        text += " (";
        if (block.queryHeads)
          text += std::to_string(block.queryHeads) + " query heads, ";
        if (block.valueHeads)
          text += std::to_string(block.valueHeads) + " key/value heads, ";
        text += "head dim " + std::to_string(block.headDim);
        text += block.rotary ? ", rotary)" : ")";
      }
      noteTransform(function, text);
    }
    if (llvm::any_of(linears, [&](lowbit::LinearOp linear) {
          auto it = roles.find(linear);
          return it != roles.end() && it->second == "lm_head";
        }))
      noteTransform(function, "output head: lm_head");
  }
};

} // namespace
