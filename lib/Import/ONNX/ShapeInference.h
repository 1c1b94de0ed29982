//===- ShapeInference.h - ONNX shape inference for newer opsets -*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// ONNX shape inference through the schema registry of the ONNX library lbc
// links (Debian's 1.12 knows opsets up to 17), extended to models of newer
// opsets.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_SHAPEINFERENCE_H
#define LBC_LIB_IMPORT_ONNX_SHAPEINFERENCE_H

#include <cstdint>
#include <map>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::lbc::onnx_import {

/// Infers the types of `model`'s values (graph value_info, also inside
/// subgraphs) with data propagation, through a copy without large
/// initializer data: its nodes are rewritten to the newest forms the
/// registry knows that give the same shapes (Reduce* axes inputs become
/// attributes; Split's num_outputs and attributes the older schemas lack are
/// dropped; the opset is lowered to the registry's newest), and subgraphs get
/// copies of the small outer constants they read (ONNX infers subgraphs from
/// outer types only). The inferred types are copied back; the model's nodes
/// are never changed. Throws what ONNX throws.
void inferShapes(onnx::ModelProto &model);

/// Gives every dynamic dim of the main graph's values a dim_param that is
/// its expression over the inputs' named dims (lbc::SymbolicDim text, e.g.
/// "past + 1"), where ONNX inference left it anonymous or the rank unknown,
/// and folds integer computations that become constant (Equal(Shape(x), -1)).
/// Runs ONNX inference again after each refinement. Defined in
/// SymbolicShapes.cpp. Returns whether anything changed. `upperBounds`
/// receives, by expression text, the largest value a dynamic dim may take
/// for the model to be valid (a Slice whose end is "sequence" on a table of
/// 64 rows needs sequence <= 64); the runtime checks them.
bool inferSymbolicShapes(onnx::ModelProto &model,
                         std::map<std::string, int64_t> &upperBounds);

} // namespace mlir::lbc::onnx_import

#endif // LBC_LIB_IMPORT_ONNX_SHAPEINFERENCE_H
