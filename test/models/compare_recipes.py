#!/usr/bin/python3
"""compare_recipes.py BETTER WORSE FRACTION [METRIC] < lbc-eval --json output

Checks that recipe BETTER's METRIC (default perplexity_delta, the perplexity
change against FP32; or mean_rel_error, max_rel_error) is at most FRACTION
times recipe WORSE's (both from the lbc-eval JSON lines on stdin): e.g. that
smoothrot closes most of the 4-bit-activation gap. Prints both values and
the fraction of WORSE's gap that BETTER closes; exits 1 when the check fails.
"""
import json
import sys

better, worse, fraction = sys.argv[1], sys.argv[2], float(sys.argv[3])
metric = sys.argv[4] if len(sys.argv) > 4 else "perplexity_delta"
rows = {}
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        row = json.loads(line)
        rows[row["recipe"]] = row
missing = [r for r in (better, worse) if r not in rows]
if missing:
    sys.exit(f"no lbc-eval row for {', '.join(missing)}")
b, w = rows[better][metric], rows[worse][metric]
ok = b <= fraction * w
closed = 1 - b / w if w > 0 else 0.0
print(f"{better} {metric} {b:+.4g}, {worse} {w:+.4g}: closes {100 * closed:.0f}% of the gap "
      f"(at least {100 * (1 - fraction):.0f}% asked): {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
