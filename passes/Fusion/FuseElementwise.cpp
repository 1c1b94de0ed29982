//===- FuseElementwise.cpp - elementwise fusion that never adds work ------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Upstream's elementwise fusion patterns with a control function that keeps
// every produced element computed once (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "passes/Fusion/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

/// Whether fusing the producer of `operand` into its consumer keeps the work
/// the same: single use, a permutation read, and no marked contraction.
static bool fusionKeepsWork(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer || !producer->hasOneUse())
    return false;
  if (consumer->hasAttr("lbc.contraction"))
    return false;
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

namespace {

struct FuseElementwisePass
    : public mlir::lbc::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusionKeepsWork);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
