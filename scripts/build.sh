#!/usr/bin/env bash
# Configures (once) and builds lbc in ${LBC_BUILD_DIR:-build} with Ninja.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LBC_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DLBC_WERROR=ON
fi
cmake --build "$build"
