//===- lbc-opt.cpp - the lbc compiler and optimizer driver ----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-opt is two tools sharing one registration and one pipeline builder:
// with an .onnx input it compiles the model to an artifact (compiler mode);
// otherwise it runs passes over .mlir input (MlirOptMain compatible).
//
//===----------------------------------------------------------------------===//

#include "lib/Compiler/Driver.h"
#include "lib/Compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  // An .onnx input selects compiler mode; everything else is opt mode.
  if (mlir::lbc::isCompilerInvocation(argc, argv))
    return mlir::lbc::runCompilerDriver(argc, argv);
  mlir::DialectRegistry registry;
  mlir::lbc::registerLbcDialects(registry);
  mlir::lbc::registerLbcPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lbc-opt: the lbc low-bit compiler (opt mode)\n", registry));
}
