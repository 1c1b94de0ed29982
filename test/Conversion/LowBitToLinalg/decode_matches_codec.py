#!/usr/bin/python3
"""Checks that the IR decode of packed weights (lbc-convert-lowbit-to-linalg)
is bit-exact with the codecs (lib/Support/GroupwiseCodec, KQuantCodec and
Nf4Codec, through --lbc-dequantize-weights) for every group-wise format
variant, the K-quant format and NF4.

  decode_matches_codec.py --lbc-opt P --mlir-runner P --runner-libs A,B

Each case quantizes seeded random weights (odd row counts, K not a multiple
of the group) with lbc-quantize-weights, then decodes them twice: with the
codec, printed as a dense_resource blob, and by running the lowered decode
generic with mlir-runner, printed as the f32 bit patterns. Prints one line
per case and exits 1 on any difference.
"""

import argparse
import re
import struct
import subprocess
import sys

import numpy as np

CASES = [
    # bits, group, scheme, scale type, zero point type, order
    (8, 32, "symmetric", "f16", "ui8", "lsb_first"),
    (5, 32, "symmetric", "f16", "ui8", "lsb_first"),
    (4, 32, "symmetric", "f16", "ui8", "lsb_first"),
    (4, 32, "symmetric", "f16", "ui8", "split_halves"),
    (4, 64, "asymmetric", "f16", "ui8", "lsb_first"),
    (4, 32, "asymmetric", "bf16", "f16", "lsb_first"),
    (3, 32, "symmetric", "f32", "ui8", "lsb_first"),
    (3, 16, "asymmetric", "f16", "f32", "lsb_first"),
    (2, 32, "symmetric", "bf16", "ui8", "lsb_first"),
    (6, 8, "asymmetric", "f32", "bf16", "lsb_first"),
    (7, 32, "symmetric", "f16", "ui8", "lsb_first"),
]
ROWS, COLS = 5, 72  # 72 is not a multiple of 32 or 64: padded last groups
# K-quant: super-blocks of 256; 600 columns leave a padded last super-block.
KQUANT_ROWS, KQUANT_COLS = 3, 600

LOWERING = ("--one-shot-bufferize=bufferize-function-boundaries "
            "--convert-linalg-to-loops --convert-scf-to-cf --expand-strided-metadata "
            "--finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm "
            "--convert-func-to-llvm --reconcile-unrealized-casts").split()


def module(weights, encoding):
    rows, cols = weights.shape
    dense = "[" + ", ".join("[" + ", ".join(f"{v:.9e}" for v in row) + "]"
                            for row in weights) + "]"
    packed = f"!lowbit.packed<tensor<{rows}x{cols}xf32>, {encoding}>"
    return f"""
func.func private @printMemrefI32(memref<*xi32>)
func.func @decode() -> tensor<{rows}x{cols}xf32> {{
  %w = arith.constant dense<{dense}> : tensor<{rows}x{cols}xf32>
  %p = lowbit.quantize %w : tensor<{rows}x{cols}xf32> -> {packed}
  %d = lowbit.dequantize %p : {packed} -> tensor<{rows}x{cols}xf32>
  return %d : tensor<{rows}x{cols}xf32>
}}
func.func @main() {{
  %d = call @decode() : () -> tensor<{rows}x{cols}xf32>
  %e = tensor.empty() : tensor<{rows}x{cols}xi32>
  %bits = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}} ins(%d : tensor<{rows}x{cols}xf32>) outs(%e : tensor<{rows}x{cols}xi32>) {{
  ^bb0(%x: f32, %o: i32):
    %b = arith.bitcast %x : f32 to i32
    linalg.yield %b : i32
  }} -> tensor<{rows}x{cols}xi32>
  %m = bufferization.to_buffer %bits : tensor<{rows}x{cols}xi32> to memref<{rows}x{cols}xi32>
  %u = memref.cast %m : memref<{rows}x{cols}xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}}
"""


def run(command, stdin=None):
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:2])} failed:\n{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lbc-opt", required=True)
    parser.add_argument("--mlir-runner", required=True)
    parser.add_argument("--runner-libs", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    failures = 0
    cases = []
    for bits, group, scheme, scale, zero, order in CASES:
        encoding = f"#lowbit.groupwise<bits = {bits}, group_size = {group}"
        if scheme == "asymmetric":
            encoding += f", scheme = asymmetric, scale = {scale}, zero_point = {zero}"
        else:
            encoding += f", scale = {scale}"
        if order != "lsb_first":
            encoding += f", order = {order}"
        encoding += ">"
        name = f"bits {bits} group {group} {scheme} scale {scale} zero {zero} {order}"
        cases.append((name, encoding, ROWS, COLS))
    cases.append(("kquant bits 4", "#lowbit.kquant<bits = 4>", KQUANT_ROWS, KQUANT_COLS))
    cases.append(("kquant bits 5", "#lowbit.kquant<bits = 5>", KQUANT_ROWS, KQUANT_COLS))
    cases.append(("kquant bits 3", "#lowbit.kquant<bits = 3>", KQUANT_ROWS, KQUANT_COLS))
    cases.append(("kquant bits 6", "#lowbit.kquant<bits = 6>", KQUANT_ROWS, KQUANT_COLS))
    cases.append(("nf4 block 64", "#lowbit.nf4<block_size = 64>", ROWS, COLS))
    cases.append(("nf4 block 32", "#lowbit.nf4<block_size = 32>", ROWS, COLS))
    for name, encoding, rows, cols in cases:
        weights = rng.normal(0, 0.05, (rows, cols)).astype(np.float32)
        text = module(weights, encoding)
        quantized = run([args.lbc_opt, "-", "--lbc-quantize-weights"], text)
        codec = run([args.lbc_opt, "-", "--lbc-dequantize-weights"], quantized)
        blob = re.search(r'dequantized_weight[^:]*: "0x([0-9A-F]+)"', codec).group(1)
        raw = bytes.fromhex(blob)[4:]  # after the blob's alignment word
        expected = list(struct.unpack(f"<{rows * cols}i", raw[:4 * rows * cols]))
        lowered = run([args.lbc_opt, "-", "--lbc-convert-lowbit-to-linalg"] + LOWERING,
                      quantized)
        printed = run([args.mlir_runner, "-e", "main", "-entry-point-result=void",
                       f"-shared-libs={args.runner_libs}"], lowered)
        body = printed[printed.index("data =") + len("data ="):]
        actual = [int(v) for v in re.findall(r"-?\d+", body)]
        same = actual == expected
        failures += not same
        print(f"{name}: {'bit-exact' if same else 'DIFFERENT'} ({len(actual)} values)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
