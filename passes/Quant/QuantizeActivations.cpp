//===- QuantizeActivations.cpp - dynamic integer inputs of linears --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-quantize-activations: marks the inputs of packed linears for dynamic
// per-block integer quantization (lowbit.linear's activation_bits); the
// lowering does the rest.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_QUANTIZEACTIVATIONSPASS
#include "passes/Quant/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

struct QuantizeActivationsPass
    : public mlir::lbc::impl::QuantizeActivationsPassBase<
          QuantizeActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8 || !(clip > 0) || clip > 1) {
      getOperation().emitError("lbc-quantize-activations: bits must be 2..8 "
                               "and clip in (0, 1], got ")
          << bits << " and " << clip;
      return signalPassFailure();
    }
    Builder b(&getContext());
    getOperation().walk([&](lowbit::LinearOp linear) {
      if (!isa<lowbit::PackedWeightType>(linear.getWeight().getType()))
        return;
      linear.setActivationBitsAttr(b.getI64IntegerAttr(bits));
      if (perToken)
        linear.setActivationPerTokenAttr(b.getUnitAttr());
      if (clip != 1.0)
        linear.setActivationClipAttr(b.getF32FloatAttr(clip));
    });
  }
};

} // namespace
