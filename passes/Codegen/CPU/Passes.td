//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Passes of the CPU code generation stage.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CODEGEN_CPU_PASSES_TD
#define LBC_PASSES_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExpandStridedCopiesPass
    : Pass<"lbc-expand-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy between strided buffers into linalg.copy";
  let description = [{
    The LLVM lowering of `memref.copy` calls `memrefCopy` from MLIR's C
    runner library whenever a side is not contiguous (e.g. the slices that
    Concat and Slice bufferize to). Artifacts must be self-contained, so such
    copies become `linalg.copy`, which lowers to plain loops. Contiguous
    copies are left for the memcpy lowering.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // LBC_PASSES_CODEGEN_CPU_PASSES_TD
