//===- Recipe.cpp - the --pipeline recipe language ------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Recipe parsing and canonical printing.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines/Recipe.h"

#include "llvm/ADT/SmallVector.h"

#include <cstdio>

using namespace mlir::lbc;

static constexpr const char *kValidSteps =
    "fp32, w8, w5, w4, w3, w2 (group-wise symmetric, group 32, f16 scales; "
    "a group suffix such as w4g128 sets the group size; w4z, w4zg128: with "
    "an f16 zero point per group), q3k, q4k, q5k, q6k (K-quant super-blocks of "
    "256, 3.4375, 4.5, 5.5 and 6.5625 bits/weight), nf4 (NormalFloat codebook, "
    "absmax blocks of 64; "
    "nf4g128), "
    "hqq (half-quadratic fit of a group-wise step instead of "
    "round-to-nearest), gptq, gptq=act-order (GPTQ fit of a group-wise step, "
    "in input order "
    "or in decreasing calibration energy; needs --calib), awq "
    "(activation-aware scales for a symmetric group-wise step; "
    "needs --calib), imatrix (K-quant fit weighted by calibration inputs; "
    "needs "
    "--calib), a8, a4 (8- or 4-bit inputs of the low-bit linears, "
    "a scale per block of 32; a8t, a4t: a scale per token; =C clips at C "
    "times max|x|, e.g. a4t=0.9), smoothrot, smoothrot=ALPHA, "
    "smoothrot=search (SmoothRot smoothing and online Hadamard rotation of "
    "MLP down projections, alpha in [0, 1], default 0.5, or searched per "
    "layer on calibration rows; needs --calib), rotate (QuaRot's Hadamard "
    "rotations R1, R2 and R4 without smoothing)";

/// Parses `aB[t][=C]` with B in 2..8 and C in (0, 1]; std::nullopt if `step`
/// has another shape, an error message in `error` if it has this shape with
/// bad values.
static std::optional<ActivationQuantStep>
parseActivationStep(llvm::StringRef step, std::string &error) {
  if (step.size() < 2 || step[0] != 'a' || step[1] < '0' || step[1] > '9')
    return std::nullopt;
  ActivationQuantStep activations;
  auto [head, clipText] = step.drop_front().split('=');
  activations.perToken = head.consume_back("t");
  if (head.getAsInteger(10, activations.bits))
    return std::nullopt;
  if (activations.bits < 2 || activations.bits > 8) {
    error = "recipe step '" + step.str() + "': activation bits must be 2..8";
    return std::nullopt;
  }
  if (step.contains('=') && (clipText.getAsDouble(activations.clip) ||
                             !(activations.clip > 0) || activations.clip > 1)) {
    error = "recipe step '" + step.str() +
            "': the clipping ratio after '=' must be in (0, 1]";
    return std::nullopt;
  }
  return activations;
}

/// Parses `wB[z][gG]`, `q3k`..`q6k` or `nf4[gG]`; std::nullopt if `step` has
/// another shape.
static std::optional<WeightQuantStep> parseWeightStep(llvm::StringRef step) {
  if (step.size() == 3 && step[0] == 'q' && step[2] == 'k' && step[1] >= '3' &&
      step[1] <= '6') {
    WeightQuantStep kquant;
    kquant.format = WeightQuantStep::Format::KQuant;
    kquant.bits = unsigned(step[1] - '0');
    kquant.groupSize = 256;
    return kquant;
  }
  if (step.consume_front("nf4")) {
    WeightQuantStep nf4;
    nf4.format = WeightQuantStep::Format::Nf4;
    nf4.groupSize = 64;
    if (!step.empty() &&
        (!step.consume_front("g") || step.getAsInteger(10, nf4.groupSize)))
      return std::nullopt;
    return nf4;
  }
  if (!step.consume_front("w"))
    return std::nullopt;
  WeightQuantStep weights;
  llvm::StringRef bitsText = step, groupText;
  if (size_t g = step.find('g'); g != llvm::StringRef::npos) {
    bitsText = step.take_front(g);
    groupText = step.drop_front(g + 1);
    if (groupText.getAsInteger(10, weights.groupSize))
      return std::nullopt;
  }
  weights.zeroPoint = bitsText.consume_back("z");
  if (bitsText.getAsInteger(10, weights.bits))
    return std::nullopt;
  return weights;
}

std::optional<Recipe> mlir::lbc::parseRecipe(llvm::StringRef text,
                                             std::string &error) {
  Recipe recipe;
  llvm::SmallVector<llvm::StringRef> steps;
  text.split(steps, ',');
  llvm::StringRef weightStep, fp32Step, activationStep, fitStep, importanceStep;
  bool actOrder = false;
  std::string stepError;
  for (llvm::StringRef rawStep : steps) {
    llvm::StringRef step = rawStep.trim();
    if (step.empty()) {
      error = "empty step in recipe '" + text.str() +
              "'; valid steps: " + kValidSteps;
      return std::nullopt;
    }
    if (step == "fp32") {
      fp32Step = step;
    } else if (step == "rotate") {
      recipe.rotate = true;
    } else if (step == "smoothrot" || step.starts_with("smoothrot=")) {
      SmoothRotStep smoothRot;
      if (step == "smoothrot=search") {
        smoothRot.searchAlpha = true;
      } else if (step.consume_front("smoothrot=") &&
                 (step.getAsDouble(smoothRot.alpha) ||
                  !(smoothRot.alpha >= 0) || smoothRot.alpha > 1)) {
        error = "recipe step '" + rawStep.trim().str() +
                "': after '=' comes alpha, a number in [0, 1], or 'search'";
        return std::nullopt;
      }
      recipe.smoothRot = smoothRot;
    } else if (step == "imatrix") {
      importanceStep = step;
    } else if (step == "hqq" || step == "gptq" || step == "awq" ||
               step == "gptq=act-order") {
      // gptq=act-order is the gptq fit with an option.
      llvm::StringRef fit = step.take_until([](char c) { return c == '='; });
      if (!fitStep.empty() && fitStep != fit) {
        error = "recipe steps '" + fitStep.str() + "' and '" + step.str() +
                "' contradict: both choose how weights are fitted";
        return std::nullopt;
      }
      fitStep = fit;
      actOrder |= step == "gptq=act-order";
    } else if (std::optional<ActivationQuantStep> activations =
                   parseActivationStep(step, stepError)) {
      if (!activationStep.empty()) {
        error = "recipe steps '" + activationStep.str() + "' and '" +
                step.str() + "' contradict: both quantize activations";
        return std::nullopt;
      }
      activationStep = step;
      recipe.activations = *activations;
    } else if (!stepError.empty()) {
      error = stepError;
      return std::nullopt;
    } else if (std::optional<WeightQuantStep> weights = parseWeightStep(step)) {
      if (!weightStep.empty()) {
        error = "recipe steps '" + weightStep.str() + "' and '" + step.str() +
                "' contradict: both choose the weight format";
        return std::nullopt;
      }
      if (weights->bits < 2 || weights->bits > 8 || weights->groupSize == 0 ||
          weights->groupSize % 8 != 0 ||
          (weights->format == WeightQuantStep::Format::Nf4 &&
           weights->groupSize % 32 != 0)) {
        error = "recipe step '" + step.str() +
                "': bits must be 2..8 and the group size a positive multiple "
                "of 8";
        return std::nullopt;
      }
      weightStep = step;
      recipe.weights = *weights;
    } else {
      error = "unknown recipe step '" + step.str() +
              "'; valid steps: " + kValidSteps;
      return std::nullopt;
    }
  }
  if (!fp32Step.empty() && !weightStep.empty()) {
    error = "recipe steps 'fp32' and '" + weightStep.str() +
            "' contradict: fp32 keeps weights dense";
    return std::nullopt;
  }
  if (!fitStep.empty()) {
    if (!recipe.weights ||
        recipe.weights->format != WeightQuantStep::Format::Groupwise) {
      error = "recipe step '" + fitStep.str() +
              "' fits the scales of a group-wise weight "
              "step (w4, w4z, w8g64, ...)" +
              std::string(
                  recipe.weights ? "; q4k and nf4 have fits of their own" : "");
      return std::nullopt;
    }
    if (fitStep == "awq" && recipe.weights->zeroPoint) {
      error = "recipe step 'awq' scales symmetric group-wise weights (w4, "
              "w4g128, ...), not '" +
              weightStep.str() + "'";
      return std::nullopt;
    }
    recipe.weights->halfQuadraticFit = fitStep == "hqq";
    recipe.weights->gptq = fitStep == "gptq";
    recipe.weights->gptqActOrder = actOrder;
    recipe.weights->awq = fitStep == "awq";
  }
  if (!importanceStep.empty()) {
    if (!recipe.weights ||
        recipe.weights->format != WeightQuantStep::Format::KQuant) {
      error = "recipe step 'imatrix' weighs the fit of a K-quant step (q3k, "
              "q4k, q5k, q6k)";
      return std::nullopt;
    }
    recipe.weights->importance = true;
  }
  if (!activationStep.empty() && weightStep.empty()) {
    error = "recipe step '" + activationStep.str() +
            "' quantizes the inputs of low-bit linears: add a weight step "
            "such as w4 or w8";
    return std::nullopt;
  }
  return recipe;
}

/// "0.5" for 0.5: the shortest spelling that reads back the same.
static std::string formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

std::string Recipe::str() const {
  std::string prefix;
  if (smoothRot)
    prefix = smoothRot->searchAlpha ? "smoothrot=search,"
             : smoothRot->alpha == 0.5
                 ? "smoothrot,"
                 : "smoothrot=" + formatNumber(smoothRot->alpha) + ",";
  else if (rotate)
    prefix = "rotate,";
  if (!weights)
    return prefix + "fp32";
  std::string text;
  if (weights->format == WeightQuantStep::Format::KQuant) {
    text = "q" + std::to_string(weights->bits) + "k";
    if (weights->importance)
      text += ",imatrix";
  } else if (weights->format == WeightQuantStep::Format::Nf4) {
    text = "nf4";
    if (weights->groupSize != 64)
      text += "g" + std::to_string(weights->groupSize);
  } else {
    text = "w" + std::to_string(weights->bits);
    if (weights->zeroPoint)
      text += "z";
    if (weights->groupSize != 32)
      text += "g" + std::to_string(weights->groupSize);
    if (weights->halfQuadraticFit)
      text += ",hqq";
    if (weights->gptq)
      text += weights->gptqActOrder ? ",gptq=act-order" : ",gptq";
    if (weights->awq)
      text += ",awq";
  }
  if (activations) {
    text += ",a" + std::to_string(activations->bits);
    if (activations->perToken)
      text += "t";
    if (activations->clip != 1.0)
      text += "=" + formatNumber(activations->clip);
  }
  if (!keep.empty()) {
    text += " keep=";
    for (size_t i = 0; i < keep.size(); ++i)
      text += (i ? "," : "") + keep[i];
  }
  return prefix + text;
}
