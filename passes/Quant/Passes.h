//===- Passes.h - weight quantization passes --------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the Quant stage's passes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_QUANT_PASSES_H
#define LBC_PASSES_QUANT_PASSES_H

#include "dialects/LowBit/LowBitDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lbc {

#define GEN_PASS_DECL
#include "passes/Quant/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Quant/Passes.h.inc"

} // namespace mlir::lbc

#endif // LBC_PASSES_QUANT_PASSES_H
