#!/usr/bin/python3
"""Quantizes a two-layer MLP with lbc's recipes and measures what each costs.

Writes the FP32 model as .mlir (weights as dense_resource blobs), runs
`lbc-opt --lbc-pipeline=recipe=R` for each recipe, reads the packed blobs to
get the real bits/weight, decodes them with `--lbc-dequantize-weights`, and
compares the MLP's outputs on random inputs against FP32 with numpy (an
independent reference). Prints one table; with --check, also asserts that the
error grows as bits shrink (the test suite runs it that way).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

RECIPES = ["w8", "w5", "w4", "w4g128", "w3", "w2"]


def resource_hex(array):
    """dense_resource hex: 4-byte little-endian alignment, then the bytes."""
    return "0x" + (4).to_bytes(4, "little").hex().upper() + array.tobytes().hex().upper()


def make_model(rng, d_in, d_hidden, d_out):
    """Weights like a freshly initialised layer's: normal, 1/sqrt(fan-in)."""
    w1 = rng.normal(0, d_in ** -0.5, (d_hidden, d_in)).astype(np.float32)
    w2 = rng.normal(0, d_hidden ** -0.5, (d_out, d_hidden)).astype(np.float32)
    b1 = rng.normal(0, 0.02, d_hidden).astype(np.float32)
    return w1, b1, w2


def write_mlir(path, w1, b1, w2, batch):
    d_hidden, d_in = w1.shape
    d_out = w2.shape[0]
    bias = ", ".join(repr(float(v)) for v in b1)
    text = f"""func.func @mlp(%x: tensor<{batch}x{d_in}xf32>) -> tensor<{batch}x{d_out}xf32> {{
  %w1 = arith.constant dense_resource<layer1_weight> : tensor<{d_hidden}x{d_in}xf32>
  %b1 = arith.constant dense<[{bias}]> : tensor<{d_hidden}xf32>
  %w2 = arith.constant dense_resource<layer2_weight> : tensor<{d_out}x{d_hidden}xf32>
  %h = lowbit.linear %x, %w1, bias %b1 : tensor<{batch}x{d_in}xf32>, tensor<{d_hidden}x{d_in}xf32>, tensor<{d_hidden}xf32> -> tensor<{batch}x{d_hidden}xf32>
  %y = lowbit.linear %h, %w2 : tensor<{batch}x{d_hidden}xf32>, tensor<{d_out}x{d_hidden}xf32> -> tensor<{batch}x{d_out}xf32>
  return %y : tensor<{batch}x{d_out}xf32>
}}
{{-#
  dialect_resources: {{
    builtin: {{
      layer1_weight: "{resource_hex(w1)}",
      layer2_weight: "{resource_hex(w2)}"
    }}
  }}
#-}}
"""
    with open(path, "w") as f:
        f.write(text)


def read_blobs(text):
    """Blob bytes by name, and the blob names in program order."""
    blobs = {}
    for name, hexdata in re.findall(r'^\s*(\w+): "0x([0-9A-F]*)"', text, re.M):
        blobs[name] = bytes.fromhex(hexdata)[4:]  # drop the alignment word
    order = re.findall(r"= (?:lowbit|arith)\.constant dense_resource<(\w+)>", text)
    return blobs, order


def run_lbc_opt(lbc_opt, args):
    result = subprocess.run([lbc_opt] + args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"lbc-opt {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def mlp(x, w1, b1, w2):
    return np.maximum(x @ w1.T + b1, 0.0) @ w2.T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lbc-opt", default=os.path.join("build", "bin", "lbc-opt"))
    parser.add_argument("--dims", default="512,2048,512", help="in,hidden,out")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true",
                        help="assert that error grows as bits shrink")
    args = parser.parse_args()
    d_in, d_hidden, d_out = (int(v) for v in args.dims.split(","))

    rng = np.random.default_rng(args.seed)
    w1, b1, w2 = make_model(rng, d_in, d_hidden, d_out)
    x = rng.normal(0, 1, (args.batch, d_in)).astype(np.float32)
    reference = mlp(x.astype(np.float64), w1, b1, w2)
    weights = w1.size + w2.size

    print(f"two-layer MLP {d_in}->{d_hidden}->{d_out} ({weights} weights, "
          f"{weights * 4 / 2**20:.2f} MiB in FP32), batch {args.batch}, seed {args.seed}")
    print(f"{'recipe':8} {'bits/w':>7} {'size':>10} {'vs fp32':>8} {'weight rel err':>15} "
          f"{'out max rel err':>16} {'out mean rel err':>17} {'lbc-opt':>9}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "mlp.mlir")
        write_mlir(model, w1, b1, w2, args.batch)
        for recipe in RECIPES:
            packed_path = os.path.join(tmp, f"mlp.{recipe}.mlir")
            start = time.perf_counter()
            packed = run_lbc_opt(args.lbc_opt, [model, f"--lbc-pipeline=recipe={recipe}",
                                                "-o", packed_path])
            seconds = time.perf_counter() - start
            with open(packed_path) as f:
                blobs, order = read_blobs(f.read())
            packed_bytes = sum(len(blobs[name]) for name in order)
            decoded_text = run_lbc_opt(args.lbc_opt, [packed_path, "--lbc-dequantize-weights"])
            blobs, order = read_blobs(decoded_text)
            q1 = np.frombuffer(blobs[order[0]], np.float32).reshape(w1.shape)
            q2 = np.frombuffer(blobs[order[1]], np.float32).reshape(w2.shape)
            out = mlp(x.astype(np.float64), q1, b1, q2)
            weight_error = np.sqrt((np.sum((q1 - w1) ** 2) + np.sum((q2 - w2) ** 2)) /
                                   (np.sum(w1 ** 2) + np.sum(w2 ** 2)))
            scale = np.abs(reference).max()
            max_error = np.abs(out - reference).max() / scale
            mean_error = np.abs(out - reference).mean() / np.abs(reference).mean()
            bits = packed_bytes * 8 / weights
            results[recipe] = mean_error
            print(f"{recipe:8} {bits:7.3f} {packed_bytes / 1024:8.1f}Ki {weights * 4 / packed_bytes:7.2f}x "
                  f"{weight_error:15.3e} {max_error:16.3e} {mean_error:17.3e} {seconds * 1000:7.0f}ms")

    if args.check:
        ladder = ["w8", "w5", "w4", "w3", "w2"]
        for finer, coarser in zip(ladder, ladder[1:]):
            if not results[finer] < results[coarser]:
                sys.exit(f"FAIL: {finer} error {results[finer]:.3e} is not below "
                         f"{coarser} error {results[coarser]:.3e}")
        if not results["w8"] < 1e-2:
            sys.exit(f"FAIL: w8 mean relative error {results['w8']:.3e} >= 1e-2")
        print("check: error grows as bits shrink (w8 < w5 < w4 < w3 < w2), w8 below 1e-2")


if __name__ == "__main__":
    main()
