//===- Passes.td - dialect conversions ---------------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Conversions between dialects, one folder per conversion.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CONVERSION_PASSES_TD
#define LBC_PASSES_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLowBitToLinalgPass
    : Pass<"lbc-convert-lowbit-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower lowbit ops to linalg on tensors";
  let description = [{
    `lowbit.linear` becomes a contraction marked `lbc.contraction` over the
    input's rows (CPU code generation tiles it). A packed weight is decoded
    by a `linalg.generic` that reads the packed bytes (codes, scales, zero
    points at the offsets of lib/Support/GroupwiseCodec.h) and writes the
    weight transposed to [in, out] in f32, which the contraction reads: the
    reference lowering, exact with respect to the codec's dequantization,
    that fused low-bit kernels are measured against. `lowbit.constant`
    becomes an `arith.constant` of its bytes and `lowbit.dequantize` the same
    decode.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LBC_PASSES_CONVERSION_PASSES_TD
