//===- UkernelCalls.h - shared pieces of the lowbit lowerings ---*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// What the lowerings of lowbit ops to linalg and to microkernel calls share:
// viewing an op's input as a matrix of rows, passing buffers to kernels as
// addresses, and declaring the kernels.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CONVERSION_LOWBITTOLINALG_UKERNELCALLS_H
#define LBC_PASSES_CONVERSION_LOWBITTOLINALG_UKERNELCALLS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lbc {

/// An input [..., K] as a matrix [rows, K] (leading dims collapsed; a vector
/// becomes one row).
Value collapseToRows(OpBuilder &b, Location loc, Value input);

/// The inverse of collapseToRows for a product [rows, N]: back to
/// `resultType` [..., N], with the input's leading sizes.
Value restoreRows(OpBuilder &b, Location loc, Value product, Value input,
                  RankedTensorType resultType);

/// The address (i64) of the first element of a buffer with identity layout.
Value bufferAddress(OpBuilder &b, Location loc, Value buffer);

/// Declares `name`, a kernel of `arity` i64 arguments returning an i64
/// status, once per module.
void declareUkernel(ModuleOp module, OpBuilder &b, llvm::StringRef name,
                    unsigned arity);

/// lowbit.hadamard becomes a call of lbc_ukernel_hadamard (its only
/// lowering: a dense n x n product would not scale to n = 14336).
void populateHadamardToUkernelPatterns(RewritePatternSet &patterns);

} // namespace mlir::lbc

#endif // LBC_PASSES_CONVERSION_LOWBITTOLINALG_UKERNELCALLS_H
