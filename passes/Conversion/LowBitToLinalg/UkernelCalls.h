//===- UkernelCalls.h - shared pieces of the lowbit lowerings ---*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// What the lowerings of lowbit ops to linalg and to microkernel calls share:
// output buffers for the rows view of an op's input (LinearRows.h), passing
// buffers to kernels as addresses, and declaring the kernels.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CONVERSION_LOWBITTOLINALG_UKERNELCALLS_H
#define LBC_PASSES_CONVERSION_LOWBITTOLINALG_UKERNELCALLS_H

#include "dialects/LowBit/LowBitDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

#include "dialects/LowBit/LinearRows.h"

namespace mlir::lbc {

/// The rows view [R, K] of an input and a fresh output buffer [R, n] for
/// it (64-byte aligned; dynamic R read from the input). Sets `rowCount`.
Value allocateRowsOutput(OpBuilder &b, Location loc, Value rowsInput, int64_t n,
                         Value &rowCount);

/// An scf.forall over `blocks` iterations (the thread pool after
/// convert-scf-to-openmp) whose body gets the block index as an i64.
void parallelBlocks(OpBuilder &b, Location loc, int64_t blocks,
                    function_ref<void(OpBuilder &, Value)> body);

/// The address (i64) of the first element of a buffer with identity layout.
Value bufferAddress(OpBuilder &b, Location loc, Value buffer);

/// Declares `name`, a kernel of `arity` i64 arguments returning an i64
/// status, once per module.
void declareUkernel(ModuleOp module, OpBuilder &b, llvm::StringRef name,
                    unsigned arity);

/// The k x k factor of the online Hadamard transform of n = 2^m k (H_K
/// scaled by 1 / sqrt(n), lib/Support/Hadamard.h) as a read-only buffer.
Value hadamardFactorBuffer(OpBuilder &b, Location loc, int64_t n, int64_t k);

/// Whether `rotation` feeds (as its only use) a linear whose microkernel
/// quantizes its input, which then rotates and quantizes each row in one
/// pass (lbc_ukernel_quantize_rotated_activations): LowBitToLinalg's linear
/// pattern lowers both ops.
bool fusesIntoInputQuantization(lowbit::HadamardOp rotation);

/// lowbit.hadamard becomes a call of lbc_ukernel_hadamard (its only
/// lowering: a dense n x n product would not scale to n = 14336), except,
/// with `fuseIntoLinears`, rotations that fusesIntoInputQuantization.
void populateHadamardToUkernelPatterns(RewritePatternSet &patterns,
                                       bool fuseIntoLinears);

} // namespace mlir::lbc

#endif // LBC_PASSES_CONVERSION_LOWBITTOLINALG_UKERNELCALLS_H
