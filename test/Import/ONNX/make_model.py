#!/usr/bin/python3
"""Writes small ONNX models for the importer's lit tests.

  make_model.py CASE OUTPUT_DIR    writes OUTPUT_DIR/model.onnx (plus, for
                                   some cases, external data, an input.npy and
                                   the numpy reference expected.npy)
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def model(nodes, inputs, outputs, initializers=(), opset=17, ir_version=8):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir_version
    return m


def case_add_broadcast(out):
    return model([helper.make_node("Add", ["x", "y"], ["z"], name="add0")],
                 [tensor("x", [2, 3]), tensor("y", [3])], [tensor("z", [2, 3])])


def case_matmul_weight(out):
    w = numpy_helper.from_array(np.arange(8 * 16, dtype=np.float32).reshape(8, 16), "w")
    return model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                 [tensor("x", [4, 8])], [tensor("y", [4, 16])], [w])


def case_gemm(out):
    return model([helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm",
                                   transB=1, alpha=2.0)],
                 [tensor("a", [4, 8]), tensor("b", [16, 8]), tensor("c", [16])],
                 [tensor("y", [4, 16])])


def case_gemm_weight_transposed(out):
    # Gemm with a [n, k] initializer read through transB: the importer stores
    # the weight transposed; the numpy reference checks the values.
    rng = np.random.default_rng(0)
    b = rng.standard_normal((16, 8)).astype(np.float32)
    c = rng.standard_normal(16).astype(np.float32)
    a = rng.standard_normal((4, 8)).astype(np.float32)
    np.save(os.path.join(out, "input.npy"), a)
    np.save(os.path.join(out, "expected.npy"), 0.5 * a @ b.T + c)
    return model([helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm",
                                   transB=1, alpha=0.5)],
                 [tensor("a", [4, 8])], [tensor("y", [4, 16])],
                 [numpy_helper.from_array(b, "b"), numpy_helper.from_array(c, "c")])


def case_matmul_weight_padded(out):
    # 20 output columns: the importer pads the weight with zero columns to 24
    # and slices the product back; the numpy reference checks the values.
    rng = np.random.default_rng(1)
    w = rng.standard_normal((8, 20)).astype(np.float32)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    np.save(os.path.join(out, "input.npy"), x)
    np.save(os.path.join(out, "expected.npy"), x @ w)
    return model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                 [tensor("x", [2, 5, 8])], [tensor("y", [2, 5, 20])],
                 [numpy_helper.from_array(w, "w")])


def case_rms_normalization(out):
    # Opset 23 (newer than Debian's ONNX): normalize the last two dims.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    scale = rng.standard_normal((3, 8)).astype(np.float32)
    np.save(os.path.join(out, "input.npy"), x)
    rms = np.sqrt(np.mean(x * x, axis=(1, 2), keepdims=True) + 1e-3)
    np.save(os.path.join(out, "expected.npy"), x / rms * scale)
    return model([helper.make_node("RMSNormalization", ["x", "scale"], ["y"], name="norm",
                                   axis=1, epsilon=1e-3)],
                 [tensor("x", [2, 3, 8])], [tensor("y", [2, 3, 8])],
                 [numpy_helper.from_array(scale, "scale")], opset=23, ir_version=10)


def case_lstm_bidirectional(out):
    # Bidirectional LSTM with biases, peepholes, initial states and per-batch
    # sequence lengths 5, 2 and 3 (the last steps of shorter sequences are
    # masked); compared with ONNX Runtime.
    rng = np.random.default_rng(3)
    steps, batch, inputs, hidden = 5, 3, 4, 6
    def init(name, shape, dtype=np.float32):
        return numpy_helper.from_array((0.5 * rng.standard_normal(shape)).astype(dtype), name)
    lengths = numpy_helper.from_array(np.array([5, 2, 3], dtype=np.int32), "lengths")
    return model([helper.make_node("LSTM", ["x", "w", "r", "b", "lengths", "h0", "c0", "p"],
                                   ["y", "y_h", "y_c"], name="lstm", hidden_size=hidden,
                                   direction="bidirectional")],
                 [tensor("x", [steps, batch, inputs])],
                 [tensor("y", [steps, 2, batch, hidden]), tensor("y_h", [2, batch, hidden]),
                  tensor("y_c", [2, batch, hidden])],
                 [init("w", [2, 4 * hidden, inputs]), init("r", [2, 4 * hidden, hidden]),
                  init("b", [2, 8 * hidden]), lengths, init("h0", [2, batch, hidden]),
                  init("c0", [2, batch, hidden]), init("p", [2, 3 * hidden])], opset=14)


def case_conv_shifted(out):
    # 3x3 convolution, 16 -> 8 channels, pads 1 and a dilation of 2 on the
    # width: imported as 9 shifted matmuls (no im2col); compared with ONNX
    # Runtime.
    rng = np.random.default_rng(4)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    return model([helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv",
                                   kernel_shape=[3, 3], pads=[1, 1, 1, 1], dilations=[1, 2])],
                 [tensor("x", [1, 16, 10, 12])], [tensor("y", [1, 8, 10, 10])],
                 [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])


def case_conv_few_outputs(out):
    # A strided 1-D convolution with 4 output positions (an STFT-like filter
    # bank, 20 filters): imported as cols^T x W^T with W^T computed at import;
    # compared with ONNX Runtime.
    rng = np.random.default_rng(5)
    w = rng.standard_normal((20, 2, 16)).astype(np.float32)
    return model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv",
                                   kernel_shape=[16], strides=[8])],
                 [tensor("x", [1, 2, 40])], [tensor("y", [1, 20, 4])],
                 [numpy_helper.from_array(w, "w")])


def case_conv_transpose_upsample(out):
    # ConvTranspose with stride = kernel = 2 (a decoder's upsampling layer),
    # 8 -> 4 channels with bias; compared with ONNX Runtime.
    rng = np.random.default_rng(6)
    w = rng.standard_normal((8, 4, 2, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    return model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="up",
                                   kernel_shape=[2, 2], strides=[2, 2])],
                 [tensor("x", [1, 8, 5, 6])], [tensor("y", [1, 4, 10, 12])],
                 [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])


def case_conv_depthwise(out):
    # Depthwise 5x5 convolution (group = channels = 16), pads 2, dilation 2
    # on the height, with bias; compared with ONNX Runtime.
    rng = np.random.default_rng(7)
    w = rng.standard_normal((16, 1, 5, 5)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    return model([helper.make_node("Conv", ["x", "w", "b"], ["y"], name="dw", group=16,
                                   kernel_shape=[5, 5], pads=[2, 2, 2, 2], dilations=[2, 1])],
                 [tensor("x", [1, 16, 12, 9])], [tensor("y", [1, 16, 8, 9])],
                 [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])


def case_softmax(opset):
    def make(out):
        return model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)],
                     [tensor("x", [2, 3, 4])], [tensor("y", [2, 3, 4])], opset=opset)
    return make


def case_clip_attributes(out):
    return model([helper.make_node("Clip", ["x"], ["y"], name="clip", min=-1.0, max=1.0)],
                 [tensor("x", [5])], [tensor("y", [5])], opset=6)


def case_unsupported_op(out):
    return model([helper.make_node("Frobnicate", ["x"], ["y"], name="frob0")],
                 [tensor("x", [5])], [tensor("y", [5])])


def case_custom_domain(out):
    m = model([helper.make_node("FusedGemm", ["x"], ["y"], name="fused",
                                domain="com.microsoft")],
              [tensor("x", [5])], [tensor("y", [5])])
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return m


def case_opset_too_new(out):
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [tensor("x", [5])], [tensor("y", [5])], opset=30)


def case_external_data(out):
    """A weight kept in model.onnx.data, read through mmap."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(32, 16)).astype(np.float32)
    b = rng.normal(size=(16,)).astype(np.float32)
    x = rng.normal(size=(3, 32)).astype(np.float32)
    weight = numpy_helper.from_array(w, "w")
    bias = numpy_helper.from_array(b, "b")
    m = model([helper.make_node("MatMul", ["x", "w"], ["h"]),
               helper.make_node("Add", ["h", "b"], ["s"]),
               helper.make_node("Relu", ["s"], ["y"])],
              [tensor("x", [3, 32])], [tensor("y", [3, 16])], [weight, bias])
    onnx.save_model(m, os.path.join(out, "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model.onnx.data",
                    size_threshold=0)
    np.save(os.path.join(out, "input.npy"), x)
    np.save(os.path.join(out, "expected.npy"), np.maximum(x @ w + b, 0))
    return None


def case_missing_external_data(out):
    case_external_data(out)
    os.remove(os.path.join(out, "model.onnx.data"))
    return None


def case_add_with_intermediate(out):
    # z = first half of Concat(x + y, x + y): the concatenation is an
    # intermediate buffer (in the planned workspace) and z == x + y exactly.
    starts = numpy_helper.from_array(np.array([0], dtype=np.int64), "starts")
    ends = numpy_helper.from_array(np.array([3], dtype=np.int64), "ends")
    axes = numpy_helper.from_array(np.array([0], dtype=np.int64), "axes")
    return model([helper.make_node("Add", ["x", "y"], ["t"], name="sum"),
                  helper.make_node("Concat", ["t", "t"], ["both"], axis=0, name="concat"),
                  helper.make_node("Slice", ["both", "starts", "ends", "axes"], ["z"],
                                   name="slice")],
                 [tensor("x", [3, 4, 5]), tensor("y", [3, 4, 5])],
                 [tensor("z", [3, 4, 5])], [starts, ends, axes])


def case_parallel_matmul(out):
    # z = Relu(x W): large enough (4 Mi multiply-adds) for parallel blocks.
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array(rng.normal(0, 0.1, (256, 256)).astype(np.float32), "w")
    return model([helper.make_node("MatMul", ["x", "w"], ["p"], name="mm"),
                  helper.make_node("Relu", ["p"], ["z"], name="relu")],
                 [tensor("x", [64, 256])], [tensor("z", [64, 256])], [w])


def case_dynamic_matmul(out):
    # z = Relu(x W) over a named dynamic row count: the product is a
    # dynamic-size intermediate (2 KiB per row), allocated on every run.
    rng = np.random.default_rng(11)
    w = numpy_helper.from_array(rng.normal(0, 0.1, (256, 512)).astype(np.float32), "w")
    return model([helper.make_node("MatMul", ["x", "w"], ["p"], name="mm"),
                  helper.make_node("Relu", ["p"], ["z"], name="relu")],
                 [tensor("x", ["rows", 256])], [tensor("z", ["rows", 512])], [w])


CASES = {
    "parallel_matmul": case_parallel_matmul,
    "dynamic_matmul": case_dynamic_matmul,
    "add_broadcast": case_add_broadcast,
    "add_with_intermediate": case_add_with_intermediate,
    "matmul_weight": case_matmul_weight,
    "gemm": case_gemm,
    "gemm_weight_transposed": case_gemm_weight_transposed,
    "matmul_weight_padded": case_matmul_weight_padded,
    "rms_normalization": case_rms_normalization,
    "lstm_bidirectional": case_lstm_bidirectional,
    "conv_shifted": case_conv_shifted,
    "conv_few_outputs": case_conv_few_outputs,
    "conv_transpose_upsample": case_conv_transpose_upsample,
    "conv_depthwise": case_conv_depthwise,
    "softmax_opset11": case_softmax(11),
    "softmax_opset13": case_softmax(13),
    "clip_attributes": case_clip_attributes,
    "unsupported_op": case_unsupported_op,
    "custom_domain": case_custom_domain,
    "opset_too_new": case_opset_too_new,
    "external_data": case_external_data,
    "missing_external_data": case_missing_external_data,
}


def main():
    name, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    made = CASES[name](out)
    if made is not None:
        onnx.save_model(made, os.path.join(out, "model.onnx"))


if __name__ == "__main__":
    main()
