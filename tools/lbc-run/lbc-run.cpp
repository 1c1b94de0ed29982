//===- lbc-run.cpp - run an lbc artifact ----------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-run model.so: feeds inputs from .npy/.pb files (or seeded random data
// from the signature), writes outputs as .npy, and with --bench N prints
// latency percentiles. Uses only the runtime's C API.
//
//===----------------------------------------------------------------------===//

#include "lbc/runtime.h"
#include "lib/Support/TensorFiles.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using lbc::HostTensor;

namespace {

const char *kUsage =
    "usage: lbc-run MODEL.so [options]\n"
    "  --input FILE | --input NAME=FILE  an input as .npy or ONNX .pb; in\n"
    "                                    signature order unless named\n"
    "  --output-dir DIR                  write output_<i>.npy for each output\n"
    "  --bench N                         run N more times, print latency\n"
    "  --seed S                          seed for random inputs (default 0)\n"
    "  --threads N                       threads for parallel loops (default:\n"
    "                                    OMP_NUM_THREADS or all cores)\n"
    "  --info                            print the signature and exit\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "lbc-run: error: %s\n", message.c_str());
  return 1;
}

/// "[1x128]", with dynamic dims by name: "[1x{sequence}x128]".
std::string describeShape(const lbc_tensor_info &info) {
  std::string text = "[";
  for (int32_t i = 0; i < info.rank; ++i) {
    std::string dim = std::to_string(info.shape[i]);
    if (info.shape[i] < 0)
      dim = info.dim_names && info.dim_names[i][0]
                ? std::string("{") + info.dim_names[i] + "}"
                : "?";
    text += (i ? "x" : "") + dim;
  }
  return text + "]";
}

/// Seeded random data for `info`: normal floats, small non-negative ints.
bool randomTensor(const lbc_tensor_info &info, std::mt19937 &rng,
                  HostTensor &tensor, std::string &error) {
  tensor.dtype = info.dtype;
  tensor.shape.assign(info.shape, info.shape + info.rank);
  size_t elements = 1;
  for (int64_t dim : tensor.shape) {
    if (dim < 0) {
      error = std::string("input '") + info.name +
              "' has a dynamic dimension; give it with --input";
      return false;
    }
    elements *= static_cast<size_t>(dim);
  }
  tensor.bytes.assign(elements * lbc_dtype_size(info.dtype), 0);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> small(0, 3);
  for (size_t i = 0; i < elements; ++i) {
    switch (info.dtype) {
    case LBC_DTYPE_F32: {
      float v = normal(rng);
      std::memcpy(&tensor.bytes[i * 4], &v, 4);
      break;
    }
    case LBC_DTYPE_F64: {
      double v = normal(rng);
      std::memcpy(&tensor.bytes[i * 8], &v, 8);
      break;
    }
    case LBC_DTYPE_I64: {
      int64_t v = small(rng);
      std::memcpy(&tensor.bytes[i * 8], &v, 8);
      break;
    }
    case LBC_DTYPE_I32: {
      int32_t v = small(rng);
      std::memcpy(&tensor.bytes[i * 4], &v, 4);
      break;
    }
    case LBC_DTYPE_BOOL:
    case LBC_DTYPE_I8:
      tensor.bytes[i] = static_cast<uint8_t>(small(rng) & 1);
      break;
    default:
      error = std::string("cannot make random data of dtype ") +
              lbc_dtype_name(info.dtype);
      return false;
    }
  }
  return true;
}

void printProgress(int done, int total) {
  int width = 40, filled = total ? done * width / total : width;
  std::fprintf(stderr, "\r[%.*s%*s] %d/%d", filled,
               "========================================", width - filled, "",
               done, total);
  if (done == total)
    std::fputc('\n', stderr);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  std::string modelPath = argv[1], outputDir;
  std::vector<std::pair<std::string, std::string>> inputFiles; // name, path
  int bench = 0;
  unsigned seed = 0;
  int threads = 0;
  bool infoOnly = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc) {
        fail(std::string(flag) + " needs a value");
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--input") {
      const char *text = value("--input");
      if (!text)
        return 1;
      std::string spec = text;
      size_t equals = spec.find('=');
      if (equals != std::string::npos)
        inputFiles.emplace_back(spec.substr(0, equals),
                                spec.substr(equals + 1));
      else
        inputFiles.emplace_back("", spec);
    } else if (arg == "--output-dir") {
      const char *text = value("--output-dir");
      if (!text)
        return 1;
      outputDir = text;
    } else if (arg == "--bench") {
      const char *text = value("--bench");
      if (!text)
        return 1;
      bench = std::atoi(text);
      if (bench <= 0)
        return fail("--bench needs a positive count");
    } else if (arg == "--seed") {
      const char *text = value("--seed");
      if (!text)
        return 1;
      seed = static_cast<unsigned>(std::strtoul(text, nullptr, 10));
    } else if (arg == "--threads") {
      const char *text = value("--threads");
      if (!text)
        return 1;
      threads = std::atoi(text);
      if (threads <= 0)
        return fail("--threads needs a positive count");
    } else if (arg == "--info") {
      infoOnly = true;
    } else {
      return fail("unknown option '" + arg + "'\n" + kUsage);
    }
  }

  lbc_model *model = nullptr;
  if (lbc_model_load(modelPath.c_str(), &model) != LBC_OK)
    return fail(lbc_last_error());
  if (threads > 0)
    lbc_model_set_num_threads(model, threads);
  size_t numInputs = lbc_model_num_inputs(model);
  size_t numOutputs = lbc_model_num_outputs(model);
  std::printf("model %s: recipe %s, lbc %s, target %s\n", modelPath.c_str(),
              lbc_model_recipe(model), lbc_model_lbc_version(model),
              lbc_model_target(model));
  if (int64_t weights = lbc_model_weight_count(model))
    std::printf("  weights %lld at %.3f bits/weight (%.2f MiB)\n",
                static_cast<long long>(weights),
                lbc_model_bits_per_weight(model),
                lbc_model_bits_per_weight(model) *
                    static_cast<double>(weights) / 8.0 / 1048576.0);
  if (size_t huge = lbc_model_huge_page_weight_bytes(model))
    std::printf("  weights in huge pages: %.2f MiB\n",
                static_cast<double>(huge) / 1048576.0);
  std::vector<lbc_tensor_info> inputInfo(numInputs), outputInfo(numOutputs);
  for (size_t i = 0; i < numInputs; ++i) {
    lbc_model_input(model, i, &inputInfo[i]);
    std::printf("  input  %zu %-20s %s %s\n", i, inputInfo[i].name,
                lbc_dtype_name(inputInfo[i].dtype),
                describeShape(inputInfo[i]).c_str());
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    lbc_model_output(model, i, &outputInfo[i]);
    std::printf("  output %zu %-20s %s %s\n", i, outputInfo[i].name,
                lbc_dtype_name(outputInfo[i].dtype),
                describeShape(outputInfo[i]).c_str());
  }
  if (infoOnly) {
    lbc_model_free(model);
    return 0;
  }

  // Inputs: named files go to their input, unnamed ones fill in order.
  std::vector<HostTensor> inputs(numInputs);
  std::vector<bool> given(numInputs, false);
  size_t nextPositional = 0;
  std::string error;
  for (const auto &[name, path] : inputFiles) {
    size_t index = numInputs;
    if (name.empty()) {
      while (nextPositional < numInputs && given[nextPositional])
        ++nextPositional;
      index = nextPositional;
    } else {
      for (size_t i = 0; i < numInputs; ++i)
        if (name == inputInfo[i].name)
          index = i;
      if (index == numInputs)
        return fail("the model has no input named '" + name + "'");
    }
    if (index >= numInputs)
      return fail("more --input files than the model has inputs (" +
                  std::to_string(numInputs) + ")");
    if (!lbc::readTensorFile(path, inputs[index], error))
      return fail(error);
    // ONNX's test data (and numpy) carry bfloat16 as its 16-bit pattern.
    if (inputs[index].dtype == LBC_DTYPE_U16 &&
        inputInfo[index].dtype == LBC_DTYPE_BF16)
      inputs[index].dtype = LBC_DTYPE_BF16;
    given[index] = true;
  }
  std::mt19937 rng(seed);
  for (size_t i = 0; i < numInputs; ++i) {
    if (given[i])
      continue;
    if (!inputFiles.empty())
      return fail(std::string("no file given for input '") + inputInfo[i].name +
                  "'");
    if (!randomTensor(inputInfo[i], rng, inputs[i], error))
      return fail(error);
  }
  if (inputFiles.empty() && numInputs)
    std::printf("inputs: seeded random data (seed %u)\n", seed);

  std::vector<lbc_tensor> inputViews, outputViews;
  for (HostTensor &tensor : inputs)
    inputViews.push_back(tensor.view());
  // Output shapes follow from the inputs' (dynamic dims by their names).
  std::vector<HostTensor> outputs(numOutputs);
  for (size_t i = 0; i < numOutputs; ++i) {
    outputs[i].dtype = outputInfo[i].dtype;
    outputs[i].shape.resize(outputInfo[i].rank);
    if (lbc_model_output_shape(model, inputViews.data(), inputViews.size(), i,
                               outputs[i].shape.data()) != LBC_OK)
      return fail(lbc_last_error());
    size_t elements = 1;
    for (int64_t dim : outputs[i].shape)
      elements *= static_cast<size_t>(dim);
    outputs[i].bytes.assign(elements * lbc_dtype_size(outputs[i].dtype), 0);
  }
  for (HostTensor &tensor : outputs)
    outputViews.push_back(tensor.view());

  auto runOnce = [&]() -> bool {
    return lbc_model_run(model, inputViews.data(), inputViews.size(),
                         outputViews.data(), outputViews.size()) == LBC_OK;
  };
  auto start = std::chrono::steady_clock::now();
  if (!runOnce())
    return fail(lbc_last_error());
  double firstMs = std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  std::printf("ran in %.3f ms\n", firstMs);

  // The output directory is created (with its parents) when missing.
  if (!outputDir.empty()) {
    for (size_t slash = outputDir.find('/', 1);;
         slash = outputDir.find('/', slash + 1)) {
      std::string prefix = outputDir.substr(0, slash);
      struct stat info;
      if (stat(prefix.c_str(), &info) != 0 && mkdir(prefix.c_str(), 0777) != 0)
        return fail("cannot create the output directory '" + prefix +
                    "': " + std::strerror(errno));
      if (slash == std::string::npos)
        break;
    }
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    if (outputDir.empty())
      continue;
    std::string path = outputDir + "/output_" + std::to_string(i) + ".npy";
    if (!lbc::writeNpy(path, outputs[i], error))
      return fail(error);
    std::printf("wrote %s (%s)\n", path.c_str(), outputInfo[i].name);
  }

  if (bench > 0) {
    bool showProgress = isatty(fileno(stderr)) && bench >= 20;
    std::vector<double> times;
    for (int i = 0; i < bench; ++i) {
      auto begin = std::chrono::steady_clock::now();
      runOnce();
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - begin)
                          .count());
      if (showProgress &&
          (i + 1 == bench || (i + 1) % std::max(1, bench / 40) == 0))
        printProgress(i + 1, bench);
    }
    std::sort(times.begin(), times.end());
    auto percentile = [&](double p) {
      return times[std::min(times.size() - 1,
                            static_cast<size_t>(p * (times.size() - 1) + 0.5))];
    };
    std::printf("latency over %d runs: min %.3f ms, p50 %.3f ms, p90 %.3f ms, "
                "p99 %.3f ms, max %.3f ms\n",
                bench, times.front(), percentile(0.5), percentile(0.9),
                percentile(0.99), times.back());
  }
  lbc_model_free(model);
  return 0;
}
