//===- ShapeFolding.h - fold ONNX shape computations to constants -*- C++
//-*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Exporters (torch in particular) emit shape arithmetic as graph nodes: Shape
// -> Gather -> Concat -> Where -> Expand. With static input shapes all of it
// is known at compile time. This folds such integer computations into
// Constant nodes so that shape inference can give every tensor a static type.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_SHAPEFOLDING_H
#define LBC_LIB_IMPORT_ONNX_SHAPEFOLDING_H

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::lbc::onnx_import {

/// Replaces every node whose outputs are small integer/bool tensors computable
/// from constants and static shapes by a Constant node, and every If whose
/// condition is such a constant by the nodes of the branch it takes. Returns
/// how many nodes were folded or inlined.
int foldShapeComputations(onnx::ModelProto &model);

} // namespace mlir::lbc::onnx_import

#endif // LBC_LIB_IMPORT_ONNX_SHAPEFOLDING_H
