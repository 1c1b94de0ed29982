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

/// When `module` declares microkernels, links their definitions from the
/// embedded bitcode of the module's architecture: for each, the first
/// CPU-specific variant (`NAME__avx512vnni`, `NAME__avx512`) whose features
/// `machine` has,
/// else the portable one; without the bitcode's CPU attributes (the target
/// machine decides the instructions), with internal linkage (never
/// exported) and never inlined (it stays visible to profilers and nm).
/// Fails with `error` when a declared kernel is missing or the architecture
/// has no kernels.
LogicalResult linkUkernels(llvm::Module &module,
                           const llvm::TargetMachine &machine,
                           std::string &error);

} // namespace mlir::lbc

#endif // LBC_LIB_TARGET_UKERNELS_H
