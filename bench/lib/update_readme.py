#!/usr/bin/env python3
"""Puts the latest tables (bench/results/S*.md) and timelines (bench/results/S*-*.png) into
bench/README.md between the markers <!-- tables --> and <!-- /tables -->, so the README always
shows what the result files say (never a hand-copied figure).

  bench/lib/update_readme.py [RESULTS_DIR] [README]
"""
import glob
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "results")
readme = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "README.md")

parts = []
for md in sorted(glob.glob(os.path.join(results, "S*.md"))):
    name = os.path.basename(md)[:-3]
    with open(md) as f:
        parts.append(f.read().rstrip())
    for png in sorted(glob.glob(os.path.join(results, f"{name}-*.png"))):
        rel = os.path.relpath(png, os.path.dirname(readme))
        kind = os.path.basename(png)[len(name) + 1:-4]
        parts.append(f"\n{name} timeline, {kind}: ![{name} {kind}]({rel})")
    parts.append("")
block = "<!-- tables -->\n" + "\n".join(parts) + "\n<!-- /tables -->"
with open(readme) as f:
    text = f.read()
if "<!-- tables -->" not in text:
    raise SystemExit(f"update_readme: no '<!-- tables -->' marker in {readme}")
text = re.sub(r"<!-- tables -->.*?<!-- /tables -->", lambda _: block, text, flags=re.S)
with open(readme, "w") as f:
    f.write(text)
print(f"update_readme: {len(glob.glob(os.path.join(results, 'S*.md')))} tables into {readme}")
