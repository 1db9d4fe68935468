"""The Stripe emulator for the API and conformance tiers: localstripe as the local stack runs it
(devstack/stripe_emulator.py), a subprocess on a free port, reached by the real adapter over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "sk_test_sesh_tests"
WEBHOOK_SECRET = "whsec_sesh_tests_signing_secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def configure_base() -> str:
    return os.environ["STRIPE_API_BASE"]


def configure(port: int) -> str:
    """Point the app's settings at the emulator; call at import, before settings are first read."""
    base = f"http://127.0.0.1:{port}"
    os.environ.update(
        {"STRIPE_API_BASE": base, "STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    )
    return base


@contextmanager
def running(port: int, store_dir: Path) -> Iterator[str]:
    from devstack.ports import wait_listening

    args = [
        sys.executable,
        "-m",
        "devstack.stripe_emulator",
        "--port",
        str(port),
        "--store",
        str(store_dir / "stripe.pickle"),
        "--from-scratch",
    ]
    process = subprocess.Popen(args, cwd=ROOT, start_new_session=True)
    try:
        wait_listening(port, 30, "the Stripe emulator")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
