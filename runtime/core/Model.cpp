//===- Model.cpp - load and run lbc artifacts -----------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The runtime's C API: dlopen an artifact, check its ABI version, parse its
// signature, validate caller tensors and call its entry point with one memref
// descriptor per tensor. Links neither MLIR nor LLVM.
//
//===----------------------------------------------------------------------===//

#include "lbc/runtime.h"

#include "lib/Support/SymbolicDim.h"
#include "runtime/core/HugeWeights.h"
#include "runtime/core/WorkspacePool.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

thread_local std::string lastError;

lbc_status failWith(lbc_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

struct TensorDecl {
  std::string name;
  lbc_dtype dtype;
  std::vector<int64_t> shape; // -1 for dynamic dims
  /// Per dim: the expression of a dynamic dim over the inputs' named dims
  /// (std::nullopt when static or unnamed), and its text for the C API.
  std::vector<std::optional<lbc::SymbolicDim>> dimExprs;
  std::vector<std::string> dimNames;
  std::vector<const char *> dimNamePointers;
};

/// Values of the named dims, bound from the inputs of one call.
using DimValues = std::map<std::string, int64_t>;

bool parseDtype(const std::string &text, lbc_dtype &dtype) {
  static const std::pair<const char *, lbc_dtype> names[] = {
      {"f32", LBC_DTYPE_F32}, {"f16", LBC_DTYPE_F16}, {"bf16", LBC_DTYPE_BF16},
      {"f64", LBC_DTYPE_F64}, {"i64", LBC_DTYPE_I64}, {"i32", LBC_DTYPE_I32},
      {"i16", LBC_DTYPE_I16}, {"i8", LBC_DTYPE_I8},   {"i1", LBC_DTYPE_BOOL},
      {"u8", LBC_DTYPE_U8},   {"u16", LBC_DTYPE_U16}, {"u32", LBC_DTYPE_U32},
      {"u64", LBC_DTYPE_U64}};
  for (const auto &[name, value] : names)
    if (text == name) {
      dtype = value;
      return true;
    }
  return false;
}

} // namespace

struct lbc_model {
  void *handle = nullptr;
  void (*run)(void **) = nullptr;
  /// Artifacts with a planned workspace (docs/runtime.md) run with one from
  /// `workspaces`; others allocate their own intermediates.
  void (*runWithWorkspace)(void **, void *) = nullptr;
  mutable std::unique_ptr<lbc::runtime::WorkspacePool> workspaces;
  /// Sets the thread count of the artifact's thread pool (linked into it;
  /// runtime/cpu/pool); null for artifacts without parallel loops.
  void (*setThreads)(int32_t) = nullptr;
  int32_t numThreads = 0;
  std::string recipe, lbcVersion, target;
  std::vector<TensorDecl> inputs, outputs;
  /// Dims that may not exceed a bound (e.g. a table of positions).
  std::vector<std::pair<lbc::SymbolicDim, int64_t>> dimUpperBounds;
  /// Weights as stored (0 when the artifact does not say).
  int64_t weightElements = 0, weightBytes = 0;
  /// Bytes of them moved into huge pages (HugeWeights.h).
  size_t hugePageWeightBytes = 0;

  ~lbc_model() {
    if (handle)
      dlclose(handle);
  }

  /// Parses the artifact's `lbc_artifact_info` text (docs/runtime.md).
  bool parseInfo(const char *text, std::string &error) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string key;
      fields >> key;
      if (key == "recipe" || key == "lbc-version" || key == "target") {
        std::string value;
        std::getline(fields >> std::ws, value);
        (key == "recipe"   ? recipe
         : key == "target" ? target
                           : lbcVersion) = value;
      } else if (key == "weights") {
        fields >> weightElements >> weightBytes;
        if (!fields || weightElements < 0 || weightBytes < 0) {
          error = "malformed signature line '" + line + "'";
          return false;
        }
      } else if (key == "dim-upper-bound") {
        std::string dim;
        int64_t bound = -1;
        fields >> dim >> bound;
        if (!fields || dim.empty()) {
          error = "malformed signature line '" + line + "'";
          return false;
        }
        dimUpperBounds.push_back({lbc::SymbolicDim::parse(dim), bound});
      } else if (key == "input" || key == "output") {
        TensorDecl tensor;
        std::string dtype;
        int rank = -1;
        fields >> dtype >> rank;
        if (!fields || rank < 0 || rank > 64 ||
            !parseDtype(dtype, tensor.dtype)) {
          error = "malformed signature line '" + line + "'";
          return false;
        }
        tensor.shape.resize(rank);
        tensor.dimExprs.resize(rank);
        tensor.dimNames.resize(rank);
        for (int d = 0; d < rank; ++d) {
          // A static size, -1, or "?EXPR" for a named dynamic dim.
          std::string token;
          fields >> token;
          if (!token.empty() && token[0] == '?') {
            tensor.shape[d] = -1;
            if (token.size() > 1) {
              tensor.dimExprs[d] = lbc::SymbolicDim::parse(token.substr(1));
              tensor.dimNames[d] = tensor.dimExprs[d]->str();
            }
            continue;
          }
          char *end = nullptr;
          tensor.shape[d] = std::strtoll(token.c_str(), &end, 10);
          if (token.empty() || *end != '\0' || tensor.shape[d] < -1) {
            error = "malformed signature line '" + line + "'";
            return false;
          }
        }
        for (const std::string &dimName : tensor.dimNames)
          tensor.dimNamePointers.push_back(dimName.c_str());
        std::getline(fields >> std::ws, tensor.name);
        if (!fields && !fields.eof()) {
          error = "malformed signature line '" + line + "'";
          return false;
        }
        (key == "input" ? inputs : outputs).push_back(std::move(tensor));
      }
    }
    return true;
  }
};

extern "C" {

const char *lbc_last_error(void) { return lastError.c_str(); }

const char *lbc_status_name(lbc_status status) {
  switch (status) {
  case LBC_OK:
    return "ok";
  case LBC_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case LBC_ERROR_IO:
    return "I/O error";
  case LBC_ERROR_INVALID_ARTIFACT:
    return "invalid artifact";
  case LBC_ERROR_ABI_MISMATCH:
    return "ABI version mismatch";
  case LBC_ERROR_MISSING_INPUT:
    return "missing input";
  case LBC_ERROR_DTYPE_MISMATCH:
    return "dtype mismatch";
  case LBC_ERROR_SHAPE_MISMATCH:
    return "shape mismatch";
  case LBC_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  }
  return "unknown status";
}

size_t lbc_dtype_size(lbc_dtype dtype) {
  switch (dtype) {
  case LBC_DTYPE_F64:
  case LBC_DTYPE_I64:
  case LBC_DTYPE_U64:
    return 8;
  case LBC_DTYPE_F32:
  case LBC_DTYPE_I32:
  case LBC_DTYPE_U32:
    return 4;
  case LBC_DTYPE_F16:
  case LBC_DTYPE_BF16:
  case LBC_DTYPE_I16:
  case LBC_DTYPE_U16:
    return 2;
  case LBC_DTYPE_I8:
  case LBC_DTYPE_BOOL:
  case LBC_DTYPE_U8:
    return 1;
  }
  return 0;
}

const char *lbc_dtype_name(lbc_dtype dtype) {
  switch (dtype) {
  case LBC_DTYPE_F32:
    return "f32";
  case LBC_DTYPE_F16:
    return "f16";
  case LBC_DTYPE_BF16:
    return "bf16";
  case LBC_DTYPE_F64:
    return "f64";
  case LBC_DTYPE_I64:
    return "i64";
  case LBC_DTYPE_I32:
    return "i32";
  case LBC_DTYPE_I16:
    return "i16";
  case LBC_DTYPE_I8:
    return "i8";
  case LBC_DTYPE_BOOL:
    return "bool";
  case LBC_DTYPE_U8:
    return "u8";
  case LBC_DTYPE_U16:
    return "u16";
  case LBC_DTYPE_U32:
    return "u32";
  case LBC_DTYPE_U64:
    return "u64";
  }
  return "unknown";
}

lbc_status lbc_model_load(const char *path, lbc_model **model) {
  if (!path || !model)
    return failWith(LBC_ERROR_INVALID_ARGUMENT,
                    "lbc_model_load: null path or result pointer");
  *model = nullptr;
  auto *loaded = new (std::nothrow) lbc_model;
  if (!loaded)
    return failWith(LBC_ERROR_OUT_OF_MEMORY, "lbc_model_load: out of memory");
  // dlopen searches the library path for a name without a slash; an artifact
  // named on a command line ("model.so") means the file in this directory.
  std::string file(path);
  if (file.find('/') == std::string::npos)
    file = "./" + file;
  loaded->handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!loaded->handle) {
    const char *reason = dlerror();
    delete loaded;
    return failWith(LBC_ERROR_IO, std::string("cannot load '") + path +
                                      "': " + (reason ? reason : "unknown"));
  }
  auto version = reinterpret_cast<uint32_t (*)()>(
      dlsym(loaded->handle, "lbc_abi_version"));
  auto *info =
      static_cast<const char *>(dlsym(loaded->handle, "lbc_artifact_info"));
  loaded->run =
      reinterpret_cast<void (*)(void **)>(dlsym(loaded->handle, "lbc_run"));
  if (!version || !info || !loaded->run) {
    delete loaded;
    return failWith(LBC_ERROR_INVALID_ARTIFACT,
                    std::string("'") + path +
                        "' is not an lbc artifact (missing lbc_abi_version, "
                        "lbc_artifact_info or lbc_run)");
  }
  if (version() != LBC_RUNTIME_ABI_VERSION) {
    std::string message = std::string("'") + path + "' uses artifact ABI " +
                          std::to_string(version()) + ", this runtime reads " +
                          std::to_string(LBC_RUNTIME_ABI_VERSION);
    delete loaded;
    return failWith(LBC_ERROR_ABI_MISMATCH, message);
  }
  auto workspaceSize = reinterpret_cast<uint64_t (*)()>(
      dlsym(loaded->handle, "lbc_workspace_size"));
  loaded->runWithWorkspace = reinterpret_cast<void (*)(void **, void *)>(
      dlsym(loaded->handle, "lbc_run_with_workspace"));
  if (workspaceSize && loaded->runWithWorkspace)
    loaded->workspaces =
        std::make_unique<lbc::runtime::WorkspacePool>(workspaceSize());
  loaded->setThreads = reinterpret_cast<void (*)(int32_t)>(
      dlsym(loaded->handle, "lbc_set_num_threads"));
  std::string error;
  if (!loaded->parseInfo(info, error)) {
    delete loaded;
    return failWith(LBC_ERROR_INVALID_ARTIFACT,
                    std::string("'") + path + "': " + error);
  }
  loaded->hugePageWeightBytes =
      lbc::runtime::moveWeightsToHugePages(loaded->handle);
  *model = loaded;
  return LBC_OK;
}

void lbc_model_free(lbc_model *model) { delete model; }

size_t lbc_model_huge_page_weight_bytes(const lbc_model *model) {
  return model ? model->hugePageWeightBytes : 0;
}

size_t lbc_model_num_inputs(const lbc_model *model) {
  return model ? model->inputs.size() : 0;
}

size_t lbc_model_num_outputs(const lbc_model *model) {
  return model ? model->outputs.size() : 0;
}

static lbc_status describe(const std::vector<TensorDecl> &tensors, size_t index,
                           lbc_tensor_info *info, const char *what) {
  if (!info || index >= tensors.size())
    return failWith(LBC_ERROR_INVALID_ARGUMENT,
                    std::string("no ") + what + " " + std::to_string(index));
  const TensorDecl &tensor = tensors[index];
  info->name = tensor.name.c_str();
  info->dtype = tensor.dtype;
  info->rank = static_cast<int32_t>(tensor.shape.size());
  info->shape = tensor.shape.data();
  info->dim_names = tensor.dimNamePointers.data();
  return LBC_OK;
}

lbc_status lbc_model_input(const lbc_model *model, size_t index,
                           lbc_tensor_info *info) {
  if (!model)
    return failWith(LBC_ERROR_INVALID_ARGUMENT, "null model");
  return describe(model->inputs, index, info, "input");
}

lbc_status lbc_model_output(const lbc_model *model, size_t index,
                            lbc_tensor_info *info) {
  if (!model)
    return failWith(LBC_ERROR_INVALID_ARGUMENT, "null model");
  return describe(model->outputs, index, info, "output");
}

const char *lbc_model_recipe(const lbc_model *model) {
  return model ? model->recipe.c_str() : "";
}
int64_t lbc_model_weight_count(const lbc_model *model) {
  return model ? model->weightElements : 0;
}
double lbc_model_bits_per_weight(const lbc_model *model) {
  return model && model->weightElements
             ? 8.0 * static_cast<double>(model->weightBytes) /
                   static_cast<double>(model->weightElements)
             : 0.0;
}
const char *lbc_model_lbc_version(const lbc_model *model) {
  return model ? model->lbcVersion.c_str() : "";
}
const char *lbc_model_target(const lbc_model *model) {
  return model ? model->target.c_str() : "";
}

/// Checks a caller tensor against its declaration; dynamic dims with an
/// expression must equal its value under `dims`.
static lbc_status check(const TensorDecl &decl, const lbc_tensor &tensor,
                        const char *what, size_t index, const DimValues &dims) {
  std::string where = std::string(what) + " " + std::to_string(index) + " ('" +
                      decl.name + "')";
  if (tensor.dtype != decl.dtype)
    return failWith(LBC_ERROR_DTYPE_MISMATCH,
                    where + ": expected dtype " + lbc_dtype_name(decl.dtype) +
                        ", got " + lbc_dtype_name(tensor.dtype));
  if (tensor.rank != static_cast<int32_t>(decl.shape.size()) ||
      (tensor.rank > 0 && !tensor.shape))
    return failWith(LBC_ERROR_SHAPE_MISMATCH,
                    where + ": expected rank " +
                        std::to_string(decl.shape.size()) + ", got " +
                        std::to_string(tensor.rank));
  size_t elements = 1;
  for (int32_t dim = 0; dim < tensor.rank; ++dim) {
    int64_t expected = decl.shape[dim], actual = tensor.shape[dim];
    std::string expectedText = std::to_string(expected);
    if (expected < 0 && decl.dimExprs[dim]) {
      std::optional<int64_t> value = decl.dimExprs[dim]->evaluate(dims);
      if (value) {
        expected = *value;
        expectedText =
            std::to_string(expected) + " (" + decl.dimNames[dim] + ")";
      }
    }
    if (actual < 0 || (expected >= 0 && expected != actual))
      return failWith(LBC_ERROR_SHAPE_MISMATCH,
                      where + ": dimension " + std::to_string(dim) + " is " +
                          std::to_string(actual) + ", expected " +
                          expectedText);
    elements *= static_cast<size_t>(actual);
  }
  if (tensor.size_bytes != elements * lbc_dtype_size(decl.dtype) ||
      (elements && !tensor.data))
    return failWith(LBC_ERROR_SHAPE_MISMATCH,
                    where + ": buffer holds " +
                        std::to_string(tensor.size_bytes) +
                        " bytes, the shape needs " +
                        std::to_string(elements * lbc_dtype_size(decl.dtype)));
  return LBC_OK;
}

/// A memref descriptor: {allocated, aligned, offset, sizes[r], strides[r]}.
static void buildDescriptor(const lbc_tensor &tensor,
                            std::vector<int64_t> &descriptor) {
  int32_t rank = tensor.rank;
  descriptor.assign(3 + 2 * static_cast<size_t>(rank), 0);
  int64_t pointer;
  static_assert(sizeof(pointer) == sizeof(void *), "64-bit targets only");
  std::memcpy(&pointer, &tensor.data, sizeof(pointer));
  descriptor[0] = descriptor[1] = pointer;
  int64_t stride = 1;
  for (int32_t dim = rank - 1; dim >= 0; --dim) {
    descriptor[3 + dim] = tensor.shape[dim];
    descriptor[3 + rank + dim] = stride;
    stride *= tensor.shape[dim];
  }
}

lbc_status lbc_model_set_num_threads(lbc_model *model, int32_t num_threads) {
  if (!model || num_threads < 0)
    return failWith(LBC_ERROR_INVALID_ARGUMENT,
                    "lbc_model_set_num_threads: null model or negative count");
  model->numThreads = num_threads;
  return LBC_OK;
}

/// Binds the named dims from the inputs (a dim named by one symbol takes the
/// input's size; the first input that has it decides, later ones must
/// agree), then checks every input.
static lbc_status bindAndCheckInputs(const lbc_model *model,
                                     const lbc_tensor *inputs,
                                     size_t num_inputs, DimValues &dims) {
  if (num_inputs != model->inputs.size() || (num_inputs && !inputs))
    return failWith(LBC_ERROR_MISSING_INPUT,
                    "the model takes " + std::to_string(model->inputs.size()) +
                        " inputs, got " + std::to_string(num_inputs));
  for (size_t i = 0; i < num_inputs; ++i) {
    const TensorDecl &decl = model->inputs[i];
    if (inputs[i].rank != static_cast<int32_t>(decl.shape.size()) ||
        (inputs[i].rank > 0 && !inputs[i].shape))
      continue; // check() reports it
    for (size_t d = 0; d < decl.shape.size(); ++d) {
      if (!decl.dimExprs[d])
        continue;
      std::optional<std::string> symbol = decl.dimExprs[d]->getSymbol();
      if (symbol && !dims.count(*symbol) && inputs[i].shape[d] >= 0)
        dims[*symbol] = inputs[i].shape[d];
    }
  }
  for (size_t i = 0; i < num_inputs; ++i)
    if (lbc_status status =
            check(model->inputs[i], inputs[i], "input", i, dims))
      return status;
  for (const auto &[dim, bound] : model->dimUpperBounds) {
    std::optional<int64_t> value = dim.evaluate(dims);
    if (value && *value > bound)
      return failWith(LBC_ERROR_SHAPE_MISMATCH,
                      "dim '" + dim.str() + "' is " + std::to_string(*value) +
                          " for these inputs; the model allows at most " +
                          std::to_string(bound) +
                          " (it slices a tensor of that size with it)");
  }
  return LBC_OK;
}

lbc_status lbc_model_output_shape(const lbc_model *model,
                                  const lbc_tensor *inputs, size_t num_inputs,
                                  size_t output_index, int64_t *shape) {
  if (!model || !shape || output_index >= model->outputs.size())
    return failWith(LBC_ERROR_INVALID_ARGUMENT,
                    "lbc_model_output_shape: null model or shape, or no "
                    "output " +
                        std::to_string(output_index));
  DimValues dims;
  if (lbc_status status = bindAndCheckInputs(model, inputs, num_inputs, dims))
    return status;
  const TensorDecl &decl = model->outputs[output_index];
  for (size_t d = 0; d < decl.shape.size(); ++d) {
    shape[d] = decl.shape[d];
    if (shape[d] >= 0)
      continue;
    std::optional<int64_t> value =
        decl.dimExprs[d] ? decl.dimExprs[d]->evaluate(dims) : std::nullopt;
    if (!value || *value < 0)
      return failWith(LBC_ERROR_SHAPE_MISMATCH,
                      "output " + std::to_string(output_index) + " ('" +
                          decl.name + "'): dimension " + std::to_string(d) +
                          (decl.dimExprs[d]
                               ? " (" + decl.dimNames[d] +
                                     ") is not determined by the inputs"
                               : " is dynamic without a name"));
    shape[d] = *value;
  }
  return LBC_OK;
}

lbc_status lbc_model_run(const lbc_model *model, const lbc_tensor *inputs,
                         size_t num_inputs, lbc_tensor *outputs,
                         size_t num_outputs) {
  if (!model)
    return failWith(LBC_ERROR_INVALID_ARGUMENT, "lbc_model_run: null model");
  if (num_inputs != model->inputs.size() ||
      num_outputs != model->outputs.size() || (num_inputs && !inputs) ||
      (num_outputs && !outputs))
    return failWith(LBC_ERROR_MISSING_INPUT,
                    "lbc_model_run: the model takes " +
                        std::to_string(model->inputs.size()) + " inputs and " +
                        std::to_string(model->outputs.size()) +
                        " outputs, got " + std::to_string(num_inputs) +
                        " and " + std::to_string(num_outputs));
  DimValues dims;
  if (lbc_status status = bindAndCheckInputs(model, inputs, num_inputs, dims))
    return status;
  for (size_t i = 0; i < num_outputs; ++i)
    if (lbc_status status =
            check(model->outputs[i], outputs[i], "output", i, dims))
      return status;
  // The generated code assumes that what it writes overlaps nothing else it
  // reads or writes (its buffers are noalias): refuse overlapping outputs.
  auto overlap = [](const lbc_tensor &a, const lbc_tensor &b) {
    auto begin = [](const lbc_tensor &t) {
      return reinterpret_cast<uintptr_t>(t.data);
    };
    return a.size_bytes && b.size_bytes && begin(a) < begin(b) + b.size_bytes &&
           begin(b) < begin(a) + a.size_bytes;
  };
  for (size_t i = 0; i < num_outputs; ++i) {
    for (size_t j = 0; j < num_inputs; ++j)
      if (overlap(outputs[i], inputs[j]))
        return failWith(LBC_ERROR_INVALID_ARGUMENT,
                        "output " + std::to_string(i) + " ('" +
                            model->outputs[i].name + "') overlaps input " +
                            std::to_string(j) + " ('" + model->inputs[j].name +
                            "'): outputs need their own buffers");
    for (size_t j = i + 1; j < num_outputs; ++j)
      if (overlap(outputs[i], outputs[j]))
        return failWith(LBC_ERROR_INVALID_ARGUMENT,
                        "outputs " + std::to_string(i) + " and " +
                            std::to_string(j) + " overlap");
  }
  // Per-call descriptors keep concurrent runs independent.
  std::vector<std::vector<int64_t>> descriptors(num_inputs + num_outputs);
  std::vector<void *> arguments(num_inputs + num_outputs);
  for (size_t i = 0; i < num_inputs + num_outputs; ++i) {
    const lbc_tensor &tensor =
        i < num_inputs ? inputs[i] : outputs[i - num_inputs];
    buildDescriptor(tensor, descriptors[i]);
    arguments[i] = descriptors[i].data();
  }
  // The pool belongs to the artifact: models that share it (one artifact
  // loaded twice) share its last setting.
  if (model->numThreads > 0 && model->setThreads)
    model->setThreads(model->numThreads);
  if (!model->workspaces) {
    model->run(arguments.data());
    return LBC_OK;
  }
  void *workspace = model->workspaces->acquire();
  if (!workspace && model->workspaces->bytes())
    return failWith(LBC_ERROR_OUT_OF_MEMORY,
                    "lbc_model_run: cannot allocate the " +
                        std::to_string(model->workspaces->bytes()) +
                        "-byte workspace");
  model->runWithWorkspace(arguments.data(), workspace);
  model->workspaces->release(workspace);
  return LBC_OK;
}

lbc_status lbc_tensor_alloc(lbc_dtype dtype, int32_t rank, const int64_t *shape,
                            lbc_tensor *tensor) {
  if (!tensor || rank < 0 || (rank > 0 && !shape) || !lbc_dtype_size(dtype))
    return failWith(LBC_ERROR_INVALID_ARGUMENT,
                    "lbc_tensor_alloc: bad arguments");
  size_t elements = 1;
  for (int32_t dim = 0; dim < rank; ++dim) {
    if (shape[dim] < 0)
      return failWith(LBC_ERROR_SHAPE_MISMATCH,
                      "lbc_tensor_alloc: dynamic or negative dimension");
    elements *= static_cast<size_t>(shape[dim]);
  }
  size_t bytes = elements * lbc_dtype_size(dtype);
  auto *dims =
      static_cast<int64_t *>(std::malloc(sizeof(int64_t) * (rank + 1)));
  // 64-byte alignment for SIMD loads; at least one line so data is non-null.
  void *data = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  if (!dims || !data) {
    std::free(dims);
    std::free(data);
    return failWith(LBC_ERROR_OUT_OF_MEMORY, "lbc_tensor_alloc: out of memory");
  }
  std::memcpy(dims, shape, sizeof(int64_t) * rank);
  std::memset(data, 0, bytes);
  tensor->dtype = dtype;
  tensor->rank = rank;
  tensor->shape = dims;
  tensor->data = data;
  tensor->size_bytes = bytes;
  return LBC_OK;
}

void lbc_tensor_free(lbc_tensor *tensor) {
  if (!tensor)
    return;
  std::free(const_cast<int64_t *>(tensor->shape));
  std::free(tensor->data);
  tensor->shape = nullptr;
  tensor->data = nullptr;
  tensor->size_bytes = 0;
}

} // extern "C"
