"""Secrets live in SSM (or the environment of a test or the local stack), never in committed config:
the deployed stages' configuration names no secret, and nothing tracked holds a live key."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = ("CURSOR_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
# Live Stripe keys and AWS access key ids. The local stack's and the tests' fake `sk_test_sesh_*`
# values go only to the Stripe emulator.
LIVE = re.compile(r"\b(sk_live_[0-9A-Za-z]{8,}|rk_live_[0-9A-Za-z]{8,}|AKIA[0-9A-Z]{16})\b")


def test_deployed_stages_take_no_secret_from_config() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    scopes = [config, *config["stages"].values()]
    for scope in scopes:
        env = scope.get("environment_variables", {})
        for name in SECRET_NAMES:
            assert name not in env, f"{name} is committed in .chalice/config.json"
        for value in env.values():
            assert not str(value).startswith(("sk_", "rk_", "whsec_")), value


def test_no_live_key_is_tracked() -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode(errors="ignore")
        assert not LIVE.search(text), f"{name} holds what looks like a live key"
