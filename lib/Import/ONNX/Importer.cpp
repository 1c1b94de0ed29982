//===- Importer.cpp - ONNX graph to an MLIR function ----------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Walks the ONNX graph in order: graph inputs become function arguments,
// initializers become dense_resource constants, each node is converted by the
// converter registered for its op type and opset, graph outputs are returned.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/NodeContext.h"
#include "lib/Import/ONNX/ONNXImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/ADT/StringSet.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::lbc;
using namespace mlir::lbc::onnx_import;

ImportedModel::ImportedModel() = default;
ImportedModel::ImportedModel(ImportedModel &&) = default;
ImportedModel::~ImportedModel() = default;

void mlir::lbc::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
}

namespace {

/// Converters by op type, each list sorted by opset.
class ConverterTable {
public:
  ConverterTable() {
    std::vector<OpConverter> all;
    appendElementwiseConverters(all);
    appendLinearAlgebraConverters(all);
    appendShapeConverters(all);
    appendReductionConverters(all);
    appendNeuralNetworkConverters(all);
    appendControlFlowConverters(all);
    appendRecurrentConverters(all);
    for (const OpConverter &converter : all)
      byOp[converter.opType].push_back(converter);
    for (auto &entry : byOp)
      std::sort(entry.second.begin(), entry.second.end(),
                [](const OpConverter &a, const OpConverter &b) {
                  return a.sinceVersion < b.sinceVersion;
                });
  }

  /// The converter for `opType` at `opset`; null if none applies.
  const OpConverter *find(llvm::StringRef opType, int64_t opset,
                          int *oldestSupported) const {
    auto it = byOp.find(opType);
    if (it == byOp.end())
      return nullptr;
    *oldestSupported = it->second.front().sinceVersion;
    const OpConverter *best = nullptr;
    for (const OpConverter &converter : it->second)
      if (converter.sinceVersion <= opset)
        best = &converter;
    return best;
  }

private:
  llvm::StringMap<std::vector<OpConverter>> byOp;
};

const ConverterTable &getConverterTable() {
  static const ConverterTable table;
  return table;
}

constexpr int64_t kMinIrVersion = 3, kMaxIrVersion = 10;
// Opsets before 7 import as long as every node's converter covers them
// (the converter table says from which opset each op is supported).
constexpr int64_t kMinOpset = 1, kMaxOpset = 23;

} // namespace

LogicalResult GraphContext::convertNodes(const onnx::GraphProto &graph) {
  for (const auto &info : graph.value_info())
    addValueType(info.name(), &info.type());
  for (const auto &info : graph.output())
    addValueType(info.name(), &info.type());
  const ConverterTable &converters = getConverterTable();
  for (const auto &[position, node] : llvm::enumerate(graph.node())) {
    NodeContext nodeContext(*this, node, opset, position);
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      return nodeContext.error() << "operators of domain '" << node.domain()
                                 << "' are not supported";
    for (const std::string &input : node.input())
      if (!input.empty() && !lookup(input))
        return nodeContext.error()
               << "input '" << input
               << "' is not defined before its use (graph not in "
                  "topological order?)";
    int oldestSupported = 0;
    const OpConverter *converter =
        converters.find(node.op_type(), opset, &oldestSupported);
    if (!converter) {
      if (oldestSupported)
        return nodeContext.error()
               << "supported from opset " << oldestSupported << " only";
      return nodeContext.error() << "operator is not supported by lbc";
    }
    if (failed(converter->convert(nodeContext)))
      return failure();
    for (const std::string &output : node.output())
      if (!output.empty() && !lookup(output))
        return nodeContext.error()
               << "internal error: converter did not define output '" << output
               << "'";
  }
  return success();
}

FailureOr<ImportedModel>
mlir::lbc::importONNXModel(MLIRContext *context, llvm::StringRef path,
                           const onnx_import::ShapeBindings &bindings) {
  DialectRegistry registry;
  registerONNXImportDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();

  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  std::string error;
  std::unique_ptr<LoadedModel> loaded =
      onnx_import::loadModel(path, bindings, error);
  if (!loaded)
    return emitError(fileLoc) << error;
  onnx::ModelProto &model = loaded->getModel();
  const onnx::GraphProto &graph = model.graph();

  if (model.ir_version() < kMinIrVersion || model.ir_version() > kMaxIrVersion)
    return emitError(fileLoc) << "ONNX IR version " << model.ir_version()
                              << " is not supported (lbc reads versions "
                              << kMinIrVersion << ".." << kMaxIrVersion << ")";
  int64_t opset = -1;
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc) << "default-domain opset " << opset
                              << " is not supported (lbc reads opsets "
                              << kMinOpset << ".." << kMaxOpset << ")";

  ImportedModel result;
  result.module = ModuleOp::create(fileLoc);
  OpBuilder builder(context);
  builder.setInsertionPointToEnd(result.module->getBody());
  GraphContext graphContext(context, *loaded, builder);

  // Graph inputs that are not initializers are the function's arguments.
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializerNames.insert(tensor.name());
  SmallVector<Type> argumentTypes, resultTypes;
  SmallVector<std::string> argumentNames;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    RankedTensorType type =
        graphContext.convertTensorType(input.type(), input.name(), fileLoc);
    if (!type)
      return failure();
    argumentTypes.push_back(type);
    argumentNames.push_back(input.name());
  }
  for (const onnx::ValueInfoProto &output : graph.output()) {
    RankedTensorType type =
        graphContext.convertTensorType(output.type(), output.name(), fileLoc);
    if (!type)
      return failure();
    resultTypes.push_back(type);
  }

  auto function =
      func::FuncOp::create(builder, fileLoc, kModelFunctionName,
                           builder.getFunctionType(argumentTypes, resultTypes));
  // Names and unsignedness (MLIR integers are signless) travel to the
  // artifact's signature.
  auto isUnsignedInfo = [](const onnx::ValueInfoProto &info) {
    return info.type().has_tensor_type() &&
           onnx_import::isUnsignedElementType(
               info.type().tensor_type().elem_type());
  };
  for (auto [index, name] : llvm::enumerate(argumentNames))
    function.setArgAttr(index, "lbc.name", builder.getStringAttr(name));
  // Dynamic dims keep their names (or expressions of the input names) for
  // the artifact's signature, from which the runtime checks inputs and
  // computes output shapes: "" for a static dim.
  auto dimNames = [&](const onnx::ValueInfoProto &info,
                      RankedTensorType type) -> Attribute {
    if (type.hasStaticShape())
      return {};
    SmallVector<Attribute> names;
    const auto &shape = info.type().tensor_type().shape();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      std::string name;
      if (type.isDynamicDim(d) && d < shape.dim_size() &&
          shape.dim(d).has_dim_param())
        name = ::lbc::SymbolicDim::parse(shape.dim(d).dim_param()).str();
      names.push_back(builder.getStringAttr(name));
    }
    return builder.getArrayAttr(names);
  };
  {
    unsigned index = 0;
    for (const onnx::ValueInfoProto &input : graph.input()) {
      if (initializerNames.contains(input.name()))
        continue;
      if (isUnsignedInfo(input))
        function.setArgAttr(index, "lbc.unsigned", builder.getUnitAttr());
      if (Attribute names =
              dimNames(input, cast<RankedTensorType>(argumentTypes[index])))
        function.setArgAttr(index, "lbc.dims", names);
      ++index;
    }
  }
  for (auto [index, output] : llvm::enumerate(graph.output())) {
    function.setResultAttr(index, "lbc.name",
                           builder.getStringAttr(output.name()));
    if (isUnsignedInfo(output))
      function.setResultAttr(index, "lbc.unsigned", builder.getUnitAttr());
    if (Attribute names =
            dimNames(output, cast<RankedTensorType>(resultTypes[index])))
      function.setResultAttr(index, "lbc.dims", names);
  }
  if (!loaded->getDimUpperBounds().empty()) {
    SmallVector<NamedAttribute> bounds;
    for (const auto &[dim, bound] : loaded->getDimUpperBounds())
      bounds.push_back(
          builder.getNamedAttr(dim, builder.getI64IntegerAttr(bound)));
    function->setAttr("lbc.dim_upper_bounds",
                      builder.getDictionaryAttr(bounds));
  }
  Block *body = function.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [index, name] : llvm::enumerate(argumentNames))
    graphContext.define(name, body->getArgument(index));
  // Each named dim is read once from the first input that has it.
  {
    unsigned index = 0;
    for (const onnx::ValueInfoProto &input : graph.input()) {
      if (initializerNames.contains(input.name()))
        continue;
      Value argument = body->getArgument(index++);
      const auto &shape = input.type().tensor_type().shape();
      for (int d = 0; d < shape.dim_size(); ++d) {
        if (!shape.dim(d).has_dim_param() || shape.dim(d).has_dim_value())
          continue;
        std::optional<std::string> symbol =
            ::lbc::SymbolicDim::parse(shape.dim(d).dim_param()).getSymbol();
        if (!symbol || graphContext.isBound(*symbol))
          continue;
        auto size = tensor::DimOp::create(builder, fileLoc, argument, d);
        graphContext.bindSymbol(*symbol, size, size);
      }
    }
  }

  for (const onnx::TensorProto &tensor : graph.initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(tensor.name()), fileLoc);
    Value constant = graphContext.materializeTensor(tensor, loc);
    if (!constant)
      return failure();
    graphContext.define(tensor.name(), constant);
    graphContext.defineConstant(tensor.name(), &tensor);
  }

  graphContext.setOpset(opset);
  if (failed(graphContext.convertNodes(graph)))
    return failure();

  SmallVector<Value> results;
  for (auto [index, output] : llvm::enumerate(graph.output())) {
    Value value = graphContext.lookup(output.name());
    if (!value)
      return emitError(fileLoc)
             << "graph output '" << output.name() << "' is never computed";
    if (value.getType() != resultTypes[index]) {
      // Shape inference may know more than the declared output type: cast.
      value =
          tensor::CastOp::create(builder, fileLoc, resultTypes[index], value);
    }
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  result.source = std::move(loaded);
  return result;
}
