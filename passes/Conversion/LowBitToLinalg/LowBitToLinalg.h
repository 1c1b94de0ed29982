//===- LowBitToLinalg.h - lowbit ops to linalg on tensors -------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CONVERSION_LOWBITTOLINALG_LOWBITTOLINALG_H
#define LBC_PASSES_CONVERSION_LOWBITTOLINALG_LOWBITTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::lbc {

/// Patterns lowering lowbit.linear and lowbit.dequantize (over packed
/// constants) to linalg: a decode generic and a marked contraction, or for
/// formats with a microkernel (when `useUkernels`) calls to it.
void populateLowBitToLinalgPatterns(RewritePatternSet &patterns,
                                    bool useUkernels = true);

} // namespace mlir::lbc

#endif // LBC_PASSES_CONVERSION_LOWBITTOLINALG_LOWBITTOLINALG_H
