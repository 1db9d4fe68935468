"""Starting and stopping the local stack: demo data, start-up time, ports in use, clean shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.e2e.stack import ROOT, Stack, wait_for

STARTUP_BUDGET_SECONDS = 15.0


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_demo_users_are_seeded_with_printed_tokens(stack: Stack) -> None:
    log = stack.log()
    for user_id, name in [
        ("usr_01HSESH0DEM0GAMEMASTER0001", "Mira Quill"),
        ("usr_01HSESH0DEM0STVD0000000001", "Basement Tapes Studio"),
        ("usr_01HSESH0DEM0PAYER000000001", "Pat Player"),
    ]:
        assert user_id in log and name in log
        profile = stack.get(f"/v1/users/{user_id}").json()
        assert profile["display_name"] == name
    printed = [line.split("TOKEN=", 1)[1].strip() for line in log.splitlines() if "TOKEN=" in line]
    assert len(printed) == 3
    me = stack.get("/v1/me", headers={"Authorization": f"Bearer {printed[0]}"})
    assert me.status_code == 200 and me.json()["is_host"] is True


def test_a_port_in_use_is_named_and_nothing_starts(stack: Stack, tmp_path: Path) -> None:
    busy = stack.port
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "--port", str(busy), "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"port already in use: {busy}" in result.stderr
    assert stack.get("/dev").ok  # the running stack is untouched


def test_sigterm_stops_every_child_and_frees_every_port(tmp_path: Path) -> None:
    own = Stack(tmp_path / "devstack", ["--fresh", "--no-seed"]).start()
    try:
        assert own.info["started_in_seconds"] < STARTUP_BUDGET_SECONDS, own.info
        runner = psutil.Process(own.info["pid"])
        children = runner.children(recursive=True)
        assert {p.pid for p in children} >= set(own.info["child_pids"].values())
        assert all(_listening(port) for port in own.ports)
    finally:
        exit_code = own.stop()
    assert exit_code == 0, own.log_tail()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left running: {alive}"
    wait_for(lambda: not any(_listening(port) for port in own.ports), 10, "every port to be free")
    assert "Stopped." in own.log()


def test_sigint_during_startup_still_cleans_up(tmp_path: Path) -> None:
    """Ctrl-C before the stack is ready (DynamoDB Local still booting) leaves nothing behind."""
    own = Stack(tmp_path / "devstack", ["--fresh", "--no-seed"])
    own.data_dir.mkdir(parents=True)
    with own.log_file.open("wb") as log:
        process = subprocess.Popen(own.args(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    runner = psutil.Process(process.pid)
    # Wait until it has children (the services are starting), then interrupt.
    children = wait_for(lambda: runner.children(recursive=True), 30, "the stack to start its services")
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(30) == 0, own.log_tail()
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the stack did not stop on SIGINT:\n{own.log_tail()}")
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left running: {alive}"
    wait_for(lambda: not any(_listening(port) for port in own.ports), 10, "every port to be free")
