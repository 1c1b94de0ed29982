#!/usr/bin/python3
"""Compiles a real ONNX model with lbc and compares it with ONNX Runtime.

  compare_with_ort.py MODEL.onnx --work DIR [--input-shape NAME=D0,D1,...]...
      [--dim NAME=SIZE[,SIZE...]]... [--value NAME=NUMBER]... [--keep-dynamic]
      [--lbc-opt P] [--lbc-run P] [--node-modules DIR] [--tolerance 1e-4]

Makes seeded random inputs for the model's signature (with the given shapes;
inputs named by --value are filled with that number, e.g. a sample rate),
runs ONNX Runtime (npm onnxruntime-node, through ort_run.js) and lbc's
artifact (lbc-opt + lbc-run) on them, and prints, per output, the error
max|lbc - ort| / max(max|ort|, 1e-2): relative to the output's scale, with the
scale floored at 1e-2 so that an output that is all near zero (e.g. text
probabilities of a detector fed noise: ~1e-7, where ONNX Runtime's fast
sigmoid is itself off by ~1e-7) is compared absolutely. Exits 1 above the
tolerance.

With --keep-dynamic the model is compiled once with its named dims left
dynamic, and run (and compared) once per size listed in --dim: the j-th run
gives every listed dim its j-th size.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

from model_inputs import make_inputs

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--work", required=True)
    parser.add_argument("--input-shape", action="append", default=[])
    parser.add_argument("--dim", action="append", default=[])
    parser.add_argument("--value", action="append", default=[])
    parser.add_argument("--lbc-opt", default="lbc-opt")
    parser.add_argument("--lbc-run", default="lbc-run")
    parser.add_argument("--node-modules", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-dynamic", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    sizes = {name: sizes.split(",") for name, _, sizes in
             (d.partition("=") for d in args.dim)}
    runs = max([len(v) for v in sizes.values()] + [1])
    if not args.keep_dynamic and runs > 1:
        sys.exit("several sizes per --dim need --keep-dynamic")
    artifact = os.path.join(args.work, "model.so")
    compile_flags = [f"--input-shape={s}" for s in args.input_shape]
    if not args.keep_dynamic:
        compile_flags += [f"--dim={d}" for d in args.dim]
    subprocess.run([args.lbc_opt, args.model, "-o", artifact] + compile_flags, check=True)
    ok = True
    for run in range(runs):
        flags = [f"--input-shape={s}" for s in args.input_shape]
        flags += [f"--dim={name}={v[min(run, len(v) - 1)]}" for name, v in sizes.items()]
        if runs > 1:
            print("run with " + ", ".join(flags))
        ok = compare(args, artifact, flags) and ok
    sys.exit(0 if ok else 1)


def compare(args, artifact, flags):
    """Runs ONNX Runtime and the artifact on inputs of the shapes `flags` give."""
    values = {name: float(number) for name, _, number in
              (v.partition("=") for v in args.value)}
    for stale in os.listdir(args.work):
        if stale.startswith(("expected_", "output_")):
            os.remove(os.path.join(args.work, stale))
    feeds = make_inputs(args.model, flags, args.work, seed=args.seed, values=values)

    environment = dict(os.environ, NODE_PATH=args.node_modules)
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), args.model, args.work]
                   + [f"{n}={p}" for n, p in feeds], check=True, env=environment)
    run_command = [args.lbc_run, artifact, "--output-dir", args.work]
    for name, path in feeds:
        run_command += ["--input", f"{name}={path}"]
    subprocess.run(run_command, check=True, stdout=subprocess.DEVNULL)

    ok = True
    index = 0
    while os.path.exists(os.path.join(args.work, f"expected_{index}.npy")):
        expected = np.load(os.path.join(args.work, f"expected_{index}.npy"))
        actual = np.load(os.path.join(args.work, f"output_{index}.npy"))
        if expected.shape != actual.shape:
            print(f"output {index}: shape {actual.shape} != ORT {expected.shape}")
            ok = False
        else:
            scale = max(float(np.abs(expected).max()), 1e-2)
            error = float(np.abs(actual.astype(np.float64) - expected).max()) / scale
            verdict = "ok" if error <= args.tolerance else "TOO LARGE"
            print(f"output {index}: shape {actual.shape} error vs ORT {error:.2e} {verdict}")
            ok = ok and error <= args.tolerance
        index += 1
    return ok and index > 0


if __name__ == "__main__":
    main()
