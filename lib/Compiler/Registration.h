//===- Registration.h - everything lbc registers ----------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// One place that registers lbc's dialects, passes and pipelines together with
// the upstream ones the pipeline uses. lbc-opt's opt mode and the compiler
// driver both call it, so they always see the same set.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_COMPILER_REGISTRATION_H
#define LBC_LIB_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;

namespace lbc {

/// Adds the lowbit dialect and the upstream dialects lbc's pipeline uses.
void registerLbcDialects(DialectRegistry &registry);

/// Registers lbc's passes and pipelines and the upstream passes they use.
/// Idempotent.
void registerLbcPasses();

} // namespace lbc
} // namespace mlir

#endif // LBC_LIB_COMPILER_REGISTRATION_H
