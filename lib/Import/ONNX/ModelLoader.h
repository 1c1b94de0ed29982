//===- ModelLoader.h - read, parse and shape-infer ONNX models --*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Loads an ONNX ModelProto from disk (memory-mapped), maps its external data
// files, and runs ONNX's own shape inference so every value has a type. The
// only place lbc calls into ONNX code that may throw.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_MODELLOADER_H
#define LBC_LIB_IMPORT_ONNX_MODELLOADER_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace mlir::lbc::onnx_import {

/// Compile-time values for the dimensions a model leaves open: whole input
/// shapes by input name, and named (symbolic) dimensions such as "batch".
struct ShapeBindings {
  std::map<std::string, std::vector<int64_t>> inputShapes;
  std::map<std::string, int64_t> namedDims;
};

/// A parsed model plus the memory its weights live in. Initializer data that
/// comes from external files is referenced, not copied, so this object must
/// outlive every use of the imported weights.
class LoadedModel {
public:
  LoadedModel();
  ~LoadedModel();

  onnx::ModelProto &getModel() { return *model; }
  llvm::StringRef getPath() const { return path; }

  /// The bytes of an initializer: raw_data, or external data read through a
  /// memory map of the named file (kept open). Sets `error` and returns
  /// std::nullopt when the external file is missing or too short.
  std::optional<llvm::StringRef> getRawData(const onnx::TensorProto &tensor,
                                            std::string &error);

  /// A function that frees the memory of `tensor`'s inline raw_data (a
  /// tensor of this model) and keeps the parsed model alive until it is
  /// destroyed: the deleter of the resource blob that views those bytes, so
  /// that an initializer the passes replace (by a transposed or packed copy)
  /// gives its memory back during compilation.
  std::function<void()> rawDataReleaser(const onnx::TensorProto &tensor);

  /// Upper bounds of dynamic dims (by expression text) that the model's
  /// validity needs, from symbolic shape inference.
  const std::map<std::string, int64_t> &getDimUpperBounds() const {
    return dimUpperBounds;
  }

private:
  friend std::unique_ptr<LoadedModel>
  loadModel(llvm::StringRef, const ShapeBindings &, std::string &);
  // Shared with the releasers of the blobs that view its raw data.
  std::shared_ptr<onnx::ModelProto> model;
  std::string path;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
  std::map<std::string, int64_t> dimUpperBounds;
};

/// Reads and parses `path`, applies `bindings` to the graph inputs, folds
/// shape computations and infers shapes. On failure returns null and sets
/// `error` to a message that names the file (and the byte offset for
/// malformed protobuf) or the input.
std::unique_ptr<LoadedModel> loadModel(llvm::StringRef path,
                                       const ShapeBindings &bindings,
                                       std::string &error);

} // namespace mlir::lbc::onnx_import

#endif // LBC_LIB_IMPORT_ONNX_MODELLOADER_H
