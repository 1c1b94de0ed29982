//===- Passes.h - calibration passes ----------------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the calibration passes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CALIBRATE_PASSES_H
#define LBC_PASSES_CALIBRATE_PASSES_H

#include "dialects/LowBit/LowBitDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lbc {

/// The names of the instrumented model's statistics results.
std::string calibrationResultName(int64_t linearIndex, llvm::StringRef what);

/// A unit attribute on a lowbit.linear: the instrumented model also returns
/// the linear's input rows (calibration.<i>.input), for searches that
/// evaluate quantized outputs on real rows (SmoothRot's alpha search).
constexpr llvm::StringLiteral kCalibrationRowsAttr = "lbc.calibration_rows";

#define GEN_PASS_DECL
#include "passes/Calibrate/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Calibrate/Passes.h.inc"

} // namespace mlir::lbc

#endif // LBC_PASSES_CALIBRATE_PASSES_H
