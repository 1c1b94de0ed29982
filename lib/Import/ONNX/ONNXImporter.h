//===- ONNXImporter.h - ONNX model to MLIR ----------------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Entry point of the ONNX importer: an ONNX file in, a module with one
// function of linalg/tensor/arith/math ops out (initializers as dense_resource
// constants).
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_ONNXIMPORTER_H
#define LBC_LIB_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "lib/Import/ONNX/ModelLoader.h"

#include <memory>

namespace mlir::lbc {

namespace onnx_import {
class LoadedModel;
} // namespace onnx_import

/// Name of the imported model's function.
constexpr llvm::StringLiteral kModelFunctionName = "lbc_model";

/// An imported module plus the model data its weights may point into
/// (memory-mapped external data). Keep it alive while the module is used.
struct ImportedModel {
  ImportedModel();
  ImportedModel(ImportedModel &&);
  ~ImportedModel();
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<onnx_import::LoadedModel> source;
};

/// The model's function is called `kModelFunctionName`; its arguments and
/// results carry `lbc.name` attributes with the ONNX value names. Emits a
/// diagnostic (naming node, op type, domain and opset where it applies) and
/// fails on malformed or unsupported models.
FailureOr<ImportedModel>
importONNXModel(MLIRContext *context, llvm::StringRef path,
                const onnx_import::ShapeBindings &bindings = {});

/// Registers the dialects the importer produces.
void registerONNXImportDialects(DialectRegistry &registry);

} // namespace mlir::lbc

#endif // LBC_LIB_IMPORT_ONNX_ONNXIMPORTER_H
