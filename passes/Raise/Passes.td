//===- Passes.td - raise passes ----------------------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Passes that recognise model structure in imported graphs and represent it
// with lowbit ops.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_RAISE_PASSES_TD
#define LBC_PASSES_RAISE_PASSES_TD

include "mlir/Pass/PassBase.td"

def RaiseLinearPass : Pass<"lbc-raise-linear", "::mlir::ModuleOp"> {
  let summary = "Raise matrix products with a constant weight to lowbit.linear";
  let description = [{
    The ONNX importer lowers MatMul and Gemm to a `linalg.generic` marked
    `lbc.contraction` (loops m, k, n; C[m, n] += A[m, k] * B[k, n]). Where B
    is an f32 constant (a linear layer's weight), this becomes
    `lowbit.linear %A, %W` with W = B^T (torch's [out, in] layout, so that
    the group-wise formats group along the input dim), transposed once at
    compile time; an accumulator other than zeros (a Gemm bias) is added to
    the result. Products whose B is computed at run time (attention) and
    transposed reads stay as they are. This is what the weight-quantization
    steps of a recipe act on. A weight constant that no product uses any more
    is erased and its memory released at once (the importer's blobs free the
    parsed initializer), so that a model and its transposed copy are never
    in memory together. A module pass: whether a weight's blob is still used
    is a question about the whole module.
  }];
  let dependentDialects = ["::mlir::lbc::lowbit::LowBitDialect",
                           "::mlir::linalg::LinalgDialect"];
}

#endif // LBC_PASSES_RAISE_PASSES_TD
