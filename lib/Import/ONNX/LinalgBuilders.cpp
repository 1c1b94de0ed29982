//===- LinalgBuilders.cpp - linalg helpers for the ONNX converters --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Broadcasting elementwise generics, reductions, reshapes and casts.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lbc::onnx_import;

Value mlir::lbc::onnx_import::createEmptyTensor(OpBuilder &b, Location loc,
                                                RankedTensorType type,
                                                ValueRange shapeSources) {
  SmallVector<Value> dynamicSizes;
  int64_t rank = type.getRank();
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (!type.isDynamicDim(dim))
      continue;
    Value size;
    for (Value source : shapeSources) {
      auto sourceType = cast<RankedTensorType>(source.getType());
      int64_t sourceDim = dim - (rank - sourceType.getRank());
      if (sourceDim < 0 || sourceType.getDimSize(sourceDim) == 1)
        continue;
      size = tensor::DimOp::create(b, loc, source, sourceDim);
      break;
    }
    if (!size)
      size = arith::ConstantIndexOp::create(b, loc, 1);
    dynamicSizes.push_back(size);
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamicSizes);
}

Value mlir::lbc::onnx_import::buildElementwise(OpBuilder &b, Location loc,
                                               RankedTensorType resultType,
                                               ValueRange inputs,
                                               ScalarBodyFn body, Value init) {
  int64_t rank = resultType.getRank();
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<AffineExpr> exprs;
    for (int64_t dim = 0; dim < type.getRank(); ++dim) {
      int64_t resultDim = rank - type.getRank() + dim;
      bool broadcast =
          type.getDimSize(dim) == 1 && resultType.getDimSize(resultDim) != 1;
      exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                                : getAffineDimExpr(resultDim, context));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, context));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  if (!init)
    init = createEmptyTensor(b, loc, resultType, inputs);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value mlir::lbc::onnx_import::buildReduction(OpBuilder &b, Location loc,
                                             Value input,
                                             ArrayRef<int64_t> axes,
                                             bool keepDims, TypedAttr init,
                                             ScalarBodyFn combine) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> reducedShape;
  SmallVector<AffineExpr> outputExprs;
  SmallVector<Value> dynamicSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t dim = 0; dim < rank; ++dim) {
    bool reduced = llvm::is_contained(axes, dim);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced)
      continue;
    reducedShape.push_back(inputType.getDimSize(dim));
    outputExprs.push_back(getAffineDimExpr(dim, context));
    if (inputType.isDynamicDim(dim))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, dim));
  }
  auto reducedType =
      RankedTensorType::get(reducedShape, inputType.getElementType());
  Value empty = tensor::EmptyOp::create(
      b, loc, reducedShape, inputType.getElementType(), dynamicSizes);
  Value initValue = arith::ConstantOp::create(b, loc, init);
  Value filled =
      linalg::FillOp::create(b, loc, ValueRange{initValue}, ValueRange{empty})
          .getResult(0);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outputExprs, context)};
  Value reduced =
      linalg::GenericOp::create(
          b, loc, TypeRange{reducedType}, ValueRange{input}, ValueRange{filled},
          maps, iterators,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            linalg::YieldOp::create(nested, nestedLoc,
                                    combine(nested, nestedLoc, args));
          })
          .getResult(0);
  if (!keepDims)
    return reduced;
  SmallVector<int64_t> keptShape(inputType.getShape());
  for (int64_t axis : axes)
    keptShape[axis] = 1;
  // Each kept dim absorbs the reduced (now size 1) dims after it; the first
  // one also absorbs any leading reduced dims.
  SmallVector<int64_t> keptDims;
  for (int64_t dim = 0; dim < rank; ++dim)
    if (!llvm::is_contained(axes, dim))
      keptDims.push_back(dim);
  SmallVector<ReassociationIndices> reassociation;
  for (auto [index, dim] : llvm::enumerate(keptDims)) {
    int64_t begin = index == 0 ? 0 : dim;
    int64_t end = index + 1 < keptDims.size() ? keptDims[index + 1] : rank;
    reassociation.push_back(llvm::to_vector(llvm::seq<int64_t>(begin, end)));
  }
  auto keptType = RankedTensorType::get(keptShape, inputType.getElementType());
  if (reducedShape.empty())
    return tensor::ExpandShapeOp::create(b, loc, keptType, reduced,
                                         ArrayRef<ReassociationIndices>{});
  return tensor::ExpandShapeOp::create(b, loc, keptType, reduced,
                                       reassociation);
}

Value mlir::lbc::onnx_import::buildReshape(OpBuilder &b, Location loc,
                                           Value input, RankedTensorType type) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType == type)
    return input;
  // Through a 1-D (or 0-D) view: both steps are pure metadata changes.
  Value flat = input;
  if (inputType.getRank() != 1) {
    auto flatType = RankedTensorType::get({inputType.getNumElements()},
                                          inputType.getElementType());
    SmallVector<ReassociationIndices> all;
    if (inputType.getRank() > 0) {
      all.push_back(
          llvm::to_vector(llvm::seq<int64_t>(0, inputType.getRank())));
      flat = tensor::CollapseShapeOp::create(b, loc, flatType, input, all);
    } else {
      // A scalar becomes [1] by expansion (no reassociation groups).
      flat = tensor::ExpandShapeOp::create(b, loc, flatType, input, all);
    }
  }
  if (type.getRank() == 1)
    return flat;
  SmallVector<ReassociationIndices> all;
  if (type.getRank() > 0)
    all.push_back(llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat, all);
  return tensor::ExpandShapeOp::create(b, loc, type, flat, all);
}

/// Reshape blocks: pairs (input dims [k1, k2), result dims [l1, l2)) whose
/// element counts agree symbolically; empty when the dims do not allow it.
static SmallVector<std::pair<ReassociationIndices, ReassociationIndices>>
reshapeBlocks(ArrayRef<std::optional<::lbc::SymbolicDim>> from,
              ArrayRef<std::optional<::lbc::SymbolicDim>> to) {
  using ::lbc::SymbolicDim;
  auto prefixProducts = [](ArrayRef<std::optional<SymbolicDim>> dims)
      -> std::optional<SmallVector<SymbolicDim>> {
    SmallVector<SymbolicDim> products = {SymbolicDim::constant(1)};
    for (const auto &dim : dims) {
      if (!dim)
        return std::nullopt;
      products.push_back(products.back() * *dim);
    }
    return products;
  };
  auto in = prefixProducts(from), out = prefixProducts(to);
  if (!in || !out || from.empty() || to.empty() || in->back() != out->back())
    return {};
  SmallVector<std::pair<int64_t, int64_t>> boundaries = {{0, 0}};
  int64_t n = from.size(), m = to.size();
  for (int64_t k = 1; k <= n; ++k)
    for (int64_t l = boundaries.back().second + 1; l <= m; ++l)
      if ((*in)[k] == (*out)[l]) {
        boundaries.push_back({k, l});
        break;
      }
  // The last block takes whatever unit dims trail on either side.
  boundaries.back() = {n, m};
  SmallVector<std::pair<ReassociationIndices, ReassociationIndices>> blocks;
  for (size_t i = 1; i < boundaries.size(); ++i) {
    auto [k1, l1] = boundaries[i - 1];
    auto [k2, l2] = boundaries[i];
    blocks.push_back({llvm::to_vector(llvm::seq<int64_t>(k1, k2)),
                      llvm::to_vector(llvm::seq<int64_t>(l1, l2))});
  }
  return blocks;
}

Value mlir::lbc::onnx_import::buildDynamicReshape(
    OpBuilder &b, Location loc, Value input,
    ArrayRef<std::optional<::lbc::SymbolicDim>> inputDims,
    RankedTensorType type,
    ArrayRef<std::optional<::lbc::SymbolicDim>> resultDims,
    ArrayRef<OpFoldResult> sizes) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type elementType = inputType.getElementType();
  auto blocks = reshapeBlocks(inputDims, resultDims);
  if (blocks.empty()) {
    // One 1-D group (rank-0 sides go through a static [1]).
    Value flat = input;
    auto flatType = RankedTensorType::get({ShapedType::kDynamic}, elementType);
    if (inputType.getRank() > 0) {
      SmallVector<ReassociationIndices> all = {
          llvm::to_vector(llvm::seq<int64_t>(0, inputType.getRank()))};
      flat = tensor::CollapseShapeOp::create(b, loc, flatType, input, all);
    } else {
      flat = tensor::CastOp::create(
          b, loc, flatType,
          tensor::ExpandShapeOp::create(
              b, loc, RankedTensorType::get({1}, elementType), input,
              ArrayRef<ReassociationIndices>{}));
    }
    if (type.getRank() == 0)
      return tensor::CollapseShapeOp::create(
          b, loc, type,
          tensor::CastOp::create(b, loc,
                                 RankedTensorType::get({1}, elementType), flat),
          ArrayRef<ReassociationIndices>{});
    SmallVector<ReassociationIndices> all = {
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
    return tensor::ExpandShapeOp::create(b, loc, type, flat, all, sizes);
  }
  // Collapse each block's input dims to one, then expand to its result dims.
  SmallVector<ReassociationIndices> collapse, expand;
  SmallVector<int64_t> middleShape;
  for (auto &[from, to] : blocks) {
    collapse.push_back(from);
    expand.push_back(to);
    int64_t size = 1;
    for (int64_t d : from)
      size = inputType.isDynamicDim(d) || size == ShapedType::kDynamic
                 ? ShapedType::kDynamic
                 : size * inputType.getDimSize(d);
    middleShape.push_back(size);
  }
  Value middle = input;
  if (static_cast<int64_t>(collapse.size()) != inputType.getRank())
    middle = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get(middleShape, elementType), input,
        collapse);
  if (static_cast<int64_t>(expand.size()) == type.getRank())
    return middle.getType() == type
               ? middle
               : tensor::CastOp::create(b, loc, type, middle).getResult();
  return tensor::ExpandShapeOp::create(b, loc, type, middle, expand, sizes);
}

Value mlir::lbc::onnx_import::buildStaticSlice(OpBuilder &b, Location loc,
                                               Value value,
                                               ArrayRef<int64_t> offsets,
                                               ArrayRef<int64_t> sizes,
                                               ArrayRef<int64_t> shape) {
  Type elementType = cast<RankedTensorType>(value.getType()).getElementType();
  SmallVector<int64_t> strides(sizes.size(), 1);
  Value piece = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(sizes, elementType), value, ValueRange{},
      ValueRange{}, ValueRange{}, b.getDenseI64ArrayAttr(offsets),
      b.getDenseI64ArrayAttr(sizes), b.getDenseI64ArrayAttr(strides));
  if (shape.empty())
    return piece;
  return buildReshape(b, loc, piece, RankedTensorType::get(shape, elementType));
}

Value mlir::lbc::onnx_import::castScalar(OpBuilder &b, Location loc,
                                         Value value, Type to,
                                         bool fromUnsigned, bool toUnsigned) {
  Type from = value.getType();
  if (from == to)
    return value;
  fromUnsigned = fromUnsigned || from.isInteger(1);
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  if (fromFloat && toFloat)
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? arith::ExtFOp::create(b, loc, to, value).getResult()
               : arith::TruncFOp::create(b, loc, to, value).getResult();
  if (fromFloat) {
    if (to.isInteger(1)) {
      Value zero = scalarConstant(b, loc, from, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   zero);
    }
    return toUnsigned ? arith::FPToUIOp::create(b, loc, to, value).getResult()
                      : arith::FPToSIOp::create(b, loc, to, value).getResult();
  }
  if (toFloat)
    return fromUnsigned
               ? arith::UIToFPOp::create(b, loc, to, value).getResult()
               : arith::SIToFPOp::create(b, loc, to, value).getResult();
  if (to.isInteger(1)) {
    Value zero = scalarConstant(b, loc, from, 0.0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value, zero);
  }
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return fromUnsigned ? arith::ExtUIOp::create(b, loc, to, value).getResult()
                        : arith::ExtSIOp::create(b, loc, to, value).getResult();
  return arith::TruncIOp::create(b, loc, to, value);
}

Value mlir::lbc::onnx_import::scalarConstant(OpBuilder &b, Location loc,
                                             Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

std::optional<int64_t> mlir::lbc::onnx_import::normalizeAxis(int64_t axis,
                                                             int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}
