#!/usr/bin/env bash
# Runs lbc's benchmarks and prints one JSON line per measurement, each with
# its peer (oneDNN, streaming-read bandwidth) measured in the same run.
#   bench/run.sh            (after scripts/build.sh)
# Each shape runs with 1 and 2 threads (OMP_NUM_THREADS: lbc's parallel loops
# and oneDNN both use OpenMP).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LBC_BUILD_DIR:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for shape in "1 4096 4096" "512 4096 4096"; do
  read -r m k n <<< "$shape"
  /usr/bin/python3 "$root/bench/make_matmul.py" "$m" "$k" "$n" "$work/mm.onnx"
  "$build/bin/lbc-opt" "$work/mm.onnx" -o "$work/mm.so"
  for threads in 1 2; do
    OMP_NUM_THREADS=$threads "$build/bin/lbc-bench-matmul" "$work/mm.so" "$m" "$k" "$n" 5
  done
done
