//===- Passes.h - dialect conversions ---------------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the conversion passes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CONVERSION_PASSES_H
#define LBC_PASSES_CONVERSION_PASSES_H

#include "dialects/LowBit/LowBitDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lbc {

#define GEN_PASS_DECL
#include "passes/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Conversion/Passes.h.inc"

} // namespace mlir::lbc

#endif // LBC_PASSES_CONVERSION_PASSES_H
