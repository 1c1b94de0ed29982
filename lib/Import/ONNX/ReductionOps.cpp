//===- ReductionOps.cpp - ONNX reduction and softmax converters -----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Reduce{Sum,Mean,Max,Min,Prod} (axes as attribute or input, by opset),
// Softmax and LogSoftmax (the opset 13 change of semantics included).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::lbc::onnx_import;

namespace {

enum class ReduceKind { Sum, Mean, Max, Min, Prod };

/// The opset from which `axes` is an input instead of an attribute.
int axesInputSince(ReduceKind kind) {
  return kind == ReduceKind::Sum ? 13 : 18;
}

TypedAttr initialValue(OpBuilder &b, ReduceKind kind, Type type) {
  bool isFloat = isa<FloatType>(type);
  double value = 0.0;
  if (kind == ReduceKind::Prod)
    value = 1.0;
  else if (kind == ReduceKind::Max)
    value = isFloat ? -std::numeric_limits<double>::infinity()
                    : static_cast<double>(std::numeric_limits<int64_t>::min());
  else if (kind == ReduceKind::Min)
    value = isFloat ? std::numeric_limits<double>::infinity()
                    : static_cast<double>(std::numeric_limits<int64_t>::max());
  if (isFloat)
    return b.getFloatAttr(type, value);
  if (kind == ReduceKind::Max)
    return b.getIntegerAttr(
        type, APInt::getSignedMinValue(type.getIntOrFloatBitWidth()));
  if (kind == ReduceKind::Min)
    return b.getIntegerAttr(
        type, APInt::getSignedMaxValue(type.getIntOrFloatBitWidth()));
  return b.getIntegerAttr(type, static_cast<int64_t>(value));
}

Value combine(OpBuilder &b, Location loc, ReduceKind kind, Value element,
              Value acc) {
  bool isFloat = isa<FloatType>(acc.getType());
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    return isFloat ? arith::AddFOp::create(b, loc, element, acc).getResult()
                   : arith::AddIOp::create(b, loc, element, acc).getResult();
  case ReduceKind::Prod:
    return isFloat ? arith::MulFOp::create(b, loc, element, acc).getResult()
                   : arith::MulIOp::create(b, loc, element, acc).getResult();
  case ReduceKind::Max:
    return isFloat ? arith::MaximumFOp::create(b, loc, element, acc).getResult()
                   : arith::MaxSIOp::create(b, loc, element, acc).getResult();
  case ReduceKind::Min:
    return isFloat ? arith::MinimumFOp::create(b, loc, element, acc).getResult()
                   : arith::MinSIOp::create(b, loc, element, acc).getResult();
  }
  return acc;
}

/// Reduces `input` over the sorted, normalized `axes` (Mean divides by the
/// reduced count; the shape is static).
template <ReduceKind kind>
Value buildReduce(OpBuilder &b, Location loc, Value input,
                  ArrayRef<int64_t> axes, bool keepDims) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type elementType = inputType.getElementType();
  Value result = buildReduction(b, loc, input, axes, keepDims,
                                initialValue(b, kind, elementType),
                                [](OpBuilder &nb, Location l, ValueRange args) {
                                  return combine(nb, l, kind, args[0], args[1]);
                                });
  if (kind != ReduceKind::Mean)
    return result;
  double count = 1;
  for (int64_t axis : axes)
    count *= inputType.getDimSize(axis);
  return buildElementwise(
      b, loc, cast<RankedTensorType>(result.getType()), ValueRange{result},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return arith::DivFOp::create(nb, l, a[0],
                                     scalarConstant(nb, l, elementType, count))
            .getResult();
      });
}

/// The axis sets that turn `input` into `output` (static shapes). Reducing a
/// dim of size 1 changes nothing when dims are kept, so with keepdims the
/// answer is unique; without, equal sizes can leave several candidates.
SmallVector<SmallVector<int64_t>>
candidateAxes(RankedTensorType input, RankedTensorType output, bool keepDims) {
  int64_t rank = input.getRank();
  SmallVector<SmallVector<int64_t>> candidates;
  if (keepDims) {
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < rank; ++d)
      if (output.getDimSize(d) == 1 && input.getDimSize(d) != 1)
        axes.push_back(d);
    candidates.push_back(axes);
    return candidates;
  }
  for (uint64_t mask = 0; mask < (1ull << rank); ++mask) {
    if (llvm::popcount(mask) != rank - output.getRank())
      continue;
    SmallVector<int64_t> axisList, kept;
    for (int64_t d = 0; d < rank; ++d) {
      if (mask & (1ull << d))
        axisList.push_back(d);
      else
        kept.push_back(input.getDimSize(d));
    }
    if (llvm::equal(kept, output.getShape()))
      candidates.push_back(axisList);
  }
  return candidates;
}

/// Axes known only at run time: the static shapes leave a few candidate
/// axis sets; a mask of the run-time axes selects one with scf.index_switch
/// (a mask that matches none takes the first candidate).
template <ReduceKind kind>
LogicalResult convertReduceAtRunTime(NodeContext &ctx, RankedTensorType type,
                                     bool keepDims) {
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  SmallVector<SmallVector<int64_t>> candidates =
      candidateAxes(inputType, type, keepDims);
  if (candidates.empty())
    return ctx.error() << "no set of axes turns " << inputType << " into "
                       << type;
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  if (candidates.size() == 1) {
    ctx.setResult(0, buildReduce<kind>(b, loc, input, candidates[0], keepDims));
    return success();
  }
  auto axesType = cast<RankedTensorType>(ctx.input(1).getType());
  Value mask = arith::ConstantIntOp::create(b, loc, 0, 64);
  for (int64_t i = 0; i < axesType.getNumElements(); ++i) {
    Value axis =
        castScalar(b, loc,
                   tensor::ExtractOp::create(
                       b, loc, ctx.input(1),
                       ValueRange{arith::ConstantIndexOp::create(b, loc, i)}),
                   b.getI64Type());
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axis,
                              arith::ConstantIntOp::create(b, loc, 0, 64));
    axis = arith::SelectOp::create(
        b, loc, negative,
        arith::AddIOp::create(b, loc, axis,
                              arith::ConstantIntOp::create(b, loc, rank, 64)),
        axis);
    mask = arith::OrIOp::create(
        b, loc, mask,
        arith::ShLIOp::create(
            b, loc, arith::ConstantIntOp::create(b, loc, 1, 64), axis));
  }
  SmallVector<int64_t> cases;
  for (const SmallVector<int64_t> &axes : llvm::drop_begin(candidates)) {
    int64_t bits = 0;
    for (int64_t axis : axes)
      bits |= int64_t(1) << axis;
    cases.push_back(bits);
  }
  Value selector = arith::IndexCastOp::create(b, loc, b.getIndexType(), mask);
  auto switchOp = scf::IndexSwitchOp::create(b, loc, TypeRange{type}, selector,
                                             cases, cases.size());
  OpBuilder::InsertionGuard guard(b);
  for (auto [index, axes] : llvm::enumerate(candidates)) {
    Region &region = index == 0 ? switchOp.getDefaultRegion()
                                : switchOp.getCaseRegions()[index - 1];
    b.setInsertionPointToStart(&region.emplaceBlock());
    scf::YieldOp::create(b, loc,
                         buildReduce<kind>(b, loc, input, axes, keepDims));
  }
  ctx.setResult(0, switchOp.getResult(0));
  return success();
}

template <ReduceKind kind> LogicalResult convertReduce(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  bool keepDims = ctx.intAttr("keepdims", 1);
  std::optional<SmallVector<int64_t>> axes;
  if (ctx.getOpset() >= axesInputSince(kind)) {
    bool runtimeAxes =
        ctx.hasInput(1) && !ctx.getGraph().getConstant(ctx.getNode().input(1));
    auto axesType = runtimeAxes ? cast<RankedTensorType>(ctx.input(1).getType())
                                : RankedTensorType();
    if (runtimeAxes && axesType.hasStaticShape() &&
        axesType.getNumElements() == 0) {
      axes.emplace(); // an empty axes tensor: known without its values
    } else if (runtimeAxes) {
      if (!inputType.hasStaticShape() || !type.hasStaticShape())
        return ctx.error() << "axes given at run time need static shapes";
      return convertReduceAtRunTime<kind>(ctx, type, keepDims);
    } else if (ctx.hasInput(1) && !(axes = ctx.constantIntsInput(1))) {
      return failure();
    }
  } else {
    axes = ctx.intsAttr("axes");
  }
  if (!axes || axes->empty()) {
    if (ctx.intAttr("noop_with_empty_axes", 0)) {
      ctx.setResult(0, input);
      return success();
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  SmallVector<int64_t> normalized;
  for (int64_t axis : *axes) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a)
      return ctx.error() << "axis " << axis << " out of range for rank "
                         << rank;
    normalized.push_back(*a);
  }
  llvm::sort(normalized);
  normalized.erase(std::unique(normalized.begin(), normalized.end()),
                   normalized.end());
  if (kind == ReduceKind::Mean && llvm::any_of(normalized, [&](int64_t axis) {
        return inputType.isDynamicDim(axis);
      }))
    return ctx.error() << "ReduceMean needs static reduced dims";
  ctx.setResult(
      0, buildReduce<kind>(ctx.b(), ctx.loc(), input, normalized, keepDims));
  return success();
}

/// Softmax (or LogSoftmax) over the reduced axes: opset 13 reduces one axis
/// (default -1); earlier opsets flatten from `axis` (default 1) onwards.
template <bool logarithm> LogicalResult convertSoftmax(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  int64_t rank = type.getRank();
  bool singleAxis = ctx.getOpset() >= 13;
  std::optional<int64_t> axis =
      normalizeAxis(ctx.intAttr("axis", singleAxis ? -1 : 1), rank);
  if (!axis)
    return ctx.error() << "axis out of range";
  SmallVector<int64_t> axes = {*axis};
  if (!singleAxis)
    axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  Type elementType = type.getElementType();
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  Value max = buildReduction(
      b, loc, input, axes, /*keepDims=*/true,
      b.getFloatAttr(elementType, -std::numeric_limits<double>::infinity()),
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::MaximumFOp::create(nb, l, a[0], a[1]).getResult();
      });
  Value shifted = buildElementwise(
      b, loc, type, ValueRange{input, max},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::SubFOp::create(nb, l, a[0], a[1]).getResult();
      });
  Value exp =
      buildElementwise(b, loc, type, ValueRange{shifted},
                       [](OpBuilder &nb, Location l, ValueRange a) {
                         return math::ExpOp::create(nb, l, a[0]).getResult();
                       });
  Value sum = buildReduction(
      b, loc, exp, axes, /*keepDims=*/true, b.getFloatAttr(elementType, 0.0),
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
      });
  Value result;
  if (logarithm)
    result = buildElementwise(b, loc, type, ValueRange{shifted, sum},
                              [](OpBuilder &nb, Location l, ValueRange a) {
                                return arith::SubFOp::create(
                                           nb, l, a[0],
                                           math::LogOp::create(nb, l, a[1]))
                                    .getResult();
                              });
  else
    result = buildElementwise(
        b, loc, type, ValueRange{exp, sum},
        [](OpBuilder &nb, Location l, ValueRange a) {
          return arith::DivFOp::create(nb, l, a[0], a[1]).getResult();
        });
  ctx.setResult(0, result);
  return success();
}

/// CumSum along a constant axis: out[i] = sum of x[j] for j <= i (j < i when
/// exclusive; mirrored when reverse), as a masked reduction over a second
/// copy of the axis. O(n^2) along the axis, which is short in practice
/// (positions of a sequence).
Value buildCumSum(OpBuilder &b, Location loc, Value input,
                  RankedTensorType type, int64_t axis, bool exclusive,
                  bool reverse) {
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  // Loops: the rank output dims, then j (reduction) along the axis.
  SmallVector<AffineExpr> inputExprs, outputExprs;
  for (int64_t d = 0; d < rank; ++d) {
    outputExprs.push_back(getAffineDimExpr(d, context));
    inputExprs.push_back(getAffineDimExpr(d == axis ? rank : d, context));
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, inputExprs, context),
      AffineMap::get(rank + 1, 0, outputExprs, context)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Type elementType = type.getElementType();
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), elementType);
  Value zero = scalarConstant(b, loc, elementType, 0.0);
  Value init =
      linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
          .getResult(0);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{input}, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value i = linalg::IndexOp::create(nb, l, axis);
               Value j = linalg::IndexOp::create(nb, l, rank);
               arith::CmpIPredicate predicate =
                   reverse ? (exclusive ? arith::CmpIPredicate::sgt
                                        : arith::CmpIPredicate::sge)
                           : (exclusive ? arith::CmpIPredicate::slt
                                        : arith::CmpIPredicate::sle);
               Value take = arith::CmpIOp::create(nb, l, predicate, j, i);
               Value term = arith::SelectOp::create(
                   nb, l, take, args[0],
                   scalarConstant(nb, l, elementType, 0.0));
               Value sum =
                   isa<FloatType>(elementType)
                       ? arith::AddFOp::create(nb, l, args[1], term).getResult()
                       : arith::AddIOp::create(nb, l, args[1], term)
                             .getResult();
               linalg::YieldOp::create(nb, l, sum);
             })
      .getResult(0);
}

/// CumSum along `axis`: out[i] = sum of x[j] for j <= i (j < i when
/// exclusive; mirrored when reverse), as a masked reduction over a second
/// copy of the axis. O(n^2) along the axis, which is short in practice
/// (positions of a sequence). An axis known only at run time selects one of
/// the rank variants with scf.index_switch.
LogicalResult convertCumSum(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape() || !type.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t rank = inputType.getRank();
  bool exclusive = ctx.intAttr("exclusive", 0),
       reverse = ctx.intAttr("reverse", 0);
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  if (ctx.getGraph().getConstant(ctx.getNode().input(1))) {
    std::optional<SmallVector<int64_t>> axisValue = ctx.constantIntsInput(1);
    if (!axisValue || axisValue->size() != 1)
      return ctx.error() << "axis must be a single integer";
    std::optional<int64_t> axis = normalizeAxis((*axisValue)[0], rank);
    if (!axis)
      return ctx.error() << "axis out of range";
    ctx.setResult(0,
                  buildCumSum(b, loc, input, type, *axis, exclusive, reverse));
    return success();
  }
  auto axisType = cast<RankedTensorType>(ctx.input(1).getType());
  Value axis = castScalar(
      b, loc,
      tensor::ExtractOp::create(
          b, loc, ctx.input(1),
          SmallVector<Value>(axisType.getRank(),
                             arith::ConstantIndexOp::create(b, loc, 0))),
      b.getI64Type());
  // Normalize a negative axis; out-of-range values take the default case
  // (axis 0), never an out-of-bounds access.
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axis,
                            arith::ConstantIntOp::create(b, loc, 0, 64));
  axis = arith::SelectOp::create(
      b, loc, negative,
      arith::AddIOp::create(b, loc, axis,
                            arith::ConstantIntOp::create(b, loc, rank, 64)),
      axis);
  Value selector = arith::IndexCastOp::create(b, loc, b.getIndexType(), axis);
  SmallVector<int64_t> cases = llvm::to_vector(llvm::seq<int64_t>(1, rank));
  auto switchOp = scf::IndexSwitchOp::create(b, loc, TypeRange{type}, selector,
                                             cases, cases.size());
  OpBuilder::InsertionGuard guard(b);
  for (int64_t d = 0; d < rank; ++d) {
    Region &region =
        d == 0 ? switchOp.getDefaultRegion() : switchOp.getCaseRegions()[d - 1];
    b.setInsertionPointToStart(&region.emplaceBlock());
    scf::YieldOp::create(
        b, loc, buildCumSum(b, loc, input, type, d, exclusive, reverse));
  }
  ctx.setResult(0, switchOp.getResult(0));
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendReductionConverters(
    std::vector<OpConverter> &converters) {
  const OpConverter table[] = {
      {"ReduceSum", 7, convertReduce<ReduceKind::Sum>},
      {"ReduceMean", 7, convertReduce<ReduceKind::Mean>},
      {"ReduceMax", 7, convertReduce<ReduceKind::Max>},
      {"ReduceMin", 7, convertReduce<ReduceKind::Min>},
      {"ReduceProd", 7, convertReduce<ReduceKind::Prod>},
      {"Softmax", 7, convertSoftmax<false>},
      {"LogSoftmax", 7, convertSoftmax<true>},
      {"CumSum", 11, convertCumSum},
  };
  converters.insert(converters.end(), std::begin(table), std::end(table));
}
