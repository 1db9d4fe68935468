"""Assertions shared by the API tests."""

from __future__ import annotations

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
