//===- DequantizeWeights.cpp - expand packed weights ----------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-dequantize-weights: decodes packed constants back to dense f32
// constants (for tests and error measurement).
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/Passes.h"
#include "passes/Quant/WeightBlobs.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_DEQUANTIZEWEIGHTSPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;
using namespace mlir::lbc::lowbit;

namespace {

struct DequantizeWeightsPass
    : public mlir::lbc::impl::DequantizeWeightsPassBase<DequantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<ConstantOp> constants;
    getOperation().walk([&](ConstantOp op) { constants.push_back(op); });

    bool anyFailed = false;
    for (ConstantOp packed : constants) {
      FailureOr<DenseResourceElementsAttr> values = unpackWeights(packed);
      if (failed(values)) {
        anyFailed = true;
        continue;
      }
      OpBuilder builder(packed);
      auto dense = arith::ConstantOp::create(builder, packed.getLoc(),
                                             cast<TypedAttr>(*values));
      for (OpOperand &use : llvm::make_early_inc_range(packed->getUses())) {
        Operation *user = use.getOwner();
        if (auto dequantize = dyn_cast<DequantizeOp>(user)) {
          dequantize.replaceAllUsesWith(dense.getResult());
          dequantize.erase();
        } else if (isa<LinearOp>(user)) {
          use.set(dense);
        }
      }
      if (packed->use_empty())
        packed.erase();
      if (dense->use_empty())
        dense.erase();
    }
    if (anyFailed)
      signalPassFailure();
  }
};

} // namespace
