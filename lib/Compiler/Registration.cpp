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
#include "passes/Calibrate/Passes.h"
#include "passes/Codegen/CPU/Passes.h"
#include "passes/Conversion/Passes.h"
#include "passes/Fusion/Passes.h"
#include "passes/Pipelines/Pipelines.h"
#include "passes/Quant/Passes.h"
#include "passes/Raise/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

#include <mutex>

void mlir::lbc::registerLbcDialects(DialectRegistry &registry) {
  registry.insert<lowbit::LowBitDialect>();
  // Code generation runs upstream passes that rely on interfaces registered
  // as external models (bufferization, conversion to LLVM): register them
  // all, as mlir-opt does.
  registerAllDialects(registry);
  registerAllExtensions(registry);
}

void mlir::lbc::registerLbcPasses() {
  // Pass registration is global; make repeated calls harmless.
  static std::once_flag once;
  std::call_once(once, [] {
    registerQuantPasses();
    registerRaisePasses();
    registerCalibratePasses();
    registerConversionPasses();
    registerCodegenCPUPasses();
    registerFusionPasses();
    registerLbcPipelines();
    registerAllPasses();
  });
}
