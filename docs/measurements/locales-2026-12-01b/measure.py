"""Score the 2026-12-01b locale corpus: right = the top diagnosis has the true category.

usage: [PYTHONPATH=<tree>/src] .venv/bin/python measure.py truth.txt [LOGDIR] > table.txt
truth.txt: one "NAME CATEGORY" a line (CATEGORY "-" = a successful run: right = no diagnosis at all).
"""

import json
import subprocess
import sys
from pathlib import Path


def main() -> None:
    truth = Path(sys.argv[1])
    logdir = Path(sys.argv[2] if len(sys.argv) > 2 else "/work/slim-logs")
    right = total = 0
    for line in truth.read_text().splitlines():
        if not line.strip():
            continue
        name, want = line.split()
        out = subprocess.run(
            [sys.executable, "-m", "safe_pip", "diagnose", "--json", str(logdir / f"{name}.log")],
            capture_output=True,
            text=True,
        ).stdout
        diags = json.loads(out)["diagnoses"] if out.strip() else []
        top = diags[0] if diags else None
        got = top["category"] if top else "-"
        rule = top["rule"] if top else "-"
        ok = got == want
        right += ok
        total += 1
        print(f"{'RIGHT' if ok else 'MISS '} {name:50} want={want:28} got={got} ({rule})")
    print(f"right first: {right}/{total}")


main()
