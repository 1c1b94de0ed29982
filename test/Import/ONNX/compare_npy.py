#!/usr/bin/python3
"""compare_npy.py ACTUAL EXPECTED [RTOL]: exit 1 unless allclose."""
import sys

import numpy as np

actual, expected = np.load(sys.argv[1]), np.load(sys.argv[2])
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
error = np.max(np.abs(actual - expected) / (np.abs(expected) + 1e-6))
print(f"shape {actual.shape} max relative error {error:.3e}")
sys.exit(0 if actual.shape == expected.shape and np.allclose(actual, expected, rtol=rtol, atol=1e-6) else 1)
