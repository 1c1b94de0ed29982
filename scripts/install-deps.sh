#!/usr/bin/env bash
# Installs the Debian packages lbc builds and tests with, when missing.
# Idempotent: does nothing (and needs no root) when everything is present.
set -euo pipefail

packages=(
  cmake ninja-build g++                              # build
  llvm-22-dev libmlir-22-dev mlir-22-tools           # LLVM/MLIR 22 (libMLIR.so, mlir-tblgen)
  llvm-22-tools                                      # lit, FileCheck, not
  liblld-22-dev lld-22                               # in-process linking of model.so
  clang-22                                           # microkernels to LLVM bitcode (runtime/cpu/ukernels)
  libonnx-dev libprotobuf-dev                        # the ONNX importer
  python3-onnx libonnx-testdata                      # ONNX's node tests, test models
  python3-torch libopenblas0-pthread                 # Llama test models (torch exports)
  libdnnl-dev                                        # oneDNN: the benchmarks' peer
  libgtest-dev                                       # unit tests
  python3 python3-numpy                              # lit, the example's reference maths
  g++-aarch64-linux-gnu qemu-user                    # aarch64 runtime, its tests under qemu
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "lbc: installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "lbc: error: installing packages needs root. Run as root, or:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
