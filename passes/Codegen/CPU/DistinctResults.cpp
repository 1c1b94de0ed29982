//===- DistinctResults.cpp - one buffer per returned tensor ---------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Copies a tensor returned more than once, so that each result of the model
// function bufferizes to its own out-parameter.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_DISTINCTRESULTSPASS
#include "passes/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

namespace {

struct DistinctResultsPass
    : public mlir::lbc::impl::DistinctResultsPassBase<DistinctResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp returnOp) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder b(returnOp);
      for (OpOperand &operand : returnOp->getOpOperands()) {
        Value value = operand.get();
        auto type = dyn_cast<RankedTensorType>(value.getType());
        if (!type || seen.insert(value).second)
          continue;
        // A copy takes its sizes from the tensor it copies.
        operand.set(bufferization::AllocTensorOp::create(
            b, returnOp.getLoc(), type, ValueRange{}, /*copy=*/value));
      }
    });
  }
};

} // namespace
