"""The timer sweep on the movable clock: moving the clock makes timers due, and the sweep fires them."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

from websockets.sync.client import connect

from tests.e2e.stack import Stack, wait_for


def _now(stack: Stack) -> datetime:
    return datetime.fromisoformat(stack.get("/dev/clock").json()["now"].replace("Z", "+00:00"))


def test_clock_moves_forward_and_can_be_set(stack: Stack) -> None:
    before = _now(stack)
    moved = stack.post("/dev/clock", json={"advance_seconds": 90}).json()
    assert (datetime.fromisoformat(moved["now"].replace("Z", "+00:00")) - before).total_seconds() >= 90
    target = before.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    back = stack.post("/dev/clock", json={"set": target})
    assert back.status_code == 200 and back.json()["now"] >= target
    assert stack.post("/dev/clock", json={}).status_code == 422
    assert stack.post("/dev/clock", json={"advance_seconds": 1, "set": target}).status_code == 422


def test_a_timer_due_in_an_hour_fires_within_two_seconds_of_moving_the_clock(stack: Stack) -> None:
    to = f"timer-{uuid.uuid4().hex[:8]}@sesh.example"
    scheduled = stack.post("/dev/timers", json={"due_in_seconds": 3600, "payload": {"to": to, "subject": "Fired"}})
    assert scheduled.status_code == 201, scheduled.text
    timer_id = scheduled.json()["timer_id"]

    # Not due yet: its own state says so (no sleeping to watch nothing happen).
    assert stack.get(f"/dev/timers/{timer_id}").json()["status"] == "pending"
    assert stack.get("/dev/mail", params={"to": to}).json()["items"] == []

    moved_at = time.monotonic()
    assert stack.post("/dev/clock", json={"advance_seconds": 3600}).status_code == 200
    mail = wait_for(lambda: stack.get("/dev/mail", params={"to": to}).json()["items"], 10, "the timer to fire")
    fired_after = time.monotonic() - moved_at
    assert mail[0]["subject"] == "Fired"
    assert fired_after < 2.0, f"the timer fired {fired_after:.2f}s after the clock moved"
    wait_for(lambda: stack.get(f"/dev/timers/{timer_id}").json()["status"] == "done", 10, "the timer to be done")


def test_websocket_handlers_run_on_the_moved_clock(stack: Stack) -> None:
    """They run in the Lambda worker process, which follows the runner's clock."""
    moved = stack.post("/dev/clock", json={"advance_seconds": 86_400}).json()
    token, _ = stack.token()
    with connect(f"{stack.ws_url}?token={token}", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "ping", "id": "clock"}))
        pong = json.loads(ws.recv(timeout=10))
    server_time = datetime.fromisoformat(pong["data"]["server_time"].replace("Z", "+00:00"))
    moved_now = datetime.fromisoformat(moved["now"].replace("Z", "+00:00")).replace(microsecond=0)
    assert moved_now <= server_time <= _now(stack)
