//===- DistributeParallelLoops.cpp - large generics on the thread pool ----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Tiles the outermost parallel loop of large linalg generics into an
// scf.forall of a few chunks (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_DISTRIBUTEPARALLELLOOPSPASS
#include "passes/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

namespace {

struct DistributeParallelLoopsPass
    : public mlir::lbc::impl::DistributeParallelLoopsPassBase<
          DistributeParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      // Inside an existing parallel loop or a tiled contraction already.
      if (op->hasAttr("lbc.contraction") || !op.hasPureTensorSemantics() ||
          op->getParentOfType<scf::ForallOp>() ||
          op->getParentOfType<scf::ForOp>())
        return;
      SmallVector<int64_t> bounds = op.getStaticLoopRanges();
      if (llvm::any_of(bounds, ShapedType::isDynamic))
        return;
      int64_t points = 1;
      for (int64_t bound : bounds)
        points *= bound;
      if (points >= minIterations)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      SmallVector<int64_t> bounds = op.getStaticLoopRanges();
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      std::optional<unsigned> dim;
      for (unsigned i = 0; i < bounds.size() && !dim; ++i)
        if (iterators[i] == utils::IteratorType::parallel && bounds[i] > 1)
          dim = i;
      if (!dim)
        continue;
      int64_t size = llvm::divideCeil(bounds[*dim], chunks);
      SmallVector<OpFoldResult> tileSizes(bounds.size(),
                                          rewriter.getIndexAttr(0));
      tileSizes[*dim] = rewriter.getIndexAttr(size);
      scf::SCFTilingOptions options;
      options.setTileSizes(tileSizes);
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        continue;
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
