"""Costly routes are rate limited per user (or per IP without a token): over the limit a caller gets
429 with Retry-After, the route does nothing, other callers are unaffected, and the next window
lets them in again. Limits come from settings (defaults in chalicelib/core/settings.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from tests.api.booking_helpers import FREE, book, listing_with_sessions, player
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem


def _limit(name: str) -> tuple[int, int]:
    return get_settings().rate_limits[name]


def test_booking_over_the_limit_is_429_and_books_nothing(api: Any, token_for: Any) -> None:
    clock.freeze(NOW)
    requests, per_seconds = _limit("booking")
    setup = listing_with_sessions(api, token_for, capacity=10, **FREE)
    token, _ = player(api, token_for)
    for _ in range(requests):  # attempts on a session that does not exist still count
        assert api.post("/v1/sessions/ses_missing/bookings", token=token, json_body={"seats": 1}).status == 404

    refused = book(api, token, setup.session_id)

    problem = assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= per_seconds
    assert str(requests) in problem["detail"]
    assert api.get("/v1/me/bookings", token=token).json["items"] == []
    other, _ = player(api, token_for)
    assert book(api, other, setup.session_id).status == 201  # someone else is not held back

    clock.advance(int(refused.headers["retry-after"]))
    assert book(api, token, setup.session_id).status == 201


def test_anonymous_search_is_limited_per_ip_and_signed_in_search_per_user(api: Any, token_for: Any) -> None:
    clock.freeze(NOW)
    requests, _ = _limit("search")
    for _ in range(requests):
        assert api.get("/v1/sessions").status == 200

    assert_problem(api.get("/v1/listings"), 429, "rate_limited")  # one limit for both search routes
    assert api.get("/v1/sessions", token=token_for()).status == 200  # a signed-in user has their own


def test_uploads_are_limited_per_user(api: Any, token_for: Any) -> None:
    clock.freeze(NOW)
    requests, _ = _limit("upload")
    token = token_for()
    body = {"content_type": "image/png"}
    for _ in range(requests):
        assert api.post("/v1/me/avatar", token=token, json_body=body).status == 201

    refused = api.post("/v1/me/avatar", token=token, json_body=body)
    assert_problem(refused, 429, "rate_limited")
    assert "retry-after" in refused.headers
