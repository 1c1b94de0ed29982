//===- Passes.td - fusion passes ---------------------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Passes of the fusion stage.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_FUSION_PASSES_TD
#define LBC_PASSES_FUSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseElementwisePass : Pass<"lbc-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise producers into consumers that read each "
                "produced element once";
  let description = [{
    Fuses an all-parallel `linalg.generic` (bias adds, activations, casts)
    into the generic that consumes it, so the intermediate tensor is never
    written to memory. Unlike upstream `linalg-fuse-elementwise-ops`, a
    fusion happens only when it does not multiply work:

    - the producer has a single use;
    - the consumer reads the producer through a permutation map (every
      produced element is computed exactly once in the fused loop nest; an
      im2col or broadcast consumer would recompute it per use);
    - the consumer is not a contraction marked `lbc.contraction`, which code
      generation register-tiles as a plain matmul (fusing there would
      recompute the producer for every output column).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // LBC_PASSES_FUSION_PASSES_TD
