#!/usr/bin/python3
"""Checks that a recipe computes the same on aarch64 as on x86_64.

  same_on_aarch64.py --model DIR --bin-dir DIR --runner CMD --recipes "w4 w4,a8"

DIR holds model.onnx and input_<i>.npy (test/models/make_llama.py). Each
recipe is compiled for the host (x86_64) and with --cpu=aarch64, both run on
the same inputs (the aarch64 one by CMD, e.g. qemu-aarch64 with the
cross-built lbc-run), and every output compared as max|a - b| / max|b|.
Quantization happens at compile time on the same weights, so the packed bytes
are identical and only summation order (and, for a8, a rounding tie in the
activation codes) may differ. Exits 1 above 1e-4.
"""

import argparse
import glob
import os
import subprocess
import sys

import numpy as np

TOLERANCE = 1e-4


def run(command, artifact, inputs, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    flags = [flag for path in inputs for flag in ("--input", path)]
    subprocess.run([*command, artifact, *flags, "--output-dir", out_dir], check=True,
                   stdout=subprocess.DEVNULL)
    return [np.load(path) for path in sorted(glob.glob(os.path.join(out_dir, "output_*.npy")))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--recipes", required=True, help="space-separated recipes")
    args = parser.parse_args()
    onnx_path = os.path.join(args.model, "model.onnx")
    inputs = sorted(glob.glob(os.path.join(args.model, "input_*.npy")))
    lbc_opt = os.path.join(args.bin_dir, "lbc-opt")
    ok = True
    for recipe in args.recipes.split():
        outputs = {}
        for arch, cpu, runner in [("x86_64", "native", [os.path.join(args.bin_dir, "lbc-run")]),
                                  ("aarch64", "aarch64", args.runner.split())]:
            base = os.path.join(args.model, f"{recipe.replace(',', '_')}_{arch}")
            subprocess.run([lbc_opt, onnx_path, f"--pipeline={recipe}", f"--cpu={cpu}",
                            "-o", base + ".so"], check=True)
            outputs[arch] = run(runner, base + ".so", inputs, base + ".out")
        if len(outputs["x86_64"]) != len(outputs["aarch64"]):
            sys.exit(f"{recipe}: different output counts")
        error = 0.0
        for a, b in zip(outputs["aarch64"], outputs["x86_64"]):
            scale = max(float(np.abs(b).max()), 1e-30)
            error = max(error, float(np.abs(a.astype(np.float64) - b).max()) / scale)
        verdict = "ok" if error <= TOLERANCE else "TOO LARGE"
        ok = ok and error <= TOLERANCE
        print(f"{recipe}: aarch64 vs x86_64 max relative difference {error:.1e} {verdict}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
