//===- Driver.cpp - lbc-opt's compiler mode: ONNX in, artifact out --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Command line, stage sequencing and output selection of compiler mode.
//
//===----------------------------------------------------------------------===//

#include "lib/Compiler/Driver.h"

#include "lib/Compiler/Calibration.h"

#include "dialects/LowBit/LowBitDialect.h"
#include "lib/Compiler/Registration.h"
#include "lib/Compiler/Report.h"
#include "lib/Import/ONNX/ONNXImporter.h"
#include "lib/Target/Artifact.h"
#include "mlir/IR/Diagnostics.h"
#include "passes/Calibrate/Passes.h"
#include "passes/Pipelines/Pipelines.h"
#include "passes/Quant/MlpStructure.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::lbc;

static constexpr const char *kLbcVersion = "0.1.0";

bool mlir::lbc::isCompilerInvocation(int argc, char **argv) {
  bool mlirInput = false, artifactOutput = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (!arg.starts_with("-") && arg.ends_with(".onnx"))
      return true;
    mlirInput |= !arg.starts_with("-") && arg.ends_with(".mlir");
    // An .mlir input compiled to an artifact (-o x.so|.o|.ll) is compiler
    // mode too; to .mlir it is opt mode.
    llvm::StringRef path = arg == "-o" && i + 1 < argc ? argv[i + 1]
                           : arg.starts_with("-o=")    ? arg.drop_front(3)
                                                       : llvm::StringRef();
    artifactOutput |=
        path.ends_with(".so") || path.ends_with(".o") || path.ends_with(".ll");
  }
  return mlirInput && artifactOutput;
}

namespace {

/// Float tensors of at least this many elements count as weights (smaller
/// constants are epsilons, shapes and the like).
constexpr int64_t kMinWeightElements = 16;

/// Sums the model's weights as stored: packed constants by their logical
/// element count and blob size, float constants by their own.
void countWeights(func::FuncOp function, int64_t &elements, int64_t &bytes) {
  function.walk([&](Operation *op) {
    if (auto packed = dyn_cast<lowbit::ConstantOp>(op)) {
      auto type = cast<lowbit::PackedWeightType>(packed.getType());
      elements += type.getLogicalType().getNumElements();
      bytes += type.getPackedByteSize();
      return;
    }
    auto constant = dyn_cast<arith::ConstantOp>(op);
    auto type =
        constant ? dyn_cast<RankedTensorType>(constant.getType()) : nullptr;
    if (!type || !type.hasStaticShape() ||
        !isa<FloatType>(type.getElementType()) ||
        type.getNumElements() < kMinWeightElements)
      return;
    elements += type.getNumElements();
    bytes += type.getNumElements() *
             type.getElementType().getIntOrFloatBitWidth() / 8;
  });
}

enum class Emit { Auto, MLIR, LLVM, Object, SharedLibrary };

/// The output kind from --emit, or from the output file's suffix.
std::optional<Emit> resolveEmit(Emit requested, llvm::StringRef output) {
  if (requested != Emit::Auto)
    return requested;
  llvm::StringRef extension = llvm::sys::path::extension(output);
  if (extension == ".mlir")
    return Emit::MLIR;
  if (extension == ".ll")
    return Emit::LLVM;
  if (extension == ".o")
    return Emit::Object;
  if (extension == ".so")
    return Emit::SharedLibrary;
  return std::nullopt;
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "lbc-opt: error: " << message << "\n";
  return 1;
}

} // namespace

int mlir::lbc::runCompilerDriver(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::OptionCategory category("lbc compiler options");
  llvm::cl::opt<std::string> input(llvm::cl::Positional,
                                   llvm::cl::desc("<model.onnx | model.mlir>"),
                                   llvm::cl::Required, llvm::cl::cat(category));
  llvm::cl::opt<std::string> output(
      "o", llvm::cl::desc("Output file (.so, .o, .ll or .mlir)"),
      llvm::cl::value_desc("file"), llvm::cl::Required,
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> recipeText(
      "pipeline", llvm::cl::desc("Comma-separated recipe (default fp32)"),
      llvm::cl::init("fp32"), llvm::cl::cat(category));
  llvm::cl::opt<Emit> emit(
      "emit", llvm::cl::desc("What to write (default: from -o's suffix)"),
      llvm::cl::values(
          clEnumValN(Emit::MLIR, "mlir", "MLIR after the recipe's transforms"),
          clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR"),
          clEnumValN(Emit::Object, "obj", "an object file"),
          clEnumValN(Emit::SharedLibrary, "so", "a shared library (model.so)")),
      llvm::cl::init(Emit::Auto), llvm::cl::cat(category));
  llvm::cl::opt<std::string> cpu(
      "cpu",
      llvm::cl::desc("Target CPU: native, x86-64-v3, x86-64-v4, aarch64, "
                     "or an LLVM CPU name (znver4, neoverse-n1, ...)"),
      llvm::cl::init("native"), llvm::cl::cat(category));
  llvm::cl::list<std::string> inputShapes(
      "input-shape",
      llvm::cl::desc("Fix an input's shape: NAME=D0,D1,... (repeatable)"),
      llvm::cl::value_desc("name=dims"), llvm::cl::cat(category));
  llvm::cl::list<std::string> namedDims(
      "dim",
      llvm::cl::desc("Fix a named (symbolic) dimension: NAME=SIZE, e.g. "
                     "batch=1 (repeatable)"),
      llvm::cl::value_desc("name=size"), llvm::cl::cat(category));
  llvm::cl::opt<bool> ukernels(
      "ukernels",
      llvm::cl::desc("Use the fused low-bit microkernels where a weight format "
                     "has one (=false: the reference decode + matmul)"),
      llvm::cl::init(true), llvm::cl::cat(category));
  llvm::cl::list<std::string> keep(
      "keep",
      llvm::cl::desc("Keep these linear layers in f32 under a weight recipe: "
                     "glob patterns over ONNX node or initializer names, "
                     "e.g. --keep='*lm_head*' (comma-separated or repeated)"),
      llvm::cl::CommaSeparated, llvm::cl::value_desc("pattern"),
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> reportPath(
      "report",
      llvm::cl::desc("Write a self-contained HTML quality report (per-layer "
                     "formats, bits/weight, weight and output errors)"),
      llvm::cl::value_desc("file.html"), llvm::cl::cat(category));
  llvm::cl::opt<std::string> calib(
      "calib",
      llvm::cl::desc("Calibration inputs for recipe steps that need "
                     "activation statistics (smoothrot): a directory of "
                     "samples (sub-directories with input_<i>.pb|.npy, or "
                     ".npy/.pb files of a one-input model, several samples "
                     "along a leading dim allowed), one such file, or "
                     "'synthetic' (announced random inputs)"),
      llvm::cl::value_desc("dir|file|synthetic"), llvm::cl::cat(category));
  llvm::cl::opt<int64_t> calibSamples(
      "calib-samples",
      llvm::cl::desc("Use at most this many calibration samples (0: all; "
                     "synthetic: 8)"),
      llvm::cl::init(0), llvm::cl::cat(category));
  llvm::cl::opt<uint64_t> calibSeed(
      "calib-seed", llvm::cl::desc("Seed of synthetic calibration inputs"),
      llvm::cl::init(0), llvm::cl::cat(category));
  llvm::cl::opt<bool> debugLines(
      "debug-lines",
      llvm::cl::desc("Emit line tables that map machine code to ONNX nodes "
                     "(file model.onnx, line = node number), for profilers"),
      llvm::cl::init(false), llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "lbc-opt: compile an ONNX model to a native artifact\n\n"
      "  lbc-opt model.onnx --pipeline=fp32 -o model.so\n");

  // Copy the options out: lld, run in process later, re-parses LLVM's
  // command-line state and would clobber them.
  const std::string inputPath = input, outputPath = output, cpuName = cpu;
  const bool emitDebugLines = debugLines, useUkernels = ukernels;
  std::optional<Emit> kind = resolveEmit(emit, outputPath);
  if (!kind)
    return fail("cannot tell what to write from '" + outputPath +
                "': use a .so, .o, .ll or .mlir suffix, or --emit=");
  std::string error;
  // Checked before the import, which may take long on a big model.
  TargetSelection target;
  target.cpu = cpuName;
  ResolvedTarget resolvedTarget;
  if (failed(resolveTarget(target, resolvedTarget, error)))
    return fail(error);
  onnx_import::ShapeBindings bindings;
  auto splitBinding = [&](llvm::StringRef text, const char *flag,
                          std::string &name,
                          SmallVectorImpl<int64_t> &values) -> bool {
    auto [left, right] = text.rsplit('=');
    name = left.str();
    SmallVector<llvm::StringRef> parts;
    right.split(parts, ',');
    for (llvm::StringRef part : parts) {
      int64_t value;
      if (part.trim().getAsInteger(10, value) || value < 0) {
        error = std::string("--") + flag + "='" + text.str() +
                "': expected NAME=" +
                (std::string(flag) == "dim" ? "SIZE" : "D0,D1,...") +
                " with non-negative integers";
        return false;
      }
      values.push_back(value);
    }
    return !name.empty() && !values.empty();
  };
  for (const std::string &text : inputShapes) {
    std::string name;
    SmallVector<int64_t> dims;
    if (!splitBinding(text, "input-shape", name, dims))
      return fail(error.empty() ? "bad --input-shape '" + text + "'" : error);
    bindings.inputShapes[name].assign(dims.begin(), dims.end());
  }
  for (const std::string &text : namedDims) {
    std::string name;
    SmallVector<int64_t> dims;
    if (!splitBinding(text, "dim", name, dims) || dims.size() != 1)
      return fail(error.empty() ? "bad --dim '" + text + "'" : error);
    bindings.namedDims[name] = dims[0];
  }
  std::optional<Recipe> recipe = parseRecipe(recipeText, error);
  if (!recipe)
    return fail(error);
  if (!keep.empty() && !recipe->weights)
    return fail("--keep names layers to leave in f32 under a weight recipe, "
                "but recipe '" +
                recipe->str() + "' quantizes no weights");
  recipe->keep.assign(keep.begin(), keep.end());
  CalibrationOptions calibration;
  calibration.source = calib;
  calibration.maxSamples = calibSamples;
  calibration.seed = calibSeed;
  if (recipe->needsCalibration() && calibration.source.empty())
    return fail("recipe step '" + recipe->calibrationStep() +
                "' needs activation statistics: give calibration inputs with "
                "--calib=DIR|FILE, or --calib=synthetic for announced random "
                "inputs");
  if (calibSamples < 0)
    return fail("--calib-samples must be >= 0");
  const std::string reportFile = reportPath;
  recipe->measureErrors = !reportFile.empty();
  DialectRegistry registry;
  registerLbcDialects(registry);
  registerLbcPasses();
  MLIRContext context(registry);
  // Warnings (a --keep pattern that names nothing, weights left unquantized)
  // are printed; errors go on to MLIR's default printer.
  ScopedDiagnosticHandler warnings(&context, [](Diagnostic &diagnostic) {
    DiagnosticSeverity severity = diagnostic.getSeverity();
    if (severity != DiagnosticSeverity::Warning &&
        severity != DiagnosticSeverity::Remark)
      return failure();
    llvm::errs() << "lbc-opt: "
                 << (severity == DiagnosticSeverity::Warning ? "warning: "
                                                             : "note: ")
                 << diagnostic << "\n";
    return success();
  });
  context.loadAllAvailableDialects();

  // An .mlir input (lowbit IR written by hand or by opt mode) goes through
  // the same stages as an imported model.
  bool mlirInput = llvm::StringRef(inputPath).ends_with(".mlir");
  FailureOr<ImportedModel> imported =
      mlirInput ? FailureOr<ImportedModel>(ImportedModel())
                : importONNXModel(&context, inputPath, bindings);
  if (succeeded(imported) && mlirInput)
    imported->module = parseSourceFile<ModuleOp>(inputPath, &context);
  if (failed(imported) || !imported->module)
    return 1;
  ModuleOp module = imported->module.get();
  auto function = module.lookupSymbol<func::FuncOp>(kModelFunctionName);
  if (!function)
    return fail("'" + inputPath + "' has no function @" +
                kModelFunctionName.str() + " to compile");

  PassManager raise(&context);
  buildLbcRaisePipeline(raise, *recipe);
  if (failed(raise.run(module)))
    return 1;
  // Statistics of the model as it is now, attached to its linears.
  auto calibrate = [&](bool gram) -> LogicalResult {
    CalibrationOptions options = calibration;
    options.gram = gram;
    FailureOr<std::vector<LinearStatistics>> statistics =
        collectLinearStatistics(module, options, error);
    if (failed(statistics))
      return failure();
    if (failed(attachStatistics(function, *statistics))) {
      error = "internal error: calibration statistics do not match the "
              "model's linears";
      return failure();
    }
    return success();
  };
  if (!recipe->needsCalibration() && !calibration.source.empty())
    llvm::errs() << "lbc-opt: warning: --calib is unused: recipe '"
                 << recipe->str() << "' needs no activation statistics\n";
  // Smoothing reads the channels' ranges of the model as imported; GPTQ
  // (X^T X) and imatrix (mean squares) read the model as the
  // function-preserving transforms left it.
  // SmoothRot's alpha search scores candidates on real input rows of the
  // down projections it will transform.
  if (recipe->smoothRot && recipe->smoothRot->searchAlpha)
    function.walk([&](lowbit::LinearOp linear) {
      if (matchMlpDown(linear))
        linear->setAttr(kCalibrationRowsAttr, UnitAttr::get(&context));
    });
  if (recipe->needsRanges() && failed(calibrate(/*gram=*/false)))
    return fail("calibration: " + error);
  PassManager rotations(&context);
  buildLbcRotationPipeline(rotations, *recipe);
  if (failed(rotations.run(module)))
    return 1;
  if (recipe->needsLateStatistics() &&
      failed(calibrate(/*gram=*/recipe->needsGram())))
    return fail("calibration: " + error);
  PassManager quantization(&context);
  buildLbcQuantizationPipeline(quantization, *recipe);
  if (failed(quantization.run(module)))
    return 1;

  ArtifactInfo info = describeFunction(function);
  countWeights(function, info.weightElements, info.weightBytes);
  if (!reportFile.empty()) {
    ReportSummary summary{inputPath, recipe->str(), info.weightElements,
                          info.weightBytes};
    if (!writeQualityReport(function, summary, reportFile, error))
      return fail("cannot write the report '" + reportFile + "': " + error);
  }

  if (*kind == Emit::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    auto file = openOutputFile(outputPath, &error);
    if (!file)
      return fail(error);
    file->os() << text;
    file->keep();
    return 0;
  }

  info.recipe = recipe->str();
  info.lbcVersion = kLbcVersion;
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&context));
  PassManager codegen(&context);
  CodegenOptions codegenOptions;
  codegenOptions.useUkernels = useUkernels;
  if (failed(buildLbcCodegenPipeline(codegen, error, codegenOptions)))
    return fail("internal error: " + error);
  if (emitDebugLines)
    codegen.addPass(LLVM::createDIScopeForLLVMFuncOpPass());
  if (failed(codegen.run(module)))
    return 1;

  EmitKind emitKind = *kind == Emit::LLVM     ? EmitKind::LLVMIR
                      : *kind == Emit::Object ? EmitKind::Object
                                              : EmitKind::SharedLibrary;
  // The weights are written from the parsed model's memory after the link
  // (lib/Target/WeightObject.h), so the linker never holds them.
  if (failed(emitArtifact(module, info, target, emitKind, outputPath)))
    return 1;
  return 0;
}
