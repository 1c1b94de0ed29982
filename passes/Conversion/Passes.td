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
    A `lowbit.linear` whose packed format has a microkernel (symmetric, f16
    scales, 8-bit lsb-first or 4-bit split-halves codes, groups of a
    multiple of 32; runtime/cpu/ukernels)
    becomes calls of `lbc_ukernel_groupwise_linear` on buffer addresses, over
    column blocks in an `scf.forall`: the weight is decoded in registers.
    With `activation_bits = 8` (8- and 4-bit weights, groups of 32 or a
    multiple of 64), `lbc_ukernel_quantize_activations` first writes the
    input's int8 codes to a scratch buffer and the blocks call
    `lbc_ukernel_groupwise_linear_a8` (integer dot products).
    Any other `lowbit.linear` becomes a contraction marked `lbc.contraction` over the
    input's rows (CPU code generation tiles it). A packed weight is decoded
    by a `linalg.generic` that reads the packed bytes (codes, scales, zero
    points at the offsets of lib/Support/GroupwiseCodec.h) and writes the
    weight transposed to [in, out] in f32, which the contraction reads: the
    reference lowering, exact with respect to the codec's dequantization,
    that fused low-bit kernels are measured against. `lowbit.constant`
    becomes an `arith.constant` of its bytes and `lowbit.dequantize` the same
    decode. An input with `activation_bits` is quantized and dequantized
    per block by linalg ops before that contraction (the reference of the
    integer kernels).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"useUkernels", "ukernels", "bool", "true",
           "Call the microkernels where a format has one (false: always the "
           "reference decode)">,
  ];
}

#endif // LBC_PASSES_CONVERSION_PASSES_TD
