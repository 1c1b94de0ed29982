//===- ConstantBytes.h - the raw bytes of a constant tensor -----*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Header-only (it uses MLIR, the rest of lib/Support does not): the importer
// and code generation read constant matrices the same way.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_SUPPORT_CONSTANTBYTES_H
#define LBC_LIB_SUPPORT_CONSTANTBYTES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <optional>
#include <string>
#include <utility>

namespace mlir::lbc {

/// The bytes of a static constant of rank >= 2 with whole-byte elements
/// (dense or dense_resource) and a name for data derived from it (the
/// resource's key, or "constant"); nothing for other values and for splats.
inline std::optional<std::pair<ArrayRef<char>, std::string>>
constantMatrixBytes(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!constant || !type || type.getRank() < 2 || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat() ||
      type.getElementType().getIntOrFloatBitWidth() % 8)
    return std::nullopt;
  ArrayRef<char> data;
  std::string name = "constant";
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    data = blob->getData();
    name = resource.getRawHandle().getKey().str();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    if (dense.isSplat())
      return std::nullopt;
    data = dense.getRawData();
  } else {
    return std::nullopt;
  }
  size_t bytes = type.getElementType().getIntOrFloatBitWidth() / 8;
  if (data.size() != static_cast<size_t>(type.getNumElements()) * bytes)
    return std::nullopt;
  return std::make_pair(data, name);
}

} // namespace mlir::lbc

#endif // LBC_LIB_SUPPORT_CONSTANTBYTES_H
