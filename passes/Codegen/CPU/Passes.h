//===- Passes.h - CPU code generation passes --------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the CPU code generation passes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CODEGEN_CPU_PASSES_H
#define LBC_PASSES_CODEGEN_CPU_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lbc {

#define GEN_PASS_DECL
#include "passes/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Codegen/CPU/Passes.h.inc"

} // namespace mlir::lbc

#endif // LBC_PASSES_CODEGEN_CPU_PASSES_H
