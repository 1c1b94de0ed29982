//===- IntegerTensors.h - small integer tensors of ONNX protobufs -*- C++ -*-=//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// What the two evaluators of shape computations (ShapeFolding.cpp: concrete
// values; SymbolicShapes.cpp: symbolic dims) both read from the protobuf:
// integer tensor contents and node attributes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_INTEGERTENSORS_H
#define LBC_LIB_IMPORT_ONNX_INTEGERTENSORS_H

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace mlir::lbc::onnx_import {

/// INT64, INT32 or BOOL: the types shape computations use.
inline bool isIntegerType(int32_t type) {
  return type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32 ||
         type == onnx::TensorProto::BOOL;
}

/// The values of an integer tensor held in the protobuf (typed fields or
/// raw_data), when it has at most `maxElements`; std::nullopt otherwise (and
/// for external data or a count that does not match the dims).
inline std::optional<std::vector<int64_t>>
readIntegerTensor(const onnx::TensorProto &tensor, size_t maxElements) {
  if (!isIntegerType(tensor.data_type()) ||
      tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  size_t count = 1;
  for (int64_t dim : tensor.dims())
    count *= static_cast<size_t>(dim);
  if (count > maxElements)
    return std::nullopt;
  std::vector<int64_t> values;
  if (tensor.data_type() == onnx::TensorProto::INT64 &&
      tensor.int64_data_size()) {
    values.assign(tensor.int64_data().begin(), tensor.int64_data().end());
  } else if (tensor.data_type() != onnx::TensorProto::INT64 &&
             tensor.int32_data_size()) {
    values.assign(tensor.int32_data().begin(), tensor.int32_data().end());
  } else {
    size_t width = tensor.data_type() == onnx::TensorProto::INT64   ? 8
                   : tensor.data_type() == onnx::TensorProto::INT32 ? 4
                                                                    : 1;
    const std::string &raw = tensor.raw_data();
    for (size_t offset = 0; offset + width <= raw.size(); offset += width) {
      int64_t value = 0;
      if (width == 8) {
        std::memcpy(&value, raw.data() + offset, 8);
      } else if (width == 4) {
        int32_t narrow;
        std::memcpy(&narrow, raw.data() + offset, 4);
        value = narrow;
      } else {
        value = raw[offset] != 0;
      }
      values.push_back(value);
    }
  }
  if (values.size() != count)
    return std::nullopt;
  return values;
}

inline const onnx::AttributeProto *findAttribute(const onnx::NodeProto &node,
                                                 const char *name) {
  for (const auto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

inline int64_t intAttribute(const onnx::NodeProto &node, const char *name,
                            int64_t fallback) {
  const onnx::AttributeProto *attribute = findAttribute(node, name);
  return attribute ? attribute->i() : fallback;
}

} // namespace mlir::lbc::onnx_import

#endif // LBC_LIB_IMPORT_ONNX_INTEGERTENSORS_H
