//===- Passes.td - calibration passes ----------------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Passes that instrument a model so that running it collects the activation
// statistics of calibration. They only add ops; the driver compiles and runs
// the instrumented model (lib/Compiler/Calibration.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CALIBRATE_PASSES_TD
#define LBC_PASSES_CALIBRATE_PASSES_TD

include "mlir/Pass/PassBase.td"

def InstrumentLinearsPass : Pass<"lbc-instrument-linears", "::mlir::ModuleOp"> {
  let summary = "Return per-channel statistics of every linear's input as "
                "extra results of the model function";
  let description = [{
    For the i-th `lowbit.linear` of `@lbc_model` (in walk order, which the
    driver relies on to hand the statistics back to the same op), adds three
    results computed from its input viewed as rows [R, K]:
    `calibration.<i>.absmax` (max over rows of |x|, tensor<Kxf32>),
    `calibration.<i>.sum_squares` (sum over rows of x^2) and
    `calibration.<i>.rows` (R as tensor<1xf32>). The driver sums them over
    calibration samples, so memory stays per layer whatever the number of
    samples. With `gram`, a fourth result `calibration.<i>.gram` holds
    X^T X (K x K). A linear marked `lbc.calibration_rows` also returns its
    input rows themselves, `calibration.<i>.input` ([R, K]), after the
    others. Linears that read the same value get one set of results,
    under the first one's index. The model's own results come first,
    unchanged.
  }];
  let options = [
    Option<"functionName", "function", "std::string", "\"lbc_model\"",
           "The model function to instrument">,
    Option<"gram", "gram", "bool", "false",
           "Also return calibration.<i>.gram, X^T X (tensor<KxKxf32>), "
           "which GPTQ needs">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif // LBC_PASSES_CALIBRATE_PASSES_TD
