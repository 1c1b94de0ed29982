#!/usr/bin/python3
"""Compile time and peak memory of lbc-opt on the Llama test models.

  bench/compile.py [--build build] [--configs h768 big] [--recipes fp32 w4]

For each model (test/models/make_llama.py: the hidden-768 prefill and the
1.2 GB decode step by default) and recipe, runs `lbc-opt model.onnx
--pipeline=RECIPE -o model.so` once and prints a JSON line with the wall time,
the process's peak resident memory (its own, from wait4) and that peak over
the model's FP32 weight bytes (the ONNX initializers), whose target is below
2 (issue 3).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Run in a child process: lbc-opt's peak memory comes from wait4, and on Linux
# a child's peak includes what it inherited at fork, before its exec, so this
# process must not hold a loaded model when it starts lbc-opt.
WEIGHT_BYTES = """
import sys, onnx, onnx.mapping
model = onnx.load(sys.argv[1], load_external_data=False)
total = 0
for initializer in model.graph.initializer:
    count = 1
    for dim in initializer.dims:
        count *= dim
    total += count * onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[initializer.data_type].itemsize
print(total)
"""


def weight_bytes(model_path):
    """Bytes of the model's initializers."""
    return int(subprocess.run([sys.executable, "-c", WEIGHT_BYTES, model_path], check=True,
                              capture_output=True, text=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--configs", nargs="+", default=["h768", "big"])
    parser.add_argument("--recipes", nargs="+", default=["fp32", "w4"])
    args = parser.parse_args()
    lbc_opt = os.path.join(args.build, "bin", "lbc-opt")
    with tempfile.TemporaryDirectory() as work:
        for config in args.configs:
            mode = "prefill" if config != "big" else "decode"
            out = os.path.join(work, config)
            subprocess.run([sys.executable, os.path.join(ROOT, "test/models/make_llama.py"),
                            "--config", config, "--mode", mode, "--out", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            model = os.path.join(out, "model.onnx")
            weights = weight_bytes(model)
            for recipe in args.recipes:
                artifact = os.path.join(work, f"{config}-{recipe}.so")
                start = time.monotonic()
                process = subprocess.Popen([lbc_opt, model, f"--pipeline={recipe}", "-o", artifact])
                _, status, usage = os.wait4(process.pid, 0)
                seconds = time.monotonic() - start
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit(f"lbc-opt failed on {config} with {recipe}")
                peak = usage.ru_maxrss * 1024  # KiB on Linux
                print(json.dumps({
                    "bench": "compile", "model": f"llama_{config}_{mode}", "recipe": recipe,
                    "fp32_weight_mb": round(weights / 1e6, 1), "compile_s": round(seconds, 2),
                    "peak_rss_mb": round(peak / 1e6, 1),
                    "peak_rss_vs_weights": round(peak / weights, 3)}), flush=True)
                os.remove(artifact)


if __name__ == "__main__":
    main()
