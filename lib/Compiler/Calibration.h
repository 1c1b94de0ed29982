//===- Calibration.h - activation statistics from calibration runs -*- C++
//-*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The driver's half of calibration: compile an instrumented copy of the model
// (passes/Calibrate) for this machine, run it on the calibration samples
// through the runtime, sum the statistics per linear and hand them to the
// transforms as attributes of the lowbit.linear ops they describe.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_COMPILER_CALIBRATION_H
#define LBC_LIB_COMPILER_CALIBRATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::lbc {

/// Where calibration samples come from (the driver's --calib options).
struct CalibrationOptions {
  /// A directory of samples, a tensor file (.npy or .pb), or "synthetic".
  std::string source;
  /// At most this many samples (0: all of them; synthetic: 8).
  int64_t maxSamples = 0;
  /// Seeds synthetic inputs.
  uint64_t seed = 0;
  /// Also collect X^T X per linear (GPTQ): K x K floats each.
  bool gram = false;
  /// Keep up to this many input rows (from the first samples) of the
  /// linears marked kCalibrationRowsAttr (SmoothRot's alpha search).
  int64_t rowSample = 256;
};

/// The statistics of one linear's input over all calibration rows.
struct LinearStatistics {
  std::vector<float> absMax;
  std::vector<double> sumSquares;
  double rows = 0;
  /// X^T X (K x K, row-major) when CalibrationOptions::gram, held by the
  /// first linear of those that read the same value (q/k/v, gate/up).
  std::vector<double> gram;
  /// Marked linears: their first input rows, row-major [keptRows, K].
  std::vector<float> inputRows;
  int64_t keptRows = 0;
  /// The first linear that reads this one's input (itself if none): the
  /// statistics are measured once for all of them.
  size_t owner = 0;
};

/// Compiles an instrumented copy of `module` for this machine, runs it on
/// the samples of `options` and returns per-linear statistics in walk order
/// of @lbc_model's lowbit.linear ops. Writes notes and progress to stderr;
/// on failure sets `error` (naming the sample where one is at fault).
FailureOr<std::vector<LinearStatistics>>
collectLinearStatistics(ModuleOp module, const CalibrationOptions &options,
                        std::string &error);

/// Sets `lbc.input_absmax` and `lbc.input_mean_square` (tensor<Kxf32>),
/// with gram statistics `lbc.input_gram` (tensor<KxKxf32>, a resource), and
/// with kept rows `lbc.input_rows` (tensor<RxKxf32>, a resource), on the
/// lowbit.linear ops of `function`, in walk order; drops the
/// kCalibrationRowsAttr markers.
LogicalResult attachStatistics(func::FuncOp function,
                               const std::vector<LinearStatistics> &stats);

} // namespace mlir::lbc

#endif // LBC_LIB_COMPILER_CALIBRATION_H
