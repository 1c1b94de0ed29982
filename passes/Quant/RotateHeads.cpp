//===- RotateHeads.cpp - QuaRot's per-head value/output rotation (R2) -----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-rotate-heads: attention mixes the value vectors of different tokens
// but never the channels of one head, so rotating every head of the value
// projection's output by one orthogonal R (hd x hd) and the output
// projection's input blocks by the same R leaves the model unchanged:
// W_v' = blockdiag(R)^T W_v, W_o' = W_o blockdiag(R). With R a random
// Hadamard matrix this spreads the outliers of o_proj's input over each
// head (QuaRot's R2). The pass proves the premise on the IR: from the value
// linear to the output linear, the head dimension must stay the innermost
// dimension of every op, untouched (transposes, reshapes, broadcasts) or a
// parallel pass-through index of a contraction whose result is linear in
// the values. Anything else leaves the pair alone, with the reason.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/MlpStructure.h"
#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

#include "lib/Support/Hadamard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_ROTATEHEADSPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

/// Where a traced value keeps the value projection's channels.
enum class Phase {
  /// The last dimension is all of v's output channels.
  Channels,
  /// The last dimension is one head's channels (size headDim).
  Head,
  /// The last dimension is the heads' channels again, head-major.
  Merged,
};

/// The traced value after an op, and where it keeps the channels.
using Step = std::pair<Value, Phase>;

/// A value projection and the output projections its heads reach.
struct HeadPair {
  lowbit::LinearOp value;
  SmallVector<lowbit::LinearOp> outputs;
  int64_t headDim = 0;
};

/// Why a candidate was not rotated; `expected` for queries and keys (their
/// head dimension is sliced by the rotary embedding or contracted in the
/// attention scores), which are not value projections at all.
struct Rejection {
  std::string reason;
  bool expected = false;
};

bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

class HeadTrace {
public:
  explicit HeadTrace(lowbit::LinearOp value) { pair.value = value; }

  /// Follows v's output to the output projections; on failure `rejection`
  /// says which op stopped it.
  LogicalResult run() {
    SmallVector<Step> worklist = {{pair.value.getResult(), Phase::Channels}};
    llvm::DenseSet<Value> visited;
    while (!worklist.empty()) {
      auto [value, phase] = worklist.pop_back_val();
      if (!visited.insert(value).second)
        continue;
      for (OpOperand &use : value.getUses()) {
        FailureOr<Step> next = step(use, phase);
        if (failed(next))
          return failure();
        if (next->first)
          worklist.push_back(*next);
      }
    }
    if (pair.outputs.empty())
      return fail(pair.value, "its heads reach no output projection");
    return success();
  }

  HeadPair pair;
  Rejection rejection;

private:
  LogicalResult fail(Operation *op, const llvm::Twine &why,
                     bool expected = false) {
    std::string location;
    llvm::raw_string_ostream os(location);
    op->getLoc().print(os);
    rejection.reason =
        (why + " (" + op->getName().getStringRef() + " at " + location + ")")
            .str();
    rejection.expected = expected;
    return failure();
  }

  /// The traced value after `use`'s owner (null when the use ends the
  /// trace at an output projection).
  FailureOr<Step> step(OpOperand &use, Phase phase) {
    Operation *user = use.getOwner();
    if (isa<func::ReturnOp>(user))
      return fail(user, "the values are a model output (a KV cache would "
                        "hold them rotated)");
    if (phase != Phase::Head) {
      if (keepsChannels(user))
        return Step(user->getResult(0), phase);
      if (phase == Phase::Channels) {
        if (auto expand = dyn_cast<tensor::ExpandShapeOp>(user))
          if (std::optional<int64_t> headDim = splitHeads(expand))
            return Step(expand.getResult(), Phase::Head);
        return fail(user, "the projection's output is not split into heads");
      }
      auto linear = dyn_cast<lowbit::LinearOp>(user);
      if (!linear || use.getOperandNumber() != 0 || !constantF32Weight(linear))
        return fail(user, "the merged heads feed something other than a "
                          "linear with a constant weight");
      pair.outputs.push_back(linear);
      return Step(Value(), phase);
    }
    // Phase::Head: the innermost dimension is one head's channels.
    if (auto transpose = dyn_cast<linalg::TransposeOp>(user)) {
      ArrayRef<int64_t> permutation = transpose.getPermutation();
      if (permutation.back() != static_cast<int64_t>(permutation.size()) - 1)
        return fail(user, "a transpose moves the head dimension");
      return Step(transpose.getResult()[0], phase);
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user)) {
      auto reassociation =
          isa<tensor::ExpandShapeOp>(user)
              ? cast<tensor::ExpandShapeOp>(user).getReassociationIndices()
              : cast<tensor::CollapseShapeOp>(user).getReassociationIndices();
      Value result = user->getResult(0);
      if (reassociation.back().size() == 1)
        return Step(result, phase);
      // Heads merged back into channels, head-major: [.., H, hd] -> H * hd.
      auto source = cast<RankedTensorType>(user->getOperand(0).getType());
      if (isa<tensor::CollapseShapeOp>(user) &&
          source.getShape().back() == pair.headDim &&
          !cast<RankedTensorType>(result.getType())
               .isDynamicDim(
                   cast<RankedTensorType>(result.getType()).getRank() - 1))
        return Step(result, Phase::Merged);
      return fail(user, "a reshape splits the head dimension");
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(user))
      return throughGeneric(generic, use);
    if (isa<tensor::ExtractSliceOp>(user))
      return fail(user, "a slice cuts the head dimension (rotary embedding)",
                  /*expected=*/true);
    if (isa<tensor::InsertSliceOp, tensor::ConcatOp>(user))
      return fail(user, "the heads are concatenated with other values (a KV "
                        "cache)");
    return fail(user, "the heads have a use that is not a transpose, a "
                      "reshape, a broadcast or an attention product");
  }

  /// [.., C] -> [.., H, hd]: hd, recorded on first sight.
  std::optional<int64_t> splitHeads(tensor::ExpandShapeOp expand) {
    SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
    auto result = cast<RankedTensorType>(expand.getResult().getType());
    if (groups.back().size() < 2 || result.isDynamicDim(result.getRank() - 1))
      return std::nullopt;
    int64_t headDim = result.getShape().back();
    if (headDim < 2 || (pair.headDim && pair.headDim != headDim))
      return std::nullopt;
    pair.headDim = headDim;
    return headDim;
  }

  /// A generic through which the head dimension passes: its loop L is the
  /// innermost index of the traced operand and of the result, parallel, and
  /// no other operand reads it; the body is linear and homogeneous in the
  /// traced operand (a copy, a product with values independent of L, or a
  /// product accumulated into a zero-filled result).
  FailureOr<Step> throughGeneric(linalg::GenericOp generic, OpOperand &use) {
    if (generic.getNumDpsInits() != 1 || !generic.isDpsInput(&use))
      return fail(generic, "the heads enter an op with several results");
    AffineMap map = generic.getMatchingIndexingMap(&use);
    auto innermost = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!innermost)
      return fail(generic, "the head dimension is indexed by an expression");
    unsigned loop = innermost.getPosition();
    if (generic.getIteratorTypesArray()[loop] != utils::IteratorType::parallel)
      return fail(generic,
                  "the head dimension is contracted (attention scores)",
                  /*expected=*/true);
    auto readsLoop = [&](AffineMap m) { return m.isFunctionOfDim(loop); };
    for (AffineExpr expr : map.getResults().drop_back())
      if (expr.isFunctionOfDim(loop))
        return fail(generic, "the head dimension indexes twice");
    OpOperand *init = generic.getDpsInitOperand(0);
    AffineMap initMap = generic.getMatchingIndexingMap(init);
    auto initInnermost = dyn_cast<AffineDimExpr>(initMap.getResults().back());
    if (!initInnermost || initInnermost.getPosition() != loop ||
        llvm::any_of(initMap.getResults().drop_back(),
                     [&](AffineExpr e) { return e.isFunctionOfDim(loop); }))
      return fail(generic, "the head dimension does not reach the result's "
                           "innermost dimension");
    for (OpOperand *other : generic.getDpsInputOperands())
      if (other != &use && readsLoop(generic.getMatchingIndexingMap(other)))
        return fail(generic,
                    "another operand varies along the head dimension "
                    "(rotary embedding)",
                    /*expected=*/true);
    // The body: yield x, yield x * y, or yield out + x * y (out zero).
    Block *body = generic.getBody();
    BlockArgument x = generic.getMatchingBlockArgument(&use);
    BlockArgument out = generic.getMatchingBlockArgument(init);
    Value yielded = body->getTerminator()->getOperand(0);
    auto isProductOfX = [&](Value v) {
      auto multiply = v.getDefiningOp<arith::MulFOp>();
      if (!multiply)
        return false;
      Value factor = multiply.getLhs() == x   ? multiply.getRhs()
                     : multiply.getRhs() == x ? multiply.getLhs()
                                              : Value();
      auto argument = dyn_cast_or_null<BlockArgument>(factor);
      return argument && argument != x && argument != out &&
             argument.getOwner() == body;
    };
    bool linear = false;
    unsigned computations = body->getOperations().size() - 1;
    if (yielded == x && computations == 0)
      linear = true;
    else if (computations == 1 && isProductOfX(yielded))
      linear = true;
    else if (auto add = yielded.getDefiningOp<arith::AddFOp>();
             add && computations == 2) {
      Value product = add.getLhs() == out   ? add.getRhs()
                      : add.getRhs() == out ? add.getLhs()
                                            : Value();
      linear = product && isProductOfX(product) && isZeroFill(init->get());
    }
    if (!linear)
      return fail(generic, "the op is not linear in the values");
    return Step(generic.getResult(0), Phase::Head);
  }
};

struct RotateHeadsPass
    : public mlir::lbc::impl::RotateHeadsPassBase<RotateHeadsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    SmallVector<HeadPair> pairs;
    SmallVector<std::pair<lowbit::LinearOp, std::string>> skipped;
    llvm::DenseSet<Operation *> claimed;
    function.walk([&](lowbit::LinearOp linear) {
      if (!constantF32Weight(linear) ||
          (linear.getBias() &&
           !linear.getBias().getDefiningOp<arith::ConstantOp>()))
        return;
      HeadTrace trace(linear);
      if (failed(trace.run())) {
        // Only projections whose output is split into heads are candidates.
        if (trace.pair.headDim && !trace.rejection.expected)
          skipped.push_back({linear, trace.rejection.reason});
        return;
      }
      pairs.push_back(trace.pair);
    });
    // A linear rotated twice (two value projections into one output
    // projection) would not be exact: leave such graphs alone.
    for (const HeadPair &pair : pairs) {
      for (lowbit::LinearOp output : pair.outputs)
        if (!claimed.insert(output).second) {
          skipped.push_back({pair.value, "its output projection is shared"});
          pairs.clear();
          break;
        }
    }
    for (auto &[linear, reason] : skipped) {
      linear.emitRemark("lbc-rotate-heads: value projection not rotated: ")
          << reason;
      noteTransform(linear, "R2 not applied: " + reason);
    }
    for (HeadPair &pair : pairs)
      if (failed(rotate(pair)))
        return signalPassFailure();
    if (!pairs.empty()) {
      function.emitRemark("lbc-rotate-heads: rotated ")
          << pairs.size() << " value/output projection pair(s) of @"
          << function.getSymName() << " per head of " << pairs.front().headDim
          << " channels";
      noteTransform(function, "attention heads rotated (R2, head dim " +
                                  std::to_string(pairs.front().headDim) +
                                  "): " + std::to_string(pairs.size()) +
                                  " value/output projection pairs");
    } else if (!skipped.empty())
      noteTransform(function,
                    "attention heads not rotated: " + skipped.front().second);
  }

  LogicalResult rotate(HeadPair &pair) {
    std::optional<::lbc::RandomHadamard> rotation =
        ::lbc::RandomHadamard::create(pair.headDim, seed);
    if (!rotation) {
      pair.value.emitRemark("lbc-rotate-heads: no Hadamard matrix of size ")
          << pair.headDim << "; the heads are not rotated";
      return success();
    }
    // Value projection, output side: W_v' = blockdiag(R)^T W_v, b' = b R.
    lowbit::LinearOp value = pair.value;

    arith::ConstantOp constant = constantF32Weight(value);
    auto type = cast<RankedTensorType>(constant.getType());
    if (type.getDimSize(0) % pair.headDim != 0)
      return success();
    FailureOr<std::vector<float>> weight = readF32Values(constant);
    if (failed(weight))
      return failure();
    rotation->rotateColumns(*weight, type.getDimSize(0), type.getDimSize(1));
    replaceF32Constant(value.getWeightMutable(), constant, *weight,
                       "lbc_rotated_weight", value);
    if (Value bias = value.getBias()) {
      auto biasConstant = bias.getDefiningOp<arith::ConstantOp>();
      FailureOr<std::vector<float>> values = readF32Values(biasConstant);
      if (failed(values))
        return failure();
      rotation->rotateRows(*values);
      replaceF32Constant(value.getBiasMutable()[0], biasConstant, *values,
                         "lbc_rotated_bias", value);
    }
    std::string head = std::to_string(pair.headDim);
    noteTransform(value, "R2 on outputs (per head of " + head + ")");
    // Output projections, input side: W_o' = W_o blockdiag(R).
    for (lowbit::LinearOp output : pair.outputs) {
      arith::ConstantOp outputConstant = constantF32Weight(output);
      FailureOr<std::vector<float>> outputWeight =
          readF32Values(outputConstant);
      if (failed(outputWeight))
        return failure();
      rotation->rotateRows(*outputWeight);
      replaceF32Constant(output.getWeightMutable(), outputConstant,
                         *outputWeight, "lbc_rotated_weight", output);
      noteTransform(output, "R2 on inputs (per head of " + head + ")");
    }
    return success();
  }
};

} // namespace
