#!/usr/bin/python3
"""make_matmul.py M K N OUT.onnx: an ONNX MatMul of two f32 inputs A[M,K] x B[K,N]."""
import sys

import onnx
from onnx import TensorProto, helper

m, k, n, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
graph = helper.make_graph(
    [helper.make_node("MatMul", ["a", "b"], ["c"], name="matmul")], "matmul",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])],
    [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save_model(model, out)
