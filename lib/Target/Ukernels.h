//===- Ukernels.h - link microkernel bitcode into a model -------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_TARGET_UKERNELS_H
#define LBC_LIB_TARGET_UKERNELS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::lbc {

/// Prefix of every microkernel symbol (runtime/cpu/ukernels).
constexpr llvm::StringLiteral kUkernelPrefix = "lbc_ukernel_";
/// Prefix of the OpenMP entry points that parallel loops call; the
/// artifact's thread pool (runtime/cpu/pool) defines them.
constexpr llvm::StringLiteral kOpenMPEntryPrefix = "__kmpc_";
/// Exported by artifacts with parallel loops: sets their thread count.
constexpr llvm::StringLiteral kSetNumThreadsSymbol = "lbc_set_num_threads";

/// When `module` declares microkernels, links their definitions from the
/// embedded bitcode of the module's architecture: for each, the first
/// CPU-specific variant (`NAME__avx512vnni`, `NAME__avx512`) whose features
/// `machine` has,
/// else the portable one; without the bitcode's CPU attributes (the target
/// machine decides the instructions), with internal linkage (never
/// exported) and never inlined (it stays visible to profilers and nm).
/// When it calls OpenMP entry points (parallel loops), links the thread
/// pool that implements them the same way, exports its
/// kSetNumThreadsSymbol and registers its shutdown as a destructor (its
/// workers are joined before the artifact is unloaded). Fails with `error`
/// when a declared kernel or entry point is missing or the architecture has
/// no kernels.
LogicalResult linkUkernels(llvm::Module &module,
                           const llvm::TargetMachine &machine,
                           std::string &error);

} // namespace mlir::lbc

#endif // LBC_LIB_TARGET_UKERNELS_H
