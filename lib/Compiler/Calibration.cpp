//===- Calibration.cpp - activation statistics from calibration runs -----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Compiler/Calibration.h"

#include "dialects/LowBit/LowBitDialect.h"
#include "lib/Support/TensorFiles.h"
#include "lib/Target/Artifact.h"
#include "passes/Calibrate/Passes.h"
#include "passes/Pipelines/Pipelines.h"

#include "lbc/runtime.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <random>

using namespace mlir;
using namespace mlir::lbc;
using ::lbc::HostTensor;

namespace {

/// Synthetic integer inputs are drawn below this when the model does not
/// show a bound (an embedding table's size).
constexpr int64_t kDefaultIntegerBound = 256;
constexpr int64_t kDefaultSyntheticSamples = 8;

/// One calibration sample: its inputs' files, or one slice of a file that
/// holds several samples along a leading dimension, or a synthetic draw.
struct SampleSource {
  std::vector<std::string> files;
  int64_t slice = -1;
  bool synthetic = false;
  std::string label;
};

/// The bound of integer argument `index` if it only indexes tensors (an
/// embedding Gather): the smallest dim it indexes.
int64_t integerInputBound(func::FuncOp function, unsigned index) {
  int64_t bound = -1;
  auto visitGeneric = [&](linalg::GenericOp generic, Value operand) {
    for (OpOperand *input : generic.getDpsInputOperands()) {
      if (input->get() != operand)
        continue;
      BlockArgument argument = generic.getMatchingBlockArgument(input);
      SetVector<Operation *> slice;
      getForwardSlice(argument, &slice);
      for (Operation *op : slice) {
        auto extract = dyn_cast<tensor::ExtractOp>(op);
        if (!extract)
          continue;
        auto type = cast<RankedTensorType>(extract.getTensor().getType());
        for (auto [position, indexValue] :
             llvm::enumerate(extract.getIndices())) {
          Operation *producer = indexValue.getDefiningOp();
          bool derived =
              indexValue == argument || (producer && slice.contains(producer));
          if (derived && !type.isDynamicDim(position))
            bound = bound < 0 ? type.getDimSize(position)
                              : std::min(bound, type.getDimSize(position));
        }
      }
    }
  };
  for (Operation *user : function.getArgument(index).getUsers())
    if (auto generic = dyn_cast<linalg::GenericOp>(user))
      visitGeneric(generic, function.getArgument(index));
  return bound;
}

/// The samples `options.source` names, for a model with `numInputs` inputs.
FailureOr<std::vector<SampleSource>>
enumerateSamples(const CalibrationOptions &options, size_t numInputs,
                 std::string &error) {
  std::vector<SampleSource> samples;
  if (options.source == "synthetic") {
    int64_t count =
        options.maxSamples > 0 ? options.maxSamples : kDefaultSyntheticSamples;
    for (int64_t i = 0; i < count; ++i)
      samples.push_back(
          {{}, -1, true, "synthetic sample " + std::to_string(i)});
    return samples;
  }
  auto isTensorFile = [](llvm::StringRef path) {
    return path.ends_with(".npy") || path.ends_with(".pb");
  };
  std::vector<std::string> files, directories;
  if (llvm::sys::fs::is_directory(options.source)) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(options.source, ec), end;
         it != end && !ec; it.increment(ec)) {
      if (llvm::sys::fs::is_directory(it->path()))
        directories.push_back(it->path());
      else if (isTensorFile(it->path()))
        files.push_back(it->path());
    }
    if (ec) {
      error = "cannot list --calib directory '" + options.source +
              "': " + ec.message();
      return failure();
    }
  } else if (llvm::sys::fs::exists(options.source)) {
    if (!isTensorFile(options.source)) {
      error = "--calib file '" + options.source +
              "' is neither .npy nor .pb (ONNX TensorProto)";
      return failure();
    }
    files.push_back(options.source);
  } else {
    error = "--calib '" + options.source +
            "' does not exist (give a directory or file of input tensors, "
            "or 'synthetic')";
    return failure();
  }
  llvm::sort(files);
  llvm::sort(directories);
  // Directories: one sample each, input_<i>.pb or .npy per model input (the
  // layout of ONNX's test_data_set_N).
  for (const std::string &directory : directories) {
    SampleSource sample;
    sample.label = directory;
    for (size_t i = 0; i < numInputs; ++i) {
      std::string stem = directory + "/input_" + std::to_string(i);
      if (llvm::sys::fs::exists(stem + ".pb"))
        sample.files.push_back(stem + ".pb");
      else if (llvm::sys::fs::exists(stem + ".npy"))
        sample.files.push_back(stem + ".npy");
      else {
        error = "calibration sample '" + directory + "' lacks input_" +
                std::to_string(i) + ".pb or .npy (the model has " +
                std::to_string(numInputs) + " inputs)";
        return failure();
      }
    }
    samples.push_back(std::move(sample));
  }
  if (!directories.empty())
    return samples;
  if (files.empty()) {
    error = "--calib directory '" + options.source +
            "' holds no .npy or .pb files and no sample directories";
    return failure();
  }
  if (numInputs != 1) {
    error = "calibration files serve models with one input; this model has " +
            std::to_string(numInputs) +
            ": give a directory of sample directories with input_<i> files";
    return failure();
  }
  for (const std::string &file : files)
    samples.push_back({{file}, -1, false, file});
  return samples;
}

/// Seeded synthetic data for input `info`: normal floats; integers uniform
/// in [0, bound).
bool syntheticTensor(const lbc_tensor_info &info, int64_t bound,
                     std::mt19937_64 &rng, HostTensor &tensor,
                     std::string &error) {
  tensor.dtype = info.dtype;
  tensor.shape.assign(info.shape, info.shape + info.rank);
  size_t elements = 1;
  for (int32_t i = 0; i < info.rank; ++i) {
    if (info.shape[i] < 0) {
      error = std::string("synthetic calibration needs fixed input shapes: "
                          "input '") +
              info.name + "' has the dynamic dimension '" + info.dim_names[i] +
              "' (fix it with --dim or --input-shape)";
      return false;
    }
    elements *= static_cast<size_t>(info.shape[i]);
  }
  tensor.bytes.assign(elements * lbc_dtype_size(info.dtype), 0);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int64_t> integer(0, bound - 1);
  for (size_t i = 0; i < elements; ++i) {
    if (info.dtype == LBC_DTYPE_F32) {
      float v = normal(rng);
      std::memcpy(&tensor.bytes[i * 4], &v, 4);
    } else if (info.dtype == LBC_DTYPE_I64) {
      int64_t v = integer(rng);
      std::memcpy(&tensor.bytes[i * 8], &v, 8);
    } else if (info.dtype == LBC_DTYPE_I32) {
      int32_t v = static_cast<int32_t>(integer(rng));
      std::memcpy(&tensor.bytes[i * 4], &v, 4);
    } else {
      error = std::string("synthetic calibration cannot draw input '") +
              info.name + "' of dtype " + lbc_dtype_name(info.dtype);
      return false;
    }
  }
  return true;
}

/// Rows [slice] of a tensor that holds samples along its first dim.
HostTensor sliceSample(const HostTensor &tensor, int64_t slice) {
  HostTensor part;
  part.dtype = tensor.dtype;
  part.shape.assign(tensor.shape.begin() + 1, tensor.shape.end());
  size_t bytes = tensor.bytes.size() / static_cast<size_t>(tensor.shape[0]);
  part.bytes.assign(tensor.bytes.begin() + slice * bytes,
                    tensor.bytes.begin() + (slice + 1) * bytes);
  return part;
}

/// A compiled artifact in a temporary file, removed on destruction.
struct TemporaryArtifact {
  llvm::SmallString<128> path;
  lbc_model *model = nullptr;
  ~TemporaryArtifact() {
    if (model)
      lbc_model_free(model);
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

/// Compiles `module` with the statistics results for this machine.
LogicalResult compileInstrumented(ModuleOp module, bool gram,
                                  TemporaryArtifact &artifact,
                                  std::string &error) {
  OwningOpRef<ModuleOp> copy(module.clone());
  MLIRContext *context = module.getContext();
  PassManager instrument(context);
  InstrumentLinearsPassOptions instrumentOptions;
  instrumentOptions.gram = gram;
  instrument.addPass(createInstrumentLinearsPass(instrumentOptions));
  if (failed(instrument.run(*copy))) {
    error = "cannot instrument the model for calibration";
    return failure();
  }
  auto function = copy->lookupSymbol<func::FuncOp>("lbc_model");
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(context));
  ArtifactInfo info = describeFunction(function);
  info.recipe = "calibration";
  PassManager codegen(context);
  if (failed(buildLbcCodegenPipeline(codegen, error, CodegenOptions{})) ||
      failed(codegen.run(*copy))) {
    error = "cannot compile the instrumented model for calibration" +
            (error.empty() ? "" : ": " + error);
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "lbc-calibration", "so", artifact.path)) {
    error = "cannot create a temporary file: " + ec.message();
    return failure();
  }
  TargetSelection target;
  target.cpu = "native";
  if (failed(emitArtifact(*copy, info, target, EmitKind::SharedLibrary,
                          artifact.path))) {
    error = "cannot link the instrumented model for calibration";
    return failure();
  }
  if (lbc_model_load(artifact.path.c_str(), &artifact.model) != LBC_OK) {
    error =
        std::string("cannot load the instrumented model: ") + lbc_last_error();
    return failure();
  }
  return success();
}

} // namespace

FailureOr<std::vector<LinearStatistics>> mlir::lbc::collectLinearStatistics(
    ModuleOp module, const CalibrationOptions &options, std::string &error) {
  auto function = module.lookupSymbol<func::FuncOp>("lbc_model");
  if (!function) {
    error = "no @lbc_model to calibrate";
    return failure();
  }
  size_t numLinears = 0;
  std::vector<int64_t> channels;
  // Linears reading the same value (q/k/v, gate/up) share their statistics;
  // the instrumented model returns them once, for the first (the owner).
  std::vector<size_t> owner;
  std::vector<bool> keepsRows;
  llvm::DenseMap<Value, size_t> firstReader;
  function.walk([&](lowbit::LinearOp linear) {
    keepsRows.push_back(linear->hasAttr(kCalibrationRowsAttr));
    owner.push_back(
        firstReader.try_emplace(linear.getInput(), numLinears).first->second);
    ++numLinears;
    channels.push_back(
        cast<RankedTensorType>(linear.getInput().getType()).getShape().back());
  });
  size_t numInputs = function.getNumArguments();
  size_t modelOutputs = function.getNumResults();
  FailureOr<std::vector<SampleSource>> samples =
      enumerateSamples(options, numInputs, error);
  if (failed(samples))
    return failure();

  std::vector<int64_t> integerBounds(numInputs, kDefaultIntegerBound);
  if (options.source == "synthetic") {
    llvm::errs() << "lbc-opt: note: calibrating on " << samples->size()
                 << " synthetic samples (--calib=synthetic): "
                 << "normal floats";
    for (size_t i = 0; i < numInputs; ++i) {
      Type element = cast<RankedTensorType>(function.getArgument(i).getType())
                         .getElementType();
      if (!element.isInteger())
        continue;
      int64_t bound = integerInputBound(function, static_cast<unsigned>(i));
      integerBounds[i] = bound > 0 ? bound : kDefaultIntegerBound;
      llvm::errs() << ", input " << i << " uniform in [0, " << integerBounds[i]
                   << ")" << (bound > 0 ? " (the table it indexes)" : "");
    }
    llvm::errs() << "; statistics of random inputs are not those of real "
                    "data\n";
  }

  if (options.gram) {
    // Accumulators in double plus one sample's f32 outputs per distinct
    // input: refuse what would not fit rather than be killed for it.
    double bytes = 0;
    for (size_t l = 0; l < numLinears; ++l)
      if (owner[l] == l)
        bytes += 12.0 * double(channels[l]) * double(channels[l]);
    constexpr double kGramBudget = 16.0 * (1ull << 30);
    if (bytes > kGramBudget) {
      error = "GPTQ's statistics (X^T X of every linear input at once) would "
              "take " +
              std::to_string(int64_t(bytes / (1ull << 30))) +
              " GiB, above the 16 GiB lbc allows; layer-by-layer GPTQ is "
              "not implemented yet";
      return failure();
    }
  }

  TemporaryArtifact artifact;
  if (failed(compileInstrumented(module, options.gram, artifact, error)))
    return failure();
  lbc_model *model = artifact.model;
  // Where each owner's results start among the outputs: absmax,
  // sum_squares, rows, [gram], [input].
  std::vector<size_t> firstOutput(numLinears, 0);
  size_t next = modelOutputs;
  for (size_t l = 0; l < numLinears; ++l)
    if (owner[l] == l) {
      firstOutput[l] = next;
      next += 3 + (options.gram ? 1 : 0) + (keepsRows[l] ? 1 : 0);
    }
  if (lbc_model_num_outputs(model) != next) {
    error = "the instrumented model has an unexpected signature";
    return failure();
  }

  std::vector<LinearStatistics> stats(numLinears);
  for (size_t l = 0; l < numLinears; ++l) {
    stats[l].absMax.assign(channels[l], 0.0f);
    stats[l].sumSquares.assign(channels[l], 0.0);
    stats[l].owner = owner[l];
    if (options.gram && owner[l] == l)
      stats[l].gram.assign(channels[l] * channels[l], 0.0);
  }
  std::mt19937_64 rng(options.seed);
  bool terminal = llvm::sys::Process::StandardErrIsDisplayed();
  int64_t used = 0, limit = options.maxSamples;
  // Expands a file sample that holds several along a leading dimension.
  std::vector<SampleSource> queue(samples->rbegin(), samples->rend());
  std::unique_ptr<HostTensor> cachedFile;
  std::string cachedPath;
  while (!queue.empty() && (limit <= 0 || used < limit)) {
    SampleSource sample = std::move(queue.back());
    queue.pop_back();
    std::vector<HostTensor> inputs(numInputs);
    for (size_t i = 0; i < numInputs; ++i) {
      lbc_tensor_info info;
      lbc_model_input(model, i, &info);
      if (sample.synthetic) {
        if (!syntheticTensor(info, integerBounds[i], rng, inputs[i], error))
          return failure();
        continue;
      }
      const std::string &path = sample.files[i];
      if (cachedPath != path) {
        cachedFile = std::make_unique<HostTensor>();
        if (!::lbc::readTensorFile(path, *cachedFile, error)) {
          error = "calibration sample '" + path + "': " + error;
          return failure();
        }
        cachedPath = path;
      }
      if (sample.slice >= 0) {
        inputs[i] = sliceSample(*cachedFile, sample.slice);
      } else if (numInputs == 1 && sample.files.size() == 1 &&
                 static_cast<int32_t>(cachedFile->shape.size()) ==
                     info.rank + 1) {
        // A file of several samples: queue its slices in order.
        for (int64_t s = cachedFile->shape[0] - 1; s >= 0; --s)
          queue.push_back(
              {sample.files, s, false, path + "[" + std::to_string(s) + "]"});
        inputs.clear();
        break;
      } else {
        inputs[i] = *cachedFile;
      }
    }
    if (inputs.empty())
      continue;
    std::vector<lbc_tensor> views;
    for (HostTensor &input : inputs)
      views.push_back(input.view());
    size_t numOutputs = lbc_model_num_outputs(model);
    std::vector<HostTensor> outputs(numOutputs);
    std::vector<lbc_tensor> outputViews;
    for (size_t o = 0; o < numOutputs; ++o) {
      lbc_tensor_info info;
      lbc_model_output(model, o, &info);
      outputs[o].dtype = info.dtype;
      outputs[o].shape.resize(info.rank);
      if (lbc_model_output_shape(model, views.data(), views.size(), o,
                                 outputs[o].shape.data()) != LBC_OK) {
        error =
            "calibration sample '" + sample.label + "': " + lbc_last_error();
        return failure();
      }
      size_t elements = 1;
      for (int64_t d : outputs[o].shape)
        elements *= static_cast<size_t>(d);
      outputs[o].bytes.assign(elements * lbc_dtype_size(info.dtype), 0);
      outputViews.push_back(outputs[o].view());
    }
    if (lbc_model_run(model, views.data(), views.size(), outputViews.data(),
                      outputViews.size()) != LBC_OK) {
      error = "calibration sample '" + sample.label + "': " + lbc_last_error();
      return failure();
    }
    for (size_t l = 0; l < numLinears; ++l) {
      if (owner[l] != l)
        continue;
      size_t base = firstOutput[l];
      const auto *absMax =
          reinterpret_cast<const float *>(outputs[base].bytes.data());
      const auto *squares =
          reinterpret_cast<const float *>(outputs[base + 1].bytes.data());
      const auto *rows =
          reinterpret_cast<const float *>(outputs[base + 2].bytes.data());
      if (options.gram && owner[l] == l) {
        const auto *gram =
            reinterpret_cast<const float *>(outputs[base + 3].bytes.data());
        for (size_t e = 0; e < stats[l].gram.size(); ++e)
          stats[l].gram[e] += gram[e];
      }
      for (int64_t c = 0; c < channels[l]; ++c) {
        stats[l].absMax[c] = std::max(stats[l].absMax[c], absMax[c]);
        stats[l].sumSquares[c] += squares[c];
      }
      stats[l].rows += rows[0];
      if (keepsRows[l] && stats[l].keptRows < options.rowSample) {
        const HostTensor &input = outputs[base + (options.gram ? 4 : 3)];
        const auto *values =
            reinterpret_cast<const float *>(input.bytes.data());
        int64_t available = input.shape.empty() ? 0 : input.shape[0];
        int64_t take =
            std::min(available, options.rowSample - stats[l].keptRows);
        stats[l].inputRows.insert(stats[l].inputRows.end(), values,
                                  values + take * channels[l]);
        stats[l].keptRows += take;
      }
    }
    ++used;
    if (terminal)
      llvm::errs() << "\rlbc-opt: calibration: " << used << " samples";
  }
  if (terminal)
    llvm::errs() << "\n";
  // The linears that share an owner's input get its ranges (X^T X stays
  // with the owner: attachStatistics shares one attribute).
  for (size_t l = 0; l < numLinears; ++l)
    if (owner[l] != l) {
      stats[l].absMax = stats[owner[l]].absMax;
      stats[l].sumSquares = stats[owner[l]].sumSquares;
      stats[l].rows = stats[owner[l]].rows;
    }
  if (used == 0) {
    error = "no calibration samples in '" + options.source + "'";
    return failure();
  }
  return stats;
}

LogicalResult
mlir::lbc::attachStatistics(func::FuncOp function,
                            const std::vector<LinearStatistics> &stats) {
  size_t index = 0;
  // One resource per distinct X^T X, shared by the linears that read it.
  std::map<size_t, Attribute> grams;
  WalkResult result = function.walk([&](lowbit::LinearOp linear) {
    if (index >= stats.size())
      return WalkResult::interrupt();
    const LinearStatistics &s = stats[index++];
    auto type = RankedTensorType::get({static_cast<int64_t>(s.absMax.size())},
                                      Float32Type::get(function.getContext()));
    std::vector<float> meanSquare(s.sumSquares.size());
    for (size_t c = 0; c < meanSquare.size(); ++c)
      meanSquare[c] =
          s.rows > 0 ? static_cast<float>(s.sumSquares[c] / s.rows) : 0.0f;
    linear->setAttr("lbc.input_absmax",
                    DenseElementsAttr::get(type, llvm::ArrayRef(s.absMax)));
    linear->setAttr("lbc.input_mean_square",
                    DenseElementsAttr::get(type, llvm::ArrayRef(meanSquare)));
    if (s.owner != index - 1) {
      if (Attribute shared = grams[s.owner])
        linear->setAttr("lbc.input_gram", shared);
    } else if (!s.gram.empty()) {
      int64_t k = static_cast<int64_t>(s.absMax.size());
      AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
          s.gram.size() * sizeof(float), alignof(float));
      auto *values = reinterpret_cast<float *>(blob.getMutableData().data());
      for (size_t e = 0; e < s.gram.size(); ++e)
        values[e] = static_cast<float>(s.gram[e]);
      linear->setAttr("lbc.input_gram",
                      DenseResourceElementsAttr::get(
                          RankedTensorType::get(
                              {k, k}, Float32Type::get(function.getContext())),
                          "lbc_calibration_gram", std::move(blob)));
      grams[index - 1] = linear->getAttr("lbc.input_gram");
    }
    linear->removeAttr(kCalibrationRowsAttr);
    if (s.keptRows > 0) {
      int64_t k = static_cast<int64_t>(s.absMax.size());
      AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
          s.inputRows.size() * sizeof(float), alignof(float));
      std::memcpy(blob.getMutableData().data(), s.inputRows.data(),
                  s.inputRows.size() * sizeof(float));
      linear->setAttr(
          "lbc.input_rows",
          DenseResourceElementsAttr::get(
              RankedTensorType::get({s.keptRows, k},
                                    Float32Type::get(function.getContext())),
              "lbc_calibration_rows", std::move(blob)));
    }
    return WalkResult::advance();
  });
  return success(!result.wasInterrupted() && index == stats.size());
}
