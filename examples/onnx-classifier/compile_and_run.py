#!/usr/bin/python3
"""Compiles a bundled ONNX model to model.so with lbc and runs it.

Writes a small image classifier (conv -> relu -> pool -> gemm -> softmax, with
fixed-seed weights) as ONNX, compiles it with `lbc-opt model.onnx -o model.so`,
runs it with `lbc-run` on a batch of inputs, and compares the probabilities
with a numpy implementation of the same network (FP32 reference). Prints the
error and lbc-run's latency percentiles.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def make_model(rng, batch):
    conv_w = rng.normal(0, 0.3, (8, 1, 3, 3)).astype(np.float32)
    conv_b = rng.normal(0, 0.1, (8,)).astype(np.float32)
    fc_w = rng.normal(0, 0.05, (10, 8 * 14 * 14)).astype(np.float32)
    fc_b = rng.normal(0, 0.1, (10,)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["image", "conv_w", "conv_b"], ["conv"],
                         name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("MaxPool", ["relu"], ["pool"], name="pool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc",
                         transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax",
                         axis=1),
    ]
    graph = helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [batch, 10])],
        [numpy_helper.from_array(a, n) for a, n in
         [(conv_w, "conv_w"), (conv_b, "conv_b"), (fc_w, "fc_w"), (fc_b, "fc_b")]])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model, (conv_w, conv_b, fc_w, fc_b)


def reference(image, conv_w, conv_b, fc_w, fc_b):
    """The same network in numpy, in float64."""
    n = image.shape[0]
    padded = np.pad(image.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    conv = np.einsum("ncyxij,ocij->noyx", windows, conv_w) + conv_b[None, :, None, None]
    relu = np.maximum(conv, 0)
    pool = relu.reshape(n, 8, 14, 2, 14, 2).max(axis=(3, 5))
    logits = pool.reshape(n, -1) @ fc_w.T + fc_b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lbc-opt", default=os.path.join("build", "bin", "lbc-opt"))
    parser.add_argument("--lbc-run", default=os.path.join("build", "bin", "lbc-run"))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--bench", type=int, default=200)
    parser.add_argument("--check", action="store_true",
                        help="fail unless max relative error <= 1e-4")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    model, weights = make_model(rng, args.batch)
    image = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(tmp, "classifier.onnx")
        so_path = os.path.join(tmp, "classifier.so")
        onnx.save_model(model, onnx_path)
        np.save(os.path.join(tmp, "image.npy"), image)
        start = time.perf_counter()
        compiled = subprocess.run([args.lbc_opt, onnx_path, "-o", so_path],
                                  capture_output=True, text=True)
        compile_seconds = time.perf_counter() - start
        if compiled.returncode != 0:
            sys.exit(compiled.stderr)
        ran = subprocess.run([args.lbc_run, so_path, "--input",
                              os.path.join(tmp, "image.npy"), "--output-dir", tmp,
                              "--bench", str(args.bench)],
                             capture_output=True, text=True)
        if ran.returncode != 0:
            sys.exit(ran.stderr)
        probabilities = np.load(os.path.join(tmp, "output_0.npy"))
        size = os.path.getsize(so_path)

    expected = reference(image, *weights)
    max_rel = np.max(np.abs(probabilities - expected) / np.abs(expected))
    agree = np.mean(probabilities.argmax(1) == expected.argmax(1))
    latency = re.search(r"latency over .*", ran.stdout).group(0)
    print(f"classifier (Conv-Relu-MaxPool-Gemm-Softmax, batch {args.batch}): "
          f"compiled in {compile_seconds:.2f} s to a {size / 1024:.0f} KiB model.so")
    print(f"accuracy vs FP32 numpy reference: max relative error {max_rel:.2e}, "
          f"top-1 agreement {agree * 100:.0f}%")
    print(f"lbc-run {latency}")
    if args.check and not max_rel <= 1e-4:
        sys.exit(f"FAIL: max relative error {max_rel:.2e} > 1e-4")


if __name__ == "__main__":
    main()
