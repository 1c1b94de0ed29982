//===- Report.h - the quality report of a compilation (--report) -*- C++
//-*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Writes a self-contained HTML page (inline CSS and SVG, no scripts or
// fetches) describing what a recipe did to each linear layer: its format,
// bits/weight, and the relative weight and output errors that
// lbc-quantize-weights{stats} recorded, plus the model's real bits/weight.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_COMPILER_REPORT_H
#define LBC_LIB_COMPILER_REPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir::lbc {

/// What the report says about the compilation as a whole.
struct ReportSummary {
  std::string modelPath;
  std::string recipe;
  int64_t weightElements = 0;
  int64_t weightBytes = 0;
};

/// Writes the report of `function` (after the recipe's transforms) to
/// `path`; on failure returns false with `error` set, and leaves no file.
bool writeQualityReport(func::FuncOp function, const ReportSummary &summary,
                        llvm::StringRef path, std::string &error);

} // namespace mlir::lbc

#endif // LBC_LIB_COMPILER_REPORT_H
