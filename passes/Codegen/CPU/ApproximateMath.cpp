//===- ApproximateMath.cpp - inline polynomial exp/log/tanh/erf -----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Replaces libm calls for the transcendental functions of softmax, SiLU,
// sigmoid, GELU and LSTM gates by polynomial approximations that LLVM can
// vectorize together with the loop around them.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "passes/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

namespace {

/// The ops approximated by default: the ones real models spend time in and
/// whose approximations stay well inside the 1e-4 relative tolerance that
/// lbc's FP32 results are held to (docs/passes.md).
constexpr llvm::StringLiteral kDefaultOps[] = {"exp", "log", "tanh", "erf"};

struct ApproximateMathPass
    : public mlir::lbc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using ApproximateMathPassBase::ApproximateMathPassBase;

  LogicalResult initialize(MLIRContext *context) override {
    llvm::StringSet<> known(
        {"exp", "expm1", "log", "log1p", "log2", "tanh", "erf", "erfc"});
    if (ops.empty())
      for (llvm::StringRef name : kDefaultOps)
        approximated.insert(("math." + name).str());
    for (const std::string &name : ops) {
      if (!known.contains(name))
        return emitError(UnknownLoc::get(context))
               << "lbc-approximate-math: no approximation for math." << name
               << " (known: exp, expm1, log, log1p, log2, tanh, erf, erfc)";
      approximated.insert("math." + name);
    }
    return success();
  }

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns,
        [&](llvm::StringRef opName) { return approximated.contains(opName); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }

  llvm::StringSet<> approximated;
};

} // namespace
