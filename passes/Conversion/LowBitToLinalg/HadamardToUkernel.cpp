//===- HadamardToUkernel.cpp - lowbit.hadamard to its microkernel ---------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lowbit.hadamard over [..., n] becomes one lbc_ukernel_hadamard call over the
// rows (runtime/cpu/ukernels/Hadamard.cpp) with the scaled K x K factor of
// lib/Support/Hadamard.h as a constant; row blocks run in parallel when
// there are many rows.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/LowBitToLinalg/UkernelCalls.h"

#include "dialects/LowBit/LowBitDialect.h"
#include "lib/Support/Hadamard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::lbc;

namespace {

/// (x, rows, n, xStride, y, yStride, powerOfTwo, k, factor) -> status.
constexpr llvm::StringLiteral kHadamardUkernel = "lbc_ukernel_hadamard";
/// Rows per parallel block: a row of n = 4096 costs ~0.1 us per stage, so
/// blocks of fewer rows are not worth waking the thread pool.
constexpr int64_t kRowsPerBlock = 64;

struct HadamardToUkernel : OpRewritePattern<lowbit::HadamardOp> {
  HadamardToUkernel(MLIRContext *context, bool fuseIntoLinears)
      : OpRewritePattern(context), fuseIntoLinears(fuseIntoLinears) {}
  bool fuseIntoLinears;

  LogicalResult matchAndRewrite(lowbit::HadamardOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getInput().getType());
    int64_t n = type.getShape().back();
    if (fuseIntoLinears && fusesIntoInputQuantization(op))
      return rewriter.notifyMatchFailure(
          op, "rotated and quantized by the linear it feeds");
    std::optional<::lbc::HadamardSize> size = ::lbc::factorHadamardSize(n);
    if (!size ||
        llvm::count_if(type.getShape().drop_back(), ShapedType::isDynamic) > 1)
      return rewriter.notifyMatchFailure(op, "unsupported shape");
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    Type f32 = rewriter.getF32Type();

    Value rowsInput = collapseToRows(rewriter, loc, op.getInput());
    int64_t rows = cast<RankedTensorType>(rowsInput.getType()).getDimSize(0);
    Value input = bufferization::ToBufferOp::create(
        rewriter, loc, MemRefType::get({rows, n}, f32), rowsInput,
        /*read_only=*/true);
    Value factorBuffer = hadamardFactorBuffer(rewriter, loc, n, size->k);
    Value rowCount;
    Value output = allocateRowsOutput(rewriter, loc, rowsInput, n, rowCount);

    auto i64 = [&](OpBuilder &b, int64_t v) {
      return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
    };
    Value x = bufferAddress(rewriter, loc, input);
    Value y = bufferAddress(rewriter, loc, output);
    Value h = bufferAddress(rewriter, loc, factorBuffer);
    declareUkernel(module, rewriter, kHadamardUkernel, 9);
    // Rows [begin, begin + count) of x into the same rows of y.
    auto call = [&](OpBuilder &b, Value begin, Value count) {
      Value offset = arith::MulIOp::create(
          b, loc, begin, i64(b, n * static_cast<int64_t>(sizeof(float))));
      Value xBlock = arith::AddIOp::create(b, loc, x, offset);
      Value yBlock = arith::AddIOp::create(b, loc, y, offset);
      func::CallOp::create(
          b, loc, kHadamardUkernel, TypeRange{b.getI64Type()},
          ValueRange{xBlock, count, i64(b, n), i64(b, n), yBlock, i64(b, n),
                     i64(b, size->powerOfTwo), i64(b, size->k), h});
    };
    if (ShapedType::isDynamic(rows) || rows < 2 * kRowsPerBlock) {
      Value rows64 = arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI64Type(), rowCount);
      call(rewriter, i64(rewriter, 0), rows64);
    } else {
      int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
      parallelBlocks(rewriter, loc, blocks, [&](OpBuilder &b, Value block) {
        Value begin =
            arith::MulIOp::create(b, loc, block, i64(b, kRowsPerBlock));
        Value count = arith::MinSIOp::create(
            b, loc, i64(b, kRowsPerBlock),
            arith::SubIOp::create(b, loc, i64(b, rows), begin));
        call(b, begin, count);
      });
    }
    Value result = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({rows, n}, f32), output,
        rewriter.getUnitAttr(), rewriter.getUnitAttr());
    rewriter.replaceOp(op,
                       restoreRows(rewriter, loc, result, op.getInput(), type));
    return success();
  }
};

} // namespace

Value mlir::lbc::hadamardFactorBuffer(OpBuilder &b, Location loc, int64_t n,
                                      int64_t k) {
  Type f32 = b.getF32Type();
  std::vector<float> factor = ::lbc::scaledHadamardFactor(n);
  auto factorType = RankedTensorType::get({k, k}, f32);
  Value factorTensor = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(factorType, llvm::ArrayRef<float>(factor)));
  return bufferization::ToBufferOp::create(b, loc, MemRefType::get({k, k}, f32),
                                           factorTensor, /*read_only=*/true);
}

void mlir::lbc::populateHadamardToUkernelPatterns(RewritePatternSet &patterns,
                                                  bool fuseIntoLinears) {
  patterns.add<HadamardToUkernel>(patterns.getContext(), fuseIntoLinears);
}
