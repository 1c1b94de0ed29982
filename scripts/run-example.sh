#!/usr/bin/env bash
# Builds lbc and runs the bundled examples:
#  1. an ONNX image classifier compiled to model.so, run through the runtime,
#     checked against a numpy FP32 reference, with latency;
#  2. a two-layer MLP's weights packed with every low-bit recipe (w8 ... w2),
#     with bits/weight, size and output error against FP32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LBC_BUILD_DIR:-$root/build}

"$root/scripts/build.sh"
echo
echo "== 1. ONNX model -> model.so (lbc-opt classifier.onnx -o classifier.so; lbc-run)"
/usr/bin/python3 "$root/examples/onnx-classifier/compile_and_run.py" \
  --lbc-opt "$build/bin/lbc-opt" --lbc-run "$build/bin/lbc-run" --check
echo
echo "== 2. Low-bit weights: each recipe on a 512->2048->512 MLP (lbc-opt --lbc-pipeline=recipe=R)"
/usr/bin/python3 "$root/examples/mlp/quantize_mlp.py" --lbc-opt "$build/bin/lbc-opt" --check
