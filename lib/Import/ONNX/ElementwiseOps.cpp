//===- ElementwiseOps.cpp - ONNX elementwise op converters ----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Unary and broadcasting n-ary elementwise ONNX ops as linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lbc::onnx_import;

namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

/// Converts a node whose result is `body` applied elementwise to all inputs
/// (with numpy broadcasting).
LogicalResult convertElementwise(NodeContext &ctx, ScalarBodyFn body) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (Value input = ctx.input(i))
      inputs.push_back(input);
  ctx.setResult(0, buildElementwise(ctx.b(), ctx.loc(), type, inputs, body));
  return success();
}

/// Unary float op from a math/arith op class.
template <typename FloatOp> LogicalResult convertFloatUnary(NodeContext &ctx) {
  if (!isa<FloatType>(
          cast<RankedTensorType>(ctx.input(0).getType()).getElementType()))
    return ctx.error() << "expects a floating-point input";
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    return FloatOp::create(b, loc, a[0]).getResult();
  });
}

/// Binary op with float, signed and unsigned integer forms, folded over all
/// inputs (so variadic Max/Min/Sum work too).
template <typename FloatOp, typename IntOp, typename UnsignedOp = IntOp>
LogicalResult convertArithmetic(NodeContext &ctx) {
  bool isUnsigned = ctx.isUnsignedInput(0);
  return convertElementwise(
      ctx, [isUnsigned](OpBuilder &b, Location loc, ValueRange a) {
        Value acc = a[0];
        for (Value v : a.drop_front())
          acc = isFloat(acc) ? FloatOp::create(b, loc, acc, v).getResult()
                : isUnsigned ? UnsignedOp::create(b, loc, acc, v).getResult()
                             : IntOp::create(b, loc, acc, v).getResult();
        return acc;
      });
}

template <arith::CmpFPredicate FloatPredicate,
          arith::CmpIPredicate IntPredicate,
          arith::CmpIPredicate UnsignedPredicate = IntPredicate>
LogicalResult convertComparison(NodeContext &ctx) {
  bool isUnsigned = ctx.isUnsignedInput(0);
  return convertElementwise(ctx, [isUnsigned](OpBuilder &b, Location loc,
                                              ValueRange a) {
    if (isFloat(a[0]))
      return arith::CmpFOp::create(b, loc, FloatPredicate, a[0], a[1])
          .getResult();
    return arith::CmpIOp::create(b, loc,
                                 isUnsigned ? UnsignedPredicate : IntPredicate,
                                 a[0], a[1])
        .getResult();
  });
}

template <typename LogicOp> LogicalResult convertLogic(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    return LogicOp::create(b, loc, a[0], a[1]).getResult();
  });
}

LogicalResult convertNot(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    Value one = scalarConstant(b, loc, a[0].getType(), 1);
    return arith::XOrIOp::create(b, loc, a[0], one).getResult();
  });
}

LogicalResult convertMean(NodeContext &ctx) {
  double count = ctx.numInputs();
  return convertElementwise(
      ctx, [count](OpBuilder &b, Location loc, ValueRange a) {
        Value acc = a[0];
        for (Value v : a.drop_front())
          acc = arith::AddFOp::create(b, loc, acc, v);
        Value n = scalarConstant(b, loc, acc.getType(), count);
        return arith::DivFOp::create(b, loc, acc, n).getResult();
      });
}

/// Pow for every type combination: float results use powf in the result
/// type; integer results are computed in f64 and converted back.
LogicalResult convertPow(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Type resultElement = type.getElementType();
  bool unsignedBase = ctx.isUnsignedInput(0),
       unsignedExponent = ctx.isUnsignedInput(1),
       unsignedResult = ctx.isUnsignedResult(0);
  return convertElementwise(ctx, [=](OpBuilder &b, Location loc, ValueRange a) {
    Type computeType =
        isa<FloatType>(resultElement) ? resultElement : b.getF64Type();
    Value base = castScalar(b, loc, a[0], computeType, unsignedBase);
    Value exponent = castScalar(b, loc, a[1], computeType, unsignedExponent);
    Value power = math::PowFOp::create(b, loc, base, exponent);
    return castScalar(b, loc, power, resultElement, false, unsignedResult);
  });
}

LogicalResult convertNeg(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    if (isFloat(a[0]))
      return arith::NegFOp::create(b, loc, a[0]).getResult();
    Value zero = scalarConstant(b, loc, a[0].getType(), 0);
    return arith::SubIOp::create(b, loc, zero, a[0]).getResult();
  });
}

LogicalResult convertAbs(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    if (isFloat(a[0]))
      return math::AbsFOp::create(b, loc, a[0]).getResult();
    return math::AbsIOp::create(b, loc, a[0]).getResult();
  });
}

LogicalResult convertReciprocal(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    Value one = scalarConstant(b, loc, a[0].getType(), 1.0);
    return arith::DivFOp::create(b, loc, one, a[0]).getResult();
  });
}

LogicalResult convertRelu(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    Value zero = scalarConstant(b, loc, a[0].getType(), 0.0);
    if (isFloat(a[0]))
      return arith::MaximumFOp::create(b, loc, a[0], zero).getResult();
    return arith::MaxSIOp::create(b, loc, a[0], zero).getResult();
  });
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = scalarConstant(b, loc, x.getType(), 1.0);
  Value negated = arith::NegFOp::create(b, loc, x);
  Value exp = math::ExpOp::create(b, loc, negated);
  Value denominator = arith::AddFOp::create(b, loc, one, exp);
  return arith::DivFOp::create(b, loc, one, denominator);
}

LogicalResult convertSigmoid(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    return sigmoid(b, loc, a[0]);
  });
}

LogicalResult convertLeakyRelu(NodeContext &ctx) {
  float alpha = ctx.floatAttr("alpha", 0.01f);
  return convertElementwise(ctx, [alpha](OpBuilder &b, Location loc,
                                         ValueRange a) {
    Value zero = scalarConstant(b, loc, a[0].getType(), 0.0);
    Value scaled = arith::MulFOp::create(
        b, loc, a[0], scalarConstant(b, loc, a[0].getType(), alpha));
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0], zero);
    return arith::SelectOp::create(b, loc, positive, a[0], scaled).getResult();
  });
}

/// max(0, min(1, alpha * x + beta)).
Value hardSigmoid(OpBuilder &b, Location loc, Value x, double alpha,
                  double beta) {
  Type type = x.getType();
  Value linear = arith::AddFOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, type, alpha)),
      scalarConstant(b, loc, type, beta));
  Value upper = arith::MinimumFOp::create(b, loc, linear,
                                          scalarConstant(b, loc, type, 1.0));
  return arith::MaximumFOp::create(b, loc, upper,
                                   scalarConstant(b, loc, type, 0.0));
}

LogicalResult convertHardSigmoid(NodeContext &ctx) {
  double alpha = ctx.floatAttr("alpha", 0.2f),
         beta = ctx.floatAttr("beta", 0.5f);
  return convertElementwise(ctx, [=](OpBuilder &b, Location loc, ValueRange a) {
    return hardSigmoid(b, loc, a[0], alpha, beta);
  });
}

LogicalResult convertHardSwish(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    return arith::MulFOp::create(b, loc, a[0],
                                 hardSigmoid(b, loc, a[0], 1.0 / 6.0, 0.5))
        .getResult();
  });
}

LogicalResult convertElu(NodeContext &ctx) {
  double alpha = ctx.floatAttr("alpha", 1.0f);
  return convertElementwise(ctx, [alpha](OpBuilder &b, Location loc,
                                         ValueRange a) {
    Type type = a[0].getType();
    Value expm1 = math::ExpM1Op::create(b, loc, a[0]);
    Value negative = arith::MulFOp::create(b, loc, expm1,
                                           scalarConstant(b, loc, type, alpha));
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0],
                              scalarConstant(b, loc, type, 0.0));
    return arith::SelectOp::create(b, loc, positive, a[0], negative)
        .getResult();
  });
}

LogicalResult convertSoftplus(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    return math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, a[0]))
        .getResult();
  });
}

LogicalResult convertWhere(NodeContext &ctx) {
  return convertElementwise(ctx, [](OpBuilder &b, Location loc, ValueRange a) {
    return arith::SelectOp::create(b, loc, a[0], a[1], a[2]).getResult();
  });
}

LogicalResult convertCast(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Type to = type.getElementType();
  bool fromUnsigned = ctx.isUnsignedInput(0),
       toUnsigned = ctx.isUnsignedResult(0);
  // Before opset 19, ONNX's reference casts f32 to bf16 by truncation (keep
  // the upper 16 bits); from 19 on it rounds to nearest even, as arith does.
  bool truncateToBF16 = to.isBF16() && ctx.getOpset() < 19;
  return convertElementwise(
      ctx, [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (truncateToBF16 && a[0].getType().isF32()) {
          Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), a[0]);
          Value high = arith::ShRUIOp::create(
              b, loc, bits, arith::ConstantIntOp::create(b, loc, 16, 32));
          Value half = arith::TruncIOp::create(b, loc, b.getI16Type(), high);
          return arith::BitcastOp::create(b, loc, to, half);
        }
        return castScalar(b, loc, a[0], to, fromUnsigned, toUnsigned);
      });
}

/// Clip: attributes before opset 11, optional inputs after.
LogicalResult convertClip(NodeContext &ctx) {
  Value input = ctx.input(0);
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  std::optional<double> low, high;
  if (ctx.getOpset() < 11) {
    low = ctx.floatAttr("min", -std::numeric_limits<float>::max());
    high = ctx.floatAttr("max", std::numeric_limits<float>::max());
  }
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value minInput = ctx.getOpset() >= 11 ? ctx.input(1) : Value();
  Value maxInput = ctx.getOpset() >= 11 ? ctx.input(2) : Value();
  SmallVector<Value> inputs = {input};
  if (minInput)
    inputs.push_back(minInput);
  if (maxInput)
    inputs.push_back(maxInput);
  bool hasMin = minInput != nullptr, hasMax = maxInput != nullptr;
  Value result = buildElementwise(
      ctx.b(), ctx.loc(), type, inputs,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        Value x = a[0];
        unsigned next = 1;
        auto bound = [&](bool fromInput, std::optional<double> constant) {
          return fromInput  ? a[next++]
                 : constant ? scalarConstant(b, loc, elementType, *constant)
                            : Value();
        };
        Value lo = bound(hasMin, low);
        Value hi = bound(hasMax, high);
        bool isF = isa<FloatType>(elementType);
        if (lo)
          x = isF ? arith::MaximumFOp::create(b, loc, x, lo).getResult()
                  : arith::MaxSIOp::create(b, loc, x, lo).getResult();
        if (hi)
          x = isF ? arith::MinimumFOp::create(b, loc, x, hi).getResult()
                  : arith::MinSIOp::create(b, loc, x, hi).getResult();
        return x;
      });
  ctx.setResult(0, result);
  return success();
}

/// Trilu: keep the upper (j - i >= k) or lower (j - i <= k) triangle of the
/// last two dims, zero elsewhere.
LogicalResult convertTrilu(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  // k may be a runtime input: read it once, outside the loops.
  Value k;
  if (Value kTensor = ctx.input(1)) {
    Value scalar =
        tensor::ExtractOp::create(ctx.b(), ctx.loc(), kTensor, ValueRange{});
    k = arith::IndexCastOp::create(ctx.b(), ctx.loc(), ctx.b().getIndexType(),
                                   scalar);
  } else {
    k = arith::ConstantIndexOp::create(ctx.b(), ctx.loc(), 0);
  }
  bool upper = ctx.intAttr("upper", 1);
  int64_t rank = type.getRank();
  if (rank < 2)
    return ctx.error() << "expects an input of rank >= 2";
  Value input = ctx.input(0);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  AffineMap identity = ctx.b().getMultiDimIdentityMap(rank);
  Value init = createEmptyTensor(ctx.b(), ctx.loc(), type, ValueRange{input});
  Type elementType = type.getElementType();
  ctx.setResult(
      0, linalg::GenericOp::create(
             ctx.b(), ctx.loc(), TypeRange{type}, ValueRange{input},
             ValueRange{init}, {identity, identity}, iterators,
             [&](OpBuilder &b, Location loc, ValueRange args) {
               Value i = linalg::IndexOp::create(b, loc, rank - 2);
               Value j = linalg::IndexOp::create(b, loc, rank - 1);
               Value diagonal = arith::SubIOp::create(b, loc, j, i);
               Value keep =
                   arith::CmpIOp::create(b, loc,
                                         upper ? arith::CmpIPredicate::sge
                                               : arith::CmpIPredicate::sle,
                                         diagonal, k);
               Value zero = scalarConstant(b, loc, elementType, 0.0);
               linalg::YieldOp::create(
                   b, loc,
                   arith::SelectOp::create(b, loc, keep, args[0], zero)
                       .getResult());
             })
             .getResult(0));
  return success();
}

LogicalResult convertIdentity(NodeContext &ctx) {
  ctx.setResult(0, ctx.input(0));
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendElementwiseConverters(
    std::vector<OpConverter> &converters) {
  const OpConverter table[] = {
      {"Add", 7, convertArithmetic<arith::AddFOp, arith::AddIOp>},
      {"Sub", 7, convertArithmetic<arith::SubFOp, arith::SubIOp>},
      {"Mul", 7, convertArithmetic<arith::MulFOp, arith::MulIOp>},
      {"Div", 7,
       convertArithmetic<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>},
      {"Max", 7,
       convertArithmetic<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>},
      {"Min", 7,
       convertArithmetic<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>},
      {"Sum", 7, convertArithmetic<arith::AddFOp, arith::AddIOp>},
      {"Mean", 7, convertMean},
      {"Pow", 7, convertPow},
      {"Equal", 7,
       convertComparison<arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq>},
      {"Less", 7,
       convertComparison<arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
                         arith::CmpIPredicate::ult>},
      {"LessOrEqual", 12,
       convertComparison<arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle,
                         arith::CmpIPredicate::ule>},
      {"Greater", 7,
       convertComparison<arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt,
                         arith::CmpIPredicate::ugt>},
      {"GreaterOrEqual", 12,
       convertComparison<arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge,
                         arith::CmpIPredicate::uge>},
      {"And", 7, convertLogic<arith::AndIOp>},
      {"Or", 7, convertLogic<arith::OrIOp>},
      {"Xor", 7, convertLogic<arith::XOrIOp>},
      {"Not", 7, convertNot},
      {"Where", 9, convertWhere},
      {"Cast", 7, convertCast},
      {"Clip", 6, convertClip},
      {"Neg", 6, convertNeg},
      {"Abs", 6, convertAbs},
      {"Reciprocal", 6, convertReciprocal},
      {"Relu", 6, convertRelu},
      {"LeakyRelu", 6, convertLeakyRelu},
      {"Sigmoid", 6, convertSigmoid},
      {"HardSigmoid", 6, convertHardSigmoid},
      {"HardSwish", 14, convertHardSwish},
      {"Elu", 6, convertElu},
      {"Softplus", 6, convertSoftplus},
      {"Exp", 6, convertFloatUnary<math::ExpOp>},
      {"Log", 6, convertFloatUnary<math::LogOp>},
      {"Sqrt", 6, convertFloatUnary<math::SqrtOp>},
      {"Tanh", 6, convertFloatUnary<math::TanhOp>},
      {"Erf", 9, convertFloatUnary<math::ErfOp>},
      {"Floor", 6, convertFloatUnary<math::FloorOp>},
      {"Ceil", 6, convertFloatUnary<math::CeilOp>},
      {"Sin", 7, convertFloatUnary<math::SinOp>},
      {"Cos", 7, convertFloatUnary<math::CosOp>},
      {"Identity", 6, convertIdentity},
      {"Trilu", 14, convertTrilu},
  };
  converters.insert(converters.end(), std::begin(table), std::end(table));
}
