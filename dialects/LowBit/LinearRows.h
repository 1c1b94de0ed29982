//===- LinearRows.h - the rows view of lowbit ops' inputs -------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lowbit.linear and lowbit.hadamard act on the last dimension; lowerings and
// instrumentation see their input as a matrix of rows [R, K] and put results
// back in the input's leading shape.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_DIALECTS_LOWBIT_LINEARROWS_H
#define LBC_DIALECTS_LOWBIT_LINEARROWS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::lbc {

/// An input [..., K] as a matrix [rows, K] (leading dims collapsed; a vector
/// becomes one row).
Value collapseToRows(OpBuilder &b, Location loc, Value input);

/// The inverse of collapseToRows for a product [rows, N]: back to
/// `resultType` [..., N], with the input's leading sizes.
Value restoreRows(OpBuilder &b, Location loc, Value product, Value input,
                  RankedTensorType resultType);

} // namespace mlir::lbc

#endif // LBC_DIALECTS_LOWBIT_LINEARROWS_H
