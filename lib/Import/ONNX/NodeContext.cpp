//===- NodeContext.cpp - what an ONNX op converter sees -------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Type conversion, constant materialization and attribute access for the
// ONNX op converters.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lbc::onnx_import;

Type mlir::lbc::onnx_import::convertElementType(MLIRContext *context,
                                                int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT16:
    return b.getI16Type();
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getI8Type();
  case onnx::TensorProto::UINT16:
    return b.getI16Type();
  case onnx::TensorProto::UINT32:
    return b.getI32Type();
  case onnx::TensorProto::UINT64:
    return b.getI64Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

std::string mlir::lbc::onnx_import::elementTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(onnxType));
  return "type " + std::to_string(onnxType);
}

//===----------------------------------------------------------------------===//
// GraphContext
//===----------------------------------------------------------------------===//

GraphContext::GraphContext(MLIRContext *context, LoadedModel &model,
                           OpBuilder &builder)
    : context(context), model(model), builder(builder) {
  const onnx::GraphProto &graph = model.getModel().graph();
  for (const auto &info : graph.input())
    valueTypes[info.name()] = &info.type();
  for (const auto &info : graph.value_info())
    valueTypes[info.name()] = &info.type();
  for (const auto &info : graph.output())
    valueTypes[info.name()] = &info.type();
}

bool mlir::lbc::onnx_import::isUnsignedElementType(int32_t onnxType) {
  return onnxType == onnx::TensorProto::UINT8 ||
         onnxType == onnx::TensorProto::UINT16 ||
         onnxType == onnx::TensorProto::UINT32 ||
         onnxType == onnx::TensorProto::UINT64;
}

bool GraphContext::isUnsigned(llvm::StringRef name) const {
  if (const onnx::TensorProto *constant = getConstant(name))
    return isUnsignedElementType(constant->data_type());
  const onnx::TypeProto *type = getValueType(name);
  return type && type->has_tensor_type() &&
         isUnsignedElementType(type->tensor_type().elem_type());
}

const onnx::TypeProto *GraphContext::getValueType(llvm::StringRef name) const {
  return valueTypes.lookup(name);
}

RankedTensorType GraphContext::convertTensorType(const onnx::TypeProto &type,
                                                 llvm::StringRef valueName,
                                                 Location loc) {
  if (!type.has_tensor_type()) {
    emitError(loc) << "value '" << valueName
                   << "' is not a tensor (sequences, maps and optionals are "
                      "not supported)";
    return {};
  }
  const onnx::TypeProto::Tensor &tensor = type.tensor_type();
  Type elementType = convertElementType(context, tensor.elem_type());
  if (!elementType) {
    emitError(loc) << "value '" << valueName
                   << "' has unsupported element type "
                   << elementTypeName(tensor.elem_type());
    return {};
  }
  if (!tensor.has_shape()) {
    emitError(loc) << "value '" << valueName
                   << "' has unknown rank after shape inference";
    return {};
  }
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim())
    shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                        : ShapedType::kDynamic);
  return RankedTensorType::get(shape, elementType);
}

std::optional<SmallVector<int64_t>>
GraphContext::decodeIntegers(const onnx::TensorProto &tensor,
                             std::string &error) {
  SmallVector<int64_t> result;
  int32_t type = tensor.data_type();
  if (type != onnx::TensorProto::INT64 && type != onnx::TensorProto::INT32) {
    error = "expected an INT64 or INT32 tensor, got " + elementTypeName(type);
    return std::nullopt;
  }
  if (type == onnx::TensorProto::INT64 && tensor.int64_data_size()) {
    result.assign(tensor.int64_data().begin(), tensor.int64_data().end());
    return result;
  }
  if (type == onnx::TensorProto::INT32 && tensor.int32_data_size()) {
    result.assign(tensor.int32_data().begin(), tensor.int32_data().end());
    return result;
  }
  std::optional<llvm::StringRef> raw = model.getRawData(tensor, error);
  if (!raw)
    return std::nullopt;
  size_t width = type == onnx::TensorProto::INT64 ? 8 : 4;
  for (size_t offset = 0; offset + width <= raw->size(); offset += width) {
    if (width == 8) {
      int64_t value;
      std::memcpy(&value, raw->data() + offset, 8);
      result.push_back(value);
    } else {
      int32_t value;
      std::memcpy(&value, raw->data() + offset, 4);
      result.push_back(value);
    }
  }
  return result;
}

/// Copies the typed (non-raw) fields of `tensor` as little-endian bytes of
/// `elementType`.
static std::string typedFieldBytes(const onnx::TensorProto &tensor,
                                   Type elementType) {
  std::string bytes;
  auto append = [&](const void *data, size_t size) {
    bytes.append(static_cast<const char *>(data), size);
  };
  if (elementType.isF32()) {
    for (float v : tensor.float_data())
      append(&v, 4);
  } else if (elementType.isF64()) {
    for (double v : tensor.double_data())
      append(&v, 8);
  } else if (elementType.isInteger(64)) {
    for (int64_t v : tensor.int64_data())
      append(&v, 8);
  } else if (elementType.isInteger(32)) {
    for (int32_t v : tensor.int32_data())
      append(&v, 4);
  } else if (elementType.isF16() || elementType.isBF16() ||
             elementType.isInteger(16)) {
    for (int32_t v : tensor.int32_data()) {
      uint16_t low = static_cast<uint16_t>(v);
      append(&low, 2);
    }
  } else if (elementType.isInteger(8) || elementType.isInteger(1)) {
    for (int32_t v : tensor.int32_data()) {
      uint8_t low = static_cast<uint8_t>(v);
      append(&low, 1);
    }
  }
  return bytes;
}

Value GraphContext::materializeTensor(const onnx::TensorProto &tensor,
                                      Location loc) {
  Type elementType = convertElementType(context, tensor.data_type());
  if (!elementType) {
    emitError(loc) << "tensor '" << tensor.name()
                   << "' has unsupported element type "
                   << elementTypeName(tensor.data_type());
    return {};
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  auto type = RankedTensorType::get(shape, elementType);
  int64_t byteWidth =
      std::max<int64_t>(1, elementType.getIntOrFloatBitWidth() / 8);
  int64_t expectedBytes = type.getNumElements() * byteWidth;

  std::string error;
  std::string typedBytes;
  llvm::StringRef bytes;
  bool usesRaw = tensor.has_raw_data() ||
                 tensor.data_location() == onnx::TensorProto::EXTERNAL;
  if (usesRaw) {
    std::optional<llvm::StringRef> raw = model.getRawData(tensor, error);
    if (!raw) {
      emitError(loc) << error;
      return {};
    }
    bytes = *raw;
  } else {
    typedBytes = typedFieldBytes(tensor, elementType);
    bytes = typedBytes;
  }
  if (static_cast<int64_t>(bytes.size()) != expectedBytes) {
    emitError(loc) << "tensor '" << tensor.name() << "' holds " << bytes.size()
                   << " bytes of data, its type " << type << " needs "
                   << expectedBytes;
    return {};
  }

  TypedAttr value;
  if (type.getNumElements() <= 16) {
    // Small tensors (shapes, scalars) stay readable and foldable.
    bool isSplat = false;
    if (DenseElementsAttr::isValidRawBuffer(
            type, llvm::ArrayRef<char>(bytes.data(), bytes.size()), isSplat) &&
        !elementType.isInteger(1))
      value = DenseElementsAttr::getFromRawBuffer(
          type, llvm::ArrayRef<char>(bytes.data(), bytes.size()));
    else if (elementType.isInteger(1)) {
      SmallVector<bool> bits;
      for (char c : bytes)
        bits.push_back(c != 0);
      value = DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bits));
    }
  }
  if (!value) {
    AsmResourceBlob blob;
    constexpr size_t kAlignment = 64;
    // Raw data lives as long as the loaded model (the memory-mapped file or
    // the parsed protobuf) or, inline, until the blob is released:
    // reference it instead of copying the weights. The
    // alignment recorded is what the pointer has; the artifact aligns the
    // weights itself.
    size_t alignment = kAlignment;
    while (alignment > 1 &&
           reinterpret_cast<uintptr_t>(bytes.data()) % alignment != 0)
      alignment /= 2;
    llvm::ArrayRef<char> data(bytes.data(), bytes.size());
    if (usesRaw && alignment >= 16) {
      if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
        // Inline bytes are freed with the blob (a weight replaced by a
        // transformed copy): the model's memory does not stay beside it.
        blob = AsmResourceBlob(
            data, alignment,
            [release = model.rawDataReleaser(tensor)](void *, size_t, size_t) {
              release();
            },
            /*dataIsMutable=*/false);
      else
        blob = UnmanagedAsmResourceBlob::allocateWithAlign(data, alignment);
    } else {
      blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, kAlignment);
    }
    std::string name = tensor.name().empty() ? "onnx_constant" : tensor.name();
    value = DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
  return arith::ConstantOp::create(builder, loc, value);
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(GraphContext &graph, const onnx::NodeProto &node,
                         int64_t opset, int64_t position)
    : graph(graph), node(node), opset(opset),
      location(NameLoc::get(
          StringAttr::get(graph.getContext(),
                          node.name().empty() ? node.op_type() : node.name()),
          FileLineColLoc::get(graph.getContext(), graph.getModel().getPath(),
                              static_cast<unsigned>(position + 1), 0))) {}

InFlightDiagnostic NodeContext::error() {
  // Unnamed nodes (common in exports) are named by their first output.
  std::string name = "unnamed node";
  if (!node.name().empty())
    name = "node '" + node.name() + "'";
  else
    for (const std::string &output : node.output())
      if (!output.empty()) {
        name = "node producing '" + output + "'";
        break;
      }
  return emitError(location)
         << name << " (" << node.op_type() << ", domain '"
         << (node.domain().empty() ? "ai.onnx" : node.domain()) << "', opset "
         << opset << "): ";
}

Value NodeContext::input(unsigned i) const {
  if (!hasInput(i))
    return {};
  return graph.lookup(node.input(i));
}

std::optional<SmallVector<int64_t>> NodeContext::constantIntsInput(unsigned i) {
  const onnx::TensorProto *tensor =
      hasInput(i) ? graph.getConstant(node.input(i)) : nullptr;
  if (!tensor) {
    error() << "input " << i << " ('" << (hasInput(i) ? node.input(i) : "")
            << "') must be a constant known at compile time";
    return std::nullopt;
  }
  std::string message;
  auto values = graph.decodeIntegers(*tensor, message);
  if (!values)
    error() << "input " << i << ": " << message;
  return values;
}

std::optional<SmallVector<double>>
NodeContext::constantFloatsInput(unsigned i) {
  const onnx::TensorProto *tensor =
      hasInput(i) ? graph.getConstant(node.input(i)) : nullptr;
  if (!tensor || tensor->data_type() != onnx::TensorProto::FLOAT)
    return std::nullopt;
  SmallVector<double> values(tensor->float_data().begin(),
                             tensor->float_data().end());
  if (!values.empty())
    return values;
  std::string message;
  std::optional<llvm::StringRef> raw =
      graph.getModel().getRawData(*tensor, message);
  if (!raw)
    return std::nullopt;
  for (size_t offset = 0; offset + 4 <= raw->size(); offset += 4) {
    float value;
    std::memcpy(&value, raw->data() + offset, 4);
    values.push_back(value);
  }
  return values;
}

std::optional<double> NodeContext::constantScalarInput(unsigned i) {
  const onnx::TensorProto *tensor =
      hasInput(i) ? graph.getConstant(node.input(i)) : nullptr;
  if (!tensor)
    return std::nullopt;
  std::string message;
  if (tensor->data_type() == onnx::TensorProto::FLOAT) {
    if (tensor->float_data_size())
      return tensor->float_data(0);
    std::optional<llvm::StringRef> raw =
        graph.getModel().getRawData(*tensor, message);
    if (!raw || raw->size() < 4)
      return std::nullopt;
    float value;
    std::memcpy(&value, raw->data(), 4);
    return value;
  }
  auto ints = graph.decodeIntegers(*tensor, message);
  if (ints && !ints->empty())
    return static_cast<double>((*ints)[0]);
  return std::nullopt;
}

Value GraphContext::materializeDim(const ::lbc::SymbolicDim &dim,
                                   Location loc) {
  std::string text = dim.str();
  if (Value known = materializedDims.lookup(text))
    return known;
  for (const auto &[factors, coefficient] : dim.getTerms())
    for (const std::string &symbol : factors)
      if (!symbols.lookup(symbol)) {
        emitError(loc) << "dim '" << text << "' depends on '" << symbol
                       << "', which is not a named dim of any graph input "
                          "(a size computed from data is not supported)";
        return {};
      }
  OpBuilder::InsertionGuard guard(builder);
  if (lastSizeOp)
    builder.setInsertionPointAfter(lastSizeOp);
  Value total;
  for (const auto &[factors, coefficient] : dim.getTerms()) {
    Value term = arith::ConstantIndexOp::create(builder, loc, coefficient);
    for (const std::string &symbol : factors)
      term = coefficient == 1 && factors.size() == 1
                 ? symbols.lookup(symbol)
                 : arith::MulIOp::create(builder, loc, term,
                                         symbols.lookup(symbol))
                       .getResult();
    total = total ? arith::AddIOp::create(builder, loc, total, term).getResult()
                  : term;
  }
  if (!total)
    total = arith::ConstantIndexOp::create(builder, loc, 0);
  if (Operation *definer = total.getDefiningOp())
    lastSizeOp = definer;
  materializedDims[text] = total;
  return total;
}

std::optional<SmallVector<OpFoldResult>>
NodeContext::resultSizes(unsigned i, RankedTensorType type) {
  SmallVector<OpFoldResult> sizes;
  const onnx::TypeProto *onnxType = graph.getValueType(node.output(i));
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      sizes.push_back(b().getIndexAttr(type.getDimSize(d)));
      continue;
    }
    const auto &shape = onnxType->tensor_type().shape();
    if (d >= shape.dim_size() || !shape.dim(d).has_dim_param()) {
      error() << "dim " << d << " of output '" << node.output(i)
              << "' is unknown after shape inference";
      return std::nullopt;
    }
    Value size = graph.materializeDim(
        ::lbc::SymbolicDim::parse(shape.dim(d).dim_param()), location);
    if (!size)
      return std::nullopt;
    sizes.push_back(size);
  }
  return sizes;
}

/// Static dims from `type`, dynamic ones from the dim_params of `onnxType`.
static SmallVector<std::optional<::lbc::SymbolicDim>>
symbolicDims(const onnx::TypeProto *onnxType, RankedTensorType type) {
  SmallVector<std::optional<::lbc::SymbolicDim>> dims;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      dims.push_back(::lbc::SymbolicDim::constant(type.getDimSize(d)));
      continue;
    }
    dims.push_back(std::nullopt);
    if (!onnxType || !onnxType->has_tensor_type())
      continue;
    const auto &shape = onnxType->tensor_type().shape();
    if (d < shape.dim_size() && shape.dim(d).has_dim_param())
      dims.back() = ::lbc::SymbolicDim::parse(shape.dim(d).dim_param());
  }
  return dims;
}

SmallVector<std::optional<::lbc::SymbolicDim>>
NodeContext::inputDims(unsigned i, RankedTensorType type) const {
  return symbolicDims(hasInput(i) ? graph.getValueType(node.input(i)) : nullptr,
                      type);
}

SmallVector<std::optional<::lbc::SymbolicDim>>
NodeContext::resultDims(unsigned i, RankedTensorType type) const {
  return symbolicDims(graph.getValueType(node.output(i)), type);
}

Value NodeContext::emptyResult(unsigned i, RankedTensorType type) {
  std::optional<SmallVector<OpFoldResult>> sizes = resultSizes(i, type);
  if (!sizes)
    return {};
  return tensor::EmptyOp::create(b(), location, *sizes, type.getElementType());
}

RankedTensorType NodeContext::resultType(unsigned i) {
  llvm::StringRef name = node.output(i);
  const onnx::TypeProto *type = graph.getValueType(name);
  if (!type) {
    error() << "shape inference gave no type for output '" << name << "'";
    return {};
  }
  return graph.convertTensorType(*type, name, location);
}

void NodeContext::setResult(unsigned i, Value value) {
  if (i < numResults() && !node.output(i).empty())
    graph.define(node.output(i), value);
}

const onnx::AttributeProto *NodeContext::attr(llvm::StringRef name) const {
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

int64_t NodeContext::intAttr(llvm::StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a && a->has_i() ? a->i() : defaultValue;
}

float NodeContext::floatAttr(llvm::StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a && a->has_f() ? a->f() : defaultValue;
}

std::string NodeContext::stringAttr(llvm::StringRef name,
                                    llvm::StringRef defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a && a->has_s() ? a->s() : defaultValue.str();
}

std::optional<SmallVector<int64_t>>
NodeContext::intsAttr(llvm::StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}
