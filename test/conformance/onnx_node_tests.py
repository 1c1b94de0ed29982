#!/usr/bin/python3
"""ONNX's own node tests (Debian libonnx-testdata) through lbc.

  onnx_node_tests.py scope              print the in-scope test names
  onnx_node_tests.py run --list FILE [--expected-failures FILE [--update]]

A test is in scope when every op of its model is in IN_SCOPE_OPS (the op set
lbc promises to import: LLM decoders exported by torch plus the CNN/MLP/audio
models it is tested on). `run` compiles model.onnx with lbc-opt, runs every
test_data_set_* with lbc-run, compares each output with output_*.pb the way
ONNX's backend tests do (rtol 1e-3, atol 1e-7), and prints one line per
failure plus "N passed, M failed". With --expected-failures it fails when a
test outside that file fails or a test inside it passes (so the file, which
docs/ links to, always says exactly what does not work and why); --update
rewrites the file from this run.
"""

import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

NODE_TESTS = "/usr/share/libonnx-testdata/data/node"

IN_SCOPE_OPS = {
    # LLM decoders exported by torch
    "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal",
    "Neg", "Exp", "Log", "Erf", "Tanh", "Sigmoid", "Relu", "Softmax",
    "LogSoftmax", "ReduceMean", "ReduceSum", "ReduceMax", "Gather", "Concat",
    "Split", "Slice", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Expand",
    "Where", "Equal", "Less", "Greater", "Cast", "Shape", "ConstantOfShape",
    "Range", "Trilu", "CumSum", "LayerNormalization", "RMSNormalization",
    "Identity", "Constant",
    # CNN / MLP / audio models
    "Conv", "ConvTranspose", "BatchNormalization", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Resize", "Pad", "HardSigmoid", "HardSwish",
    "LeakyRelu", "Clip", "Max", "Min", "LSTM", "If",
}


def model_ops(test_dir):
    model = onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False)
    return {node.op_type for node in model.graph.node}


def in_scope_tests():
    names = []
    for test_dir in sorted(glob.glob(os.path.join(NODE_TESTS, "test_*"))):
        try:
            ops = model_ops(test_dir)
        except Exception:  # unreadable model: not in scope
            continue
        if ops and ops <= IN_SCOPE_OPS:
            names.append(os.path.basename(test_dir))
    return names


def compare(expected, actual):
    """None when equal within ONNX's backend-test tolerance, else why not."""
    if expected.shape != actual.shape:
        return f"shape {actual.shape} != expected {expected.shape}"
    if expected.dtype == np.bool_ or np.issubdtype(expected.dtype, np.integer):
        if not np.array_equal(expected, actual.astype(expected.dtype)):
            return f"values differ ({np.sum(expected != actual)} elements)"
        return None
    if not np.allclose(actual, expected, rtol=1e-3, atol=1e-7, equal_nan=True):
        error = np.max(np.abs(actual.astype(np.float64) - expected))
        return f"max abs error {error:.3e}"
    return None


def first_error(stderr):
    """The first diagnostic without its location prefix."""
    for line in stderr.strip().splitlines():
        if "error:" in line:
            return re.sub(r"^.*?error: ", "", line)
    lines = stderr.strip().splitlines()
    return lines[0] if lines else "failed"


def run_test(name, lbc_opt, lbc_run):
    """(name, None) on success, else (name, reason)."""
    test_dir = os.path.join(NODE_TESTS, name)
    with tempfile.TemporaryDirectory() as tmp:
        artifact = os.path.join(tmp, "model.so")
        compiled = subprocess.run([lbc_opt, os.path.join(test_dir, "model.onnx"),
                                   "-o", artifact], capture_output=True, text=True)
        if compiled.returncode != 0:
            return name, "compile: " + first_error(compiled.stderr)
        for data_set in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
            inputs = sorted(glob.glob(os.path.join(data_set, "input_*.pb")),
                            key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
            outputs = sorted(glob.glob(os.path.join(data_set, "output_*.pb")),
                             key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
            command = [lbc_run, artifact, "--output-dir", tmp]
            for path in inputs:
                command += ["--input", path]
            ran = subprocess.run(command, capture_output=True, text=True)
            if ran.returncode != 0:
                reason = first_error(ran.stderr).replace(tmp, "")
                return name, "run: " + reason
            for index, path in enumerate(outputs):
                tensor = onnx.TensorProto()
                with open(path, "rb") as f:
                    tensor.ParseFromString(f.read())
                expected = numpy_helper.to_array(tensor)
                actual = np.load(os.path.join(tmp, f"output_{index}.npy"))
                problem = compare(expected, actual)
                if problem:
                    return name, f"{os.path.basename(data_set)} output {index}: {problem}"
    return name, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scope")
    run = sub.add_parser("run")
    run.add_argument("--list", required=True, help="file of test names")
    run.add_argument("--lbc-opt", default="build/bin/lbc-opt")
    run.add_argument("--lbc-run", default="build/bin/lbc-run")
    run.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    run.add_argument("--expected-failures", help="file of 'name  # reason' lines")
    run.add_argument("--update", action="store_true",
                     help="rewrite --expected-failures from this run")
    args = parser.parse_args()

    if args.command == "scope":
        for name in in_scope_tests():
            print(name)
        return

    def read_names(path):
        with open(path) as f:
            return [line.split("#")[0].strip() for line in f
                    if line.split("#")[0].strip()]

    names = read_names(args.list)
    expected = set()
    if args.expected_failures and os.path.exists(args.expected_failures):
        expected = set(read_names(args.expected_failures))
    failures = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name, problem in pool.map(lambda n: run_test(n, args.lbc_opt, args.lbc_run),
                                      names):
            if problem:
                failures[name] = problem
    passed = len(names) - len(failures)
    unexpected = sorted(set(failures) - expected)
    fixed = sorted(expected - set(failures))
    for name in unexpected:
        print(f"FAIL {name}: {failures[name]}")
    for name in fixed:
        print(f"UNEXPECTED PASS {name}: remove it from {args.expected_failures}")
    if args.expected_failures and args.update:
        with open(args.expected_failures, "w") as f:
            f.write("# ONNX node tests in scope that lbc does not pass yet, with the reason.\n"
                    "# Written by test/conformance/onnx_node_tests.py run --update.\n")
            for name in sorted(failures):
                f.write(f"{name}  # {failures[name]}\n")
        unexpected, fixed = [], []
    print(f"onnx node tests: {passed} of {len(names)} in scope pass "
          f"({100.0 * passed / max(1, len(names)):.1f}%), {len(failures)} fail "
          f"({len(failures) - len(unexpected)} of them expected)")
    if args.expected_failures and (unexpected or fixed):
        sys.exit(1)


if __name__ == "__main__":
    main()
