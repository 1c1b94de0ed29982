//===- ModelLoader.cpp - read, parse and shape-infer ONNX models ----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Protobuf parsing, external data mapping and ONNX shape inference. This file
// is compiled with exceptions because ONNX reports inference errors by
// throwing; no exception leaves it.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/ModelLoader.h"
#include "lib/Import/ONNX/ShapeFolding.h"
#include "lib/Import/ONNX/ShapeInference.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <climits>
#include <cstring>
#include <exception>
#include <map>
#include <unistd.h>

using namespace mlir::lbc::onnx_import;

LoadedModel::LoadedModel() : model(std::make_shared<onnx::ModelProto>()) {}
LoadedModel::~LoadedModel() = default;

std::function<void()>
LoadedModel::rawDataReleaser(const onnx::TensorProto &tensor) {
  // `tensor` is part of `model`, which this object owns and may change.
  auto *owned = const_cast<onnx::TensorProto *>(&tensor);
  return [model = model, owned] {
    // Swapped with an empty string: clear() would keep the capacity.
    std::string().swap(*owned->mutable_raw_data());
  };
}

std::optional<llvm::StringRef>
LoadedModel::getRawData(const onnx::TensorProto &tensor, std::string &error) {
  if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
    return llvm::StringRef(tensor.raw_data());
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::strtoull(entry.value().c_str(), nullptr, 10);
    else if (entry.key() == "length")
      length = std::strtoull(entry.value().c_str(), nullptr, 10);
  }
  if (location.empty()) {
    error = "initializer '" + tensor.name() +
            "' has external data without a location";
    return std::nullopt;
  }
  llvm::SmallString<256> filePath = llvm::sys::path::parent_path(path);
  llvm::sys::path::append(filePath, location);
  auto &file = externalFiles[filePath];
  if (!file) {
    // Map the file read-only: a model whose weights exceed RAM or 2 GB
    // imports without copying them.
    auto buffer = llvm::MemoryBuffer::getFile(filePath, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      error = "cannot open external data '" + std::string(filePath) +
              "' of initializer '" + tensor.name() +
              "': " + buffer.getError().message();
      return std::nullopt;
    }
    file = std::move(*buffer);
  }
  uint64_t size = file->getBufferSize();
  uint64_t count = length ? *length : size - std::min(offset, size);
  if (offset > size || count > size - offset) {
    error = "external data of initializer '" + tensor.name() + "' (offset " +
            std::to_string(offset) + ", length " + std::to_string(count) +
            ") runs past the end of '" + std::string(filePath) + "' (" +
            std::to_string(size) + " bytes)";
    return std::nullopt;
  }
  return file->getBuffer().substr(offset, count);
}

/// Fixes open dimensions of the graph inputs as `bindings` say. Returns false
/// with `error` set on unknown inputs and contradictions.
static bool bindInputShapes(onnx::GraphProto &graph,
                            const ShapeBindings &bindings, std::string &error) {
  std::map<std::string, bool> used;
  for (onnx::ValueInfoProto &input : *graph.mutable_input()) {
    if (!input.type().has_tensor_type())
      continue;
    onnx::TensorShapeProto *shape =
        input.mutable_type()->mutable_tensor_type()->mutable_shape();
    auto given = bindings.inputShapes.find(input.name());
    if (given != bindings.inputShapes.end()) {
      used[input.name()] = true;
      const std::vector<int64_t> &dims = given->second;
      if (input.type().tensor_type().has_shape() &&
          shape->dim_size() != static_cast<int>(dims.size())) {
        error = "--input-shape for '" + input.name() + "' has " +
                std::to_string(dims.size()) + " dims, the input has rank " +
                std::to_string(shape->dim_size());
        return false;
      }
      shape->clear_dim();
      for (int64_t dim : dims)
        shape->add_dim()->set_dim_value(dim);
      continue;
    }
    for (onnx::TensorShapeProto::Dimension &dim : *shape->mutable_dim()) {
      if (!dim.has_dim_param())
        continue;
      auto named = bindings.namedDims.find(dim.dim_param());
      if (named != bindings.namedDims.end())
        dim.set_dim_value(named->second);
    }
  }
  for (const auto &[name, dims] : bindings.inputShapes) {
    if (used.count(name))
      continue;
    error = "--input-shape names '" + name +
            "', which is not an input of the "
            "model; its inputs are:";
    for (const onnx::ValueInfoProto &input : graph.input())
      error += " '" + input.name() + "'";
    return false;
  }
  return true;
}

/// Drops value_info entries (in the graph and every subgraph) that have a
/// symbolic or unknown dim: once inputs are bound, inference recomputes them,
/// and a stale symbolic entry would otherwise win the merge.
static void dropSymbolicValueInfo(onnx::GraphProto &graph) {
  auto *infos = graph.mutable_value_info();
  for (int i = infos->size() - 1; i >= 0; --i) {
    const onnx::TypeProto &type = infos->Get(i).type();
    bool symbolic = !type.has_tensor_type() || !type.tensor_type().has_shape();
    if (!symbolic)
      for (const auto &dim : type.tensor_type().shape().dim())
        symbolic = symbolic || !dim.has_dim_value();
    if (symbolic)
      infos->DeleteSubrange(i, 1);
  }
  for (onnx::NodeProto &node : *graph.mutable_node())
    for (onnx::AttributeProto &attribute : *node.mutable_attribute()) {
      if (attribute.has_g())
        dropSymbolicValueInfo(*attribute.mutable_g());
      for (onnx::GraphProto &g : *attribute.mutable_graphs())
        dropSymbolicValueInfo(g);
    }
}

std::unique_ptr<LoadedModel> mlir::lbc::onnx_import::loadModel(
    llvm::StringRef path, const ShapeBindings &bindings, std::string &error) {
  auto loaded = std::make_unique<LoadedModel>();
  loaded->path = path.str();
  // Parsed from the file in blocks (read(2), not a mapping of the whole
  // file): the protobuf owns copies of everything, so a mapped file would
  // double the model in memory while parsing (the peak of compiling a
  // 1.2 GB model).
  uint64_t fileSize = 0;
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize))
    error = "cannot read '" + path.str() + "': " + ec.message();
  else if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd))
    error = "cannot read '" + path.str() + "': " + ec.message();
  if (fd < 0)
    return nullptr;
  llvm::scope_exit closeFile([&] { ::close(fd); });
  constexpr int kReadBlock = 1 << 20;
  google::protobuf::io::FileInputStream file(fd, kReadBlock);
  google::protobuf::io::CodedInputStream stream(&file);
  stream.SetTotalBytesLimit(INT_MAX);
  if (!loaded->model->ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage() || file.GetErrno() != 0) {
    error = "'" + path.str() +
            "' is not a valid ONNX model: protobuf parsing failed near byte " +
            std::to_string(stream.CurrentPosition()) + " of " +
            std::to_string(fileSize);
    if (file.GetErrno() != 0)
      error =
          "cannot read '" + path.str() + "': " + std::strerror(file.GetErrno());
    return nullptr;
  }
  if (!loaded->model->has_graph()) {
    error = "'" + path.str() + "' has no graph";
    return nullptr;
  }
  if (!bindInputShapes(*loaded->model->mutable_graph(), bindings, error)) {
    error = "'" + path.str() + "': " + error;
    return nullptr;
  }
  dropSymbolicValueInfo(*loaded->model->mutable_graph());
  try {
    // Data propagation folds simple Shape -> Gather -> Concat chains; the
    // shape folder takes the rest (Where, Equal, ConstantOfShape, ...), after
    // which inference runs again so that the folded shapes reach every type.
    inferShapes(*loaded->model);
    for (int round = 0; round < 8; ++round) {
      if (foldShapeComputations(*loaded->model) == 0)
        break;
      loaded->model->mutable_graph()->clear_value_info();
      inferShapes(*loaded->model);
    }
    // Dims left open (named dims not bound by --dim) get their expressions.
    inferSymbolicShapes(*loaded->model, loaded->dimUpperBounds);
  } catch (const std::exception &e) {
    error = "ONNX shape inference failed on '" + path.str() + "': " + e.what();
    return nullptr;
  }
  return loaded;
}
