#!/usr/bin/python3
"""compare_outputs.py DIR [TOLERANCE]

Compares every DIR/output_<i>.npy (written by lbc-run) with DIR/expected_<i>.npy
(written by the model script from torch). The error of an output is
max|actual - expected| / max|expected|: relative to the tensor's scale, so
values that are nearly zero do not dominate. Exits 1 if any output exceeds the
tolerance (default 1e-4) or differs in shape.
"""
import glob
import os
import sys

import numpy as np

directory = sys.argv[1]
tolerance = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-4
ok = True
expected_files = sorted(glob.glob(os.path.join(directory, "expected_*.npy")))
if not expected_files:
    sys.exit(f"no expected_*.npy in {directory}")
for expected_path in expected_files:
    index = expected_path.rsplit("_", 1)[1][:-4]
    expected = np.load(expected_path)
    actual = np.load(os.path.join(directory, f"output_{index}.npy"))
    if actual.shape != expected.shape:
        print(f"output {index}: shape {actual.shape} != expected {expected.shape}")
        ok = False
        continue
    scale = max(float(np.abs(expected).max()), 1e-30)
    error = float(np.abs(actual.astype(np.float64) - expected).max()) / scale
    verdict = "ok" if error <= tolerance else "TOO LARGE"
    print(f"output {index}: shape {actual.shape} relative error {error:.2e} {verdict}")
    ok = ok and error <= tolerance
sys.exit(0 if ok else 1)
