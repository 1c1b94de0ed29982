#!/usr/bin/python3
"""Makes a one-linear ONNX model and inputs with correlated channels.

  make_correlated_linear.py --out DIR [--rows 256 --inputs 128 --outputs 48]

DIR gets model.onnx (x [rows, inputs] times a constant weight), and x.npy:
rows whose channels mix a few shared factors and where every seventh channel
is 5x larger, the situation GPTQ's error feedback exploits (real layer
inputs are far from white). Seeded; the same files on every run.
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--inputs", type=int, default=128)
    parser.add_argument("--outputs", type=int, default=48)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(0)
    k, n = args.inputs, args.outputs
    weight = rng.normal(0, 0.1, (k, n)).astype(np.float32)
    mixing = rng.normal(0, 2.0 / np.sqrt(k), (k, k))
    z = rng.normal(size=(args.rows, k))
    x = z + z @ mixing
    x[:, ::7] *= 5.0
    np.save(os.path.join(args.out, "x.npy"), x.astype(np.float32))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [args.rows, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [args.rows, n])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(args.out, "model.onnx"))


if __name__ == "__main__":
    main()
