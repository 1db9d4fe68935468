"""The load script, bounded for CI: 10 users browsing, booking (free and paid, paying on the Stripe
emulator) and chatting for 20 s against the session's stack. No 5xx, no failed request, the seat
invariant holds on every session afterwards, and every paid booking's receipt (from the ledger) adds
up. The full run is `bench/load.py` (README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import ROOT, Stack


def test_ten_users_for_twenty_seconds_get_no_5xx_and_keep_seats_and_ledger_right(stack: Stack, tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        "--url",
        stack.url,
        "--users",
        "10",
        "--spawn-rate",
        "5",
        "--duration",
        "20",
        "--hosts",
        "2",
        "--sessions",
        "2",
        "--capacity",
        "3",
        "--json",
        str(out),
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    figures = json.loads(out.read_text())

    assert figures["server_errors"] == 0, figures["server_error_samples"]
    assert figures["failures"] == 0, [r for r in figures["routes"] if r["failures"]]
    assert figures["invariant_violations"] == []
    assert figures["ledger_violations"] == []
    assert figures["sessions"] == 8
    # the run did what it says: users browsed, booked both kinds, paid and chatted
    routes = {r["route"]: r["requests"] for r in figures["routes"]}
    assert routes["GET /v1/sessions?search"] > 0 and routes["GET /v1/listings/{id}"] > 0
    assert figures["bookings"].get("free", 0) > 0 and figures["bookings"].get("paid", 0) > 0
    assert figures["payments_confirmed"] > 0 and figures["messages_sent"] > 0
    assert finished.returncode == 0, finished.stdout[-3000:]
