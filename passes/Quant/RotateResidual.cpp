//===- RotateResidual.cpp - QuaRot's residual-stream rotation (R1) --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-rotate-residual: finds a transformer's residual stream (embedding,
// residual adds, RMSNorms), folds the norms' weights into the linears that
// read them and rotates the stream by R = diag(d) M_n: the embedding table
// and the linears writing the stream on their output side, the linears
// reading it on their input side. Exact in real arithmetic; any use of the
// stream it does not understand leaves the function as it is.
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
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_ROTATERESIDUALPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

/// The single op of a generic's body that feeds its yield, if the body is
/// just that op.
Operation *soleComputation(linalg::GenericOp generic) {
  Block *body = generic.getBody();
  if (body->getOperations().size() != 2)
    return nullptr;
  return &body->front();
}

bool allParallel(linalg::GenericOp generic) {
  return generic.getNumReductionLoops() == 0;
}

/// z = y * g with g an f32 constant [n] broadcast along the channels.
struct ChannelWeight {
  linalg::GenericOp generic;
  Value normalized;
  arith::ConstantOp weight;
};

/// What rotating the stream touches.
struct Plan {
  llvm::SetVector<Value> stream;
  arith::ConstantOp table;
  tensor::ExtractOp tableRead;
  llvm::SetVector<Operation *> outputSide; // lowbit.linear writing the stream
  llvm::SetVector<Operation *> inputSide;  // lowbit.linear reading a norm
  /// Per reading linear, the norm weight to fold (null: none).
  llvm::DenseMap<Operation *, arith::ConstantOp> foldedWeight;
  SmallVector<ChannelWeight> weights;
};

class StreamAnalysis {
public:
  StreamAnalysis(func::FuncOp function, int64_t hidden)
      : function(function), hidden(hidden) {}

  /// Fills `plan`; on failure `reason` says which use stopped it.
  LogicalResult analyze(Plan &plan) {
    if (failed(findEmbedding(plan)))
      return failure();
    for (size_t i = 0; i < plan.stream.size(); ++i) {
      Value value = plan.stream[i];
      for (OpOperand &use : value.getUses())
        if (failed(visitUse(use, value, plan)))
          return failure();
    }
    return success();
  }

  std::string reason;

private:
  LogicalResult fail(Operation *op, const llvm::Twine &why) {
    std::string location;
    llvm::raw_string_ostream os(location);
    op->getLoc().print(os);
    reason =
        (why + " (" + op->getName().getStringRef() + " at " + location + ")")
            .str();
    return failure();
  }

  /// The embedding: a generic reading rows of a constant [V, hidden] table
  /// with tensor.extract, indexed by the last loop in the channel position.
  LogicalResult findEmbedding(Plan &plan) {
    function.walk([&](tensor::ExtractOp extract) {
      auto generic = dyn_cast<linalg::GenericOp>(extract->getParentOp());
      auto table = extract.getTensor().getDefiningOp<arith::ConstantOp>();
      if (!generic || !table || plan.table || generic.getNumResults() != 1)
        return;
      auto type = cast<RankedTensorType>(table.getType());
      auto resultType = cast<RankedTensorType>(generic.getResult(0).getType());
      if (type.getRank() != 2 || type.getDimSize(1) != hidden ||
          !type.getElementType().isF32() ||
          resultType.getShape().back() != hidden)
        return;
      auto channel = extract.getIndices()[1].getDefiningOp<linalg::IndexOp>();
      if (!channel ||
          static_cast<int64_t>(channel.getDim()) != resultType.getRank() - 1)
        return;
      plan.table = table;
      plan.tableRead = extract;
      plan.stream.insert(generic.getResult(0));
    });
    if (!plan.table) {
      reason = "no token embedding (a gather from a constant table of " +
               std::to_string(hidden) + " channels) starts a residual stream";
      return failure();
    }
    return success();
  }

  /// The linear whose output `value` is, through channel reshapes, if its
  /// chain is used once.
  lowbit::LinearOp writingLinear(Value value) {
    while (Operation *op = value.getDefiningOp()) {
      if (!op->hasOneUse())
        return {};
      if (auto linear = dyn_cast<lowbit::LinearOp>(op))
        return constantF32Weight(linear) && !linear.getBias()
                   ? linear
                   : lowbit::LinearOp();
      if (!keepsChannels(op))
        return {};
      value = op->getOperand(0);
    }
    return {};
  }

  LogicalResult visitUse(OpOperand &use, Value value, Plan &plan) {
    Operation *user = use.getOwner();
    if (isa<func::ReturnOp>(user))
      return fail(user, "the residual stream is a model output");
    if (keepsChannels(user)) {
      plan.stream.insert(user->getResult(0));
      return success();
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || generic.getNumDpsInits() != 1 || !allParallel(generic))
      return fail(user, "the residual stream has a use that is not an add, "
                        "an RMSNorm or a reshape");
    Operation *computation = soleComputation(generic);
    // Residual add: the other operand is the stream or a linear's output.
    if (computation && isa<arith::AddFOp>(computation) &&
        generic.getNumDpsInputs() == 2 &&
        llvm::all_of(generic.getIndexingMapsArray(),
                     [](AffineMap map) { return map.isIdentity(); })) {
      Value other = generic.getDpsInputOperand(0)->get() == value
                        ? generic.getDpsInputOperand(1)->get()
                        : generic.getDpsInputOperand(0)->get();
      if (!plan.stream.contains(other)) {
        lowbit::LinearOp writer = writingLinear(other);
        if (!writer)
          return fail(user, "a residual add's other operand is neither the "
                            "stream nor a linear's output");
        plan.outputSide.insert(writer);
      }
      plan.stream.insert(generic.getResult(0));
      return success();
    }
    if (isSquare(generic, use))
      return success();
    if (Value scale = rowScale(generic, use))
      return visitNormOutput(generic, value, scale, plan);
    if (isChannelMeanOrCentering(generic, use))
      return fail(user, "the stream is centred (x - mean over the channels): a "
                        "LayerNorm; only RMSNorm models are rotated (QuaRot's "
                        "conversion of LayerNorm into RMSNorm is not "
                        "implemented)");
    return fail(user, "the residual stream has a use that is not an add, an "
                      "RMSNorm or a reshape");
  }

  /// A LayerNorm's first steps on the stream: its sum over the channels (a
  /// reduction of x itself, not of x^2) or x minus a per-row value.
  bool isChannelMeanOrCentering(linalg::GenericOp generic, OpOperand &use) {
    Operation *computation = soleComputation(generic);
    BlockArgument x = generic.getMatchingBlockArgument(&use);
    if (auto add = dyn_cast_or_null<arith::AddFOp>(computation))
      return generic.getNumReductionLoops() == 1 &&
             generic.getIteratorTypesArray().back() ==
                 utils::IteratorType::reduction &&
             (add.getLhs() == x || add.getRhs() == x);
    auto subtract = dyn_cast_or_null<arith::SubFOp>(computation);
    if (!subtract || subtract.getLhs() != x || generic.getNumDpsInputs() != 2)
      return false;
    OpOperand *other = generic.getDpsInputOperand(0) == &use
                           ? generic.getDpsInputOperand(1)
                           : generic.getDpsInputOperand(0);
    return !generic.getMatchingIndexingMap(other).isFunctionOfDim(
        generic.getNumLoops() - 1);
  }

  /// x^2 elementwise (powf x, 2 or x * x), summed over the channels only.
  bool isSquare(linalg::GenericOp generic, OpOperand &use) {
    Operation *computation = soleComputation(generic);
    BlockArgument x = generic.getMatchingBlockArgument(&use);
    bool square = false;
    if (auto multiply = dyn_cast_or_null<arith::MulFOp>(computation))
      square = multiply.getLhs() == x && multiply.getRhs() == x;
    if (auto power = dyn_cast_or_null<math::PowFOp>(computation)) {
      auto exponent = dyn_cast<BlockArgument>(power.getRhs());
      if (power.getLhs() == x && exponent &&
          exponent.getOwner() == x.getOwner()) {
        Value operand = generic->getOperand(exponent.getArgNumber());
        DenseElementsAttr value;
        square = matchPattern(operand, m_Constant(&value)) && value.isSplat() &&
                 value.getSplatValue<APFloat>().convertToDouble() == 2.0;
      }
    }
    if (!square || !generic->hasOneUse())
      return false;
    auto sum = dyn_cast<linalg::GenericOp>(*generic->getUsers().begin());
    if (!sum || sum.getNumDpsInputs() != 1 || sum.getNumReductionLoops() != 1)
      return false;
    auto iterators = sum.getIteratorTypesArray();
    return iterators.back() == utils::IteratorType::reduction &&
           isa_and_nonnull<arith::AddFOp>(soleComputation(sum));
  }

  /// For y = x * r with r broadcast along the channels: r.
  Value rowScale(linalg::GenericOp generic, OpOperand &use) {
    auto multiply = dyn_cast_or_null<arith::MulFOp>(soleComputation(generic));
    if (!multiply || generic.getNumDpsInputs() != 2 ||
        !generic.getMatchingIndexingMap(&use).isIdentity())
      return {};
    OpOperand *other = generic.getDpsInputOperand(0) == &use
                           ? generic.getDpsInputOperand(1)
                           : generic.getDpsInputOperand(0);
    AffineMap map = generic.getMatchingIndexingMap(other);
    unsigned channel = generic.getNumLoops() - 1;
    if (map.isFunctionOfDim(channel))
      return {};
    return other->get();
  }

  /// y = x * r is an RMSNorm when r only sees the stream through the sum of
  /// squares; its output, weighted or not, must feed linears only.
  LogicalResult visitNormOutput(linalg::GenericOp scaleOp, Value value,
                                Value scale, Plan &plan) {
    SetVector<Operation *> slice;
    BackwardSliceOptions options;
    options.inclusive = true;
    // Stop at the stream: how it was computed is not the norm's business.
    options.filter = [&](Operation *op) {
      return llvm::none_of(op->getResults(), [&](Value result) {
        return plan.stream.contains(result);
      });
    };
    (void)getBackwardSlice(scale, &slice, options);
    for (Operation *op : slice)
      for (Value operand : op->getOperands())
        if (plan.stream.contains(operand) && !isSquareOf(op, operand))
          return fail(scaleOp, "an RMSNorm's scale depends on the stream "
                               "other than through its sum of squares");
    Value normalized = scaleOp.getResult(0);
    arith::ConstantOp weight;
    Value output = normalized;
    if (normalized.hasOneUse()) {
      auto weighting = dyn_cast<linalg::GenericOp>(*normalized.user_begin());
      if (weighting && isChannelWeight(weighting, normalized, weight)) {
        plan.weights.push_back({weighting, normalized, weight});
        output = weighting.getResult(0);
      }
    }
    // Every reader: channel reshapes into linears' inputs.
    SmallVector<Value> worklist = {output};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (keepsChannels(user)) {
          worklist.push_back(user->getResult(0));
          continue;
        }
        auto linear = dyn_cast<lowbit::LinearOp>(user);
        if (!linear || use.getOperandNumber() != 0 ||
            !constantF32Weight(linear))
          return fail(user, "an RMSNorm's output feeds something other than "
                            "linears with constant weights");
        plan.inputSide.insert(linear);
        if (weight)
          plan.foldedWeight[linear] = weight;
      }
    }
    return success();
  }

  bool isSquareOf(Operation *op, Value operand) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic)
      return false;
    for (OpOperand *input : generic.getDpsInputOperands())
      if (input->get() == operand && isSquare(generic, *input))
        return true;
    return false;
  }

  bool isChannelWeight(linalg::GenericOp generic, Value normalized,
                       arith::ConstantOp &weight) {
    OpOperand *operand = channelWeightOperand(generic);
    if (!operand ||
        generic->getOperand(1 - operand->getOperandNumber()) != normalized)
      return false;
    weight = operand->get().getDefiningOp<arith::ConstantOp>();
    return cast<RankedTensorType>(weight.getType()).getDimSize(0) == hidden;
  }

  func::FuncOp function;
  int64_t hidden;
};

struct RotateResidualPass
    : public mlir::lbc::impl::RotateResidualPassBase<RotateResidualPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    // The hidden size: the in-features most linears share is not needed;
    // the embedding table decides. Try each table width in use.
    std::optional<int64_t> hidden;
    function.walk([&](tensor::ExtractOp extract) {
      auto type = dyn_cast<RankedTensorType>(extract.getTensor().getType());
      if (!hidden && type && type.getRank() == 2 &&
          extract.getTensor().getDefiningOp<arith::ConstantOp>() &&
          isa<linalg::GenericOp>(extract->getParentOp()))
        hidden = type.getDimSize(1);
    });
    if (!hidden) {
      function.emitRemark("lbc-rotate-residual: no token embedding in @")
          << function.getSymName() << "; the residual stream is not rotated";
      return;
    }
    Plan plan;
    StreamAnalysis analysis(function, *hidden);
    if (failed(analysis.analyze(plan))) {
      function.emitRemark("lbc-rotate-residual: the residual stream of @")
          << function.getSymName() << " is not rotated: " << analysis.reason;
      noteTransform(function,
                    "residual stream not rotated: " + analysis.reason);
      return;
    }
    std::optional<::lbc::RandomHadamard> rotation =
        ::lbc::RandomHadamard::create(*hidden, seed);
    if (!rotation) {
      function.emitRemark("lbc-rotate-residual: no Hadamard matrix of size ")
          << *hidden << "; the residual stream is not rotated";
      return;
    }
    if (failed(apply(plan, *rotation)))
      return signalPassFailure();
    noteTransform(function,
                  "residual stream rotated (R1, " + std::to_string(*hidden) +
                      " channels): embedding, " +
                      std::to_string(plan.weights.size()) +
                      " RMSNorm weights folded, " +
                      std::to_string(plan.inputSide.size()) + " readers, " +
                      std::to_string(plan.outputSide.size()) + " writers");
    function.emitRemark("lbc-rotate-residual: rotated the residual stream of @")
        << function.getSymName() << " (" << *hidden
        << " channels): " << plan.weights.size() << " RMSNorm weights folded, "
        << plan.inputSide.size() << " linears rotated on their inputs, "
        << plan.outputSide.size() << " on their outputs";
  }

  LogicalResult apply(Plan &plan, const ::lbc::RandomHadamard &rotation) {
    const int64_t n = rotation.size();
    // Embedding rows: e R.
    FailureOr<std::vector<float>> table = readF32Values(plan.table);
    if (failed(table))
      return failure();
    rotation.rotateRows(*table);
    {
      Operation *generic = plan.tableRead->getParentOp();
      OpBuilder b(generic);
      Value rotated = arith::ConstantOp::create(
          b, plan.table.getLoc(),
          makeF32Resource(cast<RankedTensorType>(plan.table.getType()), *table,
                          "lbc_rotated_embedding"));
      plan.tableRead.getTensorMutable().assign(rotated);
    }
    // Readers: W diag(g) R (rows of W).
    for (Operation *op : plan.inputSide) {
      auto linear = cast<lowbit::LinearOp>(op);
      arith::ConstantOp constant = constantF32Weight(linear);
      FailureOr<std::vector<float>> weight = readF32Values(constant);
      if (failed(weight))
        return failure();
      int64_t rows = cast<RankedTensorType>(constant.getType()).getDimSize(0);
      if (arith::ConstantOp g = plan.foldedWeight.lookup(op)) {
        FailureOr<std::vector<float>> gains = readF32Values(g);
        if (failed(gains))
          return failure();
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < n; ++j)
            (*weight)[r * n + j] *= (*gains)[j];
      }
      rotation.rotateRows(*weight);
      replaceF32Constant(linear.getWeightMutable(), constant, *weight,
                         "lbc_rotated_weight", linear);
      noteTransform(linear, plan.foldedWeight.lookup(op)
                                ? "RMSNorm weight folded, R1 on inputs"
                                : "R1 on inputs");
    }
    // Writers: R^T W, i.e. the columns of W (rows of W^T) times R.
    for (Operation *op : plan.outputSide) {
      auto linear = cast<lowbit::LinearOp>(op);
      arith::ConstantOp constant = constantF32Weight(linear);
      FailureOr<std::vector<float>> weight = readF32Values(constant);
      if (failed(weight))
        return failure();
      int64_t columns =
          cast<RankedTensorType>(constant.getType()).getDimSize(1);
      rotation.rotateColumns(*weight, n, columns);
      replaceF32Constant(linear.getWeightMutable(), constant, *weight,
                         "lbc_rotated_weight", linear);
      noteTransform(linear, "R1 on outputs");
    }
    // The folded norm weights: readers now take the normalized value.
    for (ChannelWeight &w : plan.weights)
      w.generic.getResult(0).replaceAllUsesWith(w.normalized);
    return success();
  }
};

} // namespace
