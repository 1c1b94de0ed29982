//===- Pipelines.cpp - lbc pass pipelines ---------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Builds the stage-ordered pass pipeline for a recipe and registers it.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines/Pipelines.h"
#include "passes/Quant/Passes.h"
#include "passes/Raise/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::lbc;

void mlir::lbc::buildLbcPipeline(OpPassManager &pm, const Recipe &recipe) {
  buildLbcRaisePipeline(pm, recipe);
  buildLbcTransformPipeline(pm, recipe);
}

void mlir::lbc::buildLbcRaisePipeline(OpPassManager &pm, const Recipe &recipe) {
  // Linear layers (products with a constant weight) become lowbit.linear,
  // which the transforms act on.
  if (recipe.weights || recipe.smoothRot || recipe.rotate) {
    pm.addPass(createRaiseLinearPass());
    // What each linear is in a transformer, for the report. The importer
    // writes a Reshape as flatten-then-split; composed first, a split of
    // channels into heads is one expand_shape.
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createRecognizeTransformerPass());
  }
}

void mlir::lbc::buildLbcTransformPipeline(OpPassManager &pm,
                                          const Recipe &recipe) {
  buildLbcRotationPipeline(pm, recipe);
  buildLbcQuantizationPipeline(pm, recipe);
}

void mlir::lbc::buildLbcRotationPipeline(OpPassManager &pm,
                                         const Recipe &recipe) {
  if (recipe.smoothRot || recipe.rotate) {
    // QuaRot's R1 (norms folded, residual stream rotated) and R2 (value and
    // output projections per head), then the down projections' smoothing
    // (smoothrot) and online rotation R4.
    // (The raise pipeline's canonicalization already composed the
    // importer's reshapes, so a split into heads is one expand_shape.)
    pm.addNestedPass<func::FuncOp>(createRotateResidualPass());
    pm.addNestedPass<func::FuncOp>(createRotateHeadsPass());
    SmoothRotPassOptions options;
    if (recipe.smoothRot) {
      options.alpha = recipe.smoothRot->alpha;
      // The search scores alphas under the recipe's quantization; K-quant
      // and NF4 weights are approximated by group-wise ones of their bits.
      options.alphaSearch = recipe.smoothRot->searchAlpha;
      options.searchWeightBits = recipe.weights ? recipe.weights->bits : 0;
      if (recipe.weights &&
          recipe.weights->format == WeightQuantStep::Format::Groupwise)
        options.searchGroupSize = recipe.weights->groupSize;
      if (recipe.activations) {
        options.searchActivationBits = recipe.activations->bits;
        options.searchPerToken = recipe.activations->perToken;
        options.searchClip = recipe.activations->clip;
      }
    } else {
      options.smooth = false;
    }
    pm.addNestedPass<func::FuncOp>(createSmoothRotPass(options));
  }
}

void mlir::lbc::buildLbcQuantizationPipeline(OpPassManager &pm,
                                             const Recipe &recipe) {
  // Stage order: quantize weights, quantize activations (later: prune
  // before the rotations, mixed precision after), then clean up.
  // AWQ's scales go into the weights (and their producers) before the
  // round-to-nearest fit packs them.
  if (recipe.weights && recipe.weights->awq) {
    AwqPassOptions awq;
    awq.bits = recipe.weights->bits;
    awq.groupSize = recipe.weights->groupSize;
    pm.addNestedPass<func::FuncOp>(createAwqPass(awq));
  }
  if (recipe.weights) {
    QuantizeWeightsPassOptions options;
    options.bits = recipe.weights->bits;
    if (recipe.weights->format == WeightQuantStep::Format::KQuant) {
      options.format = "kquant";
      options.importance = recipe.weights->importance;
    } else if (recipe.weights->format == WeightQuantStep::Format::Nf4) {
      options.format = "nf4";
      options.groupSize = recipe.weights->groupSize;
    } else {
      options.groupSize = recipe.weights->groupSize;
      if (recipe.weights->zeroPoint) {
        options.scheme = "asymmetric";
        options.zeroPointType = "f16";
      }
      if (recipe.weights->halfQuadraticFit)
        options.fit = "hqq";
      if (recipe.weights->gptq) {
        options.fit = "gptq";
        options.actOrder = recipe.weights->gptqActOrder;
      }
      // 4-bit codes in llama.cpp's Q4_0 nibble order: a group's two halves
      // decode as contiguous vectors (runtime/cpu/ukernels).
      if (options.bits == 4)
        options.order = "split_halves";
    }
    options.keep.assign(recipe.keep.begin(), recipe.keep.end());
    options.stats = recipe.measureErrors;
    pm.addPass(createQuantizeWeightsPass(options));
    if (recipe.activations) {
      QuantizeActivationsPassOptions activations;
      activations.bits = recipe.activations->bits;
      activations.perToken = recipe.activations->perToken;
      activations.clip = recipe.activations->clip;
      pm.addNestedPass<func::FuncOp>(
          createQuantizeActivationsPass(activations));
    }
  }
  pm.addPass(createCanonicalizerPass());
}

void mlir::lbc::registerLbcPipelines() {
  registerPassPipeline(
      "lbc-pipeline",
      "Run the lbc pipeline for a recipe (recipe=fp32|w8|w4|w4g128|...)",
      [](OpPassManager &pm, StringRef optionsText,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        LbcPipelineOptions options;
        if (failed(options.parseFromString(optionsText)))
          return failure();
        std::string error;
        std::optional<Recipe> recipe = parseRecipe(options.recipe, error);
        if (!recipe)
          return errorHandler(error);
        buildLbcPipeline(pm, *recipe);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optionHandler) {
        optionHandler(LbcPipelineOptions());
      });
  registerPassPipeline(
      "lbc-codegen",
      "Lower tensor-level IR to the LLVM dialect (CPU code generation)",
      [](OpPassManager &pm, StringRef,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        std::string error;
        if (failed(buildLbcCodegenPipeline(pm, error)))
          return errorHandler(error);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)>) {});
}
