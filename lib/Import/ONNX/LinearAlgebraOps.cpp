//===- LinearAlgebraOps.cpp - ONNX MatMul and Gemm converters -------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// MatMul (numpy semantics, broadcast batch dims) and Gemm as linalg
// contractions. Raising constant-weight contractions to lowbit.linear is a
// separate pass, so the importer stays a faithful translation.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/LinalgBuilders.h"
#include "lib/Import/ONNX/NodeContext.h"
#include "lib/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lbc::onnx_import;
using mlir::lbc::buildConstantMatrix;
using mlir::lbc::constantMatrixBytes;

/// Batched contraction C[b..., m, n] = sum_k A[b..., m, k] * B[b..., k, n]
/// with numpy broadcasting of the batch dims. `transposeA`/`transposeB` read
/// A as [k, m] / B as [n, k] (rank-2 operands only).
Value mlir::lbc::onnx_import::buildContraction(OpBuilder &b, Location loc,
                                               Value lhs, Value rhs,
                                               RankedTensorType resultType,
                                               bool transposeA, bool transposeB,
                                               Value accumulator) {
  MLIRContext *context = b.getContext();
  int64_t batchRank = resultType.getRank() - 2;
  // Loop order batch..., m, k, n: with n innermost, B and C are read along
  // rows (unit stride) and the inner loop carries no reduction, so it
  // vectorizes without reassociating floating-point sums. With B transposed
  // ([n, k]) the reduction goes innermost instead, to keep unit stride.
  int64_t loops = batchRank + 3;
  bool reductionInnermost = transposeB;
  AffineExpr m = getAffineDimExpr(batchRank, context);
  AffineExpr k =
      getAffineDimExpr(batchRank + (reductionInnermost ? 2 : 1), context);
  AffineExpr n =
      getAffineDimExpr(batchRank + (reductionInnermost ? 1 : 2), context);
  auto operandMap = [&](Value operand, AffineExpr row, AffineExpr column) {
    auto type = cast<RankedTensorType>(operand.getType());
    int64_t operandBatch = type.getRank() - 2;
    SmallVector<AffineExpr> exprs;
    for (int64_t dim = 0; dim < operandBatch; ++dim) {
      int64_t resultDim = batchRank - operandBatch + dim;
      bool broadcast =
          type.getDimSize(dim) == 1 && resultType.getDimSize(resultDim) != 1;
      exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                                : getAffineDimExpr(resultDim, context));
    }
    exprs.push_back(row);
    exprs.push_back(column);
    return AffineMap::get(loops, 0, exprs, context);
  };
  SmallVector<AffineExpr> resultExprs;
  for (int64_t dim = 0; dim < batchRank; ++dim)
    resultExprs.push_back(getAffineDimExpr(dim, context));
  resultExprs.push_back(m);
  resultExprs.push_back(n);
  SmallVector<AffineMap> maps = {
      transposeA ? operandMap(lhs, k, m) : operandMap(lhs, m, k),
      transposeB ? operandMap(rhs, n, k) : operandMap(rhs, k, n),
      AffineMap::get(loops, 0, resultExprs, context)};
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  iterators[batchRank + (reductionInnermost ? 2 : 1)] =
      utils::IteratorType::reduction;

  Type elementType = resultType.getElementType();
  SmallVector<Value> dynamicSizes;
  for (int64_t dim = 0; dim < resultType.getRank(); ++dim) {
    if (!resultType.isDynamicDim(dim))
      continue;
    // m comes from lhs, n from rhs, batch dims from whichever is not 1.
    Value source = dim == batchRank + 1 ? rhs : lhs;
    auto sourceType = cast<RankedTensorType>(source.getType());
    int64_t sourceDim = dim - (resultType.getRank() - sourceType.getRank());
    if (dim == batchRank)
      sourceDim = transposeA ? 1 : sourceType.getRank() - 2;
    if (dim == batchRank + 1)
      sourceDim = transposeB ? 0 : sourceType.getRank() - 1;
    if (sourceDim < 0 ||
        (dim < batchRank && sourceType.getDimSize(sourceDim) == 1)) {
      source = source == lhs ? rhs : lhs;
      sourceType = cast<RankedTensorType>(source.getType());
      sourceDim = dim - (resultType.getRank() - sourceType.getRank());
    }
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, source, sourceDim));
  }
  Value empty = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                        elementType, dynamicSizes);
  Value zero = scalarConstant(b, loc, elementType, 0.0);
  Value init = accumulator ? accumulator
                           : linalg::FillOp::create(b, loc, ValueRange{zero},
                                                    ValueRange{empty})
                                 .getResult(0);
  auto contraction = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{lhs, rhs}, ValueRange{init},
      maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value a = castScalar(nested, nestedLoc, args[0], elementType);
        Value c = castScalar(nested, nestedLoc, args[1], elementType);
        Value sum;
        // `contract` lets LLVM fuse the multiply-add into an FMA.
        auto contract = arith::FastMathFlags::contract;
        if (isa<FloatType>(elementType))
          sum = arith::AddFOp::create(
              nested, nestedLoc, args[2],
              arith::MulFOp::create(nested, nestedLoc, a, c, contract),
              contract);
        else
          sum = arith::AddIOp::create(
              nested, nestedLoc, args[2],
              arith::MulIOp::create(nested, nestedLoc, a, c));
        linalg::YieldOp::create(nested, nestedLoc, sum);
      });
  // Code generation tiles and vectorizes ops carrying this marker.
  if (!reductionInnermost && batchRank == 0)
    contraction->setAttr(kContractionMarker, b.getUnitAttr());
  return contraction.getResult(0);
}

namespace {

/// Inserts a unit dim into a static tensor at `position`.
Value insertUnitDim(OpBuilder &b, Location loc, Value value, int64_t position) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + position, 1);
  return buildReshape(b, loc, value,
                      RankedTensorType::get(shape, type.getElementType()));
}

} // namespace

/// The transpose of a 2-D constant, computed at import time, or null when
/// `value` is not such a constant. Gemm weights are often stored [n, k]
/// (transB); stored [k, n], a GEMV reads them row by row.
Value mlir::lbc::onnx_import::transposeConstantMatrix(OpBuilder &b,
                                                      Location loc,
                                                      Value value) {
  auto source = constantMatrixBytes(value);
  if (!source)
    return {};
  // A constant of rank > 2 is read as the matrix [dim 0, the rest].
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rows = type.getDimSize(0), columns = type.getNumElements() / rows;
  size_t bytes = type.getElementType().getIntOrFloatBitWidth() / 8;
  const char *data = source->first.data();
  return buildConstantMatrix(
      b, loc, RankedTensorType::get({columns, rows}, type.getElementType()),
      source->second + "_transposed", [&](int64_t row, int64_t column) {
        return data + (column * columns + row) * bytes;
      });
}

/// C[M, N] = A[M, K] x B[K, N] as a marked contraction. A constant B whose
/// N is not a multiple of 8 is padded with zero columns to a multiple of 32
/// (8 below 32), so code generation gets whole vector tiles; the padding is
/// sliced off the product.
Value mlir::lbc::onnx_import::buildMatrixProduct(OpBuilder &b, Location loc,
                                                 Value lhs, Value rhs,
                                                 RankedTensorType resultType) {
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t n = rhsType.getDimSize(1);
  auto source = constantMatrixBytes(rhs);
  if (!source || n % 8 == 0 || n < 8)
    return buildContraction(b, loc, lhs, rhs, resultType, false, false);
  int64_t padded = llvm::alignTo(n, n >= 32 ? 32 : 8);
  size_t bytes = rhsType.getElementType().getIntOrFloatBitWidth() / 8;
  const char *data = source->first.data();
  Value paddedRhs = buildConstantMatrix(
      b, loc,
      RankedTensorType::get({rhsType.getDimSize(0), padded},
                            rhsType.getElementType()),
      source->second + "_padded", [&](int64_t row, int64_t column) {
        return column < n ? data + (row * n + column) * bytes : nullptr;
      });
  int64_t m = resultType.getDimSize(0);
  Value product = buildContraction(
      b, loc, lhs, paddedRhs,
      RankedTensorType::get({m, padded}, resultType.getElementType()), false,
      false);
  if (!ShapedType::isDynamic(m))
    return buildStaticSlice(b, loc, product, {0, 0}, {m, n});
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)),
      strides(2, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = {
      tensor::DimOp::create(b, loc, product, 0).getResult(), b.getIndexAttr(n)};
  return tensor::ExtractSliceOp::create(b, loc, resultType, product, offsets,
                                        sizes, strides);
}

namespace {

LogicalResult convertMatMul(NodeContext &ctx) {
  RankedTensorType resultType = ctx.resultType(0);
  if (!resultType)
    return failure();
  Value lhs = ctx.input(0), rhs = ctx.input(1);
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  bool vectorLhs = lhsType.getRank() == 1, vectorRhs = rhsType.getRank() == 1;
  if ((vectorLhs && !lhsType.hasStaticShape()) ||
      (vectorRhs && !rhsType.hasStaticShape()))
    return ctx.error() << "1-D operands with dynamic size are not supported";
  // [..., M, K] x [K, N] (every linear layer of a transformer: batch and
  // sequence before the features) is one 2-D contraction over the collapsed
  // rows, so that it gets the register-tiled matmul code.
  // Leading dims may be dynamic (batch, sequence): they collapse into one
  // dynamic row count, which code generation cuts into static row blocks.
  // (At most one dynamic leading dim: expanding one group into several
  // dynamic dims crashes upstream's expand-strided-metadata.)
  auto dynamicDims = [](RankedTensorType type) {
    return llvm::count_if(type.getShape(), ShapedType::isDynamic);
  };
  if (rhsType.getRank() == 2 && lhsType.getRank() >= 2 &&
      rhsType.hasStaticShape() &&
      !lhsType.isDynamicDim(lhsType.getRank() - 1) &&
      !resultType.isDynamicDim(resultType.getRank() - 1) &&
      dynamicDims(lhsType) <= 1) {
    OpBuilder &b = ctx.b();
    Location loc = ctx.loc();
    int64_t rank = lhsType.getRank();
    int64_t rows = ShapedType::kDynamic;
    if (lhsType.hasStaticShape())
      rows = lhsType.getNumElements() / lhsType.getShape().back();
    Type elementType = resultType.getElementType();
    Value rowsLhs = lhs;
    if (rank > 2) {
      SmallVector<ReassociationIndices> groups = {
          llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}};
      rowsLhs = tensor::CollapseShapeOp::create(
          b, loc,
          RankedTensorType::get({rows, lhsType.getShape().back()},
                                lhsType.getElementType()),
          lhs, groups);
    }
    Value product = buildMatrixProduct(
        b, loc, rowsLhs, rhs,
        RankedTensorType::get({rows, rhsType.getDimSize(1)}, elementType));
    if (rank > 2) {
      SmallVector<ReassociationIndices> groups = {
          llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}};
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, lhs);
      sizes.back() = b.getIndexAttr(rhsType.getDimSize(1));
      product = tensor::ExpandShapeOp::create(b, loc, resultType, product,
                                              groups, sizes);
    }
    ctx.setResult(0, product);
    return success();
  }
  if (vectorLhs)
    lhs = insertUnitDim(ctx.b(), ctx.loc(), lhs, 0);
  if (vectorRhs)
    rhs = insertUnitDim(ctx.b(), ctx.loc(), rhs, 1);
  // The contraction's own result type: the final one with the vector dims
  // put back.
  SmallVector<int64_t> shape(resultType.getShape());
  if (vectorLhs)
    shape.insert(shape.end() - (vectorRhs ? 0 : 1), 1);
  if (vectorRhs)
    shape.push_back(1);
  auto contractionType =
      RankedTensorType::get(shape, resultType.getElementType());
  Value result = buildContraction(ctx.b(), ctx.loc(), lhs, rhs, contractionType,
                                  false, false);
  if (contractionType != resultType)
    result = buildReshape(ctx.b(), ctx.loc(), result, resultType);
  ctx.setResult(0, result);
  return success();
}

LogicalResult convertGemm(NodeContext &ctx) {
  RankedTensorType resultType = ctx.resultType(0);
  if (!resultType)
    return failure();
  Value a = ctx.input(0), bMatrix = ctx.input(1), c = ctx.input(2);
  if (cast<RankedTensorType>(a.getType()).getRank() != 2 ||
      cast<RankedTensorType>(bMatrix.getType()).getRank() != 2)
    return ctx.error() << "expects rank-2 A and B";
  bool transA = ctx.intAttr("transA", 0), transB = ctx.intAttr("transB", 0);
  if (transB)
    if (Value transposed =
            transposeConstantMatrix(ctx.b(), ctx.loc(), bMatrix)) {
      bMatrix = transposed;
      transB = false;
    }
  double alpha = ctx.floatAttr("alpha", 1.0f),
         beta = ctx.floatAttr("beta", 1.0f);
  Value product =
      transA || transB
          ? buildContraction(ctx.b(), ctx.loc(), a, bMatrix, resultType, transA,
                             transB)
          : buildMatrixProduct(ctx.b(), ctx.loc(), a, bMatrix, resultType);
  if (alpha == 1.0 && (!c || beta == 0.0)) {
    ctx.setResult(0, product);
    return success();
  }
  SmallVector<Value> inputs = {product};
  if (c && beta != 0.0)
    inputs.push_back(c);
  Type elementType = resultType.getElementType();
  ctx.setResult(
      0, buildElementwise(
             ctx.b(), ctx.loc(), resultType, inputs,
             [&](OpBuilder &b, Location loc, ValueRange args) {
               Value acc = args[0];
               if (alpha != 1.0)
                 acc = arith::MulFOp::create(
                     b, loc, acc, scalarConstant(b, loc, elementType, alpha));
               if (args.size() > 1) {
                 Value bias = castScalar(b, loc, args[1], elementType);
                 if (beta != 1.0)
                   bias = arith::MulFOp::create(
                       b, loc, bias, scalarConstant(b, loc, elementType, beta));
                 acc = arith::AddFOp::create(b, loc, acc, bias);
               }
               return acc;
             }));
  return success();
}

} // namespace

void mlir::lbc::onnx_import::appendLinearAlgebraConverters(
    std::vector<OpConverter> &converters) {
  converters.push_back({"MatMul", 7, convertMatMul});
  converters.push_back({"Gemm", 7, convertGemm});
}
