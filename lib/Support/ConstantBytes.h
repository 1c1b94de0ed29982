//===- ConstantBytes.h - reading and building constant matrices -*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Header-only (it uses MLIR, the rest of lib/Support does not): the importer
// and code generation read and build constant matrices the same way.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_SUPPORT_CONSTANTBYTES_H
#define LBC_LIB_SUPPORT_CONSTANTBYTES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>
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

/// A 2-D constant of `type` whose element (row, column) is copied from
/// `source(row, column)` (null for zero), as a 64-byte aligned resource.
inline Value buildConstantMatrix(
    OpBuilder &b, Location loc, RankedTensorType type, StringRef name,
    function_ref<const char *(int64_t row, int64_t column)> source) {
  size_t bytes = type.getElementType().getIntOrFloatBitWidth() / 8;
  constexpr size_t kAlignment = 64;
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      static_cast<size_t>(type.getNumElements()) * bytes, kAlignment);
  MutableArrayRef<char> out = blob.getMutableData();
  int64_t columns = type.getDimSize(1);
  for (int64_t row = 0; row < type.getDimSize(0); ++row)
    for (int64_t column = 0; column < columns; ++column) {
      char *target = out.data() + (row * columns + column) * bytes;
      if (const char *element = source(row, column))
        std::memcpy(target, element, bytes);
      else
        std::memset(target, 0, bytes);
    }
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

} // namespace mlir::lbc

#endif // LBC_LIB_SUPPORT_CONSTANTBYTES_H
