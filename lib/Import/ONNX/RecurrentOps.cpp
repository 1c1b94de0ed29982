//===- RecurrentOps.cpp - ONNX LSTM as unrolled linalg -------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// LSTM with a static sequence length, unrolled over time: the input
// projection of every step is one matmul, then each step adds H x R^T and
// runs the gates as two fused elementwise generics. Both directions,
// peepholes, clip, input_forget, layout 1, run-time sequence_lens (masked
// steps) and the activation functions Sigmoid, Tanh and Relu are supported.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::lbc::onnx_import;

namespace {

/// Writes `piece` (reshaped to `sizes`) into `into` at `offsets`.
Value insert(OpBuilder &b, Location loc, Value piece, Value into,
             ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
  auto type = cast<RankedTensorType>(into.getType());
  Value shaped = buildReshape(
      b, loc, piece, RankedTensorType::get(sizes, type.getElementType()));
  SmallVector<int64_t> strides(sizes.size(), 1);
  return tensor::InsertSliceOp::create(
      b, loc, shaped, into, ValueRange{}, ValueRange{}, ValueRange{},
      b.getDenseI64ArrayAttr(offsets), b.getDenseI64ArrayAttr(sizes),
      b.getDenseI64ArrayAttr(strides));
}

Value transpose(OpBuilder &b, Location loc, Value value,
                ArrayRef<int64_t> permutation) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation)
    shape.push_back(type.getDimSize(dim));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, permutation)
      .getResult()[0];
}

/// Applies an ONNX RNN activation function by name.
Value activate(OpBuilder &b, Location loc, llvm::StringRef name, Value x) {
  Type type = x.getType();
  if (name == "Sigmoid") {
    Value one = scalarConstant(b, loc, type, 1.0);
    Value negated = arith::NegFOp::create(b, loc, x);
    return arith::DivFOp::create(
        b, loc, one,
        arith::AddFOp::create(b, loc, one,
                              math::ExpOp::create(b, loc, negated)));
  }
  if (name == "Tanh")
    return math::TanhOp::create(b, loc, x);
  return arith::MaximumFOp::create(b, loc, x,
                                   scalarConstant(b, loc, type, 0.0));
}

LogicalResult convertLSTM(NodeContext &ctx) {
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  Value x = ctx.input(0), w = ctx.input(1), r = ctx.input(2);
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (!xType.hasStaticShape() || !wType.hasStaticShape() ||
      !cast<RankedTensorType>(r.getType()).hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  if (xType.getRank() != 3 || wType.getRank() != 3)
    return ctx.error() << "expects X and W of rank 3";
  Type elementType = xType.getElementType();
  bool batchFirst = ctx.intAttr("layout", 0) == 1;
  if (batchFirst)
    x = transpose(b, loc, x, {1, 0, 2});
  xType = cast<RankedTensorType>(x.getType());
  int64_t steps = xType.getDimSize(0), batch = xType.getDimSize(1),
          inputSize = xType.getDimSize(2);
  int64_t directions = wType.getDimSize(0);
  int64_t hidden = ctx.intAttr("hidden_size", wType.getDimSize(1) / 4);
  std::string direction = ctx.stringAttr("direction", "forward");
  if ((direction == "bidirectional") != (directions == 2) ||
      (direction != "forward" && direction != "reverse" &&
       direction != "bidirectional"))
    return ctx.error() << "direction '" << direction << "' does not match W's "
                       << directions << " direction(s)";
  if (wType.getDimSize(1) != 4 * hidden)
    return ctx.error() << "W has " << wType.getDimSize(1)
                       << " rows, 4 * hidden_size is " << 4 * hidden;
  // sequence_lens: batch entries whose sequence ends early keep their state
  // and output zeros from then on (a run-time mask unless the lengths are
  // constants equal to the sequence length).
  Value lengths;
  if (ctx.hasInput(4)) {
    bool full = false;
    if (const onnx::TensorProto *constant =
            ctx.getGraph().getConstant(ctx.getNode().input(4))) {
      std::string error;
      if (auto values = ctx.getGraph().decodeIntegers(*constant, error))
        full = llvm::all_of(*values, [&](int64_t l) { return l == steps; });
    }
    if (!full) {
      lengths = ctx.input(4);
      auto lengthsType = cast<RankedTensorType>(lengths.getType());
      lengths = buildReshape(
          b, loc, lengths,
          RankedTensorType::get({batch, 1}, lengthsType.getElementType()));
    }
  }
  SmallVector<std::string> activations;
  if (const onnx::AttributeProto *attr = ctx.attr("activations"))
    for (const std::string &name : attr->strings())
      activations.push_back(name);
  if (activations.empty())
    for (int64_t d = 0; d < directions; ++d)
      activations.append({"Sigmoid", "Tanh", "Tanh"});
  if (static_cast<int64_t>(activations.size()) != 3 * directions)
    return ctx.error() << "expects 3 activations per direction";
  for (const std::string &name : activations)
    if (name != "Sigmoid" && name != "Tanh" && name != "Relu")
      return ctx.error() << "activation '" << name << "' is not supported";
  std::optional<float> clip;
  if (ctx.attr("clip"))
    clip = ctx.floatAttr("clip", 0.0f);
  bool inputForget = ctx.intAttr("input_forget", 0) != 0;

  auto matrix = [&](int64_t rows, int64_t columns) {
    return RankedTensorType::get({rows, columns}, elementType);
  };
  auto zeros = [&](ArrayRef<int64_t> shape) {
    Value empty = tensor::EmptyOp::create(b, loc, shape, elementType);
    return linalg::FillOp::create(
               b, loc, ValueRange{scalarConstant(b, loc, elementType, 0.0)},
               ValueRange{empty})
        .getResult(0);
  };
  Value inputs = buildReshape(b, loc, x, matrix(steps * batch, inputSize));
  Value y = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{steps, directions, batch, hidden}, elementType);
  Value lastH = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{directions, batch, hidden}, elementType);
  Value lastC = lastH;
  auto stateInput = [&](unsigned i, int64_t d) -> Value {
    if (!ctx.hasInput(i))
      return zeros({batch, hidden});
    Value state = ctx.input(i);
    if (batchFirst)
      state = transpose(b, loc, state, {1, 0, 2});
    return buildStaticSlice(b, loc, state, {d, 0, 0}, {1, batch, hidden},
                            {batch, hidden});
  };

  for (int64_t d = 0; d < directions; ++d) {
    Value wd =
        buildStaticSlice(b, loc, w, {d, 0, 0}, {1, 4 * hidden, inputSize},
                         {4 * hidden, inputSize});
    Value rd = buildStaticSlice(b, loc, r, {d, 0, 0}, {1, 4 * hidden, hidden},
                                {4 * hidden, hidden});
    // Input projections of every step at once, plus both biases.
    Value projected =
        buildContraction(b, loc, inputs, wd, matrix(steps * batch, 4 * hidden),
                         /*transposeA=*/false, /*transposeB=*/true);
    if (ctx.hasInput(3)) {
      Value bias = ctx.input(3);
      Value inputBias =
          buildStaticSlice(b, loc, bias, {d, 0}, {1, 4 * hidden}, {4 * hidden});
      Value recurrentBias = buildStaticSlice(b, loc, bias, {d, 4 * hidden},
                                             {1, 4 * hidden}, {4 * hidden});
      projected = buildElementwise(
          b, loc, matrix(steps * batch, 4 * hidden),
          ValueRange{projected, inputBias, recurrentBias},
          [](OpBuilder &nb, Location l, ValueRange a) {
            return arith::AddFOp::create(
                       nb, l, a[0], arith::AddFOp::create(nb, l, a[1], a[2]))
                .getResult();
          });
    }
    // Peepholes P[d] = (Pi, Po, Pf); zero when absent.
    Value peepholes = ctx.hasInput(7)
                          ? buildStaticSlice(b, loc, ctx.input(7), {d, 0},
                                             {1, 3 * hidden}, {3 * hidden})
                          : zeros({3 * hidden});
    Value pi = buildStaticSlice(b, loc, peepholes, {0}, {hidden}, {hidden});
    Value po =
        buildStaticSlice(b, loc, peepholes, {hidden}, {hidden}, {hidden});
    Value pf =
        buildStaticSlice(b, loc, peepholes, {2 * hidden}, {hidden}, {hidden});
    StringRef f = activations[3 * d], g = activations[3 * d + 1],
              h = activations[3 * d + 2];
    auto clipped = [&](OpBuilder &nb, Location l, Value v) -> Value {
      if (!clip)
        return v;
      Value bound = scalarConstant(nb, l, elementType, *clip);
      return arith::MinimumFOp::create(
          nb, l,
          arith::MaximumFOp::create(nb, l, v,
                                    arith::NegFOp::create(nb, l, bound)),
          bound);
    };
    // f(clip(preactivation + peephole * cell)): the input, forget and output
    // gates.
    auto peepholeGate = [&](OpBuilder &nb, Location l, Value preactivation,
                            Value peephole, Value cell) {
      return activate(
          nb, l, f,
          clipped(nb, l,
                  arith::AddFOp::create(
                      nb, l, preactivation,
                      arith::MulFOp::create(nb, l, peephole, cell))));
    };

    Value hState = stateInput(5, d), cState = stateInput(6, d);
    bool reverse = direction == "reverse" || d == 1;
    RankedTensorType stateType = matrix(batch, hidden);
    for (int64_t step = 0; step < steps; ++step) {
      int64_t t = reverse ? steps - 1 - step : step;
      Value gates = buildStaticSlice(b, loc, projected, {t * batch, 0},
                                     {batch, 4 * hidden}, {batch, 4 * hidden});
      Value recurrent =
          buildContraction(b, loc, hState, rd, matrix(batch, 4 * hidden),
                           /*transposeA=*/false, /*transposeB=*/true);
      gates = buildElementwise(
          b, loc, matrix(batch, 4 * hidden), ValueRange{gates, recurrent},
          [](OpBuilder &nb, Location l, ValueRange a) {
            return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
          });
      // ONNX gate order: input, output, forget, cell.
      auto gate = [&](int64_t index) {
        return buildStaticSlice(b, loc, gates, {0, index * hidden},
                                {batch, hidden}, {batch, hidden});
      };
      Value inputGate = gate(0), outputGate = gate(1), forgetGate = gate(2),
            cellGate = gate(3);
      SmallVector<Value> cellInputs = {inputGate, forgetGate, cellGate,
                                       cState,    pi,         pf};
      if (lengths)
        cellInputs.push_back(lengths);
      // Whether step t is within the sequence of the row's batch entry.
      auto active = [&](OpBuilder &nb, Location l, Value length) {
        Value time = arith::ConstantOp::create(
            nb, l, nb.getIntegerAttr(length.getType(), t));
        return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, time,
                                     length)
            .getResult();
      };
      Value newC = buildElementwise(
          b, loc, stateType, cellInputs,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value i = peepholeGate(nb, l, a[0], a[4], a[3]);
            Value forget =
                inputForget
                    ? arith::SubFOp::create(
                          nb, l, scalarConstant(nb, l, elementType, 1.0), i)
                          .getResult()
                    : peepholeGate(nb, l, a[1], a[5], a[3]);
            Value candidate = activate(nb, l, g, clipped(nb, l, a[2]));
            Value c = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, forget, a[3]),
                arith::MulFOp::create(nb, l, i, candidate));
            if (lengths)
              c = arith::SelectOp::create(nb, l, active(nb, l, a[6]), c, a[3]);
            return c;
          });
      SmallVector<Value> hiddenInputs = {outputGate, newC, po, hState};
      if (lengths)
        hiddenInputs.push_back(lengths);
      Value newH = buildElementwise(
          b, loc, stateType, hiddenInputs,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value o = peepholeGate(nb, l, a[0], a[2], a[1]);
            Value hNew =
                arith::MulFOp::create(nb, l, o, activate(nb, l, h, a[1]));
            if (lengths)
              hNew = arith::SelectOp::create(nb, l, active(nb, l, a[4]), hNew,
                                             a[3]);
            return hNew;
          });
      Value output = newH;
      if (lengths)
        output = buildElementwise(
            b, loc, stateType, ValueRange{newH, lengths},
            [&](OpBuilder &nb, Location l, ValueRange a) {
              return arith::SelectOp::create(
                         nb, l, active(nb, l, a[1]), a[0],
                         scalarConstant(nb, l, elementType, 0.0))
                  .getResult();
            });
      hState = newH;
      cState = newC;
      y = insert(b, loc, output, y, {t, d, 0, 0}, {1, 1, batch, hidden});
    }
    lastH = insert(b, loc, hState, lastH, {d, 0, 0}, {1, batch, hidden});
    lastC = insert(b, loc, cState, lastC, {d, 0, 0}, {1, batch, hidden});
  }
  if (batchFirst) {
    y = transpose(b, loc, y, {2, 0, 1, 3});
    lastH = transpose(b, loc, lastH, {1, 0, 2});
    lastC = transpose(b, loc, lastC, {1, 0, 2});
  }
  Value results[] = {y, lastH, lastC};
  for (unsigned i = 0; i < ctx.numResults() && i < 3; ++i)
    if (!ctx.getNode().output(i).empty())
      ctx.setResult(i, results[i]);
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendRecurrentConverters(
    std::vector<OpConverter> &converters) {
  converters.push_back({"LSTM", 7, convertLSTM});
}
