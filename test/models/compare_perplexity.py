#!/usr/bin/python3
"""compare_perplexity.py DIR < lbc-eval --json output

Compares the FP32 row's perplexity (lbc-eval --text --json) with torch's on
the same windows (DIR/perplexity.txt, written by make_llama.py --text).
Prints the relative difference; exits 1 above 1e-4.
"""
import json
import os
import sys

expected = float(open(os.path.join(sys.argv[1], "perplexity.txt")).read())
rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
fp32 = [row for row in rows if row["recipe"] == "fp32"]
if not fp32:
    sys.exit("no fp32 row in lbc-eval's output")
difference = abs(fp32[0]["perplexity"] - expected) / expected
verdict = "ok" if difference <= 1e-4 else "TOO LARGE"
print(f"fp32 perplexity {fp32[0]['perplexity']:.4f}, torch {expected:.4f}: "
      f"relative difference {difference:.1e} {verdict}")
sys.exit(0 if difference <= 1e-4 else 1)
