#!/usr/bin/env bash
# Builds lbc and runs the bundled examples:
#  1. an ONNX image classifier compiled to model.so, run through the runtime,
#     checked against a numpy FP32 reference, with latency;
#  2. a two-layer MLP's weights packed with every low-bit recipe (w8 ... w2),
#     with bits/weight, size and output error against FP32;
#  3. a Llama decoder exported by torch compiled with fp32, w8 and w4 (fused
#     microkernel), accuracy against the FP32 artifact and decode latency.
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
echo
echo "== 3. A Llama decoder exported by torch (ONNX, dynamic past length) with weight recipes"
echo "   lbc-opt llama.onnx --pipeline=R -o R.so; accuracy vs the FP32 artifact (lbc-eval) and decode latency"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/test/models/make_llama.py" --config h768 --mode decode --dynamic \
  --out "$work/llama" > /dev/null
"$build/bin/lbc-eval" "$work/llama/model.onnx" --recipes fp32 w8 w4 q4k w4,a8 q4k,a8 --dim past=15 --samples 1 \
  --work "$work/eval"
for recipe in fp32 w8 w4 q4k w4,a8 q4k,a8; do
  latency=$("$build/bin/lbc-run" "$work/eval/$recipe.so" --bench 200 \
    --input "$work/eval/sample0_input0.npy" --input "$work/eval/sample0_input1.npy" \
    --input "$work/eval/sample0_input2.npy" | grep -o 'p50 [0-9.]* ms')
  echo "$recipe decode step (past 15): $latency"
done
echo
echo "== 4. 4-bit weights and 4-bit activations (W4A4, per token) on a Llama with activation outliers"
echo "   planted x50 by an exact rescaling; rotate (QuaRot R1 + R4) and smoothrot (+ SmoothRot scales) recover"
echo "   much of it (random weights, so errors stay larger than on a trained model: docs/results.md, session 6);"
echo "   calibration: --calib=synthetic (lbc-opt announces it; its notes are filtered here)"
/usr/bin/python3 "$root/test/models/make_llama.py" --config h768 --mode prefill --outliers 50 \
  --out "$work/outliers" > /dev/null
"$build/bin/lbc-eval" "$work/outliers/model.onnx" --recipes fp32 w4 w4,a4t=0.9 rotate,w4,a4t=0.9 \
  smoothrot,w4,a4t=0.9 smoothrot,w4,gptq,a4t=0.9 --samples 4 --calib synthetic --work "$work/eval-w4a4" \
  2> >(grep -v '^lbc-opt: note:' >&2)
