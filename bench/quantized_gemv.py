#!/usr/bin/python3
"""Decode GEMV (1 x K times constant K x N weights) in lbc's weight formats,
against the streaming-read bandwidth and ONNX Runtime's MatMulNBits, both
measured in the same run.

  bench/quantized_gemv.py [--build DIR] [--recipes fp32 w8 w4 q4k w8,a8 w4,a8 q4k,a8]
      [--shapes 4096x4096,4096x11008,11008x4096] [--threads 1,2] [--repeats N]
      [--no-ort] [--min-packed-mib MIB] [--copies N]

Prints one JSON line per (format, shape, threads): latency (lbc-run --bench
median), the weight bytes the artifact really holds (bits/weight from its
signature, scales included), effective GB/s = bytes / latency, and that as a
fraction of the streaming read of the same thread count
(lbc-bench-matmul --stream: the better of a plain and a prefetching read
loop). The model chains distinct layers (K x N, N x K, ...) until the 4-bit
weights reach --min-packed-mib (default 128: 4x the 32 MiB L3 of the Zen VMs,
so that every format streams its weights from DRAM as a decode step does; on
a host with a larger L3 raise it, e.g. 512 for a 480 MiB L3). The peer is the
same chain of com.microsoft.MatMulNBits nodes (block 32, no zero points; bits
4 for Q4_0's arithmetic, 4.5 bits/weight with its f32 scales counted as
stored, and bits 8 for 8-bit recipes such as w8, Q8_0's 8.5) run by
onnxruntime-node with accuracy_level 0 (f32 activations) and 4 (int8
activations); each lbc line carries both latencies, the ratios and the
peer's bits (ort_matmulnbits_bits).

An artifact's weights run from its file's page cache, and on some VMs
byte-identical copies of one artifact differ by up to 17% when the weights
stream from DRAM (where the pages landed; docs/results.md, Session 14).
--copies N measures N copies of each artifact (each a fresh file) and reports
the median latency of the copies (lbc_ms, and lbc_ms_copies for all of them).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_model(path, k, n, layers, seed=0):
    """A chain of `layers` GEMVs whose weights alternate K x N and N x K (all
    distinct), so that one run streams layers times the weight of one."""
    rng = np.random.default_rng(seed)
    nodes, weights, width = [], [], k
    for layer in range(layers):
        rows, columns = (k, n) if layer % 2 == 0 else (n, k)
        name = f"w{layer}"
        weights.append(numpy_helper.from_array(
            rng.normal(0, rows ** -0.5, (rows, columns)).astype(np.float32), name))
        nodes.append(helper.make_node("MatMul", [f"h{layer}" if layer else "x", name],
                                      [f"h{layer + 1}" if layer + 1 < layers else "y"]))
        width = columns
    graph = helper.make_graph(
        nodes, "gemv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, width])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path, save_as_external_data=True, location=os.path.basename(path) + ".data")


def make_matmulnbits_model(path, k, n, layers, accuracy_level, bits=4, seed=0):
    """The chain of make_model as ONNX Runtime's MatMulNBits with `bits`-bit
    codes in blocks of 32 (random codes and scales: the speed does not depend
    on them)."""
    rng = np.random.default_rng(seed)
    nodes, weights, width = [], [], k
    for layer in range(layers):
        rows, columns = (k, n) if layer % 2 == 0 else (n, k)
        blocks = rows // 32
        codes = rng.integers(0, 256, (columns, blocks, 32 * bits // 8), dtype=np.uint8)
        scales = (rng.random(columns * blocks, dtype=np.float32) * 0.02).astype(np.float32)
        weights += [numpy_helper.from_array(codes, f"b{layer}"),
                    numpy_helper.from_array(scales, f"s{layer}")]
        nodes.append(helper.make_node(
            "MatMulNBits", [f"h{layer}" if layer else "x", f"b{layer}", f"s{layer}"],
            [f"h{layer + 1}" if layer + 1 < layers else "y"], domain="com.microsoft",
            K=rows, N=columns, bits=bits, block_size=32, accuracy_level=accuracy_level))
        width = columns
    graph = helper.make_graph(
        nodes, "gemv_nbits", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, width])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, path, save_as_external_data=True, location=os.path.basename(path) + ".data")


def ort_ms(model, threads, repeats, x_path, npm):
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_bench.js"), model,
                          str(threads), str(repeats), f"x={x_path}"],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, NODE_PATH=npm)).stdout
    return float(out.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--recipes", nargs="+", default=["fp32", "w8", "w4", "q4k", "w8,a8", "w4,a8", "q4k,a8"],
                        help="lbc recipes (--pipeline values) to compare")
    parser.add_argument("--shapes", default="4096x4096,4096x11008,11008x4096")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--no-ort", action="store_true",
                        help="skip the ONNX Runtime MatMulNBits peer")
    parser.add_argument("--min-packed-mib", type=int, default=128,
                        help="weights of the chain at 4 bits/weight, at least")
    parser.add_argument("--copies", type=int, default=1,
                        help="copies of each artifact file to measure (median reported)")
    args = parser.parse_args()
    if args.copies < 1:
        parser.error("--copies must be at least 1")
    bin_dir = os.path.join(args.build, "bin")
    with tempfile.TemporaryDirectory() as work:
        for shape in args.shapes.split(","):
            k, n = (int(v) for v in shape.split("x"))
            model = os.path.join(work, f"gemv_{k}x{n}.onnx")
            # Enough layers for --min-packed-mib of 4-bit weights.
            layers = max(2, -(-args.min_packed_mib * 2 ** 20 * 2 // (k * n)))
            make_model(model, k, n, layers)
            x_path = os.path.join(work, "x.npy")
            np.save(x_path, np.random.default_rng(1).normal(size=(1, k)).astype(np.float32))
            # ONNX Runtime's peer for a recipe: 8-bit MatMulNBits for 8-bit
            # weights (the same bytes per weight as Q8_0), 4-bit otherwise.
            peer_bits = {recipe: 8 if recipe.split(",")[0].startswith("w8") else 4
                         for recipe in args.recipes}
            peers = {}
            if not args.no_ort:
                npm = os.path.join(args.build, "npm", "node_modules")
                for bits in sorted(set(peer_bits.values())):
                    for level in (0, 4):
                        peer = os.path.join(work, f"nbits{bits}_{k}x{n}_acc{level}.onnx")
                        make_matmulnbits_model(peer, k, n, layers, level, bits)
                        for threads in (int(t) for t in args.threads.split(",")):
                            peers[(bits, level, threads)] = ort_ms(
                                peer, threads, args.repeats, x_path, npm)
            for recipe in args.recipes:
                artifact = os.path.join(work, f"{recipe}.so")
                subprocess.run([os.path.join(bin_dir, "lbc-opt"), model,
                                f"--pipeline={recipe}", "-o", artifact], check=True)
                info = subprocess.run([os.path.join(bin_dir, "lbc-run"), artifact, "--info"],
                                      check=True, capture_output=True, text=True).stdout
                count, bits = re.search(r"weights (\d+) at ([0-9.]+) bits/weight", info).groups()
                weight_bytes = int(count) * float(bits) / 8
                bits_of_peer = peer_bits[recipe]
                copies = [artifact]
                for copy in range(1, args.copies):
                    copies.append(os.path.join(work, f"{recipe}.copy{copy}.so"))
                    shutil.copyfile(artifact, copies[-1])
                for threads in (int(t) for t in args.threads.split(",")):
                    environment = dict(os.environ, OMP_NUM_THREADS=str(threads))
                    copy_ms = []
                    for path in copies:
                        out = subprocess.run(
                            [os.path.join(bin_dir, "lbc-run"), path, "--input",
                             os.path.join(work, "x.npy"), "--bench", str(args.repeats),
                             "--threads", str(threads)],
                            check=True, capture_output=True, text=True, env=environment).stdout
                        copy_ms.append(float(re.search(r"p50 ([0-9.]+) ms", out).group(1)))
                    ms = statistics.median(copy_ms)
                    stream = json.loads(subprocess.run(
                        [os.path.join(bin_dir, "lbc-bench-matmul"), "--stream", str(threads)],
                        check=True, capture_output=True, text=True).stdout)["stream_read_gbps"]
                    gbps = weight_bytes / ms / 1e6
                    print(json.dumps({
                        "bench": "quantized_gemv", "recipe": recipe, "k": k, "n": n,
                        "layers": layers, "threads": threads, "lbc_ms": ms,
                        **({"lbc_ms_copies": copy_ms} if len(copies) > 1 else {}),
                        "lbc_ms_per_layer": round(ms / layers, 4),
                        "bits_per_weight": float(bits),
                        "weight_mib": round(weight_bytes / 2 ** 20, 2),
                        "lbc_weight_gbps": round(gbps, 2), "stream_read_gbps": stream,
                        "lbc_vs_stream": round(gbps / stream, 3),
                        **({"ort_matmulnbits_bits": bits_of_peer} if peers else {}),
                        **{f"ort_matmulnbits_acc{level}_ms": peers[(bits_of_peer, level, threads)]
                           for level in (0, 4) if (bits_of_peer, level, threads) in peers},
                        **{f"lbc_speedup_vs_ort_acc{level}":
                           round(peers[(bits_of_peer, level, threads)] / ms, 3)
                           for level in (0, 4) if (bits_of_peer, level, threads) in peers}}),
                          flush=True)


if __name__ == "__main__":
    main()
