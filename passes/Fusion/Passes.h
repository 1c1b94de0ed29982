//===- Passes.h - fusion passes ---------------------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the fusion passes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_FUSION_PASSES_H
#define LBC_PASSES_FUSION_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lbc {

#define GEN_PASS_DECL
#include "passes/Fusion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Fusion/Passes.h.inc"

} // namespace mlir::lbc

#endif // LBC_PASSES_FUSION_PASSES_H
