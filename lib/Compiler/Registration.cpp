//===- Registration.cpp - everything lbc registers ------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Dialect and pass registration shared by every lbc entry point.
//
//===----------------------------------------------------------------------===//

#include "lib/Compiler/Registration.h"

#include "dialects/LowBit/LowBitDialect.h"
#include "passes/Pipelines/Pipelines.h"
#include "passes/Quant/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

void mlir::lbc::registerLbcDialects(DialectRegistry &registry) {
  registry.insert<lowbit::LowBitDialect, arith::ArithDialect, func::FuncDialect,
                  math::MathDialect, tensor::TensorDialect>();
}

void mlir::lbc::registerLbcPasses() {
  // Pass registration is global; make repeated calls harmless.
  static std::once_flag once;
  std::call_once(once, [] {
    registerQuantPasses();
    registerLbcPipelines();
    // Upstream cleanups the pipeline runs and tests use.
    registerCanonicalizerPass();
    registerCSEPass();
    registerSymbolDCEPass();
  });
}
