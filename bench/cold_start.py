"""Cold-start cost of the app: import time of `app` in fresh interpreters, against boto3 + chalice alone.

Prints both medians and their ratio (target: <= 1.3). Each sample is a new Python process, as a
Lambda cold start is; the interpreter's own start-up is measured separately and left out.

    .venv/bin/python bench/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import boto3, chalice"
APP = "import app"
# Not part of the ratio: what the first authenticated request then loads on top (the lazy modules
# of GET /v1/me), so that deferring imports cannot hide a cost that every container pays anyway.
FIRST_REQUEST = "import app, boto3, jwt, chalicelib.accounts.service, chalicelib.accounts.schemas, chalicelib.core.http"
TIMER = "import time, sys; t = time.perf_counter(); {stmt}; sys.stdout.write(repr(time.perf_counter() - t))"


def sample(statement: str) -> float:
    env = {**os.environ, "STAGE": "bench", "CURSOR_SECRET": "bench", "POWERTOOLS_TRACE_DISABLED": "true"}
    out = subprocess.run(
        [sys.executable, "-X", "frozen_modules=on", "-c", TIMER.format(stmt=statement)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def stripe_loaded_by_app() -> bool:
    probe = "import sys, app; print('stripe' in sys.modules)"
    return (
        subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        == "True"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # Interleave the two so that any drift in machine load hits both alike.
    baseline, full, first = [], [], []
    for _ in range(args.runs):
        baseline.append(sample(BASELINE))
        full.append(sample(APP))
        first.append(sample(FIRST_REQUEST))
    base_ms = statistics.median(baseline) * 1000
    app_ms = statistics.median(full) * 1000
    first_ms = statistics.median(first) * 1000
    print(f"import boto3 + chalice : {base_ms:7.1f} ms (median of {args.runs})")
    print(f"import app             : {app_ms:7.1f} ms (median of {args.runs})")
    print(f"ratio app / baseline   : {app_ms / base_ms:7.2f}  (target <= 1.3)")
    print(f"app + first /v1/me     : {first_ms:7.1f} ms  (imports a first request adds; not in the ratio)")
    print(f"stripe imported by app : {stripe_loaded_by_app()}")


if __name__ == "__main__":
    main()
