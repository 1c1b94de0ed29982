#!/usr/bin/env bash
# Builds lbc and runs the bundled example: a two-layer MLP quantized with each
# recipe (w8 ... w2), with bits/weight, size and output error against FP32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LBC_BUILD_DIR:-$root/build}

"$root/scripts/build.sh"
/usr/bin/python3 "$root/examples/mlp/quantize_mlp.py" --lbc-opt "$build/bin/lbc-opt" "$@"
