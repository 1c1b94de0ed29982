#!/usr/bin/python3
"""Checks the fused low-bit microkernels against the reference lowering.

  ukernel_matches_reference.py --work DIR [--bin-dir DIR]
      [--target aarch64 --runner "qemu-aarch64 -L SYSROOT .../lbc-run"]
      [--recipes R ... --cpus CPU ...]

For each weight format with a microkernel (w8, w4, w4g64, w5, w3, w2, and w4z, w8zg64,
w6zg64 with f16 zero points, q3k..q6k, each also with int8 activations: the a8 step
(w2..w8 codes unpacked to bytes for the integer dot products), and
per-token / 4-bit / clipped ones: a8t, a4t=0.9, a4; nf4, nf4g32) and
odd shapes (K not a multiple of the group, N not
a multiple of the vector width, M = 1..17 rows), compiles one MatMul with a
constant weight from the same packed bytes with the microkernel and with
--ukernels=false (the reference decode to f32 + matmul, itself bit-exact with
the codec: decode-matches-codec.test; for a8, the per-block quantization in
linalg ops). Kernels with an AVX-512 variant (a8, NF4, f32-input 4-bit
group-wise, q4k and q5k: codes looked up in per-group tables) are compiled
twice: for this CPU (AVX-512 and VNNI variants where it has them) and for
x86-64-v3 (the portable kernels). Runs all on the same input and
prints max|kernel - reference| / max|reference|, which only summation order may
make non-zero. Exits 1 above 1e-5; 1e-4 for a single row of 4-bit group-wise
codes, q4k and q5k on a CPU with AVX512-BF16 and VNNI, whose kernels round
the inputs to int16 multiples of a step per group or super-block (within
2^-16 of its largest |x|). --recipes and
--cpus restrict the run to those recipes, compiled for those CPUs only.
--compile-only compiles the kernels of the first shape of each kind for
those CPUs and runs nothing (CPUs this host may not have).
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHAPES = [(1, 100, 37), (2, 64, 40), (3, 96, 8), (5, 200, 33), (8, 64, 130),
          (13, 50, 16), (16, 128, 24), (17, 160, 45), (40, 600, 150),
          (1, 4232, 9), (6, 1100, 7)]
# The row kernels walk k in spans of 4096 inputs over all rows (1024 per row
# for 4 rows; SpanWalk.h): the last two shapes cross span boundaries with one
# row and with a block of four (plus a partial last group).
# From 24 rows the f32-input kernels (group-wise, K-quant, NF4) decode weight
# panels once for all rows (register tiles of 6 rows x 64 outputs with
# AVX-512, x 16 otherwise): both variants are checked there, over several k
# chunks, a narrow last column block and a partial row tile.
PANEL_ROWS = 24
RECIPES = ["w8", "w4", "w4g64", "w4z", "w8zg64", "w5", "w3", "w2", "w6zg64", "w8,a8", "w4,a8",
           "w4,a4t=0.9", "w8,a8t", "w4z,a4",
           "w4g64,a8", "w4z,a8", "w8zg64,a8", "w5,a8", "w3,a8", "w2,a8", "w6zg64,a8",
           "nf4", "nf4g32"]
# K-quant super-blocks span 256 inputs (other layers fall back to w4).
KQUANT_SHAPES = [(1, 256, 37), (3, 512, 8), (5, 768, 33), (17, 256, 45), (40, 512, 70),
                 (1, 4608, 5), (4, 1536, 6)]
KQUANT_RECIPES = ["q4k", "q4k,a8", "q5k", "q5k,a8", "q3k", "q3k,a8", "q6k", "q6k,a8", "q4k,a4t=0.9"]
# f32-input recipes whose kernels have an AVX-512 variant of their own (table
# lookups, or for one row 16-bit integer or bf16 dot products: w4, q3k..q6k).
AVX512_FLOAT_RECIPES = {"w4", "w4g64", "w4z", "nf4", "nf4g32", "q4k", "q5k", "q3k", "q6k"}
TOLERANCE = 1e-5
# f32-input recipes whose one-row kernel rounds the inputs to int16 for
# 16-bit integer dot products where the CPU has AVX512-BF16, VNNI and VBMI
# (int16Row in runtime/cpu/ukernels/KQuantLinear.cpp and GroupwiseLinear.cpp;
# q3k and q6k take bf16 dot products there, within TOLERANCE).
INT16_RECIPES = {"w8", "w8zg64", "w4", "w4g64", "w4z", "q4k", "q5k"}
# Rounding x to a step of max|x| / 32767 per group or super-block: measured up
# to 3.9e-5 here (a numpy model of the rounding alone gives 1.9e-5 to 3.3e-5).
INT16_TOLERANCE = 1e-4
# Under emulation every run costs more: a subset that keeps the odd cases
# (one row, 17 rows, 32 rows on the panel path, K not a multiple of the
# group, N odd).
AARCH64_SHAPES = [(1, 100, 37), (5, 200, 33), (17, 160, 45), (32, 300, 70)]
AARCH64_KQUANT_SHAPES = [(1, 256, 37), (17, 512, 45), (32, 256, 20)]


def make_model(path, m, k, n, rng):
    weight = rng.normal(0, 0.1, (k, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "mm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def run(runner, artifact, x_path, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run([*runner, artifact, "--input", x_path, "--output-dir", out_dir],
                   check=True, stdout=subprocess.DEVNULL)
    return np.load(os.path.join(out_dir, "output_0.npy"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin-dir", default="", help="where lbc-opt and lbc-run are")
    parser.add_argument("--target", choices=["x86_64", "aarch64"], default="x86_64")
    parser.add_argument("--runner", default="", help="command that runs an artifact (default: lbc-run)")
    parser.add_argument("--recipes", nargs="+", help="only these recipes")
    parser.add_argument("--cpus", nargs="+", help="compile the kernels for these CPUs only")
    parser.add_argument("--compile-only", action="store_true",
                        help="compile the first shape of each kind for --cpus, run nothing")
    args = parser.parse_args()
    if args.compile_only and not args.cpus:
        parser.error("--compile-only needs --cpus")
    os.makedirs(args.work, exist_ok=True)
    runner = args.runner.split() if args.runner else [os.path.join(args.bin_dir, "lbc-run")]
    rng = np.random.default_rng(0)
    worst = 0.0
    failures = 0
    aarch64 = args.target == "aarch64"
    shapes, kquant_shapes = (AARCH64_SHAPES, AARCH64_KQUANT_SHAPES) if aarch64 else (SHAPES, KQUANT_SHAPES)
    if args.compile_only:
        shapes, kquant_shapes = shapes[:1], kquant_shapes[:1]
    cases = [(shape, RECIPES) for shape in shapes] + [(shape, KQUANT_RECIPES) for shape in kquant_shapes]
    compiled = 0
    for (m, k, n), recipes in cases:
        model = os.path.join(args.work, f"mm_{m}x{k}x{n}.onnx")
        make_model(model, m, k, n, rng)
        x_path = os.path.join(args.work, f"x_{m}x{k}.npy")
        np.save(x_path, rng.normal(size=(m, k)).astype(np.float32))
        for recipe in recipes:
            if args.recipes and recipe not in args.recipes:
                continue
            int_inputs = ",a" in recipe  # a8, a4t=0.9, ...: the int8-input kernels
            portable = int_inputs or recipe in AVX512_FLOAT_RECIPES or m >= PANEL_ROWS
            if aarch64:
                kernel_cpus = ["aarch64", "neoverse-n1"] if int_inputs else ["aarch64"]
            else:
                kernel_cpus = ["native", "x86-64-v3"] if portable else ["native"]
            if args.cpus:
                kernel_cpus = args.cpus
            family = ("kquant" if recipe.startswith("q")
                      else "nf4" if recipe.startswith("nf4") else "groupwise")
            symbol = f"lbc_ukernel_{family}_linear" + ("_a8" if int_inputs else "")
            outputs = {}
            if args.compile_only:
                for cpu in kernel_cpus:
                    artifact = os.path.join(args.work, f"{recipe}_{m}x{k}x{n}_{cpu}.so")
                    subprocess.run([os.path.join(args.bin_dir, "lbc-opt"), model,
                                    f"--pipeline={recipe}", f"--cpu={cpu}", "-o", artifact],
                                   check=True, timeout=300)
                    print(f"{recipe} --cpu={cpu} M={m} K={k} N={n}: compiled")
                    compiled += 1
                continue
            for variant in ["reference"] + kernel_cpus:
                artifact = os.path.join(args.work, f"{recipe}_{m}x{k}x{n}_{variant}.so")
                flags = ["--ukernels=false"] if variant == "reference" else [f"--cpu={variant}"]
                if aarch64 and variant == "reference":
                    flags.append("--cpu=aarch64")
                subprocess.run([os.path.join(args.bin_dir, "lbc-opt"), model, f"--pipeline={recipe}",
                                *flags, "-o", artifact], check=True)
                if variant != "reference":
                    symbols = subprocess.run(["nm", artifact], check=True,
                                             capture_output=True, text=True).stdout.split()
                    if symbol not in symbols:
                        sys.exit(f"{recipe} {m}x{k}x{n}: the microkernel {symbol} was not used")
                outputs[variant] = run(runner, artifact, x_path, artifact + ".out")
            reference = outputs["reference"]
            for cpu in kernel_cpus:
                error = float(np.abs(outputs[cpu] - reference).max() / np.abs(reference).max())
                int16 = cpu == "native" and recipe in INT16_RECIPES and m % 4 == 1
                tolerance = INT16_TOLERANCE if int16 else TOLERANCE
                worst = max(worst, error)
                failures += error > tolerance
                verdict = "ok" if error <= tolerance else "TOO LARGE"
                print(f"{recipe} --cpu={cpu} M={m} K={k} N={n}: kernel vs reference {error:.1e} {verdict}")
    if args.compile_only:
        print(f"compiled {compiled} artifacts")
        return
    print(f"worst {worst:.1e}, {failures} above the tolerance")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
