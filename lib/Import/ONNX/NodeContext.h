//===- NodeContext.h - what an ONNX op converter sees -----------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The state shared by the op converters: values by ONNX name, constant
// tensors, result types from shape inference, attribute access, diagnostics,
// and the opset-versioned converter table.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_NODECONTEXT_H
#define LBC_LIB_IMPORT_ONNX_NODECONTEXT_H

#include "lib/Import/ONNX/ModelLoader.h"
#include "lib/Support/SymbolicDim.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>

namespace mlir::lbc::onnx_import {

/// Maps an ONNX element type to the MLIR type lbc uses (signless integers);
/// null when unsupported.
Type convertElementType(MLIRContext *context, int32_t onnxType);

/// True for ONNX's unsigned integer types (imported as signless integers:
/// converters pick unsigned arithmetic from this).
bool isUnsignedElementType(int32_t onnxType);

/// The ONNX name of an element type, for messages ("FLOAT", "INT64", ...).
std::string elementTypeName(int32_t onnxType);

/// Graph-wide import state.
class GraphContext {
public:
  GraphContext(MLIRContext *context, LoadedModel &model, OpBuilder &builder);

  MLIRContext *getContext() const { return context; }
  LoadedModel &getModel() { return model; }
  OpBuilder &getBuilder() { return builder; }

  /// The inferred or declared type of a value; null if unknown.
  const onnx::TypeProto *getValueType(llvm::StringRef name) const;
  /// Converts an ONNX tensor type; emits at `loc` and returns null if the
  /// element type or rank is unknown or unsupported.
  RankedTensorType convertTensorType(const onnx::TypeProto &type,
                                     llvm::StringRef valueName, Location loc);

  Value lookup(llvm::StringRef name) const { return values.lookup(name); }
  /// Whether the named value has an unsigned integer type.
  bool isUnsigned(llvm::StringRef name) const;
  void define(llvm::StringRef name, Value value) { values[name] = value; }

  /// A constant tensor known at import time (initializer or Constant node).
  const onnx::TensorProto *getConstant(llvm::StringRef name) const {
    return constants.lookup(name);
  }
  void defineConstant(llvm::StringRef name, const onnx::TensorProto *tensor) {
    constants[name] = tensor;
  }

  /// Builds an arith.constant for `tensor` (a dense_resource blob, so big
  /// weights are never dense element attributes). Emits and returns null on
  /// unsupported element types or missing data.
  Value materializeTensor(const onnx::TensorProto &tensor, Location loc);

  /// The default-domain opset of the model.
  int64_t getOpset() const { return opset; }
  void setOpset(int64_t value) { opset = value; }

  /// Converts the nodes of `graph` (the main graph or a subgraph, whose
  /// outer-scope values stay visible) at the builder's insertion point.
  LogicalResult convertNodes(const onnx::GraphProto &graph);

  void addValueType(llvm::StringRef name, const onnx::TypeProto *type) {
    valueTypes[name] = type;
  }

  /// Keeps a tensor made by a converter alive for the rest of the import.
  void adoptTensor(std::unique_ptr<onnx::TensorProto> tensor) {
    ownedTensors.push_back(std::move(tensor));
  }

  /// Makes the named dim `symbol` available to size computations: its value
  /// at run time is `size` (an index, e.g. tensor.dim of an argument).
  void bindSymbol(llvm::StringRef symbol, Value size, Operation *definer) {
    symbols[symbol] = size;
    lastSizeOp = definer;
  }
  bool isBound(llvm::StringRef symbol) const { return symbols.count(symbol); }
  /// The run-time value (index) of a symbolic dim, built once at the top of
  /// the function from the bound symbols; null with an error at `loc` when a
  /// symbol is bound by no input.
  Value materializeDim(const ::lbc::SymbolicDim &dim, Location loc);

  /// Decodes an integer tensor (INT64 or INT32) to values.
  std::optional<SmallVector<int64_t>>
  decodeIntegers(const onnx::TensorProto &tensor, std::string &error);

private:
  MLIRContext *context;
  LoadedModel &model;
  OpBuilder &builder;
  llvm::StringMap<Value> values;
  llvm::StringMap<const onnx::TensorProto *> constants;
  llvm::StringMap<const onnx::TypeProto *> valueTypes;
  std::vector<std::unique_ptr<onnx::TensorProto>> ownedTensors;
  int64_t opset = 0;
  /// Named dims bound by the inputs, and materialized expressions by text.
  llvm::StringMap<Value> symbols;
  llvm::StringMap<Value> materializedDims;
  /// Where size computations go: after the last one, at the function top.
  Operation *lastSizeOp = nullptr;
};

/// One node being converted.
class NodeContext {
public:
  /// `position` is the node's 0-based index in its graph; the node's
  /// location is `model.onnx:<position + 1>:0`, so that diagnostics and
  /// debug line tables (lbc-opt --debug-lines) name the node by number.
  NodeContext(GraphContext &graph, const onnx::NodeProto &node, int64_t opset,
              int64_t position = -1);

  OpBuilder &b() { return graph.getBuilder(); }
  Location loc() const { return location; }
  MLIRContext *getContext() const { return graph.getContext(); }
  const onnx::NodeProto &getNode() const { return node; }
  int64_t getOpset() const { return opset; }
  GraphContext &getGraph() { return graph; }

  /// Starts an error that names the node, op type, domain and opset.
  InFlightDiagnostic error();

  unsigned numInputs() const { return node.input_size(); }
  bool hasInput(unsigned i) const {
    return i < numInputs() && !node.input(i).empty();
  }
  /// The value of input `i`; null if absent (optional input).
  Value input(unsigned i) const;
  /// Input `i` as a compile-time list of integers (a constant tensor), or
  /// std::nullopt with an error emitted.
  std::optional<SmallVector<int64_t>> constantIntsInput(unsigned i);
  /// Input `i` as compile-time floats (a FLOAT constant); std::nullopt if it
  /// is absent or not a constant (no error emitted).
  std::optional<SmallVector<double>> constantFloatsInput(unsigned i);
  /// A scalar float from constant input `i`, if it is a constant.
  std::optional<double> constantScalarInput(unsigned i);

  /// Whether input `i` / result `i` has an unsigned integer type.
  bool isUnsignedInput(unsigned i) const {
    return hasInput(i) && graph.isUnsigned(node.input(i));
  }
  bool isUnsignedResult(unsigned i) const {
    return i < numResults() && graph.isUnsigned(node.output(i));
  }

  unsigned numResults() const { return node.output_size(); }
  /// The inferred type of result `i`; emits and returns null if unknown.
  RankedTensorType resultType(unsigned i);
  /// The sizes of result `i` (of `type`, its converted type): constants for
  /// static dims, run-time values computed from the inputs' named dims for
  /// dynamic ones. Emits and returns std::nullopt when a dim is unknown.
  std::optional<SmallVector<OpFoldResult>> resultSizes(unsigned i,
                                                       RankedTensorType type);
  /// The dims of input `i` (of MLIR type `type`) or result `i` as symbolic
  /// expressions; std::nullopt for a dynamic dim without one.
  SmallVector<std::optional<::lbc::SymbolicDim>>
  inputDims(unsigned i, RankedTensorType type) const;
  SmallVector<std::optional<::lbc::SymbolicDim>>
  resultDims(unsigned i, RankedTensorType type) const;
  /// tensor.empty of result `i`'s type and sizes; null with an error.
  Value emptyResult(unsigned i, RankedTensorType type);
  void setResult(unsigned i, Value value);

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t defaultValue) const;
  float floatAttr(llvm::StringRef name, float defaultValue) const;
  std::string stringAttr(llvm::StringRef name,
                         llvm::StringRef defaultValue) const;
  std::optional<SmallVector<int64_t>> intsAttr(llvm::StringRef name) const;

private:
  GraphContext &graph;
  const onnx::NodeProto &node;
  int64_t opset;
  Location location;
};

/// Converts one node; emits a diagnostic and fails when it cannot.
using ConvertFn = LogicalResult (*)(NodeContext &);

/// A converter for op `opType` of the default domain, valid from opset
/// `sinceVersion` until the next entry for the same op.
struct OpConverter {
  const char *opType;
  int sinceVersion;
  ConvertFn convert;
};

/// Every converter, grouped by the file that defines them.
void appendElementwiseConverters(std::vector<OpConverter> &converters);
void appendLinearAlgebraConverters(std::vector<OpConverter> &converters);
void appendShapeConverters(std::vector<OpConverter> &converters);
void appendReductionConverters(std::vector<OpConverter> &converters);
void appendNeuralNetworkConverters(std::vector<OpConverter> &converters);
void appendControlFlowConverters(std::vector<OpConverter> &converters);
void appendRecurrentConverters(std::vector<OpConverter> &converters);

} // namespace mlir::lbc::onnx_import

#endif // LBC_LIB_IMPORT_ONNX_NODECONTEXT_H
