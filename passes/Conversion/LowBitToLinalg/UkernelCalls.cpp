//===- UkernelCalls.cpp - shared pieces of the lowbit lowerings -----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/LowBitToLinalg/UkernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value mlir::lbc::bufferAddress(OpBuilder &b, Location loc, Value buffer) {
  Value pointer =
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), pointer);
}

void mlir::lbc::declareUkernel(ModuleOp module, OpBuilder &b,
                               llvm::StringRef name, unsigned arity) {
  if (module.lookupSymbol(name))
    return;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  Type i64 = b.getI64Type();
  SmallVector<Type> arguments(arity, i64);
  auto declaration = func::FuncOp::create(b, module.getLoc(), name,
                                          b.getFunctionType(arguments, {i64}));
  declaration.setPrivate();
}

Value mlir::lbc::allocateRowsOutput(OpBuilder &b, Location loc, Value rowsInput,
                                    int64_t n, Value &rowCount) {
  int64_t rows = cast<RankedTensorType>(rowsInput.getType()).getDimSize(0);
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(rows)) {
    rowCount = tensor::DimOp::create(b, loc, rowsInput, 0);
    dynamicRows.push_back(rowCount);
  } else {
    rowCount = arith::ConstantIndexOp::create(b, loc, rows);
  }
  return memref::AllocOp::create(b, loc,
                                 MemRefType::get({rows, n}, b.getF32Type()),
                                 dynamicRows, b.getI64IntegerAttr(64));
}

void mlir::lbc::parallelBlocks(OpBuilder &b, Location loc, int64_t blocks,
                               function_ref<void(OpBuilder &, Value)> body) {
  scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(blocks)}, ValueRange{},
      std::nullopt, [&](OpBuilder &nb, Location, ValueRange ivs) {
        body(nb, arith::IndexCastOp::create(nb, loc, nb.getI64Type(), ivs[0]));
        scf::InParallelOp::create(nb, loc);
      });
}
