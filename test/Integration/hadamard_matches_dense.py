#!/usr/bin/python3
"""Checks the online Hadamard transform (lowbit.hadamard's microkernel).

  hadamard_matches_dense.py --work DIR [--bin-dir DIR]

For every order K that lbc builds (Paley I and II, Goethals-Seidel, doubling) and
several powers of two, compiles a function applying lowbit.hadamard to rows of
n = 2^m * K and checks, in float64 numpy, that
  - on identity rows (n <= 2048) the transform's matrix M has entries of
    magnitude 1/sqrt(n) and is orthogonal (M M^T = I): a normalized Hadamard
    matrix;
  - for n = K, M sqrt(K) is a Hadamard matrix of order K (H_K);
  - for n = 2^m K, on random rows, y = x (S_{2^m} (x) H_K) / sqrt(n) with S
    Sylvester's matrix built here and H_K the one found for n = K: the dense
    product the butterflies replace.
Prints the worst error per size; exits 1 above 1e-5.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

ORDERS = [1, 12, 20, 28, 36, 40, 44, 52, 60, 108, 140, 156, 172, 344]
POWERS = [1, 2, 16, 64]
MAX_SIZE = 16384
# Sizes of real models: 768 = 12 * 64, 14336 = 28 * 512, 5632 = 44 * 128,
# 11008 = 172 * 64.
EXTRA = [768, 14336, 5632, 4096, 11008]
TOLERANCE = 1e-5


def sylvester(size):
    s = np.ones((1, 1))
    while s.shape[0] < size:
        s = np.block([[s, s], [s, -s]])
    return s


def transform(args, n, x, tag):
    rows = "?" if tag == "dynamic" else str(x.shape[0])
    mlir = os.path.join(args.work, f"h{n}_{tag}.mlir")
    with open(mlir, "w") as f:
        # A dynamic row count needs a name for the runtime's signature.
        dims = ' {lbc.dims = ["rows", ""]}' if tag == "dynamic" else ""
        f.write(f"func.func @lbc_model(%x: tensor<{rows}x{n}xf32>{dims}) -> (tensor<{rows}x{n}xf32>{dims}) {{\n"
                f"  %y = lowbit.hadamard %x : tensor<{rows}x{n}xf32>\n"
                f"  return %y : tensor<{rows}x{n}xf32>\n}}\n")
    artifact = mlir[:-5] + ".so"
    subprocess.run([os.path.join(args.bin_dir, "lbc-opt"), mlir, "-o", artifact], check=True)
    x_path = mlir[:-5] + "_x.npy"
    np.save(x_path, x.astype(np.float32))
    out = artifact + ".out"
    os.makedirs(out, exist_ok=True)
    subprocess.run([os.path.join(args.bin_dir, "lbc-run"), artifact, "--input", x_path,
                    "--output-dir", out], check=True, stdout=subprocess.DEVNULL)
    return np.load(os.path.join(out, "output_0.npy")).astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin-dir", default="")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(0)
    worst = 0.0
    factors = {}

    def report(name, error):
        nonlocal worst
        worst = max(worst, error)
        print(f"{name}: {error:.1e} {'ok' if error <= TOLERANCE else 'TOO LARGE'}")

    for k in ORDERS:
        m = transform(args, k, np.eye(k), "identity")
        h = m * np.sqrt(k)
        report(f"K={k} entries +-1", float(np.abs(np.abs(h) - 1).max()))
        report(f"K={k} H H^T = K I", float(np.abs(h @ h.T - k * np.eye(k)).max() / k))
        factors[k] = np.round(h)
    sizes = [p * k for k in ORDERS for p in POWERS if k < p * k <= MAX_SIZE] + EXTRA
    for n in sizes:
        # lbc's factorization: the largest power of two whose cofactor it
        # builds (688 = 4 x 172, not 2 x 344).
        power = n & -n
        while n // power not in ORDERS:
            power //= 2
        k = n // power
        power = n // k
        if n <= 2048:
            m = transform(args, n, np.eye(n), "identity")
            report(f"n={n} |M| = 1/sqrt(n)", float(np.abs(np.abs(m) * np.sqrt(n) - 1).max()))
            report(f"n={n} M M^T = I", float(np.abs(m @ m.T - np.eye(n)).max()))
        x = rng.normal(size=(3, n))
        y = transform(args, n, x, "random")
        chunks = x.reshape(3, power, k) @ factors[k]
        expected = np.einsum("ab,rak->rbk", sylvester(power), chunks).reshape(3, n) / np.sqrt(n)
        report(f"n={n} = {power} x {k}: kernel vs dense", float(np.abs(y - expected).max() / np.abs(expected).max()))
    # Many rows (the row blocks run in parallel) and a dynamic row count.
    for rows, tag in [(200, "many"), (5, "dynamic")]:
        x = rng.normal(size=(rows, 768))
        y = transform(args, 768, x, tag)
        chunks = x.reshape(rows, 64, 12) @ factors[12]
        expected = np.einsum("ab,rak->rbk", sylvester(64), chunks).reshape(rows, 768) / np.sqrt(768)
        report(f"{rows} rows ({tag}) n=768: kernel vs dense", float(np.abs(y - expected).max() / np.abs(expected).max()))
    print(f"worst {worst:.1e}")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
