//===- Pipelines.h - lbc pass pipelines -------------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The one pipeline builder shared by lbc-opt's opt mode (--lbc-pipeline) and
// the compiler driver: a recipe in, the passes of every stage out.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_PIPELINES_PIPELINES_H
#define LBC_PASSES_PIPELINES_PIPELINES_H

#include "passes/Pipelines/Recipe.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::lbc {

/// Options of the `lbc-pipeline` textual pipeline.
struct LbcPipelineOptions : public PassPipelineOptions<LbcPipelineOptions> {
  Option<std::string> recipe{
      *this, "recipe",
      llvm::cl::desc("Comma-separated recipe steps, e.g. w4 or w4g128"),
      llvm::cl::init("fp32")};
};

/// Adds the passes that carry out `recipe` to `pm` (a module pass manager),
/// in canonical stage order: buildLbcRaisePipeline, then
/// buildLbcTransformPipeline. The driver runs the two halves separately and
/// calibrates in between when the recipe needs statistics.
void buildLbcPipeline(OpPassManager &pm, const Recipe &recipe);

/// Structure recognition: the ops the recipe's transforms act on
/// (lowbit.linear), and what calibration instruments.
void buildLbcRaisePipeline(OpPassManager &pm, const Recipe &recipe);

/// The recipe's transforms on raised IR: buildLbcRotationPipeline, then
/// buildLbcQuantizationPipeline (the driver calibrates again in between
/// when GPTQ needs statistics of the transformed model).
void buildLbcTransformPipeline(OpPassManager &pm, const Recipe &recipe);

/// Function-preserving transforms: residual rotation, smoothing, online
/// rotation of down projections.
void buildLbcRotationPipeline(OpPassManager &pm, const Recipe &recipe);

/// Weight quantization (format + fit), activation quantization, clean-up.
void buildLbcQuantizationPipeline(OpPassManager &pm, const Recipe &recipe);

/// Adds the CPU code generation passes (tensors to the LLVM dialect) to a
/// module pass manager. The model function must carry
/// `llvm.emit_c_interface`.
struct CodegenOptions {
  /// False lowers packed linears through the reference decode instead of
  /// the microkernels (for tests and measurements).
  bool useUkernels = true;
};
LogicalResult buildLbcCodegenPipeline(OpPassManager &pm, std::string &error,
                                      const CodegenOptions &options = {});

/// Registers `lbc-pipeline` and `lbc-codegen` for use in textual pipelines
/// and on lbc-opt's command line.
void registerLbcPipelines();

} // namespace mlir::lbc

#endif // LBC_PASSES_PIPELINES_PIPELINES_H
