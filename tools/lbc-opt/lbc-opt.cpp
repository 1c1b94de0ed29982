//===- lbc-opt.cpp - the lbc compiler and optimizer driver ----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-opt runs lbc's passes and pipelines over .mlir input (MlirOptMain
// compatible). The ONNX-to-.so mode shares the same registration and pipeline
// builder once the importer lands.
//
//===----------------------------------------------------------------------===//

#include "lib/Compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  // Until the ONNX importer exists, say so instead of feeding protobuf bytes
  // to the MLIR parser.
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (!arg.starts_with("-") && arg.ends_with(".onnx")) {
      llvm::errs() << "lbc-opt: error: '" << arg
                   << "': ONNX input is not supported by this build yet; "
                      "lbc-opt reads .mlir files\n";
      return 1;
    }
  }
  mlir::DialectRegistry registry;
  mlir::lbc::registerLbcDialects(registry);
  mlir::lbc::registerLbcPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lbc-opt: the lbc low-bit compiler (opt mode)\n", registry));
}
