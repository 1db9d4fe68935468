"""Assertions and steps shared by the API tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code)."""
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["type"].endswith(problem["code"])
    if code:
        assert problem["code"] == code, problem
    return problem


def run_timers_at(moment: datetime) -> None:
    """Move the clock to `moment` and run the sweep there, as the schedule would (what fell due in the
    last half hour; items one at a time: moto is not thread-safe)."""
    from chalicelib.core import clock, sweep

    clock.freeze(moment)
    sweep.run(lookback_minutes=30, workers=1)
