//===- NeuralNetworkOps.cpp - ONNX convolution, pooling, normalization ----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Conv (any spatial rank, groups, strides, dilations, explicit or auto
// padding), MaxPool/AveragePool/GlobalAveragePool, BatchNormalization
// (inference), LayerNormalization and Pad, as linalg generics over NC...
// layouts.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

#include <limits>

using namespace mlir;
using namespace mlir::lbc::onnx_import;

namespace {

/// Spatial geometry of a windowed op (Conv, pooling).
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd;
};

/// Reads kernel/strides/dilations/pads/auto_pad for `spatialRank` dims of an
/// NC... input; `kernel` comes from the weight for Conv.
std::optional<Window> readWindow(NodeContext &ctx, RankedTensorType input,
                                 ArrayRef<int64_t> kernel) {
  int64_t spatial = input.getRank() - 2;
  Window window;
  window.kernel.assign(kernel.begin(), kernel.end());
  window.strides =
      ctx.intsAttr("strides").value_or(SmallVector<int64_t>(spatial, 1));
  window.dilations =
      ctx.intsAttr("dilations").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> pads =
      ctx.intsAttr("pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  if (static_cast<int64_t>(window.kernel.size()) != spatial ||
      static_cast<int64_t>(window.strides.size()) != spatial ||
      static_cast<int64_t>(window.dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial) {
    ctx.error() << "kernel_shape/strides/dilations/pads do not match the "
                << spatial << " spatial dims of the input";
    return std::nullopt;
  }
  window.padBegin.assign(pads.begin(), pads.begin() + spatial);
  window.padEnd.assign(pads.begin() + spatial, pads.end());
  std::string autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t d = 0; d < spatial; ++d) {
      int64_t size = input.getDimSize(d + 2);
      int64_t out = (size + window.strides[d] - 1) / window.strides[d];
      int64_t extent = (window.kernel[d] - 1) * window.dilations[d] + 1;
      int64_t total =
          std::max<int64_t>(0, (out - 1) * window.strides[d] + extent - size);
      int64_t small = total / 2, large = total - small;
      window.padBegin[d] = autoPad == "SAME_UPPER" ? small : large;
      window.padEnd[d] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad == "VALID") {
    std::fill(window.padBegin.begin(), window.padBegin.end(), 0);
    std::fill(window.padEnd.begin(), window.padEnd.end(), 0);
  }
  return window;
}

/// Pads the spatial dims of an NC... tensor with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value input, const Window &window,
                 double value) {
  if (llvm::all_of(window.padBegin, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(window.padEnd, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0)),
      high(2, b.getIndexAttr(0));
  SmallVector<int64_t> shape(type.getShape());
  for (size_t d = 0; d < window.padBegin.size(); ++d) {
    low.push_back(b.getIndexAttr(window.padBegin[d]));
    high.push_back(b.getIndexAttr(window.padEnd[d]));
    shape[d + 2] += window.padBegin[d] + window.padEnd[d];
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  Value padValue = scalarConstant(b, loc, type.getElementType(), value);
  return tensor::PadOp::create(b, loc, paddedType, input, low, high, padValue);
}

/// Builds a windowed generic: loops (n, c-like dims..., out spatial...,
/// reduction dims...) with the given maps and body.
Value windowGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    ArrayRef<AffineMap> maps, int64_t reductionLoops, Value init,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<utils::IteratorType> iterators(
      maps.back().getNumDims() - reductionLoops, utils::IteratorType::parallel);
  iterators.append(reductionLoops, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               linalg::YieldOp::create(nested, nestedLoc,
                                       body(nested, nestedLoc, args));
             })
      .getResult(0);
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   double value) {
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  Value scalar = scalarConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{empty})
      .getResult(0);
}

/// Adds a per-channel (dim 1) bias to an NC... tensor; `bias` may be null.
Value addChannelBias(OpBuilder &b, Location loc, Value result, Value bias) {
  if (!bias)
    return result;
  auto type = cast<RankedTensorType>(result.getType());
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, {getAffineDimExpr(1, context)}, context),
      b.getMultiDimIdentityMap(rank)};
  return windowGeneric(
      b, loc, type, ValueRange{result, bias}, maps, 0,
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType()),
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
      });
}

/// Grouped convolution of an already padded NC... input with an
/// [OC, IC/groups, K...] weight, plus an optional per-channel bias.
Value buildConvolution(OpBuilder &b, Location loc, Value padded, Value weight,
                       Value bias, ArrayRef<int64_t> strides,
                       ArrayRef<int64_t> dilations, int64_t groups,
                       RankedTensorType type) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t spatial = type.getRank() - 2;
  int64_t outPerGroup = weightType.getDimSize(0) / groups;
  int64_t inPerGroup = weightType.getDimSize(1);
  // Grouped views: input [N, G, ICg, S...], weight [G, OCg, ICg, K...],
  // result [N, G, OCg, O...], so every loop bound is a plain operand dim.
  // Loops: n, g, oc, o_0..o_s | ic, k_0..k_s.
  Type elementType = type.getElementType();
  auto withGroups = [&](RankedTensorType t, int64_t dim, int64_t perGroup) {
    SmallVector<int64_t> shape(t.getShape());
    shape[dim] = perGroup;
    shape.insert(shape.begin() + dim, groups);
    return RankedTensorType::get(shape, elementType);
  };
  auto paddedType = cast<RankedTensorType>(padded.getType());
  Value groupedInput =
      buildReshape(b, loc, padded, withGroups(paddedType, 1, inPerGroup));
  Value groupedWeight =
      buildReshape(b, loc, weight, withGroups(weightType, 0, outPerGroup));
  RankedTensorType groupedType = withGroups(type, 1, outPerGroup);
  // Loops: n, g, oc | ic, k_0..k_s (reductions) | o_0..o_s. The output
  // positions go innermost: the inner loop then walks rows of the input and
  // the output with the weight as a scalar, which LLVM vectorizes.
  MLIRContext *context = b.getContext();
  int64_t loops = 3 + 1 + spatial + spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  AffineExpr n = dim(0), g = dim(1), oc = dim(2), ic = dim(3);
  SmallVector<AffineExpr> inputExprs = {n, g, ic};
  SmallVector<AffineExpr> weightExprs = {g, oc, ic};
  SmallVector<AffineExpr> outputExprs = {n, g, oc};
  for (int64_t d = 0; d < spatial; ++d) {
    AffineExpr k = dim(4 + d), out = dim(4 + spatial + d);
    inputExprs.push_back(out * strides[d] + k * dilations[d]);
    weightExprs.push_back(k);
    outputExprs.push_back(out);
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, inputExprs, context),
      AffineMap::get(loops, 0, weightExprs, context),
      AffineMap::get(loops, 0, outputExprs, context)};
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  for (int64_t i = 3; i < 4 + spatial; ++i)
    iterators[i] = utils::IteratorType::reduction;
  auto contract = arith::FastMathFlags::contract;
  Value grouped =
      linalg::GenericOp::create(
          b, loc, TypeRange{groupedType},
          ValueRange{groupedInput, groupedWeight},
          ValueRange{filledTensor(b, loc, groupedType, 0.0)}, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value product = arith::MulFOp::create(nb, l, a[0], a[1], contract);
            linalg::YieldOp::create(
                nb, l,
                arith::AddFOp::create(nb, l, a[2], product, contract)
                    .getResult());
          })
          .getResult(0);
  return addChannelBias(b, loc, buildReshape(b, loc, grouped, type), bias);
}

/// The sizes of a convolution lowered to a matrix product: the reduction is
/// inChannels * kernelSize, the output positions per channel outputSize.
struct ConvolutionSizes {
  int64_t spatial, inChannels, outChannels, kernelSize = 1, outputSize = 1,
                                            reduction;
  ConvolutionSizes(RankedTensorType input, const Window &window,
                   RankedTensorType result)
      : spatial(result.getRank() - 2), inChannels(input.getDimSize(1)),
        outChannels(result.getDimSize(1)) {
    for (int64_t d = 0; d < spatial; ++d) {
      kernelSize *= window.kernel[d];
      outputSize *= result.getDimSize(d + 2);
    }
    reduction = inChannels * kernelSize;
  }
};

/// A single-image, ungrouped convolution with at most 8 output positions
/// (and a constant weight) as cols^T[O, IC*K] x W^T[IC*K, OC], then
/// transposed: the few positions become the GEMV rows, so the weight is
/// streamed row by row in vector tiles instead of in O-wide scalar loops.
/// W^T is computed at import; null when the weight is not a constant.
Value buildSmallConvolutionAsMatmul(OpBuilder &b, Location loc, Value padded,
                                    Value weight, Value bias,
                                    const Window &window,
                                    RankedTensorType type) {
  auto paddedType = cast<RankedTensorType>(padded.getType());
  Type elementType = type.getElementType();
  ConvolutionSizes sizes(paddedType, window, type);
  int64_t spatial = sizes.spatial, inChannels = sizes.inChannels,
          outChannels = sizes.outChannels, outputSize = sizes.outputSize,
          reduction = sizes.reduction;
  Value transposedWeight = transposeConstantMatrix(b, loc, weight);
  if (!transposedWeight)
    return {};
  // colsT[o_0..o_s, c, k_0..k_s] = padded[0, c, o_d * stride + k_d * dil].
  MLIRContext *context = b.getContext();
  int64_t loops = 1 + 2 * spatial;
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < spatial; ++d)
    shape.push_back(type.getDimSize(d + 2));
  shape.push_back(inChannels);
  for (int64_t d = 0; d < spatial; ++d)
    shape.push_back(window.kernel[d]);
  SmallVector<AffineExpr> inputExprs = {getAffineConstantExpr(0, context),
                                        getAffineDimExpr(spatial, context)};
  for (int64_t d = 0; d < spatial; ++d)
    inputExprs.push_back(getAffineDimExpr(d, context) * window.strides[d] +
                         getAffineDimExpr(spatial + 1 + d, context) *
                             window.dilations[d]);
  Value columns =
      linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get(shape, elementType)},
          ValueRange{padded},
          ValueRange{tensor::EmptyOp::create(b, loc, shape, elementType)},
          {AffineMap::get(loops, 0, inputExprs, context),
           b.getMultiDimIdentityMap(loops)},
          SmallVector<utils::IteratorType>(loops,
                                           utils::IteratorType::parallel),
          [](OpBuilder &nb, Location l, ValueRange a) {
            linalg::YieldOp::create(nb, l, a[0]);
          })
          .getResult(0);
  Value rows =
      buildReshape(b, loc, columns,
                   RankedTensorType::get({outputSize, reduction}, elementType));
  Value product = buildMatrixProduct(
      b, loc, rows, transposedWeight,
      RankedTensorType::get({outputSize, outChannels}, elementType));
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{outChannels, outputSize}, elementType);
  Value result = linalg::TransposeOp::create(b, loc, product, init,
                                             ArrayRef<int64_t>{1, 0})
                     .getResult()[0];
  return addChannelBias(b, loc, buildReshape(b, loc, result, type), bias);
}

/// A single-image, ungrouped convolution as W[OC, IC*K] x cols[IC*K, O],
/// where cols is the padded input itself for pointwise (1x1, stride 1)
/// convolutions and its im2col expansion otherwise. The product is a marked
/// contraction, so code generation register-tiles and parallelizes it.
Value buildConvolutionAsMatmul(OpBuilder &b, Location loc, Value padded,
                               Value weight, Value bias, const Window &window,
                               RankedTensorType type) {
  auto paddedType = cast<RankedTensorType>(padded.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  Type elementType = type.getElementType();
  ConvolutionSizes sizes(paddedType, window, type);
  int64_t spatial = sizes.spatial, inChannels = sizes.inChannels,
          outChannels = sizes.outChannels, kernelSize = sizes.kernelSize,
          outputSize = sizes.outputSize, reduction = sizes.reduction;
  auto colsType = RankedTensorType::get({reduction, outputSize}, elementType);
  bool pointwise =
      kernelSize == 1 &&
      llvm::all_of(window.strides, [](int64_t s) { return s == 1; });
  Value cols;
  if (pointwise) {
    cols = buildReshape(b, loc, padded, colsType);
  } else {
    // cols[c, k_0..k_s, o_0..o_s] = padded[0, c, o_d * stride + k_d * dilation]
    // with affine maps only: the innermost loop walks an input row, so the
    // copy vectorizes into plain (strided only for stride > 1) loads.
    MLIRContext *context = b.getContext();
    int64_t loops = 1 + 2 * spatial;
    SmallVector<int64_t> expandedShape = {inChannels};
    for (int64_t d = 0; d < spatial; ++d)
      expandedShape.push_back(window.kernel[d]);
    for (int64_t d = 0; d < spatial; ++d)
      expandedShape.push_back(type.getDimSize(d + 2));
    SmallVector<AffineExpr> inputExprs = {getAffineConstantExpr(0, context),
                                          getAffineDimExpr(0, context)};
    for (int64_t d = 0; d < spatial; ++d)
      inputExprs.push_back(
          getAffineDimExpr(1 + spatial + d, context) * window.strides[d] +
          getAffineDimExpr(1 + d, context) * window.dilations[d]);
    SmallVector<AffineMap> maps = {
        AffineMap::get(loops, 0, inputExprs, context),
        b.getMultiDimIdentityMap(loops)};
    auto expandedType = RankedTensorType::get(expandedShape, elementType);
    Value expanded =
        linalg::GenericOp::create(
            b, loc, TypeRange{expandedType}, ValueRange{padded},
            ValueRange{
                tensor::EmptyOp::create(b, loc, expandedShape, elementType)},
            maps,
            SmallVector<utils::IteratorType>(loops,
                                             utils::IteratorType::parallel),
            [](OpBuilder &nb, Location l, ValueRange a) {
              linalg::YieldOp::create(nb, l, a[0]);
            })
            .getResult(0);
    cols = buildReshape(b, loc, expanded, colsType);
  }
  Value matrix =
      buildReshape(b, loc, weight,
                   RankedTensorType::get({outChannels, reduction},
                                         weightType.getElementType()));
  Value product = buildContraction(
      b, loc, matrix, cols,
      RankedTensorType::get({outChannels, outputSize}, elementType),
      /*transposeA=*/false, /*transposeB=*/false);
  return addChannelBias(b, loc, buildReshape(b, loc, product, type), bias);
}

/// A single-image, ungrouped, stride-1 2-D convolution without im2col: with
/// the padded input flattened to [C, Hp * Wp], the kernel tap (i, j) reads
/// the contiguous window starting at i * Wp + j, so
///   wide[OC, Ho * Wp] = sum over taps of W[:, :, i, j] x input[:, shift(i, j)]
/// is a chain of plain matmuls (each a marked contraction) accumulating into
/// one result; the Wp - Wo extra columns of each output row are computed and
/// dropped. The columns are rounded up (zero rows appended to the input) to
/// whole vector tiles and parallel blocks.
/// The padded input of a stride-1 2-D convolution flattened to
/// [C, rows * paddedWidth], with enough zero rows appended that the window of
/// every kernel tap, `wideColumns` long, stays inside it.
struct ShiftedWindows {
  Value flat;
  int64_t paddedWidth, columns, wideColumns;

  /// Where the window of tap (i, j) starts.
  int64_t offset(const Window &window, int64_t i, int64_t j) const {
    return i * window.dilations[0] * paddedWidth + j * window.dilations[1];
  }
};

ShiftedWindows flattenForShiftedWindows(OpBuilder &b, Location loc, Value input,
                                        const Window &window, int64_t outHeight,
                                        int64_t columnAlignment) {
  auto inputType = cast<RankedTensorType>(input.getType());
  ShiftedWindows shifted;
  shifted.paddedWidth =
      inputType.getDimSize(3) + window.padBegin[1] + window.padEnd[1];
  int64_t paddedHeight =
      inputType.getDimSize(2) + window.padBegin[0] + window.padEnd[0];
  shifted.columns = outHeight * shifted.paddedWidth;
  shifted.wideColumns = llvm::alignTo(shifted.columns, columnAlignment);
  int64_t lastOffset =
      shifted.offset(window, window.kernel[0] - 1, window.kernel[1] - 1);
  int64_t extraRows = std::max<int64_t>(
      0, llvm::divideCeil(lastOffset + shifted.wideColumns -
                              paddedHeight * shifted.paddedWidth,
                          shifted.paddedWidth));
  Window padding = window;
  padding.padEnd[0] += extraRows;
  Value padded = padSpatial(b, loc, input, padding, 0.0);
  shifted.flat = buildReshape(
      b, loc, padded,
      RankedTensorType::get({inputType.getDimSize(1),
                             (paddedHeight + extraRows) * shifted.paddedWidth},
                            inputType.getElementType()));
  return shifted;
}

/// The [C, Ho, Wo] result of a shifted-window convolution computed as
/// wide[C, wideColumns]: drops the padding columns of each row.
Value cropWideRows(OpBuilder &b, Location loc, Value wide,
                   const ShiftedWindows &shifted, RankedTensorType type) {
  int64_t channels = type.getDimSize(1), outHeight = type.getDimSize(2);
  Value image =
      buildStaticSlice(b, loc, wide, {0, 0}, {channels, shifted.columns},
                       {1, channels, outHeight, shifted.paddedWidth});
  return buildStaticSlice(b, loc, image, {0, 0, 0, 0}, type.getShape());
}

/// A single-image, stride-1 depthwise 2-D convolution (one input and one
/// output channel per group) over the same shifted windows: loops c, i, j, p
/// with wide[c, p] += W[c, 0, i, j] * flat[c, offset(i, j) + p], so the
/// innermost loop runs along a contiguous window of whole padded rows (not
/// one short output row at a time).
Value buildDepthwiseConvolutionShifted(OpBuilder &b, Location loc, Value input,
                                       Value weight, Value bias,
                                       const Window &window,
                                       RankedTensorType type) {
  Type elementType = type.getElementType();
  int64_t channels = type.getDimSize(1);
  ShiftedWindows shifted = flattenForShiftedWindows(
      b, loc, input, window, type.getDimSize(2), /*columnAlignment=*/16);
  MLIRContext *context = b.getContext();
  AffineExpr c = getAffineDimExpr(0, context), i = getAffineDimExpr(1, context),
             j = getAffineDimExpr(2, context), p = getAffineDimExpr(3, context);
  SmallVector<AffineMap> maps = {
      AffineMap::get(4, 0,
                     {c, i * (window.dilations[0] * shifted.paddedWidth) +
                             j * window.dilations[1] + p},
                     context),
      AffineMap::get(4, 0, {c, getAffineConstantExpr(0, context), i, j},
                     context),
      AffineMap::get(4, 0, {c, p}, context)};
  auto wideType =
      RankedTensorType::get({channels, shifted.wideColumns}, elementType);
  auto contract = arith::FastMathFlags::contract;
  Value wide =
      linalg::GenericOp::create(
          b, loc, TypeRange{wideType}, ValueRange{shifted.flat, weight},
          ValueRange{filledTensor(b, loc, wideType, 0.0)}, maps,
          {utils::IteratorType::parallel, utils::IteratorType::reduction,
           utils::IteratorType::reduction, utils::IteratorType::parallel},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value product = arith::MulFOp::create(nb, l, a[0], a[1], contract);
            linalg::YieldOp::create(
                nb, l,
                arith::AddFOp::create(nb, l, a[2], product, contract)
                    .getResult());
          })
          .getResult(0);
  return addChannelBias(b, loc, cropWideRows(b, loc, wide, shifted, type),
                        bias);
}

Value buildConvolutionAsShiftedMatmuls(OpBuilder &b, Location loc, Value input,
                                       Value weight, Value bias,
                                       const Window &window,
                                       RankedTensorType type) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  int64_t channels = inputType.getDimSize(1);
  int64_t outChannels = type.getDimSize(1);
  int64_t kernelHeight = window.kernel[0], kernelWidth = window.kernel[1];
  // Whole vector tiles, and whole parallel column blocks when there are
  // several.
  int64_t paddedWidth =
      inputType.getDimSize(3) + window.padBegin[1] + window.padEnd[1];
  ShiftedWindows shifted = flattenForShiftedWindows(
      b, loc, input, window, type.getDimSize(2),
      type.getDimSize(2) * paddedWidth > 256 ? 256 : 32);
  Value flat = shifted.flat;
  int64_t wideColumns = shifted.wideColumns;
  RankedTensorType wideType =
      RankedTensorType::get({outChannels, wideColumns}, elementType);
  Value wide;
  for (int64_t i = 0; i < kernelHeight; ++i)
    for (int64_t j = 0; j < kernelWidth; ++j) {
      Value tap = buildStaticSlice(b, loc, weight, {0, 0, i, j},
                                   {outChannels, channels, 1, 1},
                                   {outChannels, channels});
      Value window2d =
          buildStaticSlice(b, loc, flat, {0, shifted.offset(window, i, j)},
                           {channels, wideColumns});
      wide =
          buildContraction(b, loc, tap, window2d, wideType, false, false, wide);
    }
  return addChannelBias(b, loc, cropWideRows(b, loc, wide, shifted, type),
                        bias);
}

LogicalResult convertConv(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0), weight = ctx.input(1), bias = ctx.input(2);
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (!inputType.hasStaticShape() || !weightType.hasStaticShape() ||
      !type.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t spatial = inputType.getRank() - 2;
  if (spatial < 1)
    return ctx.error() << "expects an input of rank >= 3 (N, C, spatial...)";
  std::optional<Window> window =
      readWindow(ctx, inputType, weightType.getShape().drop_front(2));
  if (!window)
    return failure();
  int64_t groups = ctx.intAttr("group", 1);
  int64_t outChannels = weightType.getDimSize(0);
  if (groups < 1 || outChannels % groups ||
      weightType.getDimSize(1) * groups != inputType.getDimSize(1))
    return ctx.error() << "group " << groups << " does not divide the "
                       << inputType.getDimSize(1) << " input / " << outChannels
                       << " output channels";
  bool unitStrides =
      llvm::all_of(window->strides, [](int64_t s) { return s == 1; });
  int64_t kernelSize = 1;
  for (int64_t k : window->kernel)
    kernelSize *= k;
  // With few input channels the im2col matrix is small and one matmul over
  // it beats kernelSize thin ones.
  constexpr int64_t kMinShiftedChannels = 16;
  if (groups == 1 && inputType.getDimSize(0) == 1 && spatial == 2 &&
      unitStrides && kernelSize > 1 &&
      inputType.getDimSize(1) >= kMinShiftedChannels) {
    ctx.setResult(0, buildConvolutionAsShiftedMatmuls(ctx.b(), ctx.loc(), input,
                                                      weight, bias, *window,
                                                      type));
    return success();
  }
  if (groups > 1 && groups == inputType.getDimSize(1) &&
      groups == outChannels && inputType.getDimSize(0) == 1 && spatial == 2 &&
      unitStrides) {
    ctx.setResult(0, buildDepthwiseConvolutionShifted(ctx.b(), ctx.loc(), input,
                                                      weight, bias, *window,
                                                      type));
    return success();
  }
  Value padded = padSpatial(ctx.b(), ctx.loc(), input, *window, 0.0);
  int64_t outputSize = 1;
  for (int64_t d = 0; d < spatial; ++d)
    outputSize *= type.getDimSize(d + 2);
  if (groups == 1 && inputType.getDimSize(0) == 1 && outputSize <= 8)
    if (Value result = buildSmallConvolutionAsMatmul(
            ctx.b(), ctx.loc(), padded, weight, bias, *window, type)) {
      ctx.setResult(0, result);
      return success();
    }
  if (groups == 1 && inputType.getDimSize(0) == 1) {
    ctx.setResult(0, buildConvolutionAsMatmul(ctx.b(), ctx.loc(), padded,
                                              weight, bias, *window, type));
    return success();
  }
  ctx.setResult(0, buildConvolution(ctx.b(), ctx.loc(), padded, weight, bias,
                                    window->strides, window->dilations, groups,
                                    type));
  return success();
}

/// ConvTranspose as a convolution: the input spread out by the stride (zeros
/// between elements), padded by dilation * (kernel - 1) minus the ONNX pads,
/// convolved with the spatially flipped weight whose in/out channels are
/// swapped per group.
LogicalResult convertConvTranspose(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0), weight = ctx.input(1), bias = ctx.input(2);
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (!inputType.hasStaticShape() || !weightType.hasStaticShape() ||
      !type.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t spatial = inputType.getRank() - 2;
  int64_t groups = ctx.intAttr("group", 1);
  int64_t inChannels = weightType.getDimSize(0);
  int64_t outPerGroup = weightType.getDimSize(1);
  if (spatial < 1 || groups < 1 || inChannels % groups ||
      inChannels != inputType.getDimSize(1))
    return ctx.error() << "weight [" << inChannels << ", " << outPerGroup
                       << ", ...] does not fit the input with group " << groups;
  int64_t inPerGroup = inChannels / groups;
  SmallVector<int64_t> kernel(weightType.getShape().drop_front(2));
  SmallVector<int64_t> strides =
      ctx.intsAttr("strides").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> dilations =
      ctx.intsAttr("dilations").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> outputPadding =
      ctx.intsAttr("output_padding").value_or(SmallVector<int64_t>(spatial, 0));
  std::optional<SmallVector<int64_t>> pads = ctx.intsAttr("pads");
  std::string autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  bool outputShapeGiven = ctx.attr("output_shape") != nullptr;
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  Type elementType = type.getElementType();

  // Non-overlapping upsampling (stride = kernel, no pads, the common decoder
  // layer): every input pixel writes its own kernel-sized output patch, so
  //   patches[OC * kh * kw, H * W] = W^T x X[C, H * W]
  // is one matmul (W^T made at import), and the patches are interleaved.
  auto allEqual = [](ArrayRef<int64_t> values, int64_t value) {
    return llvm::all_of(values, [&](int64_t v) { return v == value; });
  };
  if (groups == 1 && spatial == 2 && inputType.getDimSize(0) == 1 &&
      ArrayRef<int64_t>(strides) == ArrayRef<int64_t>(kernel) &&
      allEqual(dilations, 1) && allEqual(outputPadding, 0) &&
      (!pads || allEqual(*pads, 0)) && autoPad == "NOTSET" &&
      !outputShapeGiven &&
      type.getDimSize(2) == inputType.getDimSize(2) * kernel[0] &&
      type.getDimSize(3) == inputType.getDimSize(3) * kernel[1]) {
    if (Value transposedWeight = transposeConstantMatrix(b, loc, weight)) {
      int64_t height = inputType.getDimSize(2), width = inputType.getDimSize(3);
      int64_t outChannels = type.getDimSize(1);
      int64_t patchRows = outChannels * kernel[0] * kernel[1];
      Value pixels = buildReshape(
          b, loc, input,
          RankedTensorType::get({inChannels, height * width}, elementType));
      Value patches = buildMatrixProduct(
          b, loc, transposedWeight, pixels,
          RankedTensorType::get({patchRows, height * width}, elementType));
      Value grid = buildReshape(
          b, loc, patches,
          RankedTensorType::get(
              {outChannels, kernel[0], kernel[1], height, width}, elementType));
      SmallVector<int64_t> permutation = {0, 3, 1, 4, 2};
      Value interleaved =
          linalg::TransposeOp::create(
              b, loc, grid,
              tensor::EmptyOp::create(b, loc,
                                      ArrayRef<int64_t>{outChannels, height,
                                                        kernel[0], width,
                                                        kernel[1]},
                                      elementType),
              permutation)
              .getResult()[0];
      ctx.setResult(0, addChannelBias(b, loc,
                                      buildReshape(b, loc, interleaved, type),
                                      bias));
      return success();
    }
  }

  // Spread the input: x_up[i * stride] = x[i].
  SmallVector<int64_t> upShape(inputType.getShape());
  for (int64_t d = 0; d < spatial; ++d)
    upShape[d + 2] = (upShape[d + 2] - 1) * strides[d] + 1;
  auto upType = RankedTensorType::get(upShape, elementType);
  SmallVector<int64_t> offsets(upShape.size(), 0), steps(upShape.size(), 1);
  for (int64_t d = 0; d < spatial; ++d)
    steps[d + 2] = strides[d];
  Value spread = tensor::InsertSliceOp::create(
      b, loc, input, filledTensor(b, loc, upType, 0.0), ValueRange{},
      ValueRange{}, ValueRange{}, offsets, inputType.getShape(), steps);

  Window window;
  window.kernel = kernel;
  window.strides.assign(spatial, 1);
  window.dilations = dilations;
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t full = (inputType.getDimSize(d + 2) - 1) * strides[d] +
                   (kernel[d] - 1) * dilations[d] + 1 + outputPadding[d];
    int64_t total = full - type.getDimSize(d + 2);
    int64_t begin;
    if (pads && !outputShapeGiven && autoPad == "NOTSET")
      begin = (*pads)[d];
    else
      // ONNX's formula with floor division: a negative total (output_shape
      // beyond the full size) puts the extra zeros at the end.
      begin = autoPad == "SAME_UPPER"
                  ? llvm::divideFloorSigned(total, 2)
                  : total - llvm::divideFloorSigned(total, 2);
    int64_t end = total - begin;
    int64_t reach = (kernel[d] - 1) * dilations[d];
    window.padBegin.push_back(reach - begin);
    window.padEnd.push_back(reach - end + outputPadding[d]);
    if (window.padBegin.back() < 0 || window.padEnd.back() < 0)
      return ctx.error() << "pads larger than the kernel's reach are not "
                            "supported";
  }
  Value padded = padSpatial(b, loc, spread, window, 0.0);

  // w'[g*OCg + oc, ic, k...] = w[g*ICg + ic, oc, K-1-k...].
  SmallVector<int64_t> flippedShape = {groups * outPerGroup, inPerGroup};
  flippedShape.append(kernel.begin(), kernel.end());
  auto flippedType = RankedTensorType::get(flippedShape, elementType);
  int64_t rank = flippedType.getRank();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value flipped =
      linalg::GenericOp::create(
          b, loc, TypeRange{flippedType}, ValueRange{},
          ValueRange{
              tensor::EmptyOp::create(b, loc, flippedShape, elementType)},
          {b.getMultiDimIdentityMap(rank)}, iterators,
          [&](OpBuilder &nb, Location l, ValueRange) {
            Value o = linalg::IndexOp::create(nb, l, 0);
            Value i = linalg::IndexOp::create(nb, l, 1);
            Value perGroup = arith::ConstantIndexOp::create(nb, l, outPerGroup);
            Value group = arith::DivUIOp::create(nb, l, o, perGroup);
            SmallVector<Value> indices = {
                arith::AddIOp::create(
                    nb, l,
                    arith::MulIOp::create(
                        nb, l, group,
                        arith::ConstantIndexOp::create(nb, l, inPerGroup)),
                    i),
                arith::RemUIOp::create(nb, l, o, perGroup)};
            for (int64_t d = 0; d < spatial; ++d)
              indices.push_back(arith::SubIOp::create(
                  nb, l, arith::ConstantIndexOp::create(nb, l, kernel[d] - 1),
                  linalg::IndexOp::create(nb, l, 2 + d)));
            linalg::YieldOp::create(
                nb, l,
                tensor::ExtractOp::create(nb, l, weight, indices).getResult());
          })
          .getResult(0);
  ctx.setResult(0, buildConvolution(b, loc, padded, flipped, bias,
                                    window.strides, dilations, groups, type));
  return success();
}

template <bool isMax> LogicalResult convertPool(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  if (ctx.numResults() > 1 && !ctx.getNode().output(1).empty())
    return ctx.error() << "the Indices output is not supported";
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape() || !type.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t spatial = inputType.getRank() - 2;
  std::optional<SmallVector<int64_t>> kernel = ctx.intsAttr("kernel_shape");
  if (!kernel)
    return ctx.error() << "kernel_shape is required";
  std::optional<Window> window = readWindow(ctx, inputType, *kernel);
  if (!window)
    return failure();
  // ceil_mode makes the last window run past the padded input: pad more.
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t extent = (window->kernel[d] - 1) * window->dilations[d] + 1;
    int64_t needed = (type.getDimSize(d + 2) - 1) * window->strides[d] +
                     extent - inputType.getDimSize(d + 2) - window->padBegin[d];
    window->padEnd[d] = std::max(window->padEnd[d], needed);
  }
  // Max pooling starts from (and pads with) the element type's lowest value.
  Type poolElement = type.getElementType();
  bool isUnsigned = ctx.isUnsignedInput(0);
  double lowest =
      isa<FloatType>(poolElement) ? -std::numeric_limits<double>::infinity()
      : isUnsigned                ? 0.0
                   : -std::ldexp(1.0, poolElement.getIntOrFloatBitWidth() - 1);
  Value padded =
      padSpatial(ctx.b(), ctx.loc(), input, *window, isMax ? lowest : 0.0);
  MLIRContext *context = ctx.getContext();
  int64_t loops = 2 + 2 * spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  SmallVector<AffineExpr> inputExprs = {dim(0), dim(1)}, kernelExprs,
                          outputExprs = {dim(0), dim(1)};
  for (int64_t d = 0; d < spatial; ++d) {
    AffineExpr out = dim(2 + d), k = dim(2 + spatial + d);
    inputExprs.push_back(out * window->strides[d] + k * window->dilations[d]);
    kernelExprs.push_back(k);
    outputExprs.push_back(out);
  }
  // A kernel-shaped dummy operand gives the reduction loops their bounds.
  Value kernelShape = tensor::EmptyOp::create(
      ctx.b(), ctx.loc(), window->kernel, type.getElementType());
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, inputExprs, context),
      AffineMap::get(loops, 0, kernelExprs, context),
      AffineMap::get(loops, 0, outputExprs, context)};
  Value result = windowGeneric(
      ctx.b(), ctx.loc(), type, ValueRange{padded, kernelShape}, maps, spatial,
      filledTensor(ctx.b(), ctx.loc(), type, isMax ? lowest : 0.0),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (!isMax)
          return arith::AddFOp::create(b, loc, a[0], a[2]);
        if (isa<FloatType>(poolElement))
          return arith::MaximumFOp::create(b, loc, a[0], a[2]);
        if (isUnsigned)
          return arith::MaxUIOp::create(b, loc, a[0], a[2]);
        return arith::MaxSIOp::create(b, loc, a[0], a[2]);
      });
  if (isMax) {
    ctx.setResult(0, result);
    return success();
  }
  // Average: divide by the window size, or by the number of real (unpadded)
  // elements when count_include_pad = 0 (the ONNX default).
  bool includePad = ctx.intAttr("count_include_pad", 0);
  Value counts;
  if (includePad) {
    double size = 1;
    for (int64_t k : window->kernel)
      size *= k;
    counts = filledTensor(ctx.b(), ctx.loc(), type, size);
  } else {
    Value ones = filledTensor(ctx.b(), ctx.loc(), inputType, 1.0);
    Value paddedOnes = padSpatial(ctx.b(), ctx.loc(), ones, *window, 0.0);
    counts = windowGeneric(
        ctx.b(), ctx.loc(), type, ValueRange{paddedOnes, kernelShape}, maps,
        spatial, filledTensor(ctx.b(), ctx.loc(), type, 0.0),
        [](OpBuilder &b, Location loc, ValueRange a) {
          return arith::AddFOp::create(b, loc, a[0], a[2]).getResult();
        });
  }
  ctx.setResult(
      0, buildElementwise(
             ctx.b(), ctx.loc(), type, ValueRange{result, counts},
             [](OpBuilder &b, Location loc, ValueRange a) {
               return arith::DivFOp::create(b, loc, a[0], a[1]).getResult();
             }));
  return success();
}

template <bool isMax> LogicalResult convertGlobalPool(NodeContext &ctx) {
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  SmallVector<int64_t> axes;
  double count = 1;
  for (int64_t d = 2; d < inputType.getRank(); ++d) {
    axes.push_back(d);
    count *= inputType.getDimSize(d);
  }
  Type elementType = inputType.getElementType();
  double init = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  Value reduced = buildReduction(
      ctx.b(), ctx.loc(), input, axes, /*keepDims=*/true,
      ctx.b().getFloatAttr(elementType, init),
      [](OpBuilder &b, Location loc, ValueRange a) {
        return isMax ? arith::MaximumFOp::create(b, loc, a[0], a[1]).getResult()
                     : arith::AddFOp::create(b, loc, a[0], a[1]).getResult();
      });
  if (!isMax)
    reduced = buildElementwise(
        ctx.b(), ctx.loc(), cast<RankedTensorType>(reduced.getType()),
        ValueRange{reduced}, [&](OpBuilder &b, Location loc, ValueRange a) {
          return arith::DivFOp::create(
                     b, loc, a[0], scalarConstant(b, loc, elementType, count))
              .getResult();
        });
  ctx.setResult(0, reduced);
  return success();
}

/// y = scale * (x - mean) / sqrt(var + epsilon) + bias, per channel (dim 1).
LogicalResult convertBatchNormalization(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  if (ctx.intAttr("training_mode", 0))
    return ctx.error() << "training_mode is not supported";
  double epsilon = ctx.floatAttr("epsilon", 1e-5f);
  int64_t rank = type.getRank();
  MLIRContext *context = ctx.getContext();
  AffineMap identity = ctx.b().getMultiDimIdentityMap(rank);
  AffineMap channel =
      AffineMap::get(rank, 0, {getAffineDimExpr(1, context)}, context);
  SmallVector<AffineMap> maps = {identity, channel, channel,
                                 channel,  channel, identity};
  Type elementType = type.getElementType();
  Value result = windowGeneric(
      ctx.b(), ctx.loc(), type,
      ValueRange{ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3),
                 ctx.input(4)},
      maps, 0,
      tensor::EmptyOp::create(ctx.b(), ctx.loc(), type.getShape(), elementType),
      [&](OpBuilder &b, Location loc, ValueRange a) {
        Value centered = arith::SubFOp::create(b, loc, a[0], a[3]);
        Value variance = arith::AddFOp::create(
            b, loc, a[4], scalarConstant(b, loc, elementType, epsilon));
        Value normalized = arith::MulFOp::create(
            b, loc, centered, math::RsqrtOp::create(b, loc, variance));
        return arith::AddFOp::create(
                   b, loc, arith::MulFOp::create(b, loc, normalized, a[1]),
                   a[2])
            .getResult();
      });
  ctx.setResult(0, result);
  return success();
}

/// What LayerNormalization and RMSNormalization share: a static float input
/// normalized over dims [axis, rank).
struct NormalizedAxes {
  Value input;
  RankedTensorType inputType;
  SmallVector<int64_t> axes;
  /// Elements per normalized group.
  double count = 1;
  double epsilon;
};

std::optional<NormalizedAxes> readNormalizedAxes(NodeContext &ctx) {
  NormalizedAxes norm;
  norm.input = ctx.input(0);
  norm.inputType = cast<RankedTensorType>(norm.input.getType());
  if (!norm.inputType.hasStaticShape()) {
    ctx.error() << "dynamic shapes are not supported here yet";
    return std::nullopt;
  }
  if (!isa<FloatType>(norm.inputType.getElementType())) {
    ctx.error() << "expects a floating-point input";
    return std::nullopt;
  }
  int64_t rank = norm.inputType.getRank();
  std::optional<int64_t> axis = normalizeAxis(ctx.intAttr("axis", -1), rank);
  if (!axis) {
    ctx.error() << "axis out of range";
    return std::nullopt;
  }
  norm.epsilon = ctx.floatAttr("epsilon", 1e-5f);
  norm.axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  for (int64_t a : norm.axes)
    norm.count *= norm.inputType.getDimSize(a);
  return norm;
}

/// RMSNormalization (opset 23): Y = X / sqrt(mean(X^2 over [axis, rank)) +
/// epsilon) * scale, the norm of Llama-style decoders.
LogicalResult convertRMSNormalization(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  std::optional<NormalizedAxes> norm = readNormalizedAxes(ctx);
  if (!norm)
    return failure();
  Value input = norm->input;
  RankedTensorType inputType = norm->inputType;
  ArrayRef<int64_t> axes = norm->axes;
  double count = norm->count, epsilon = norm->epsilon;
  Type elementType = inputType.getElementType();
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  Value squares = buildElementwise(
      b, loc, inputType, ValueRange{input},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::MulFOp::create(nb, l, a[0], a[0]).getResult();
      });
  Value sum = buildReduction(
      b, loc, squares, axes, true, b.getFloatAttr(elementType, 0.0),
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
      });
  Value inverseRms = buildElementwise(
      b, loc, cast<RankedTensorType>(sum.getType()), ValueRange{sum},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value mean = arith::DivFOp::create(
            nb, l, a[0], scalarConstant(nb, l, elementType, count));
        Value shifted = arith::AddFOp::create(
            nb, l, mean, scalarConstant(nb, l, elementType, epsilon));
        return math::RsqrtOp::create(nb, l, shifted).getResult();
      });
  ctx.setResult(
      0, buildElementwise(
             b, loc, type, ValueRange{input, inverseRms, ctx.input(1)},
             [](OpBuilder &nb, Location l, ValueRange a) {
               return arith::MulFOp::create(
                          nb, l, arith::MulFOp::create(nb, l, a[0], a[1]), a[2])
                   .getResult();
             }));
  return success();
}

/// LayerNormalization (opset 17): normalize over dims [axis, rank).
LogicalResult convertLayerNormalization(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  std::optional<NormalizedAxes> norm = readNormalizedAxes(ctx);
  if (!norm)
    return failure();
  Value input = norm->input;
  RankedTensorType inputType = norm->inputType;
  ArrayRef<int64_t> axes = norm->axes;
  double count = norm->count, epsilon = norm->epsilon;
  Type elementType = inputType.getElementType();
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  auto add = [](OpBuilder &nb, Location l, ValueRange a) {
    return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
  };
  auto divideByCount = [&](Value sum) {
    return buildElementwise(
        b, loc, cast<RankedTensorType>(sum.getType()), ValueRange{sum},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          return arith::DivFOp::create(
                     nb, l, a[0], scalarConstant(nb, l, elementType, count))
              .getResult();
        });
  };
  Value mean = divideByCount(buildReduction(
      b, loc, input, axes, true, b.getFloatAttr(elementType, 0.0), add));
  Value centered = buildElementwise(
      b, loc, inputType, ValueRange{input, mean},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::SubFOp::create(nb, l, a[0], a[1]).getResult();
      });
  Value squares = buildElementwise(
      b, loc, inputType, ValueRange{centered},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::MulFOp::create(nb, l, a[0], a[0]).getResult();
      });
  Value variance = divideByCount(buildReduction(
      b, loc, squares, axes, true, b.getFloatAttr(elementType, 0.0), add));
  Value invStdDev = buildElementwise(
      b, loc, cast<RankedTensorType>(variance.getType()), ValueRange{variance},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value shifted = arith::AddFOp::create(
            nb, l, a[0], scalarConstant(nb, l, elementType, epsilon));
        return math::RsqrtOp::create(nb, l, shifted).getResult();
      });
  SmallVector<Value> operands = {centered, invStdDev, ctx.input(1)};
  if (Value bias = ctx.input(2))
    operands.push_back(bias);
  Value result = buildElementwise(
      b, loc, type, operands, [](OpBuilder &nb, Location l, ValueRange a) {
        Value y = arith::MulFOp::create(
            nb, l, arith::MulFOp::create(nb, l, a[0], a[1]), a[2]);
        return a.size() > 3 ? arith::AddFOp::create(nb, l, y, a[3]).getResult()
                            : y;
      });
  ctx.setResult(0, result);
  if (ctx.numResults() > 1)
    ctx.setResult(1, mean);
  if (ctx.numResults() > 2)
    ctx.setResult(2, invStdDev);
  return success();
}

/// Pad (constant, edge, reflect): every output element reads a computed
/// input index.
LogicalResult convertPad(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape() || !type.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t rank = inputType.getRank();
  std::optional<SmallVector<int64_t>> pads;
  double constant = 0.0;
  // Pads and the constant given at run time: the output shape is static, so
  // only where the input starts in each dim is computed, before the loops.
  SmallVector<Value> runtimeBegin;
  Value runtimeConstant;
  OpBuilder &builder = ctx.b();
  if (ctx.getOpset() < 11) {
    pads = ctx.intsAttr("pads");
    constant = ctx.floatAttr("value", 0.0f);
  } else {
    bool padsConstant = ctx.getGraph().getConstant(ctx.getNode().input(1));
    if (padsConstant) {
      if (!(pads = ctx.constantIntsInput(1)))
        return failure();
    } else {
      if (ctx.hasInput(3))
        return ctx.error() << "pads given at run time with axes are not "
                              "supported";
      for (int64_t d = 0; d < rank; ++d) {
        Value element = tensor::ExtractOp::create(
            builder, ctx.loc(), ctx.input(1),
            ValueRange{arith::ConstantIndexOp::create(builder, ctx.loc(), d)});
        runtimeBegin.push_back(arith::IndexCastOp::create(
            builder, ctx.loc(), builder.getIndexType(), element));
      }
    }
    if (ctx.hasInput(2)) {
      if (std::optional<double> value = ctx.constantScalarInput(2)) {
        constant = *value;
      } else {
        auto valueType = cast<RankedTensorType>(ctx.input(2).getType());
        runtimeConstant = tensor::ExtractOp::create(
            builder, ctx.loc(), ctx.input(2),
            SmallVector<Value>(
                valueType.getRank(),
                arith::ConstantIndexOp::create(builder, ctx.loc(), 0)));
      }
    }
  }
  SmallVector<int64_t> begin(rank, 0);
  if (runtimeBegin.empty() && ctx.hasInput(3)) {
    std::optional<SmallVector<int64_t>> axes = ctx.constantIntsInput(3);
    if (!axes || pads->size() != 2 * axes->size())
      return ctx.error() << "pads must have two entries per axis";
    for (size_t i = 0; i < axes->size(); ++i) {
      std::optional<int64_t> axis = normalizeAxis((*axes)[i], rank);
      if (!axis)
        return ctx.error() << "axis out of range";
      begin[*axis] = (*pads)[i];
    }
  } else if (runtimeBegin.empty()) {
    if (!pads || static_cast<int64_t>(pads->size()) != 2 * rank)
      return ctx.error() << "pads must have 2 * rank entries";
    for (int64_t d = 0; d < rank; ++d)
      begin[d] = (*pads)[d];
  }
  std::string mode = ctx.stringAttr("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return ctx.error() << "pad mode '" << mode << "' is not supported";
  Type elementType = type.getElementType();
  Value init =
      tensor::EmptyOp::create(ctx.b(), ctx.loc(), type.getShape(), elementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          ctx.b(), ctx.loc(), TypeRange{type}, ValueRange{}, ValueRange{init},
          {ctx.b().getMultiDimIdentityMap(rank)}, iterators,
          [&](OpBuilder &b, Location loc, ValueRange) {
            Value inside = arith::ConstantIntOp::create(b, loc, 1, 1);
            SmallVector<Value> indices;
            for (int64_t d = 0; d < rank; ++d) {
              int64_t size = inputType.getDimSize(d);
              Value i = arith::SubIOp::create(
                  b, loc, linalg::IndexOp::create(b, loc, d),
                  runtimeBegin.empty()
                      ? arith::ConstantIndexOp::create(b, loc, begin[d])
                            .getResult()
                      : runtimeBegin[d]);
              Value zero = arith::ConstantIndexOp::create(b, loc, 0);
              Value last = arith::ConstantIndexOp::create(b, loc, size - 1);
              if (mode == "reflect" && size > 1) {
                // Reflect around the edges without repeating them.
                Value negative = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::slt, i, zero);
                i = arith::SelectOp::create(
                    b, loc, negative, arith::SubIOp::create(b, loc, zero, i),
                    i);
                Value past = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::sgt, i, last);
                Value mirrored = arith::SubIOp::create(
                    b, loc, arith::AddIOp::create(b, loc, last, last), i);
                i = arith::SelectOp::create(b, loc, past, mirrored, i);
              }
              Value low = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sge, i, zero);
              Value high = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sle, i, last);
              inside = arith::AndIOp::create(
                  b, loc, inside, arith::AndIOp::create(b, loc, low, high));
              // Clamp so the read is always in bounds (edge mode's answer).
              i = arith::MaxSIOp::create(b, loc, i, zero);
              i = arith::MinSIOp::create(b, loc, i, last);
              indices.push_back(i);
            }
            Value element = tensor::ExtractOp::create(b, loc, input, indices);
            if (mode == "constant")
              element = arith::SelectOp::create(
                  b, loc, inside, element,
                  runtimeConstant
                      ? runtimeConstant
                      : scalarConstant(b, loc, elementType, constant));
            linalg::YieldOp::create(b, loc, element);
          })
          .getResult(0);
  ctx.setResult(0, result);
  return success();
}

/// Resize (nearest, n-linear, cubic) over the dims whose scale is not 1, with
/// ONNX's coordinate transformations and nearest rounding modes. Every
/// output element reads its (clamped) source elements with tensor.extract.
LogicalResult convertResize(NodeContext &ctx) {
  RankedTensorType type = ctx.resultType(0);
  if (!type)
    return failure();
  Value input = ctx.input(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!inputType.hasStaticShape() || !type.hasStaticShape())
    return ctx.error() << "dynamic shapes are not supported here yet";
  int64_t rank = type.getRank();
  std::string mode = ctx.stringAttr("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return ctx.error() << "mode '" << mode << "' is not supported";
  double cubicA = ctx.floatAttr("cubic_coeff_a", -0.75f);
  bool excludeOutside = ctx.intAttr("exclude_outside", 0);
  std::string transform =
      ctx.stringAttr("coordinate_transformation_mode",
                     ctx.getOpset() < 11 ? "asymmetric" : "half_pixel");
  if (transform != "half_pixel" && transform != "asymmetric" &&
      transform != "align_corners" && transform != "pytorch_half_pixel" &&
      transform != "tf_half_pixel_for_nn")
    return ctx.error() << "coordinate_transformation_mode '" << transform
                       << "' is not supported";
  std::string nearestMode =
      ctx.stringAttr("nearest_mode", "round_prefer_floor");
  // Scales come from the `scales` input when given, else from the sizes
  // (the inferred result shape).
  unsigned scalesInput = ctx.getOpset() < 11 ? 1 : 2;
  std::optional<SmallVector<double>> scales =
      ctx.constantFloatsInput(scalesInput);
  OpBuilder &b = ctx.b();
  Location loc = ctx.loc();
  // Scales given at run time only move sample positions (the output shape
  // is known): read them once, before the loops.
  Value runtimeScales =
      ctx.getGraph().getConstant(
          ctx.hasInput(scalesInput) ? ctx.getNode().input(scalesInput) : "")
          ? Value()
          : ctx.input(scalesInput);
  if (runtimeScales &&
      cast<RankedTensorType>(runtimeScales.getType()).getNumElements() != rank)
    runtimeScales = Value(); // empty scales: sizes decide
  SmallVector<double> scale(rank);
  SmallVector<Value> scaleValues(rank);
  SmallVector<int64_t> resized;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = inputType.getDimSize(d), out = type.getDimSize(d);
    scale[d] = scales && static_cast<int64_t>(scales->size()) == rank
                   ? (*scales)[d]
                   : static_cast<double>(out) / in;
    if (runtimeScales) {
      Value position = arith::ConstantIndexOp::create(b, loc, d);
      scaleValues[d] = tensor::ExtractOp::create(b, loc, runtimeScales,
                                                 ValueRange{position});
    } else {
      scaleValues[d] =
          arith::ConstantOp::create(b, loc, b.getF32FloatAttr(scale[d]));
    }
    // With run-time scales, a dim whose size does not change is taken to
    // have scale 1 (batch and channels).
    if (in != out || (!runtimeScales && scale[d] != 1.0))
      resized.push_back(d);
  }
  if ((mode == "linear" && resized.size() > 3) ||
      (mode == "cubic" && resized.size() > 2))
    return ctx.error() << mode << " resize of " << resized.size()
                       << " dims is not supported";
  Type elementType = type.getElementType();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), elementType);
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{type}, ValueRange{}, ValueRange{init},
          {b.getMultiDimIdentityMap(rank)}, iterators,
          [&](OpBuilder &nb, Location l, ValueRange) {
            auto f32 = [&](double v) {
              return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v))
                  .getResult();
            };
            // Source coordinate (float) of each resized dim.
            SmallVector<Value> source(rank), index(rank);
            for (int64_t d = 0; d < rank; ++d) {
              Value i = linalg::IndexOp::create(nb, l, d);
              index[d] = i;
              if (!llvm::is_contained(resized, d))
                continue;
              Value x = arith::UIToFPOp::create(
                  nb, l, nb.getF32Type(),
                  arith::IndexCastUIOp::create(nb, l, nb.getI64Type(), i));
              int64_t in = inputType.getDimSize(d), out = type.getDimSize(d);
              Value value;
              if (transform == "align_corners") {
                // ONNX uses the scaled size (in * scale), not the rounded
                // output size: x * (in - 1) / (in * scale - 1).
                Value scaledSize = arith::MulFOp::create(nb, l, f32(double(in)),
                                                         scaleValues[d]);
                value = out == 1 ? f32(0)
                                 : arith::DivFOp::create(
                                       nb, l,
                                       arith::MulFOp::create(
                                           nb, l, x, f32(double(in - 1))),
                                       arith::SubFOp::create(nb, l, scaledSize,
                                                             f32(1.0)))
                                       .getResult();
              } else if (transform == "asymmetric")
                value = arith::DivFOp::create(nb, l, x, scaleValues[d]);
              else if (transform == "tf_half_pixel_for_nn")
                value = arith::DivFOp::create(
                    nb, l, arith::AddFOp::create(nb, l, x, f32(0.5)),
                    scaleValues[d]);
              else if (transform == "pytorch_half_pixel" && out == 1)
                value = f32(0);
              else
                value = arith::SubFOp::create(
                    nb, l,
                    arith::DivFOp::create(
                        nb, l, arith::AddFOp::create(nb, l, x, f32(0.5)),
                        scaleValues[d]),
                    f32(0.5));
              source[d] = value;
            }
            auto clampIndex = [&](Value floatIndex, int64_t size) {
              Value asInt =
                  arith::FPToSIOp::create(nb, l, nb.getI64Type(), floatIndex);
              Value low = arith::ConstantIntOp::create(nb, l, 0, 64);
              Value high = arith::ConstantIntOp::create(nb, l, size - 1, 64);
              asInt = arith::MaxSIOp::create(nb, l, asInt, low);
              asInt = arith::MinSIOp::create(nb, l, asInt, high);
              return arith::IndexCastOp::create(nb, l, nb.getIndexType(), asInt)
                  .getResult();
            };
            if (mode == "nearest") {
              SmallVector<Value> indices = index;
              for (int64_t d : resized) {
                Value x = source[d];
                Value rounded;
                if (nearestMode == "floor")
                  rounded = math::FloorOp::create(nb, l, x);
                else if (nearestMode == "ceil")
                  rounded = math::CeilOp::create(nb, l, x);
                else if (nearestMode == "round_prefer_ceil")
                  rounded = math::FloorOp::create(
                      nb, l, arith::AddFOp::create(nb, l, x, f32(0.5)));
                else // round_prefer_floor
                  rounded = math::CeilOp::create(
                      nb, l, arith::SubFOp::create(nb, l, x, f32(0.5)));
                indices[d] = clampIndex(rounded, inputType.getDimSize(d));
              }
              linalg::YieldOp::create(
                  nb, l,
                  tensor::ExtractOp::create(nb, l, input, indices).getResult());
              return;
            }
            // Linear (2 taps per dim) or cubic (4 taps, Keys' kernel with
            // coefficient A): neighbours from floor(x) - (taps/2 - 1), edge
            // values past the border (or, with exclude_outside, weight 0 and
            // the rest renormalized); the sum runs over all tap combinations.
            int taps = mode == "linear" ? 2 : 4;
            SmallVector<SmallVector<Value>> tapIndex(rank), tapWeight(rank);
            for (int64_t d : resized) {
              int64_t size = inputType.getDimSize(d);
              Value floorValue = math::FloorOp::create(nb, l, source[d]);
              Value t = arith::SubFOp::create(nb, l, source[d], floorValue);
              Value weightSum = f32(0.0);
              for (int tap = 0; tap < taps; ++tap) {
                double offset = tap - (taps / 2 - 1);
                Value position =
                    arith::AddFOp::create(nb, l, floorValue, f32(offset));
                tapIndex[d].push_back(clampIndex(position, size));
                Value w;
                if (taps == 2) {
                  w = tap == 0 ? arith::SubFOp::create(nb, l, f32(1.0), t)
                                     .getResult()
                               : t;
                } else {
                  // Distance of this tap from x: |tap offset - t|.
                  Value distance = math::AbsFOp::create(
                      nb, l, arith::SubFOp::create(nb, l, f32(offset), t));
                  double a = cubicA;
                  // |d| <= 1: (A+2)|d|^3 - (A+3)|d|^2 + 1;
                  // 1 < |d| < 2: A|d|^3 - 5A|d|^2 + 8A|d| - 4A.
                  Value d2 = arith::MulFOp::create(nb, l, distance, distance);
                  Value d3 = arith::MulFOp::create(nb, l, d2, distance);
                  Value near = arith::AddFOp::create(
                      nb, l,
                      arith::SubFOp::create(
                          nb, l, arith::MulFOp::create(nb, l, f32(a + 2), d3),
                          arith::MulFOp::create(nb, l, f32(a + 3), d2)),
                      f32(1.0));
                  Value far = arith::SubFOp::create(
                      nb, l,
                      arith::AddFOp::create(
                          nb, l,
                          arith::SubFOp::create(
                              nb, l, arith::MulFOp::create(nb, l, f32(a), d3),
                              arith::MulFOp::create(nb, l, f32(5 * a), d2)),
                          arith::MulFOp::create(nb, l, f32(8 * a), distance)),
                      f32(4 * a));
                  Value isNear = arith::CmpFOp::create(
                      nb, l, arith::CmpFPredicate::OLE, distance, f32(1.0));
                  w = arith::SelectOp::create(nb, l, isNear, near, far);
                }
                if (excludeOutside) {
                  Value inside = arith::AndIOp::create(
                      nb, l,
                      arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE,
                                            position, f32(0.0)),
                      arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLE,
                                            position, f32(double(size - 1))));
                  w = arith::SelectOp::create(nb, l, inside, w, f32(0.0));
                }
                weightSum = arith::AddFOp::create(nb, l, weightSum, w);
                tapWeight[d].push_back(w);
              }
              if (excludeOutside)
                for (Value &w : tapWeight[d])
                  w = arith::DivFOp::create(nb, l, w, weightSum);
            }
            Value sum;
            int64_t combinations = 1;
            for (size_t i = 0; i < resized.size(); ++i)
              combinations *= taps;
            for (int64_t combination = 0; combination < combinations;
                 ++combination) {
              SmallVector<Value> indices = index;
              Value factor = f32(1.0);
              int64_t rest = combination;
              for (int64_t d : resized) {
                int tap = rest % taps;
                rest /= taps;
                indices[d] = tapIndex[d][tap];
                factor =
                    arith::MulFOp::create(nb, l, factor, tapWeight[d][tap]);
              }
              Value element = castScalar(
                  nb, l, tensor::ExtractOp::create(nb, l, input, indices),
                  nb.getF32Type());
              Value term = arith::MulFOp::create(nb, l, element, factor);
              sum = sum ? arith::AddFOp::create(nb, l, sum, term).getResult()
                        : term;
            }
            linalg::YieldOp::create(nb, l, castScalar(nb, l, sum, elementType));
          })
          .getResult(0);
  ctx.setResult(0, result);
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendNeuralNetworkConverters(
    std::vector<OpConverter> &converters) {
  const OpConverter table[] = {
      {"Conv", 1, convertConv},
      {"ConvTranspose", 1, convertConvTranspose},
      {"MaxPool", 1, convertPool<true>},
      {"AveragePool", 1, convertPool<false>},
      {"GlobalAveragePool", 1, convertGlobalPool<false>},
      {"GlobalMaxPool", 1, convertGlobalPool<true>},
      {"BatchNormalization", 9, convertBatchNormalization},
      {"LayerNormalization", 17, convertLayerNormalization},
      {"RMSNormalization", 23, convertRMSNormalization},
      {"Pad", 2, convertPad},
      {"Resize", 10, convertResize},
  };
  converters.insert(converters.end(), std::begin(table), std::end(table));
}
