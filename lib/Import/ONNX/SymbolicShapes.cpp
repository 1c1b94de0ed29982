//===- SymbolicShapes.cpp - name every dynamic dim by its expression ------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// ONNX's own inference loses a dynamic dim as soon as it flows through data:
// Slice(table, 0, Gather(Shape(x), 1)) has unknown rank, Concat of "past" and
// 1 rows an anonymous dim. lbc needs every dim of every tensor as an
// expression over the graph inputs' named dims, so that code generation can
// compute sizes and the runtime output shapes. This pass evaluates the shape
// computations symbolically (integer tensors as SymbolicDim values), applies
// per-op shape rules, writes the result into value_info dim_params, and lets
// ONNX inference carry it further, until nothing changes.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/IntegerTensors.h"
#include "lib/Import/ONNX/ShapeInference.h"
#include "lib/Support/SymbolicDim.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace mlir::lbc::onnx_import;
using lbc::SymbolicDim;

namespace {

/// A dim that may be unknown; a shape whose rank may be unknown.
using Dim = std::optional<SymbolicDim>;
using Shape = std::optional<std::vector<Dim>>;
/// The contents of a small integer tensor, flattened.
using Values = std::vector<SymbolicDim>;

/// Integer tensors above this size are never tracked as values.
constexpr size_t kMaxValues = 64;
/// An end at or beyond this is "to the end" in Slice (torch writes INT64_MAX).
constexpr int64_t kEndOfDim = int64_t(1) << 40;

std::optional<Values> valuesOf(const onnx::TensorProto &tensor) {
  std::optional<std::vector<int64_t>> integers =
      readIntegerTensor(tensor, kMaxValues);
  if (!integers)
    return std::nullopt;
  Values values;
  for (int64_t v : *integers)
    values.push_back(SymbolicDim::constant(v));
  return values;
}

Shape shapeOf(const onnx::TypeProto &type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return std::nullopt;
  std::vector<Dim> dims;
  for (const auto &dim : type.tensor_type().shape().dim()) {
    if (dim.has_dim_value())
      dims.push_back(SymbolicDim::constant(dim.dim_value()));
    else if (dim.has_dim_param() && dim.dim_param().rfind("unk__", 0) != 0)
      dims.push_back(SymbolicDim::parse(dim.dim_param()));
    else
      dims.push_back(std::nullopt);
  }
  return dims;
}

std::optional<int64_t> normalize(int64_t axis, size_t rank) {
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= static_cast<int64_t>(rank))
    return std::nullopt;
  return axis;
}

/// numpy broadcasting of one dim pair.
Dim broadcastDim(const Dim &a, const Dim &b) {
  if (a && a->getConstant() == 1)
    return b;
  if (b && b->getConstant() == 1)
    return a;
  if (a && b && (*a == *b || !a->isConstant()) && b->isConstant())
    return b;
  return a ? a : b;
}

Shape broadcastShapes(const std::vector<Shape> &shapes) {
  size_t rank = 0;
  for (const Shape &shape : shapes) {
    if (!shape)
      return std::nullopt;
    rank = std::max(rank, shape->size());
  }
  std::vector<Dim> result(rank, SymbolicDim::constant(1));
  for (const Shape &shape : shapes)
    for (size_t i = 0; i < shape->size(); ++i) {
      size_t at = rank - shape->size() + i;
      result[at] = broadcastDim(result[at], (*shape)[i]);
    }
  return result;
}

bool isSameShapeOp(const std::string &op) {
  static const std::set<std::string> ops = {"Abs",        "Cast",
                                            "Ceil",       "Clip",
                                            "Cos",        "CumSum",
                                            "Dropout",    "Elu",
                                            "Erf",        "Exp",
                                            "Floor",      "HardSigmoid",
                                            "HardSwish",  "Identity",
                                            "IsNaN",      "LayerNormalization",
                                            "LeakyRelu",  "Log",
                                            "LogSoftmax", "Neg",
                                            "Not",        "RMSNormalization",
                                            "Reciprocal", "Relu",
                                            "Round",      "Sigmoid",
                                            "Sign",       "Sin",
                                            "Softmax",    "Softplus",
                                            "Sqrt",       "Tanh",
                                            "Trilu"};
  return ops.count(op) != 0;
}

bool isBroadcastOp(const std::string &op) {
  static const std::set<std::string> ops = {
      "Add",   "And",         "Div", "Equal", "Greater", "GreaterOrEqual",
      "Less",  "LessOrEqual", "Max", "Mean",  "Min",     "Mod",
      "Mul",   "Or",          "Pow", "PRelu", "Sub",     "Sum",
      "Where", "Xor"};
  return ops.count(op) != 0;
}

/// Symbolic evaluation of the main graph.
class SymbolicEvaluator {
public:
  SymbolicEvaluator(onnx::GraphProto &graph,
                    std::map<std::string, int64_t> &upperBounds)
      : graph(graph), upperBounds(upperBounds) {}

  /// One pass over the nodes; returns whether any type was refined or node
  /// folded.
  bool run() {
    collectTypes();
    bool changed = false;
    for (int n = 0; n < graph.node_size(); ++n)
      changed |= visit(*graph.mutable_node(n));
    return changed;
  }

private:
  void collectTypes() {
    auto note = [&](onnx::ValueInfoProto &info) {
      types[info.name()] = info.mutable_type();
      shapes[info.name()] = shapeOf(info.type());
    };
    for (auto &info : *graph.mutable_input())
      note(info);
    for (auto &info : *graph.mutable_value_info())
      note(info);
    for (auto &info : *graph.mutable_output())
      note(info);
    for (const auto &initializer : graph.initializer()) {
      std::vector<Dim> dims;
      for (int64_t dim : initializer.dims())
        dims.push_back(SymbolicDim::constant(dim));
      shapes[initializer.name()] = dims;
      if (auto v = valuesOf(initializer))
        values[initializer.name()] = *v;
    }
  }

  Shape shape(const onnx::NodeProto &node, int i) const {
    if (i >= node.input_size() || node.input(i).empty())
      return std::nullopt;
    auto found = shapes.find(node.input(i));
    return found == shapes.end() ? std::nullopt : found->second;
  }
  const Values *value(const onnx::NodeProto &node, int i) const {
    if (i >= node.input_size() || node.input(i).empty())
      return nullptr;
    auto found = values.find(node.input(i));
    return found == values.end() ? nullptr : &found->second;
  }
  /// Input `i` as constant integers.
  std::optional<std::vector<int64_t>> constants(const onnx::NodeProto &node,
                                                int i) const {
    const Values *v = value(node, i);
    if (!v)
      return std::nullopt;
    std::vector<int64_t> result;
    for (const SymbolicDim &d : *v) {
      if (!d.isConstant())
        return std::nullopt;
      result.push_back(*d.getConstant());
    }
    return result;
  }
  /// The axes of Unsqueeze/Squeeze/Reduce*: attribute before the opset
  /// moved them to input 1.
  std::optional<std::vector<int64_t>> axes(const onnx::NodeProto &node) const {
    if (const onnx::AttributeProto *attribute = findAttribute(node, "axes"))
      return std::vector<int64_t>(attribute->ints().begin(),
                                  attribute->ints().end());
    if (node.input_size() > 1 && !node.input(1).empty())
      return constants(node, 1);
    return std::vector<int64_t>{};
  }

  bool visit(onnx::NodeProto &node) {
    const std::string &op = node.op_type();
    if (op == "Constant") {
      for (const auto &attribute : node.attribute()) {
        std::optional<Values> v;
        std::vector<Dim> dims;
        if (attribute.name() == "value" && attribute.has_t()) {
          v = valuesOf(attribute.t());
          for (int64_t dim : attribute.t().dims())
            dims.push_back(SymbolicDim::constant(dim));
        } else if (attribute.name() == "value_int") {
          v = Values{SymbolicDim::constant(attribute.i())};
        } else if (attribute.name() == "value_ints") {
          v.emplace();
          for (int64_t i : attribute.ints())
            v->push_back(SymbolicDim::constant(i));
          dims.push_back(SymbolicDim::constant(v->size()));
        }
        if (v && node.output_size() == 1) {
          values[node.output(0)] = *v;
          shapes[node.output(0)] = dims;
        }
      }
      return false;
    }
    std::optional<Values> outValue = evaluateValues(node);
    Shape outShape = inferShape(node);
    if (outValue && node.output_size() >= 1)
      values[node.output(0)] = *outValue;
    bool changed = false;
    if (outShape && node.output_size() >= 1)
      changed |= refine(node.output(0), *outShape, elementType(node));
    // Further outputs of multi-output ops are left to ONNX inference.
    if (outValue && node.output_size() == 1)
      changed |= foldToConstant(node, *outValue);
    return changed;
  }

  /// Writes what is known about `name` into its type (value_info entry
  /// created if need be); returns whether anything changed.
  bool refine(const std::string &name, const std::vector<Dim> &inferred,
              int32_t elementType) {
    onnx::TypeProto *type = types.count(name) ? types[name] : nullptr;
    if (!type) {
      onnx::ValueInfoProto *info = graph.add_value_info();
      info->set_name(name);
      type = info->mutable_type();
      types[name] = type;
    }
    auto *tensor = type->mutable_tensor_type();
    bool changed = false;
    if (tensor->elem_type() == 0) {
      // A shape without an element type is no type: leave it to ONNX.
      if (elementType == 0)
        return false;
      tensor->set_elem_type(elementType);
      changed = true;
    }
    if (!tensor->has_shape() ||
        tensor->shape().dim_size() != static_cast<int>(inferred.size())) {
      if (tensor->has_shape() && tensor->shape().dim_size() != 0)
        return false; // a rank conflict: trust ONNX
      tensor->mutable_shape()->clear_dim();
      for (size_t i = 0; i < inferred.size(); ++i)
        tensor->mutable_shape()->add_dim();
      changed = true;
    }
    std::vector<Dim> merged;
    for (size_t i = 0; i < inferred.size(); ++i) {
      auto *dim = tensor->mutable_shape()->mutable_dim(i);
      const Dim &mine = inferred[i];
      if (!dim->has_dim_value() && mine) {
        if (std::optional<int64_t> c = mine->getConstant()) {
          dim->set_dim_value(*c);
          changed = true;
        } else if (!dim->has_dim_param() || dim->dim_param() != mine->str()) {
          // ONNX's own param ("sequence") and lbc's may both be right; the
          // canonical text keeps one spelling for one dim.
          if (!dim->has_dim_param() ||
              SymbolicDim::parse(dim->dim_param()) != *mine) {
            dim->set_dim_param(mine->str());
            changed = true;
          }
        }
      }
      merged.push_back(
          dim->has_dim_value() ? Dim(SymbolicDim::constant(dim->dim_value()))
          : dim->has_dim_param() && dim->dim_param().rfind("unk__", 0) != 0
              ? Dim(SymbolicDim::parse(dim->dim_param()))
              : std::nullopt);
    }
    shapes[name] = merged;
    return changed;
  }

  /// The element type of `node`'s first output from its inputs and
  /// attributes; 0 when unknown.
  int32_t elementType(const onnx::NodeProto &node) const {
    const std::string &op = node.op_type();
    auto inputType = [&](int i) -> int32_t {
      if (i >= node.input_size())
        return 0;
      auto found = types.find(node.input(i));
      if (found != types.end() && found->second)
        return found->second->tensor_type().elem_type();
      for (const auto &initializer : graph.initializer())
        if (initializer.name() == node.input(i))
          return initializer.data_type();
      return 0;
    };
    if (op == "Shape")
      return onnx::TensorProto::INT64;
    if (op == "Cast")
      return static_cast<int32_t>(intAttribute(node, "to", 0));
    if (op == "Equal" || op == "Less" || op == "Greater" ||
        op == "LessOrEqual" || op == "GreaterOrEqual" || op == "And" ||
        op == "Or" || op == "Xor" || op == "Not" || op == "IsNaN")
      return onnx::TensorProto::BOOL;
    if (op == "ConstantOfShape") {
      const onnx::AttributeProto *value = findAttribute(node, "value");
      return value && value->has_t() ? value->t().data_type()
                                     : int32_t(onnx::TensorProto::FLOAT);
    }
    if (op == "Where")
      return inputType(1);
    return inputType(0);
  }

  /// Replaces an integer computation whose values are all constants by a
  /// Constant node (e.g. Where(Equal(Shape(x), -1), ...) with x dynamic).
  bool foldToConstant(onnx::NodeProto &node, const Values &v) {
    const Shape &outShape = shapes[node.output(0)];
    if (!outShape)
      return false;
    std::vector<int64_t> dims;
    for (const Dim &d : *outShape) {
      if (!d || !d->isConstant())
        return false;
      dims.push_back(*d->getConstant());
    }
    std::vector<int64_t> data;
    for (const SymbolicDim &d : v) {
      if (!d.isConstant())
        return false;
      data.push_back(*d.getConstant());
    }
    int32_t elementType = onnx::TensorProto::INT64;
    const onnx::TypeProto *type = types[node.output(0)];
    if (type && type->tensor_type().elem_type() != 0)
      elementType = type->tensor_type().elem_type();
    if (!isIntegerType(elementType))
      return false;
    onnx::TensorProto tensor;
    tensor.set_data_type(elementType);
    for (int64_t dim : dims)
      tensor.add_dims(dim);
    for (int64_t x : data) {
      if (elementType == onnx::TensorProto::INT64)
        tensor.add_int64_data(x);
      else
        tensor.add_int32_data(static_cast<int32_t>(x));
    }
    std::string output = node.output(0), name = node.name();
    node.Clear();
    node.set_op_type("Constant");
    node.set_name(name);
    node.add_output(output);
    onnx::AttributeProto *attribute = node.add_attribute();
    attribute->set_name("value");
    attribute->set_type(onnx::AttributeProto::TENSOR);
    *attribute->mutable_t() = tensor;
    return true;
  }

  std::optional<Values> evaluateValues(const onnx::NodeProto &node) const {
    const std::string &op = node.op_type();
    if (op == "Shape") {
      Shape input = shape(node, 0);
      if (!input)
        return std::nullopt;
      int64_t rank = input->size();
      int64_t start = intAttribute(node, "start", 0);
      int64_t end = intAttribute(node, "end", rank);
      start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
      end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
      Values result;
      for (int64_t i = start; i < end; ++i) {
        if (!(*input)[i])
          return std::nullopt;
        result.push_back(*(*input)[i]);
      }
      return result;
    }
    if (op == "Identity" || op == "Unsqueeze" || op == "Squeeze" ||
        op == "Reshape" || op == "Flatten" || op == "Cast") {
      if (op == "Cast") {
        int64_t to = intAttribute(node, "to", 0);
        if (!isIntegerType(static_cast<int32_t>(to)))
          return std::nullopt;
      }
      const Values *input = value(node, 0);
      return input ? std::optional(*input) : std::nullopt;
    }
    if (op == "Gather") {
      const Values *data = value(node, 0);
      std::optional<std::vector<int64_t>> indices = constants(node, 1);
      Shape dataShape = shape(node, 0);
      if (!data || !indices || !dataShape || dataShape->size() != 1 ||
          intAttribute(node, "axis", 0) != 0)
        return std::nullopt;
      Values result;
      for (int64_t index : *indices) {
        std::optional<int64_t> at = normalize(index, data->size());
        if (!at)
          return std::nullopt;
        result.push_back((*data)[*at]);
      }
      return result;
    }
    if (op == "Concat") {
      Values result;
      for (int i = 0; i < node.input_size(); ++i) {
        const Values *input = value(node, i);
        Shape inputShape = shape(node, i);
        if (!input || !inputShape || inputShape->size() > 1)
          return std::nullopt;
        result.insert(result.end(), input->begin(), input->end());
      }
      return result;
    }
    if (op == "Slice") {
      const Values *data = value(node, 0);
      auto starts = constants(node, 1), ends = constants(node, 2);
      if (!data || !starts || !ends || starts->size() != 1 || ends->size() != 1)
        return std::nullopt;
      int64_t step = 1;
      if (auto steps = constants(node, 4); steps && steps->size() == 1)
        step = (*steps)[0];
      if (step != 1)
        return std::nullopt;
      int64_t size = data->size();
      int64_t start = (*starts)[0], end = (*ends)[0];
      start = std::clamp<int64_t>(start < 0 ? start + size : start, 0, size);
      end = std::clamp<int64_t>(end < 0 ? end + size : end, 0, size);
      return Values(data->begin() + start,
                    data->begin() + std::max(start, end));
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
        op == "Equal" || op == "Where") {
      std::vector<const Values *> inputs;
      for (int i = 0; i < node.input_size(); ++i) {
        const Values *input = value(node, i);
        if (!input || input->empty())
          return std::nullopt;
        inputs.push_back(input);
      }
      size_t count = 1;
      for (const Values *input : inputs) {
        if (input->size() != 1 && count != 1 && input->size() != count)
          return std::nullopt;
        count = std::max(count, input->size());
      }
      Values result;
      for (size_t i = 0; i < count; ++i) {
        auto at = [&](int k) {
          const Values &v = *inputs[k];
          return v.size() == 1 ? v[0] : v[i];
        };
        std::optional<SymbolicDim> element = combine(op, at);
        if (!element)
          return std::nullopt;
        result.push_back(*element);
      }
      return result;
    }
    if (op == "ConstantOfShape") {
      const onnx::AttributeProto *fill = findAttribute(node, "value");
      std::optional<std::vector<int64_t>> dims = constants(node, 0);
      if (!fill || !fill->has_t() || !dims)
        return std::nullopt;
      std::optional<Values> filler = valuesOf(fill->t());
      size_t count = 1;
      for (int64_t d : *dims)
        count *= static_cast<size_t>(d);
      if (!filler || filler->size() != 1 || count > kMaxValues)
        return std::nullopt;
      return Values(count, (*filler)[0]);
    }
    return std::nullopt;
  }

  template <typename At>
  static std::optional<SymbolicDim> combine(const std::string &op, At at) {
    SymbolicDim a = at(0), b = at(1);
    if (op == "Add")
      return a + b;
    if (op == "Sub")
      return a - b;
    if (op == "Mul")
      return a * b;
    if (op == "Div") {
      if (a.isConstant() && b.isConstant() && *b.getConstant() != 0) {
        // ONNX integer Div truncates toward zero.
        return SymbolicDim::constant(*a.getConstant() / *b.getConstant());
      }
      return a.divideExactly(b);
    }
    if (op == "Equal") {
      if (a == b)
        return SymbolicDim::constant(1);
      if (a.isConstant() && b.isConstant())
        return SymbolicDim::constant(0);
      // A dim is never negative: a named dim differs from any negative
      // constant (torch compares shapes with -1).
      std::optional<int64_t> c =
          a.isConstant() ? a.getConstant() : b.getConstant();
      if (c && *c < 0)
        return SymbolicDim::constant(0);
      return std::nullopt;
    }
    if (op == "Where") {
      std::optional<int64_t> condition = a.getConstant();
      if (!condition)
        return std::nullopt;
      return *condition ? b : at(2);
    }
    return std::nullopt;
  }

  Shape inferShape(const onnx::NodeProto &node) const {
    const std::string &op = node.op_type();
    if (isSameShapeOp(op))
      return shape(node, 0);
    if (isBroadcastOp(op)) {
      std::vector<Shape> inputs;
      for (int i = 0; i < node.input_size(); ++i)
        inputs.push_back(shape(node, i));
      return broadcastShapes(inputs);
    }
    if (op == "Shape") {
      std::optional<Values> v = evaluateValues(node);
      Shape input = shape(node, 0);
      if (!input)
        return std::nullopt;
      if (v)
        return std::vector<Dim>{SymbolicDim::constant(v->size())};
      return std::nullopt;
    }
    if (op == "Gather") {
      Shape data = shape(node, 0), indices = shape(node, 1);
      if (!data || !indices)
        return std::nullopt;
      std::optional<int64_t> axis =
          normalize(intAttribute(node, "axis", 0), data->size());
      if (!axis)
        return std::nullopt;
      std::vector<Dim> result(data->begin(), data->begin() + *axis);
      result.insert(result.end(), indices->begin(), indices->end());
      result.insert(result.end(), data->begin() + *axis + 1, data->end());
      return result;
    }
    if (op == "Unsqueeze") {
      Shape input = shape(node, 0);
      std::optional<std::vector<int64_t>> list = axes(node);
      if (!input || !list)
        return std::nullopt;
      size_t rank = input->size() + list->size();
      std::vector<bool> inserted(rank, false);
      for (int64_t a : *list) {
        std::optional<int64_t> at = normalize(a, rank);
        if (!at)
          return std::nullopt;
        inserted[*at] = true;
      }
      std::vector<Dim> result;
      size_t next = 0;
      for (size_t i = 0; i < rank; ++i)
        result.push_back(inserted[i] ? Dim(SymbolicDim::constant(1))
                                     : (*input)[next++]);
      return result;
    }
    if (op == "Squeeze") {
      Shape input = shape(node, 0);
      std::optional<std::vector<int64_t>> list = axes(node);
      if (!input || !list)
        return std::nullopt;
      std::vector<Dim> result;
      for (size_t i = 0; i < input->size(); ++i) {
        bool dropped = false;
        for (int64_t a : *list)
          dropped |= normalize(a, input->size()) == static_cast<int64_t>(i);
        if (list->empty())
          dropped = (*input)[i] && (*input)[i]->getConstant() == 1;
        if (!dropped)
          result.push_back((*input)[i]);
      }
      return result;
    }
    if (op == "Concat") {
      std::vector<Shape> inputs;
      for (int i = 0; i < node.input_size(); ++i) {
        inputs.push_back(shape(node, i));
        if (!inputs.back())
          return std::nullopt;
      }
      if (inputs.empty())
        return std::nullopt;
      std::optional<int64_t> axis =
          normalize(intAttribute(node, "axis", 0), inputs[0]->size());
      if (!axis)
        return std::nullopt;
      std::vector<Dim> result = *inputs[0];
      for (size_t i = 1; i < inputs.size(); ++i) {
        if (inputs[i]->size() != result.size())
          return std::nullopt;
        const Dim &add = (*inputs[i])[*axis];
        result[*axis] =
            result[*axis] && add ? Dim(*result[*axis] + *add) : std::nullopt;
        for (size_t d = 0; d < result.size(); ++d)
          if (d != static_cast<size_t>(*axis) && !result[d])
            result[d] = (*inputs[i])[d];
      }
      return result;
    }
    if (op == "Slice")
      return sliceShape(node);
    if (op == "Reshape")
      return reshapeShape(node);
    if (op == "Expand") {
      const Values *target = value(node, 1);
      Shape input = shape(node, 0);
      if (!target)
        return std::nullopt;
      std::vector<Dim> targetDims(target->begin(), target->end());
      return broadcastShapes({input, targetDims});
    }
    if (op == "ConstantOfShape") {
      const Values *target = value(node, 0);
      if (!target)
        return std::nullopt;
      return std::vector<Dim>(target->begin(), target->end());
    }
    if (op == "Range") {
      const Values *start = value(node, 0), *limit = value(node, 1);
      std::optional<std::vector<int64_t>> delta = constants(node, 2);
      if (!start || !limit || !delta || start->size() != 1 ||
          limit->size() != 1 || delta->size() != 1 || (*delta)[0] != 1)
        return std::nullopt;
      return std::vector<Dim>{(*limit)[0] - (*start)[0]};
    }
    if (op == "Transpose") {
      Shape input = shape(node, 0);
      if (!input)
        return std::nullopt;
      std::vector<int64_t> perm;
      if (const onnx::AttributeProto *attribute = findAttribute(node, "perm"))
        perm.assign(attribute->ints().begin(), attribute->ints().end());
      else
        for (int64_t i = input->size() - 1; i >= 0; --i)
          perm.push_back(i);
      if (perm.size() != input->size())
        return std::nullopt;
      std::vector<Dim> result;
      for (int64_t p : perm) {
        if (p < 0 || p >= static_cast<int64_t>(input->size()))
          return std::nullopt;
        result.push_back((*input)[p]);
      }
      return result;
    }
    if (op == "MatMul") {
      Shape a = shape(node, 0), b = shape(node, 1);
      if (!a || !b || a->size() < 2 || b->size() < 2)
        return std::nullopt;
      std::vector<Dim> batchA(a->begin(), a->end() - 2),
          batchB(b->begin(), b->end() - 2);
      Shape batch = broadcastShapes({batchA, batchB});
      batch->push_back((*a)[a->size() - 2]);
      batch->push_back(b->back());
      return batch;
    }
    if (op.rfind("Reduce", 0) == 0) {
      Shape input = shape(node, 0);
      std::optional<std::vector<int64_t>> list = axes(node);
      if (!input || !list)
        return std::nullopt;
      bool keep = intAttribute(node, "keepdims", 1) != 0;
      if (list->empty() && intAttribute(node, "noop_with_empty_axes", 0))
        return input;
      std::vector<Dim> result;
      for (size_t i = 0; i < input->size(); ++i) {
        bool reduced = list->empty();
        for (int64_t a : *list)
          reduced |= normalize(a, input->size()) == static_cast<int64_t>(i);
        if (!reduced)
          result.push_back((*input)[i]);
        else if (keep)
          result.push_back(SymbolicDim::constant(1));
      }
      return result;
    }
    return std::nullopt;
  }

  Shape sliceShape(const onnx::NodeProto &node) const {
    Shape input = shape(node, 0);
    const Values *starts = value(node, 1), *ends = value(node, 2);
    if (!input || !starts || !ends || starts->size() != ends->size())
      return std::nullopt;
    std::vector<int64_t> axisList, stepList;
    if (auto a = constants(node, 3))
      axisList = *a;
    else if (node.input_size() > 3 && !node.input(3).empty())
      return std::nullopt;
    else
      for (size_t i = 0; i < starts->size(); ++i)
        axisList.push_back(i);
    if (auto s = constants(node, 4))
      stepList = *s;
    else if (node.input_size() > 4 && !node.input(4).empty())
      return std::nullopt;
    else
      stepList.assign(starts->size(), 1);
    std::vector<Dim> result = *input;
    for (size_t i = 0; i < axisList.size(); ++i) {
      std::optional<int64_t> axis = normalize(axisList[i], input->size());
      if (!axis || stepList[i] != 1)
        return std::nullopt;
      const Dim &size = (*input)[*axis];
      SymbolicDim start = (*starts)[i], end = (*ends)[i];
      auto resolve = [&](const SymbolicDim &bound) -> Dim {
        std::optional<int64_t> c = bound.getConstant();
        if (!c) {
          // A named bound is taken to lie within the dim, which the runtime
          // checks when the dim is static.
          if (size && size->isConstant())
            requireAtMost(bound, *size->getConstant());
          return bound;
        }
        if (*c >= kEndOfDim)
          return size;
        if (*c < 0)
          return size ? Dim(*size + bound) : std::nullopt;
        if (size && size->isConstant())
          return SymbolicDim::constant(std::min(*c, *size->getConstant()));
        return bound;
      };
      Dim from = resolve(start), to = resolve(end);
      if (!from || !to)
        return std::nullopt;
      SymbolicDim extent = *to - *from;
      if (std::optional<int64_t> c = extent.getConstant(); c && *c < 0)
        extent = SymbolicDim::constant(0);
      result[*axis] = extent;
    }
    return result;
  }

  Shape reshapeShape(const onnx::NodeProto &node) const {
    Shape input = shape(node, 0);
    const Values *target = value(node, 1);
    if (!input || !target)
      return std::nullopt;
    bool allowZero = intAttribute(node, "allowzero", 0) != 0;
    std::vector<Dim> result;
    int inferred = -1;
    bool allKnown = true;
    SymbolicDim known = SymbolicDim::constant(1);
    for (size_t i = 0; i < target->size(); ++i) {
      const SymbolicDim &d = (*target)[i];
      std::optional<int64_t> c = d.getConstant();
      if (c == -1) {
        inferred = i;
        result.push_back(std::nullopt);
        continue;
      }
      Dim dim = d;
      if (c == 0 && !allowZero) {
        if (i >= input->size())
          return std::nullopt;
        dim = (*input)[i];
      }
      result.push_back(dim);
      if (dim)
        known = known * *dim;
      allKnown &= dim.has_value();
    }
    if (inferred >= 0 && allKnown) {
      SymbolicDim total = SymbolicDim::constant(1);
      for (const Dim &d : *input) {
        if (!d)
          return std::nullopt;
        total = total * *d;
      }
      std::optional<SymbolicDim> rest = total.divideExactly(known);
      if (!rest)
        return std::nullopt;
      result[inferred] = *rest;
    }
    return result;
  }

  /// Records that `dim` must not exceed `bound` (keeps the tightest).
  void requireAtMost(const SymbolicDim &dim, int64_t bound) const {
    if (dim.isConstant())
      return;
    auto [slot, inserted] = upperBounds.emplace(dim.str(), bound);
    if (!inserted)
      slot->second = std::min(slot->second, bound);
  }

  onnx::GraphProto &graph;
  std::map<std::string, int64_t> &upperBounds;
  std::map<std::string, Shape> shapes;
  std::map<std::string, Values> values;
  std::map<std::string, onnx::TypeProto *> types;
};

} // namespace

bool mlir::lbc::onnx_import::inferSymbolicShapes(
    onnx::ModelProto &model, std::map<std::string, int64_t> &upperBounds) {
  bool changedAny = false;
  // Each round may unlock ONNX inference downstream, which the next round
  // builds on; a chain of L layers needs at most a few rounds per layer.
  for (int round = 0; round < 64; ++round) {
    if (!SymbolicEvaluator(*model.mutable_graph(), upperBounds).run())
      break;
    changedAny = true;
    inferShapes(model);
  }
  return changedAny;
}
