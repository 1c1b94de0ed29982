//===- Codegen.cpp - tensors to the LLVM dialect --------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The code generation pipeline for CPU: fuse elementwise ops, bufferize with
// outputs as out-parameters, free intermediates, lower loops, math and memrefs
// to the LLVM dialect. The model function keeps a C interface for the
// artifact's entry point (docs/runtime.md).
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

/// Kept textual so that `lbc-opt --lbc-codegen` and the driver run exactly
/// the same passes, and a reader sees the whole pipeline at once.
static constexpr const char *kCodegenPipeline =
    // Packed weights: decode + marked contraction (the reference lowering).
    "lbc-convert-lowbit-to-linalg{ukernels=UKERNELS},canonicalize,"
    // Fuse producer/consumer elementwise generics before buffers exist.
    "func.func(lbc-fuse-elementwise,canonicalize,cse),"
    // Register-tiled, vectorized matmul/GEMV (tensor level).
    "lbc-tile-and-vectorize-contractions,canonicalize,cse,"
    // Other large loop nests run their outer parallel loop on threads.
    "func.func(lbc-distribute-parallel-loops),canonicalize,cse,"
    // One out-parameter per result, even for a value returned twice.
    "func.func(lbc-distinct-results),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    // Outputs become caller-provided buffers: the runtime owns all memory it
    // hands to the model.
    "buffer-results-to-out-params{hoist-static-allocs=true "
    "modify-public-functions=true},"
    "canonicalize,cse,"
    // Static intermediates share one workspace that the runtime keeps.
    "lbc-plan-workspace,"
    "buffer-deallocation-pipeline,"
    "func.func(lbc-expand-strided-copies,convert-linalg-to-loops),"
    // exp/log/tanh/erf as inline polynomials, so their loops vectorize.
    "func.func(lbc-approximate-math),"
    // Parallel tiles (scf.forall) run as OpenMP worksharing loops, whose
    // entry points the artifact's own thread pool implements
    // (runtime/cpu/pool).
    "func.func(scf-forall-to-parallel),convert-scf-to-openmp,"
    "lbc-inline-alloca-scopes,"
    "convert-vector-to-scf{full-unroll=true},"
    "lower-affine,convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "convert-vector-to-llvm,"
    "convert-math-to-llvm,convert-math-to-libm,"
    // Dynamic-shape buffers through the artifact's buffer cache
    // (runtime/cpu/memory), which keeps large ones between runs.
    "finalize-memref-to-llvm{use-aligned-alloc=true "
    "use-generic-functions=true},"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-func-to-llvm,convert-cf-to-llvm,convert-ub-to-llvm,"
    "convert-openmp-to-llvm,"
    "reconcile-unrealized-casts";

LogicalResult
mlir::lbc::buildLbcCodegenPipeline(OpPassManager &pm, std::string &error,
                                   const CodegenOptions &options) {
  llvm::raw_string_ostream errorStream(error);
  std::string pipeline = kCodegenPipeline;
  auto substitute = [&](llvm::StringRef placeholder, llvm::StringRef text) {
    pipeline.replace(pipeline.find(placeholder), placeholder.size(), text);
  };
  substitute("UKERNELS", options.useUkernels ? "true" : "false");
  return parsePassPipeline(pipeline, pm, errorStream);
}
