//===- Artifact.h - emit model.so / .o / .ll from LLVM-dialect MLIR -*- C++
//-*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The last stage: translate the lowered module to LLVM IR, add the artifact's
// entry points and metadata (docs/runtime.md), optimize, emit an object and
// link a shared library in process with lld. Outputs are written atomically:
// a failed run never leaves a file under the requested name.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_TARGET_ARTIFACT_H
#define LBC_LIB_TARGET_ARTIFACT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::lbc {

/// Version of the C ABI between artifacts and the runtime.
constexpr unsigned kArtifactAbiVersion = 2;

/// One input or output of the model as the runtime sees it.
struct TensorSignature {
  std::string name;
  std::string elementType;    // f32, f16, f64, i64, i32, i8, i1, ...
  std::vector<int64_t> shape; // -1 for a dynamic dimension
  /// Per dim: "" when static, else the dim's name or its expression over the
  /// inputs' named dims ("past + 1"); "" too for an unnamed dynamic dim.
  std::vector<std::string> dimNames;
};

/// What the artifact records about itself.
struct ArtifactInfo {
  std::vector<TensorSignature> inputs, outputs;
  /// Largest valid value of dynamic dims (expression text, bound), e.g. a
  /// sequence that indexes a table of positions.
  std::vector<std::pair<std::string, int64_t>> dimUpperBounds;
  std::string recipe;
  std::string lbcVersion;
  /// The model's weights as stored: elements (logical, for packed weights)
  /// and bytes (packed blobs with their scales, and every weight kept in
  /// higher precision), so that bits/weight = 8 * bytes / elements.
  int64_t weightElements = 0, weightBytes = 0;
  /// The symbol of the lowered model function (with a _mlir_ciface_ twin).
  std::string entryFunction;
};

enum class EmitKind { LLVMIR, Object, SharedLibrary };

/// Target CPU selection: "native", "x86-64-v3", "x86-64-v4", "aarch64"
/// (ARMv8-A with NEON), or an LLVM CPU name of x86_64 or AArch64
/// ("znver4", "neoverse-n1", ...).
struct TargetSelection {
  std::string cpu = "native";
};

/// What a TargetSelection means for LLVM.
struct ResolvedTarget {
  std::string triple, cpu, features;
  /// The target's architecture differs from the compiler's host: the
  /// artifact cannot link the host's OpenMP runtime or libm, so its loops
  /// run on the calling thread and libm's functions resolve at load time.
  bool crossCompiled = false;
};

/// Resolves `target`; fails with a message naming the accepted CPUs for an
/// unknown one.
LogicalResult resolveTarget(const TargetSelection &target,
                            ResolvedTarget &resolved, std::string &error);

/// Reads the signature of `function` (tensor-typed, before lowering; names
/// from `lbc.name` argument/result attributes).
ArtifactInfo describeFunction(func::FuncOp function);

/// Emits `module` (LLVM dialect) as `kind` to `outputPath`. A shared
/// library's large constants are written from their blobs into the linked
/// library (WeightObject.h): the blobs must stay alive until it returns.
LogicalResult emitArtifact(ModuleOp module, const ArtifactInfo &info,
                           const TargetSelection &target, EmitKind kind,
                           llvm::StringRef outputPath);

/// The text stored in the artifact's `lbc_artifact_info` symbol.
std::string formatArtifactInfo(const ArtifactInfo &info,
                               llvm::StringRef targetDescription);

} // namespace mlir::lbc

#endif // LBC_LIB_TARGET_ARTIFACT_H
