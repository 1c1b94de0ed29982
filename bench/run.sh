#!/usr/bin/env bash
# Runs lbc's benchmarks and prints one JSON line per measurement, each with
# its peer (oneDNN, streaming-read bandwidth) measured in the same run.
#   bench/run.sh            (after scripts/build.sh)
# Single-threaded: lbc's generated loops do not use a thread pool yet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LBC_BUILD_DIR:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
for shape in "1 4096 4096" "512 4096 4096"; do
  read -r m k n <<< "$shape"
  /usr/bin/python3 "$root/bench/make_matmul.py" "$m" "$k" "$n" "$work/mm.onnx"
  "$build/bin/lbc-opt" "$work/mm.onnx" -o "$work/mm.so"
  "$build/bin/lbc-bench-matmul" "$work/mm.so" "$m" "$k" "$n" 5
done
