//===- ShapeFolding.cpp - fold ONNX shape computations to constants -------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// A small evaluator for integer tensors (the values of shape computations)
// over the ONNX protobuf graph, before conversion to MLIR.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNX/ShapeFolding.h"
#include "lib/Import/ONNX/IntegerTensors.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace mlir::lbc::onnx_import;

namespace {

/// Folding stops at tensors bigger than this: shape values are tiny, and
/// materializing big tensors is the job of code generation.
constexpr size_t kMaxFoldedElements = 4096;

/// A known integer (or bool) tensor.
struct IntTensor {
  std::vector<int64_t> dims;
  std::vector<int64_t> values;
  int32_t type = onnx::TensorProto::INT64;

  size_t size() const {
    size_t n = 1;
    for (int64_t d : dims)
      n *= static_cast<size_t>(d);
    return n;
  }
};

std::optional<IntTensor> fromProto(const onnx::TensorProto &tensor) {
  std::optional<std::vector<int64_t>> values =
      readIntegerTensor(tensor, kMaxFoldedElements);
  if (!values)
    return std::nullopt;
  IntTensor result;
  result.type = tensor.data_type();
  result.dims.assign(tensor.dims().begin(), tensor.dims().end());
  result.values = std::move(*values);
  return result;
}

onnx::TensorProto toProto(const IntTensor &tensor, const std::string &name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(tensor.type);
  for (int64_t d : tensor.dims)
    proto.add_dims(d);
  for (int64_t v : tensor.values) {
    if (tensor.type == onnx::TensorProto::INT64)
      proto.add_int64_data(v);
    else
      proto.add_int32_data(static_cast<int32_t>(v));
  }
  return proto;
}

/// numpy broadcasting of `inputs` through `fn`.
std::optional<IntTensor>
broadcast(const std::vector<const IntTensor *> &inputs, int32_t resultType,
          const std::function<int64_t(const std::vector<int64_t> &)> &fn) {
  size_t rank = 0;
  for (const IntTensor *t : inputs)
    rank = std::max(rank, t->dims.size());
  IntTensor result;
  result.type = resultType;
  result.dims.assign(rank, 1);
  for (const IntTensor *t : inputs)
    for (size_t i = 0; i < t->dims.size(); ++i) {
      int64_t &d = result.dims[rank - t->dims.size() + i];
      if (t->dims[i] != 1) {
        if (d != 1 && d != t->dims[i])
          return std::nullopt;
        d = t->dims[i];
      }
    }
  if (result.size() > kMaxFoldedElements)
    return std::nullopt;
  std::vector<int64_t> index(rank, 0), args(inputs.size());
  for (size_t flat = 0; flat < result.size(); ++flat) {
    size_t rest = flat;
    for (size_t d = rank; d-- > 0;) {
      index[d] = static_cast<int64_t>(rest % result.dims[d]);
      rest /= result.dims[d];
    }
    for (size_t k = 0; k < inputs.size(); ++k) {
      const IntTensor &t = *inputs[k];
      size_t offset = 0;
      for (size_t i = 0; i < t.dims.size(); ++i) {
        int64_t at = t.dims[i] == 1 ? 0 : index[rank - t.dims.size() + i];
        offset = offset * t.dims[i] + at;
      }
      args[k] = t.values[offset];
    }
    result.values.push_back(fn(args));
  }
  return result;
}

class Folder {
public:
  /// `outer` is the enclosing graph's folder for a subgraph (If branches see
  /// the outer scope's values).
  explicit Folder(onnx::GraphProto &graph, const Folder *outer = nullptr)
      : graph(graph) {
    if (outer) {
      known = outer->known;
      types = outer->types;
    }
    for (const auto &init : graph.initializer())
      if (auto t = fromProto(init))
        known[init.name()] = *t;
    auto addTypes = [&](const auto &infos) {
      for (const auto &info : infos)
        types[info.name()] = &info.type();
    };
    addTypes(graph.input());
    addTypes(graph.value_info());
    addTypes(graph.output());
  }

  int run() {
    int folded = 0;
    auto *nodes = graph.mutable_node();
    for (int index = 0; index < nodes->size(); ++index) {
      onnx::NodeProto &node = *nodes->Mutable(index);
      if (!node.domain().empty())
        continue;
      if (node.op_type() == "If") {
        if (inlineIf(index)) {
          ++folded, --index; // process the inlined branch from its start
          continue;
        }
        // A data-dependent If: fold inside its branches.
        for (onnx::AttributeProto &attribute : *node.mutable_attribute())
          if (attribute.has_g())
            folded += Folder(*attribute.mutable_g(), this).run();
        continue;
      }
      if (node.output_size() != 1)
        continue;
      std::optional<IntTensor> value = evaluate(node);
      if (!value)
        continue;
      known[node.output(0)] = *value;
      if (node.op_type() == "Constant")
        continue;
      onnx::NodeProto constant;
      constant.set_op_type("Constant");
      constant.set_name(node.name().empty() ? node.output(0) : node.name());
      constant.add_output(node.output(0));
      onnx::AttributeProto *attribute = constant.add_attribute();
      attribute->set_name("value");
      attribute->set_type(onnx::AttributeProto::TENSOR);
      *attribute->mutable_t() = toProto(*value, node.output(0));
      node = constant;
      ++folded;
    }
    return folded;
  }

private:
  /// Replaces the If at `index` by the nodes of the branch its (known)
  /// condition selects, renaming the branch's own values so they cannot
  /// collide with the outer graph's, and Identity nodes for its outputs.
  bool inlineIf(int index) {
    auto *nodes = graph.mutable_node();
    const onnx::NodeProto node = nodes->Get(index);
    const IntTensor *condition = get(node, 0);
    if (!condition || condition->values.size() != 1)
      return false;
    const onnx::AttributeProto *branch = findAttribute(
        node, condition->values[0] ? "then_branch" : "else_branch");
    if (!branch || !branch->has_g())
      return false;
    const onnx::GraphProto &body = branch->g();
    if (body.output_size() != node.output_size())
      return false;
    std::string prefix = (node.name().empty() ? node.output(0) : node.name()) +
                         (condition->values[0] ? "/then/" : "/else/");
    std::map<std::string, std::string> renamed;
    for (const onnx::TensorProto &init : body.initializer()) {
      onnx::TensorProto *copy = graph.add_initializer();
      *copy = init;
      copy->set_name(prefix + init.name());
      renamed[init.name()] = copy->name();
      if (auto t = fromProto(*copy))
        known[copy->name()] = *t;
    }
    std::vector<onnx::NodeProto> inlined;
    for (onnx::NodeProto inner : body.node()) {
      for (std::string &input : *inner.mutable_input()) {
        auto it = renamed.find(input);
        if (it != renamed.end())
          input = it->second;
      }
      for (std::string &output : *inner.mutable_output()) {
        renamed[output] = prefix + output;
        output = prefix + output;
      }
      inner.set_name(prefix + inner.name());
      inlined.push_back(std::move(inner));
    }
    for (int i = 0; i < node.output_size(); ++i) {
      onnx::NodeProto identity;
      identity.set_op_type("Identity");
      identity.set_name(prefix + "output_" + std::to_string(i));
      const std::string &source = body.output(i).name();
      auto it = renamed.find(source);
      identity.add_input(it != renamed.end() ? it->second : source);
      identity.add_output(node.output(i));
      inlined.push_back(std::move(identity));
    }
    // Splice: nodes before `index`, the branch, nodes after.
    google::protobuf::RepeatedPtrField<onnx::NodeProto> spliced;
    for (int i = 0; i < nodes->size(); ++i) {
      if (i != index) {
        *spliced.Add() = nodes->Get(i);
        continue;
      }
      for (onnx::NodeProto &inner : inlined)
        *spliced.Add() = std::move(inner);
    }
    nodes->Swap(&spliced);
    return true;
  }

private:
  const IntTensor *get(const onnx::NodeProto &node, int i) {
    if (i >= node.input_size() || node.input(i).empty())
      return nullptr;
    auto it = known.find(node.input(i));
    return it == known.end() ? nullptr : &it->second;
  }

  /// The static shape of a value from its (inferred) type.
  std::optional<std::vector<int64_t>> staticShape(const std::string &name) {
    auto it = types.find(name);
    if (it == types.end() || !it->second->has_tensor_type() ||
        !it->second->tensor_type().has_shape())
      return std::nullopt;
    std::vector<int64_t> dims;
    for (const auto &d : it->second->tensor_type().shape().dim()) {
      if (!d.has_dim_value())
        return std::nullopt;
      dims.push_back(d.dim_value());
    }
    return dims;
  }

  std::optional<std::vector<int64_t>> axesOf(const onnx::NodeProto &node,
                                             int inputIndex) {
    if (const IntTensor *axes = get(node, inputIndex))
      return axes->values;
    if (const auto *a = findAttribute(node, "axes"))
      return std::vector<int64_t>(a->ints().begin(), a->ints().end());
    return std::nullopt;
  }

  std::optional<IntTensor> evaluate(const onnx::NodeProto &node) {
    const std::string &op = node.op_type();
    if (op == "Constant") {
      const auto *value = findAttribute(node, "value");
      if (value && value->has_t())
        return fromProto(value->t());
      if (const auto *i = findAttribute(node, "value_int"))
        return IntTensor{{}, {i->i()}};
      if (const auto *is = findAttribute(node, "value_ints"))
        return IntTensor{
            {is->ints_size()},
            std::vector<int64_t>(is->ints().begin(), is->ints().end())};
      return std::nullopt;
    }
    if (op == "Shape") {
      auto dims = staticShape(node.input(0));
      if (!dims)
        return std::nullopt;
      int64_t rank = dims->size();
      int64_t start = intAttribute(node, "start", 0),
              end = intAttribute(node, "end", rank);
      start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
      end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
      IntTensor result;
      result.values.assign(dims->begin() + start,
                           dims->begin() + std::max(start, end));
      result.dims = {static_cast<int64_t>(result.values.size())};
      return result;
    }
    if (op == "Cast") {
      const IntTensor *x = get(node, 0);
      int64_t to = intAttribute(node, "to", 0);
      if (!x || !isIntegerType(static_cast<int32_t>(to)))
        return std::nullopt;
      IntTensor result = *x;
      result.type = static_cast<int32_t>(to);
      if (to == onnx::TensorProto::BOOL)
        for (int64_t &v : result.values)
          v = v != 0;
      return result;
    }
    if (op == "Identity") {
      if (const IntTensor *x = get(node, 0))
        return *x;
      return std::nullopt;
    }
    if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
        op == "Flatten") {
      const IntTensor *x = get(node, 0);
      auto dims = staticShape(node.output(0));
      if (!x || !dims)
        return std::nullopt;
      IntTensor result = *x;
      result.dims = *dims;
      if (result.size() != x->size())
        return std::nullopt;
      return result;
    }
    if (op == "Concat") {
      IntTensor result;
      for (int i = 0; i < node.input_size(); ++i) {
        const IntTensor *x = get(node, i);
        if (!x || x->dims.size() > 1)
          return std::nullopt;
        result.type = x->type;
        result.values.insert(result.values.end(), x->values.begin(),
                             x->values.end());
      }
      result.dims = {static_cast<int64_t>(result.values.size())};
      return result;
    }
    if (op == "Gather") {
      const IntTensor *data = get(node, 0), *indices = get(node, 1);
      if (!data || !indices || data->dims.size() != 1)
        return std::nullopt;
      IntTensor result;
      result.type = data->type;
      result.dims = indices->dims;
      int64_t size = data->dims[0];
      for (int64_t i : indices->values) {
        if (i < 0)
          i += size;
        if (i < 0 || i >= size)
          return std::nullopt;
        result.values.push_back(data->values[i]);
      }
      return result;
    }
    if (op == "Slice") {
      const IntTensor *data = get(node, 0);
      if (!data || data->dims.size() != 1)
        return std::nullopt;
      int64_t start, end, step = 1;
      if (node.input_size() == 1) {
        // Opset < 10: starts/ends as attributes.
        const auto *starts = findAttribute(node, "starts");
        const auto *ends = findAttribute(node, "ends");
        if (!starts || !ends || starts->ints_size() != 1 ||
            ends->ints_size() != 1)
          return std::nullopt;
        start = starts->ints(0);
        end = ends->ints(0);
      } else {
        const IntTensor *starts = get(node, 1), *ends = get(node, 2);
        if (!starts || !ends || starts->values.size() != 1 ||
            ends->values.size() != 1)
          return std::nullopt;
        const IntTensor *steps = get(node, 4);
        start = starts->values[0];
        end = ends->values[0];
        step = steps ? steps->values[0] : 1;
      }
      int64_t size = data->dims[0];
      if (step <= 0)
        return std::nullopt;
      start = std::clamp<int64_t>(start < 0 ? start + size : start, 0, size);
      end = std::clamp<int64_t>(end < 0 ? end + size : end, 0, size);
      IntTensor result;
      result.type = data->type;
      for (int64_t i = start; i < end; i += step)
        result.values.push_back(data->values[i]);
      result.dims = {static_cast<int64_t>(result.values.size())};
      return result;
    }
    if (op == "ConstantOfShape") {
      const IntTensor *shape = get(node, 0);
      if (!shape)
        return std::nullopt;
      IntTensor result;
      result.dims = shape->values;
      int64_t fill = 0;
      if (const auto *value = findAttribute(node, "value")) {
        auto v = fromProto(value->t());
        if (!v || v->values.empty())
          return std::nullopt; // a float fill: not a shape value
        fill = v->values[0];
        result.type = v->type;
      } else {
        return std::nullopt; // default fill is FLOAT 0
      }
      if (result.size() > kMaxFoldedElements)
        return std::nullopt;
      result.values.assign(result.size(), fill);
      return result;
    }
    if (op == "Range") {
      const IntTensor *start = get(node, 0), *limit = get(node, 1),
                      *delta = get(node, 2);
      if (!start || !limit || !delta || delta->values[0] == 0)
        return std::nullopt;
      IntTensor result;
      result.type = start->type;
      int64_t s = start->values[0], l = limit->values[0], d = delta->values[0];
      for (int64_t v = s; d > 0 ? v < l : v > l; v += d) {
        result.values.push_back(v);
        if (result.values.size() > kMaxFoldedElements)
          return std::nullopt;
      }
      result.dims = {static_cast<int64_t>(result.values.size())};
      return result;
    }
    using Fn = std::function<int64_t(const std::vector<int64_t> &)>;
    static const std::map<std::string, std::pair<Fn, bool>> elementwise = {
        {"Add", {[](const auto &a) { return a[0] + a[1]; }, false}},
        {"Sub", {[](const auto &a) { return a[0] - a[1]; }, false}},
        {"Mul", {[](const auto &a) { return a[0] * a[1]; }, false}},
        {"Div", {[](const auto &a) { return a[1] ? a[0] / a[1] : 0; }, false}},
        {"Equal", {[](const auto &a) { return int64_t(a[0] == a[1]); }, true}},
        {"Less", {[](const auto &a) { return int64_t(a[0] < a[1]); }, true}},
        {"Greater", {[](const auto &a) { return int64_t(a[0] > a[1]); }, true}},
        {"Not", {[](const auto &a) { return int64_t(!a[0]); }, true}},
        {"Where", {[](const auto &a) { return a[0] ? a[1] : a[2]; }, false}},
        {"Max", {[](const auto &a) { return std::max(a[0], a[1]); }, false}},
        {"Min", {[](const auto &a) { return std::min(a[0], a[1]); }, false}},
    };
    auto it = elementwise.find(op);
    if (it == elementwise.end())
      return std::nullopt;
    std::vector<const IntTensor *> inputs;
    for (int i = 0; i < node.input_size(); ++i) {
      const IntTensor *x = get(node, i);
      if (!x)
        return std::nullopt;
      inputs.push_back(x);
    }
    if (op == "Div" && inputs.size() == 2)
      for (int64_t v : inputs[1]->values)
        if (v == 0)
          return std::nullopt;
    int32_t type = it->second.second ? onnx::TensorProto::BOOL
                   : op == "Where"   ? inputs[1]->type
                                     : inputs[0]->type;
    return broadcast(inputs, type, it->second.first);
  }

  onnx::GraphProto &graph;
  std::map<std::string, IntTensor> known;
  std::map<std::string, const onnx::TypeProto *> types;
};

} // namespace

int mlir::lbc::onnx_import::foldShapeComputations(onnx::ModelProto &model) {
  return Folder(*model.mutable_graph()).run();
}
