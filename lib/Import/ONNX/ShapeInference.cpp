//===- ShapeInference.cpp - ONNX shape inference for newer opsets ---------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Opset 18 moved the axes of the Reduce* ops from an attribute to an input
// and gave Split a num_outputs attribute; later opsets added attributes that
// do not change shapes. An ONNX library that predates them infers nothing
// for such nodes, nor for anything downstream. Inferring a rewritten copy
// keeps every type static. Compiled with exceptions, as ONNX throws.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/ShapeInference.h"

#include <onnx/defs/schema.h>
#include <onnx/defs/tensor_proto_util.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace mlir::lbc::onnx_import;

namespace {

/// Constant tensors visible in a graph (initializers and Constant nodes of
/// it and its enclosing graphs), by name.
using Constants = std::map<std::string, const onnx::TensorProto *>;

/// Element count above which an initializer's data is dropped in the copy:
/// inference reads only small integer tensors (shapes, axes, pads).
constexpr int64_t kKeptElements = 4096;

/// Attributes added after opset 17 that do not change output shapes.
const std::set<std::string> &shapeNeutralNewAttributes() {
  static const std::set<std::string> names = {"antialias", "saturate",
                                              "stash_type_new"};
  return names;
}

bool isReduceWithAxesAttribute(const std::string &op) {
  // ReduceSum took axes as an input already in opset 13.
  static const std::set<std::string> ops = {
      "ReduceMean",   "ReduceMax",       "ReduceMin",
      "ReduceProd",   "ReduceL1",        "ReduceL2",
      "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  return ops.count(op) != 0;
}

void rewriteGraph(onnx::GraphProto &graph, Constants constants, bool subgraph);

/// Rewrites one node of the copy to its opset-17 form.
void rewriteNode(onnx::NodeProto &node, const Constants &constants) {
  if (node.op_type() == "RMSNormalization" && node.input_size() >= 1) {
    // Opset 23; its output has the input's type.
    node.set_op_type("Identity");
    node.mutable_input()->DeleteSubrange(1, node.input_size() - 1);
    node.clear_attribute();
    return;
  }
  if (isReduceWithAxesAttribute(node.op_type()) && node.input_size() >= 2) {
    const std::string axesName = node.input(1);
    auto found = constants.find(axesName);
    if (axesName.empty() || found != constants.end()) {
      if (found != constants.end()) {
        onnx::AttributeProto *axes = node.add_attribute();
        axes->set_name("axes");
        axes->set_type(onnx::AttributeProto::INTS);
        for (int64_t axis : onnx::ParseData<int64_t>(found->second))
          axes->add_ints(axis);
      }
      node.mutable_input()->DeleteSubrange(1, node.input_size() - 1);
    }
  }
  auto *attributes = node.mutable_attribute();
  for (int i = attributes->size() - 1; i >= 0; --i) {
    const std::string &name = attributes->Get(i).name();
    bool dropped = shapeNeutralNewAttributes().count(name) != 0 ||
                   (node.op_type() == "Split" && name == "num_outputs");
    if (dropped)
      attributes->DeleteSubrange(i, 1);
  }
  for (onnx::AttributeProto &attribute : *attributes) {
    if (attribute.has_g())
      rewriteGraph(*attribute.mutable_g(), constants, /*subgraph=*/true);
    for (onnx::GraphProto &graph : *attribute.mutable_graphs())
      rewriteGraph(graph, constants, /*subgraph=*/true);
  }
}

void rewriteGraph(onnx::GraphProto &graph, Constants constants, bool subgraph) {
  if (subgraph) {
    // ONNX infers a subgraph from the outer scope's types but not its data:
    // give the subgraph its own copies of the small constants it reads (pads,
    // axes, shapes), so that shapes computed from them stay static.
    std::set<std::string> local;
    for (const onnx::ValueInfoProto &input : graph.input())
      local.insert(input.name());
    for (const onnx::TensorProto &initializer : graph.initializer())
      local.insert(initializer.name());
    for (const onnx::NodeProto &node : graph.node())
      for (const std::string &output : node.output())
        local.insert(output);
    std::set<std::string> copied;
    for (const onnx::NodeProto &node : graph.node())
      for (const std::string &input : node.input()) {
        auto found = constants.find(input);
        if (found != constants.end() && !local.count(input) &&
            copied.insert(input).second) {
          onnx::TensorProto *initializer = graph.add_initializer();
          *initializer = *found->second;
          initializer->set_name(input);
        }
      }
  }
  for (onnx::TensorProto &initializer : *graph.mutable_initializer()) {
    int64_t elements = 1;
    for (int64_t dim : initializer.dims())
      elements *= dim;
    bool integer = initializer.data_type() == onnx::TensorProto::INT64 ||
                   initializer.data_type() == onnx::TensorProto::INT32;
    if (!integer || elements > kKeptElements) {
      // Only the type matters for inference; the data may be gigabytes.
      initializer.clear_raw_data();
      initializer.clear_float_data();
      initializer.clear_double_data();
      initializer.clear_int32_data();
      initializer.clear_int64_data();
      initializer.clear_external_data();
      initializer.set_data_location(onnx::TensorProto::DEFAULT);
      continue;
    }
    constants[initializer.name()] = &initializer;
  }
  for (onnx::NodeProto &node : *graph.mutable_node()) {
    if (node.op_type() == "Constant" && node.output_size() == 1)
      for (const onnx::AttributeProto &attribute : node.attribute())
        if (attribute.name() == "value" && attribute.has_t())
          constants[node.output(0)] = &attribute.t();
    rewriteNode(node, constants);
  }
}

/// Copies the inferred types of `from` (the rewritten copy) into `to`, graph
/// by graph: both have the same nodes and subgraphs in the same order.
void copyInferredTypes(const onnx::GraphProto &from, onnx::GraphProto &to) {
  *to.mutable_value_info() = from.value_info();
  // Declared output types may leave dims open that inference fixed.
  auto knownDims = [](const onnx::TypeProto &type) {
    if (!type.tensor_type().has_shape())
      return -1;
    int known = 0;
    for (const auto &dim : type.tensor_type().shape().dim())
      known += dim.has_dim_value();
    return known;
  };
  for (int i = 0; i < to.output_size() && i < from.output_size(); ++i)
    if (knownDims(from.output(i).type()) > knownDims(to.output(i).type()))
      *to.mutable_output(i)->mutable_type() = from.output(i).type();
  for (int n = 0; n < to.node_size() && n < from.node_size(); ++n) {
    onnx::NodeProto &target = *to.mutable_node(n);
    const onnx::NodeProto &source = from.node(n);
    for (onnx::AttributeProto &attribute : *target.mutable_attribute()) {
      for (const onnx::AttributeProto &other : source.attribute()) {
        if (other.name() != attribute.name())
          continue;
        if (attribute.has_g() && other.has_g())
          copyInferredTypes(other.g(), *attribute.mutable_g());
        for (int g = 0; g < attribute.graphs_size() && g < other.graphs_size();
             ++g)
          copyInferredTypes(other.graphs(g), *attribute.mutable_graphs(g));
      }
    }
  }
}

} // namespace

void mlir::lbc::onnx_import::inferShapes(onnx::ModelProto &model) {
  onnx::ShapeInferenceOptions options(/*check_type=*/false,
                                      /*error_mode=*/0,
                                      /*enable_data_propagation=*/true);
  const auto &versions =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance();
  int64_t newestKnown = versions.Map().at(onnx::ONNX_DOMAIN).second;
  onnx::OperatorSetIdProto *defaultOpset = nullptr;
  for (onnx::OperatorSetIdProto &opset : *model.mutable_opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      defaultOpset = &opset;
  // Copy the model without the initializers' data (moved out and back, which
  // is constant time), so that a model of gigabytes is not copied.
  auto *initializers = model.mutable_graph()->mutable_initializer();
  std::vector<onnx::TensorProto> data(initializers->size());
  auto swapData = [&] {
    for (int i = 0; i < initializers->size(); ++i) {
      onnx::TensorProto &initializer = *initializers->Mutable(i);
      int64_t elements = 1;
      for (int64_t dim : initializer.dims())
        elements *= dim;
      if (elements <= kKeptElements)
        continue;
      initializer.mutable_raw_data()->swap(*data[i].mutable_raw_data());
      initializer.mutable_float_data()->Swap(data[i].mutable_float_data());
      initializer.mutable_int64_data()->Swap(data[i].mutable_int64_data());
      initializer.mutable_int32_data()->Swap(data[i].mutable_int32_data());
      initializer.mutable_double_data()->Swap(data[i].mutable_double_data());
    }
  };
  swapData();
  onnx::ModelProto copy = model;
  swapData();
  if (defaultOpset && defaultOpset->version() > newestKnown)
    for (onnx::OperatorSetIdProto &opset : *copy.mutable_opset_import())
      if (opset.domain().empty() || opset.domain() == "ai.onnx")
        opset.set_version(newestKnown);
  rewriteGraph(*copy.mutable_graph(), {}, /*subgraph=*/false);
  onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                     options);
  copyInferredTypes(copy.graph(), *model.mutable_graph());
}
