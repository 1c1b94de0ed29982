//===- LinearRows.cpp - the rows view of lowbit ops' inputs ---------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "dialects/LowBit/LinearRows.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value mlir::lbc::collapseToRows(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank(), k = type.getShape().back();
  if (rank == 2)
    return input;
  int64_t rows = 1;
  for (int64_t d : type.getShape().drop_back())
    rows = ShapedType::isDynamic(d) || ShapedType::isDynamic(rows)
               ? ShapedType::kDynamic
               : rows * d;
  auto matrixType = RankedTensorType::get({rows, k}, type.getElementType());
  if (rank == 1)
    return tensor::ExpandShapeOp::create(
        b, loc, matrixType, input, ArrayRef<ReassociationIndices>{{0, 1}});
  SmallVector<ReassociationIndices> groups = {
      llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}};
  return tensor::CollapseShapeOp::create(b, loc, matrixType, input, groups);
}

Value mlir::lbc::restoreRows(OpBuilder &b, Location loc, Value product,
                             Value input, RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return product;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, resultType, product, ArrayRef<ReassociationIndices>{{0, 1}});
  SmallVector<ReassociationIndices> groups = {
      llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}};
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  sizes.back() = b.getIndexAttr(resultType.getShape().back());
  return tensor::ExpandShapeOp::create(b, loc, resultType, product, groups,
                                       sizes);
}
