//===- Passes.h - raise passes ----------------------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the raise passes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_RAISE_PASSES_H
#define LBC_PASSES_RAISE_PASSES_H

#include "dialects/LowBit/LowBitDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lbc {

#define GEN_PASS_DECL
#include "passes/Raise/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Raise/Passes.h.inc"

} // namespace mlir::lbc

#endif // LBC_PASSES_RAISE_PASSES_H
