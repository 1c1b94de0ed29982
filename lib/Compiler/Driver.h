//===- Driver.h - lbc-opt's compiler mode: ONNX in, artifact out -*- C++
//-*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The user's compiler driver: import an ONNX model, run the recipe pipeline
// and code generation, and write .mlir, .ll, .o or .so.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_COMPILER_DRIVER_H
#define LBC_LIB_COMPILER_DRIVER_H

namespace mlir::lbc {

/// True when the command line asks for compiler mode (an .onnx input).
bool isCompilerInvocation(int argc, char **argv);

/// Runs compiler mode; returns the process exit code.
int runCompilerDriver(int argc, char **argv);

} // namespace mlir::lbc

#endif // LBC_LIB_COMPILER_DRIVER_H
