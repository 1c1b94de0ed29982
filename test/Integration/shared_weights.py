#!/usr/bin/python3
"""Checks weights that several nodes share, after the weight recipes release
the originals they transposed (lbc-raise-linear frees a weight once no product
uses it; the importer's blob frees the parsed ONNX bytes).

  shared_weights.py --work DIR [--bin-dir DIR]

The model: W (64 x 48, inline raw data) feeds two MatMuls and a Gather whose
indices are a run-time input (a tied embedding: W must outlive its products);
V (48 x 32) feeds two MatMuls only (released after the second). Compiled with
fp32, w8 and w4 and run on the same inputs: the gathered rows must equal W's
bytes, the products match numpy within 1e-5 (fp32), 2e-2 (w8) and 0.25 (w4)
of the output's largest magnitude. Exits 1 otherwise.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TOLERANCE = {"fp32": 1e-5, "w8": 2e-2, "w4": 0.25}


def make_model(path, w, v):
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["y1"]),
        helper.make_node("Relu", ["x"], ["rx"]),
        helper.make_node("MatMul", ["rx", "W"], ["y2"]),
        helper.make_node("Add", ["y1", "y2"], ["sum"]),
        helper.make_node("Gather", ["W", "rows"], ["gathered"], axis=0),
        helper.make_node("MatMul", ["y1", "V"], ["z1"]),
        helper.make_node("MatMul", ["y2", "V"], ["z2"]),
        helper.make_node("Add", ["z1", "z2"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes, "shared",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64]),
         helper.make_tensor_value_info("rows", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [4, 48]),
         helper.make_tensor_value_info("gathered", TensorProto.FLOAT, [3, 48]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 32])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(v, "V")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin-dir", default="")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.2, (64, 48)).astype(np.float32)
    v = rng.normal(0, 0.2, (48, 32)).astype(np.float32)
    x = rng.normal(size=(4, 64)).astype(np.float32)
    rows = np.array([5, 0, 63], dtype=np.int64)
    model = os.path.join(args.work, "shared.onnx")
    make_model(model, w, v)
    x_path, rows_path = os.path.join(args.work, "x.npy"), os.path.join(args.work, "rows.npy")
    np.save(x_path, x)
    np.save(rows_path, rows)
    y1, y2 = x @ w, np.maximum(x, 0) @ w
    expected = [y1 + y2, w[rows], y1 @ v + y2 @ v]
    failed = False
    for recipe, tolerance in TOLERANCE.items():
        artifact = os.path.join(args.work, f"shared_{recipe}.so")
        out_dir = artifact + ".out"
        subprocess.run([os.path.join(args.bin_dir, "lbc-opt"), model, f"--pipeline={recipe}",
                        "-o", artifact], check=True)
        os.makedirs(out_dir, exist_ok=True)
        subprocess.run([os.path.join(args.bin_dir, "lbc-run"), artifact, "--input", f"x={x_path}",
                        "--input", f"rows={rows_path}", "--output-dir", out_dir],
                       check=True, stdout=subprocess.DEVNULL)
        outputs = [np.load(os.path.join(out_dir, f"output_{i}.npy")) for i in range(3)]
        gathered_exact = np.array_equal(outputs[1], expected[1])
        errors = [float(np.abs(outputs[i] - expected[i]).max() / np.abs(expected[i]).max())
                  for i in (0, 2)]
        ok = gathered_exact and max(errors) <= tolerance
        failed |= not ok
        print(f"{recipe}: gathered rows {'equal W' if gathered_exact else 'DIFFER from W'}, "
              f"products {errors[0]:.1e} {errors[1]:.1e} (tolerance {tolerance:g}) "
              f"{'ok' if ok else 'FAILED'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
