//===- ShapeOps.cpp - ONNX shape and data-movement converters -------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Reshape-like ops (through the inferred result type), Transpose, Concat,
// Slice, Gather, Expand, Shape and the constant producers.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lbc::onnx_import;

namespace {

/// Reshape, Flatten, Squeeze, Unsqueeze: the data does not move, the result
/// shape is what shape inference says.
LogicalResult convertReshapeLike(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  if (type.hasStaticShape() &&
      cast<RankedTensorType>(input.getType()).hasStaticShape()) {
    ctx.setResult(0, buildReshape(ctx.b(), ctx.loc(), input, type));
    return success();
  }
  std::optional<SmallVector<OpFoldResult>> sizes = ctx.resultSizes(0, type);
  if (!sizes)
    return failure();
  auto inputType = cast<RankedTensorType>(input.getType());
  ctx.setResult(0, buildDynamicReshape(ctx.b(), ctx.loc(), input,
                                       ctx.inputDims(0, inputType), type,
                                       ctx.resultDims(0, type), *sizes));
  return success();
}

LogicalResult convertTranspose(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  SmallVector<int64_t> permutation;
  if (auto perm = ctx.intsAttr("perm"))
    permutation = *perm;
  else
    for (int64_t dim = rank - 1; dim >= 0; --dim)
      permutation.push_back(dim);
  if (static_cast<int64_t>(permutation.size()) != rank)
    return ctx.error() << "perm has " << permutation.size()
                       << " entries for a rank-" << rank << " input";
  Value init = tensor::EmptyOp::create(ctx.b(), ctx.loc(), type.getShape(),
                                       type.getElementType(), ValueRange{});
  if (!type.hasStaticShape()) {
    SmallVector<Value> sizes;
    for (int64_t dim = 0; dim < rank; ++dim)
      if (type.isDynamicDim(dim))
        sizes.push_back(
            tensor::DimOp::create(ctx.b(), ctx.loc(), input, permutation[dim]));
    init = tensor::EmptyOp::create(ctx.b(), ctx.loc(), type.getShape(),
                                   type.getElementType(), sizes);
  }
  ctx.setResult(0, linalg::TransposeOp::create(ctx.b(), ctx.loc(), input, init,
                                               permutation)
                       .getResult()[0]);
  return success();
}

/// a + b, folded when both are constants.
OpFoldResult addOffsets(OpBuilder &b, Location loc, OpFoldResult x,
                        OpFoldResult y) {
  std::optional<int64_t> cx = getConstantIntValue(x),
                         cy = getConstantIntValue(y);
  if (cx && cy)
    return b.getIndexAttr(*cx + *cy);
  return arith::AddIOp::create(b, loc,
                               getValueOrCreateConstantIndexOp(b, loc, x),
                               getValueOrCreateConstantIndexOp(b, loc, y))
      .getResult();
}

LogicalResult convertConcat(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  std::optional<int64_t> axis =
      normalizeAxis(ctx.intAttr("axis", 0), type.getRank());
  if (!axis)
    return ctx.error() << "axis out of range";
  Value result = ctx.emptyResult(0, type);
  if (!result)
    return failure();
  OpBuilder &b = ctx.b();
  OpFoldResult offset = b.getIndexAttr(0);
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    Value input = ctx.input(i);
    if (!input)
      continue;
    auto inputType = cast<RankedTensorType>(input.getType());
    if (inputType.hasStaticShape() && inputType.getNumElements() == 0)
      continue;
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
        strides(type.getRank(), b.getIndexAttr(1));
    offsets[*axis] = offset;
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(b, ctx.loc(), input);
    result = tensor::InsertSliceOp::create(b, ctx.loc(), input, result, offsets,
                                           sizes, strides);
    offset = addOffsets(b, ctx.loc(), offset, sizes[*axis]);
  }
  ctx.setResult(0, result);
  return success();
}

/// Element `i` of a 1-D integer tensor as an i64, read at run time.
Value extractInteger(OpBuilder &b, Location loc, Value tensor, int64_t i) {
  Value element = tensor::ExtractOp::create(
      b, loc, tensor, ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
  return castScalar(b, loc, element, b.getI64Type());
}

/// Slice whose starts/axes/steps are only known at run time, or that cuts a
/// dynamic dim. The output sizes are what shape inference says (static, or
/// expressions of the named input dims), so only where each dim starts and
/// how it steps is computed, with ONNX's clamping, before a gather that
/// clamps every read into bounds.
LogicalResult convertSliceAtRunTime(NodeContext &ctx, RankedTensorType type) {
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  auto startsType = cast<RankedTensorType>(ctx.input(1).getType());
  if (startsType.getRank() != 1 || startsType.isDynamicDim(0))
    return ctx.error() << "starts must be a 1-D tensor of static length";
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  auto i64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
  };
  using Pred = arith::CmpIPredicate;
  auto cmp = [&](Pred p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y).getResult();
  };
  auto select = [&](Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y).getResult();
  };
  auto clamp = [&](Value x, Value low, Value high) {
    return arith::MinSIOp::create(b, loc,
                                  arith::MaxSIOp::create(b, loc, x, low), high);
  };
  SmallVector<Value> inputSizes;
  for (int64_t d = 0; d < rank; ++d)
    inputSizes.push_back(inputType.isDynamicDim(d)
                             ? arith::IndexCastOp::create(
                                   b, loc, b.getI64Type(),
                                   tensor::DimOp::create(b, loc, input, d))
                                   .getResult()
                             : i64(inputType.getDimSize(d)));
  SmallVector<Value> offsets(rank, i64(0)), steps(rank, i64(1));
  for (int64_t i = 0; i < startsType.getDimSize(0); ++i) {
    Value axis =
        ctx.hasInput(3) ? extractInteger(b, loc, ctx.input(3), i) : i64(i);
    axis = select(cmp(Pred::slt, axis, i64(0)),
                  arith::AddIOp::create(b, loc, axis, i64(rank)), axis);
    Value start = extractInteger(b, loc, ctx.input(1), i);
    Value step =
        ctx.hasInput(4) ? extractInteger(b, loc, ctx.input(4), i) : i64(1);
    for (int64_t d = 0; d < rank; ++d) {
      Value size = inputSizes[d];
      Value s = select(cmp(Pred::slt, start, i64(0)),
                       arith::AddIOp::create(b, loc, start, size), start);
      s = select(cmp(Pred::sgt, step, i64(0)), clamp(s, i64(0), size),
                 clamp(s, i64(0), arith::SubIOp::create(b, loc, size, i64(1))));
      Value here = cmp(Pred::eq, axis, i64(d));
      offsets[d] = select(here, s, offsets[d]);
      steps[d] = select(here, step, steps[d]);
    }
  }
  SmallVector<Value> lastIndex;
  for (int64_t d = 0; d < rank; ++d)
    lastIndex.push_back(arith::SubIOp::create(b, loc, inputSizes[d], i64(1)));
  Value init = ctx.emptyResult(0, type);
  if (!init)
    return failure();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  ctx.setResult(
      0,
      linalg::GenericOp::create(
          b, loc, TypeRange{type}, ValueRange{}, ValueRange{init},
          {b.getMultiDimIdentityMap(rank)}, iterators,
          [&](OpBuilder &nb, Location l, ValueRange) {
            SmallVector<Value> indices;
            for (int64_t d = 0; d < rank; ++d) {
              Value i = arith::IndexCastOp::create(
                  nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, d));
              Value at = arith::AddIOp::create(
                  nb, l, offsets[d], arith::MulIOp::create(nb, l, i, steps[d]));
              at = arith::MaxSIOp::create(
                  nb, l, at, arith::ConstantIntOp::create(nb, l, 0, 64));
              at = arith::MinSIOp::create(nb, l, at, lastIndex[d]);
              indices.push_back(
                  arith::IndexCastOp::create(nb, l, nb.getIndexType(), at));
            }
            linalg::YieldOp::create(
                nb, l,
                tensor::ExtractOp::create(nb, l, input, indices).getResult());
          })
          .getResult(0));
  return success();
}

/// Slice with starts/ends/axes/steps as attributes (opset < 10) or constant
/// inputs (or at run time, above).
LogicalResult convertSlice(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  std::optional<SmallVector<int64_t>> starts, ends, axes, steps;
  if (ctx.getOpset() < 10) {
    starts = ctx.intsAttr("starts");
    ends = ctx.intsAttr("ends");
    axes = ctx.intsAttr("axes");
  } else {
    auto isConstant = [&](unsigned i) {
      return !ctx.hasInput(i) ||
             ctx.getGraph().getConstant(ctx.getNode().input(i));
    };
    if (!isConstant(1) || !isConstant(2) || !isConstant(3) || !isConstant(4))
      return convertSliceAtRunTime(ctx, type);
    starts = ctx.constantIntsInput(1);
    ends = ctx.constantIntsInput(2);
    if (!starts || !ends)
      return failure();
    if (ctx.hasInput(3) && !(axes = ctx.constantIntsInput(3)))
      return failure();
    if (ctx.hasInput(4) && !(steps = ctx.constantIntsInput(4)))
      return failure();
  }
  if (!starts || !ends || starts->size() != ends->size())
    return ctx.error() << "starts and ends must be given with equal length";
  SmallVector<int64_t> offsets(rank, 0), sizes(inputType.getShape()),
      strides(rank, 1);
  for (size_t i = 0; i < starts->size(); ++i) {
    std::optional<int64_t> axis =
        normalizeAxis(axes ? (*axes)[i] : static_cast<int64_t>(i), rank);
    if (!axis)
      return ctx.error() << "axis out of range";
    if (inputType.isDynamicDim(*axis))
      return convertSliceAtRunTime(ctx, type);
    int64_t dim = inputType.getDimSize(*axis);
    int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0)
      return ctx.error() << "step must not be 0";
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      sizes[*axis] = std::max<int64_t>(0, (end - start + step - 1) / step);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      sizes[*axis] = std::max<int64_t>(0, (start - end - step - 1) / -step);
    }
    offsets[*axis] = start;
    strides[*axis] = step;
    // An empty slice reads nothing: start it at 0 so the op stays in bounds.
    if (sizes[*axis] == 0)
      offsets[*axis] = 0;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (!inputType.isDynamicDim(d) && !type.isDynamicDim(d) &&
        sizes[d] != type.getDimSize(d))
      return ctx.error() << "slice of dim " << d << " (size "
                         << inputType.getDimSize(d) << ") from " << offsets[d]
                         << " has " << sizes[d]
                         << " elements, but shape inference expects "
                         << type.getDimSize(d)
                         << " (do the input sizes exceed what the model "
                            "supports, e.g. a table of positions?)";
  if (llvm::all_of(strides, [](int64_t s) { return s > 0; })) {
    // Dims that are not cut keep their (possibly dynamic) size.
    SmallVector<OpFoldResult> mixedSizes =
        tensor::getMixedSizes(ctx.b(), ctx.loc(), input);
    for (int64_t d = 0; d < rank; ++d)
      if (!inputType.isDynamicDim(d))
        mixedSizes[d] = ctx.b().getIndexAttr(sizes[d]);
    SmallVector<OpFoldResult> mixedOffsets, mixedStrides;
    for (int64_t d = 0; d < rank; ++d) {
      mixedOffsets.push_back(ctx.b().getIndexAttr(offsets[d]));
      mixedStrides.push_back(ctx.b().getIndexAttr(strides[d]));
    }
    ctx.setResult(0, tensor::ExtractSliceOp::create(ctx.b(), ctx.loc(), type,
                                                    input, mixedOffsets,
                                                    mixedSizes, mixedStrides));
    return success();
  }
  if (!inputType.hasStaticShape())
    return convertSliceAtRunTime(ctx, type);
  // Negative steps: gather element by element.
  Value init = tensor::EmptyOp::create(ctx.b(), ctx.loc(), type.getShape(),
                                       type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  ctx.setResult(
      0,
      linalg::GenericOp::create(
          ctx.b(), ctx.loc(), TypeRange{type}, ValueRange{}, ValueRange{init},
          {ctx.b().getMultiDimIdentityMap(rank)}, iterators,
          [&](OpBuilder &b, Location loc, ValueRange) {
            SmallVector<Value> indices;
            for (int64_t dim = 0; dim < rank; ++dim) {
              Value i = linalg::IndexOp::create(b, loc, dim);
              Value scaled = arith::MulIOp::create(
                  b, loc, i,
                  arith::ConstantIndexOp::create(b, loc, strides[dim]));
              indices.push_back(arith::AddIOp::create(
                  b, loc, scaled,
                  arith::ConstantIndexOp::create(b, loc, offsets[dim])));
            }
            linalg::YieldOp::create(
                b, loc,
                tensor::ExtractOp::create(b, loc, input, indices).getResult());
          })
          .getResult(0));
  return success();
}

/// Split: sizes from the `split` input (opset 13+) or attribute, else equal
/// parts (the last one smaller when uneven, as opset 18 defines).
LogicalResult convertSplit(NodeContext &ctx) {
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t rank = inputType.getRank();
  std::optional<int64_t> axis = normalizeAxis(ctx.intAttr("axis", 0), rank);
  if (!axis)
    return ctx.error() << "axis out of range";
  int64_t total = inputType.getDimSize(*axis);
  int64_t parts = ctx.numResults();
  std::optional<SmallVector<int64_t>> sizes;
  if (ctx.getOpset() < 13) {
    sizes = ctx.intsAttr("split");
  } else if (ctx.hasInput(1)) {
    if (ctx.getGraph().getConstant(ctx.getNode().input(1))) {
      if (!(sizes = ctx.constantIntsInput(1)))
        return failure();
    } else {
      // Sizes given at run time: usable when the declared output shapes
      // already fix them.
      sizes.emplace();
      for (int64_t i = 0; i < parts; ++i) {
        RankedTensorType partType = ctx.resultType(i);
        if (!partType || partType.isDynamicDim(*axis))
          return ctx.error() << "split sizes must be constants or fixed by "
                                "the output shapes";
        sizes->push_back(partType.getDimSize(*axis));
      }
    }
  }
  if (!sizes) {
    int64_t chunk = (total + parts - 1) / parts;
    sizes.emplace();
    for (int64_t i = 0, left = total; i < parts; ++i, left -= chunk)
      sizes->push_back(std::min(chunk, std::max<int64_t>(left, 0)));
  }
  if (static_cast<int64_t>(sizes->size()) != parts)
    return ctx.error() << "split has " << sizes->size() << " sizes for "
                       << parts << " outputs";
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<int64_t> offsets(rank, 0), shape(inputType.getShape()),
        strides(rank, 1);
    offsets[*axis] = offset;
    shape[*axis] = (*sizes)[i];
    auto partType = RankedTensorType::get(shape, inputType.getElementType());
    ctx.setResult(i, tensor::ExtractSliceOp::create(
                         ctx.b(), ctx.loc(), partType, input, ValueRange{},
                         ValueRange{}, ValueRange{}, offsets, shape, strides));
    offset += (*sizes)[i];
  }
  if (offset != total)
    return ctx.error() << "split sizes add up to " << offset
                       << ", the axis has " << total;
  return success();
}

LogicalResult convertGather(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value data = ctx.input(0), indices = ctx.input(1);
  auto dataType = cast<RankedTensorType>(data.getType());
  auto indicesType = cast<RankedTensorType>(indices.getType());
  std::optional<int64_t> axis =
      normalizeAxis(ctx.intAttr("axis", 0), dataType.getRank());
  if (!axis)
    return ctx.error() << "axis out of range";
  int64_t rank = type.getRank(), indexRank = indicesType.getRank();
  MLIRContext *context = ctx.getContext();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t dim = 0; dim < indexRank; ++dim)
    indexExprs.push_back(getAffineDimExpr(*axis + dim, context));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexExprs, context),
                                 ctx.b().getMultiDimIdentityMap(rank)};
  Value init = ctx.emptyResult(0, type);
  if (!init)
    return failure();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value axisSize =
      tensor::DimOp::create(ctx.b(), ctx.loc(), data, *axis).getResult();
  ctx.setResult(
      0,
      linalg::GenericOp::create(
          ctx.b(), ctx.loc(), TypeRange{type}, ValueRange{indices},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            // Negative indices count from the end; indices out of range
            // are clamped so the generated code never reads outside.
            Value index =
                arith::IndexCastOp::create(b, loc, b.getIndexType(), args[0]);
            Value size = axisSize;
            Value zero = arith::ConstantIndexOp::create(b, loc, 0);
            Value negative = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, index, zero);
            index = arith::SelectOp::create(
                b, loc, negative, arith::AddIOp::create(b, loc, index, size),
                index);
            index = arith::MaxSIOp::create(b, loc, index, zero);
            index = arith::MinSIOp::create(
                b, loc, index,
                arith::SubIOp::create(
                    b, loc, size, arith::ConstantIndexOp::create(b, loc, 1)));
            SmallVector<Value> dataIndices;
            for (int64_t dim = 0; dim < dataType.getRank(); ++dim) {
              if (dim == *axis)
                dataIndices.push_back(index);
              else
                dataIndices.push_back(linalg::IndexOp::create(
                    b, loc, dim < *axis ? dim : dim - 1 + indexRank));
            }
            linalg::YieldOp::create(
                b, loc,
                tensor::ExtractOp::create(b, loc, data, dataIndices)
                    .getResult());
          })
          .getResult(0));
  return success();
}

LogicalResult convertExpand(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value init = ctx.emptyResult(0, type);
  if (!init)
    return failure();
  ctx.setResult(0, buildElementwise(
                       ctx.b(), ctx.loc(), type, ValueRange{ctx.input(0)},
                       [](OpBuilder &, Location, ValueRange a) { return a[0]; },
                       init));
  return success();
}

LogicalResult convertShape(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  int64_t start = ctx.intAttr("start", 0), end = ctx.intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<Value> dims;
  for (int64_t dim = start; dim < end; ++dim) {
    Value size = tensor::DimOp::create(ctx.b(), ctx.loc(), input, dim);
    dims.push_back(arith::IndexCastOp::create(ctx.b(), ctx.loc(),
                                              ctx.b().getI64Type(), size));
  }
  ctx.setResult(0,
                tensor::FromElementsOp::create(ctx.b(), ctx.loc(), type, dims));
  return success();
}

LogicalResult convertConstant(NodeContext &ctx) {
  const onnx::AttributeProto *value = ctx.attr("value");
  if (!value || !value->has_t()) {
    // value_float(s) / value_int(s): build a small TensorProto.
    auto tensor = std::make_unique<onnx::TensorProto>();
    if (const onnx::AttributeProto *f = ctx.attr("value_float")) {
      tensor->set_data_type(onnx::TensorProto::FLOAT);
      tensor->add_float_data(f->f());
    } else if (const onnx::AttributeProto *fs = ctx.attr("value_floats")) {
      tensor->set_data_type(onnx::TensorProto::FLOAT);
      tensor->add_dims(fs->floats_size());
      for (float v : fs->floats())
        tensor->add_float_data(v);
    } else if (const onnx::AttributeProto *i = ctx.attr("value_int")) {
      tensor->set_data_type(onnx::TensorProto::INT64);
      tensor->add_int64_data(i->i());
    } else if (const onnx::AttributeProto *is = ctx.attr("value_ints")) {
      tensor->set_data_type(onnx::TensorProto::INT64);
      tensor->add_dims(is->ints_size());
      for (int64_t v : is->ints())
        tensor->add_int64_data(v);
    } else {
      return ctx.error() << "only tensor, float(s) and int(s) values are "
                            "supported";
    }
    tensor->set_name(ctx.getNode().output(0));
    const onnx::TensorProto *owned = tensor.get();
    ctx.getGraph().adoptTensor(std::move(tensor));
    Value constant = ctx.getGraph().materializeTensor(*owned, ctx.loc());
    if (!constant)
      return failure();
    ctx.setResult(0, constant);
    ctx.getGraph().defineConstant(ctx.getNode().output(0), owned);
    return success();
  }
  Value constant = ctx.getGraph().materializeTensor(value->t(), ctx.loc());
  if (!constant)
    return failure();
  ctx.setResult(0, constant);
  ctx.getGraph().defineConstant(ctx.getNode().output(0), &value->t());
  return success();
}

LogicalResult convertConstantOfShape(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Type elementType = type.getElementType();
  double fillValue = 0.0;
  if (const onnx::AttributeProto *value = ctx.attr("value")) {
    const onnx::TensorProto &tensor = value->t();
    std::string error;
    if (tensor.data_type() == onnx::TensorProto::FLOAT) {
      if (tensor.float_data_size())
        fillValue = tensor.float_data(0);
      else if (tensor.raw_data().size() >= 4) {
        float v;
        std::memcpy(&v, tensor.raw_data().data(), 4);
        fillValue = v;
      }
    } else if (auto ints = ctx.getGraph().decodeIntegers(tensor, error);
               ints && !ints->empty()) {
      fillValue = static_cast<double>((*ints)[0]);
    } else if (tensor.data_type() == onnx::TensorProto::BOOL) {
      fillValue = tensor.int32_data_size()
                      ? tensor.int32_data(0)
                      : (tensor.raw_data().empty() ? 0 : tensor.raw_data()[0]);
    }
  }
  Value empty = ctx.emptyResult(0, type);
  if (!empty)
    return failure();
  Value scalar = scalarConstant(ctx.b(), ctx.loc(), elementType, fillValue);
  ctx.setResult(0, linalg::FillOp::create(ctx.b(), ctx.loc(),
                                          ValueRange{scalar}, ValueRange{empty})
                       .getResult(0));
  return success();
}

LogicalResult convertRange(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value start = ctx.input(0), delta = ctx.input(2);
  Type elementType = type.getElementType();
  Value init = ctx.emptyResult(0, type);
  if (!init)
    return failure();
  Value startScalar =
      tensor::ExtractOp::create(ctx.b(), ctx.loc(), start, ValueRange{});
  Value deltaScalar =
      tensor::ExtractOp::create(ctx.b(), ctx.loc(), delta, ValueRange{});
  ctx.setResult(
      0,
      linalg::GenericOp::create(
          ctx.b(), ctx.loc(), TypeRange{type}, ValueRange{}, ValueRange{init},
          {ctx.b().getMultiDimIdentityMap(1)}, {utils::IteratorType::parallel},
          [&](OpBuilder &b, Location loc, ValueRange) {
            Value i = arith::IndexCastOp::create(
                b, loc, b.getI64Type(), linalg::IndexOp::create(b, loc, 0));
            Value step = castScalar(b, loc, i, elementType);
            Value offset =
                isa<FloatType>(elementType)
                    ? arith::MulFOp::create(b, loc, step, deltaScalar)
                          .getResult()
                    : arith::MulIOp::create(b, loc, step, deltaScalar)
                          .getResult();
            Value value =
                isa<FloatType>(elementType)
                    ? arith::AddFOp::create(b, loc, startScalar, offset)
                          .getResult()
                    : arith::AddIOp::create(b, loc, startScalar, offset)
                          .getResult();
            linalg::YieldOp::create(b, loc, value);
          })
          .getResult(0));
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendShapeConverters(
    std::vector<OpConverter> &converters) {
  const OpConverter table[] = {
      {"Reshape", 7, convertReshapeLike},
      {"Flatten", 7, convertReshapeLike},
      {"Squeeze", 7, convertReshapeLike},
      {"Unsqueeze", 7, convertReshapeLike},
      {"Transpose", 7, convertTranspose},
      {"Concat", 7, convertConcat},
      {"Slice", 7, convertSlice},
      {"Gather", 7, convertGather},
      {"Split", 2, convertSplit},
      {"Expand", 8, convertExpand},
      {"Shape", 7, convertShape},
      {"Constant", 7, convertConstant},
      {"ConstantOfShape", 9, convertConstantOfShape},
      {"Range", 11, convertRange},
  };
  converters.insert(converters.end(), std::begin(table), std::end(table));
}
