"""The player's and the host's dashboards through the API, and who may read them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.booking_helpers import FREE, book, listing_with_sessions, player
from tests.api.helpers import assert_problem
from tests.api.review_helpers import completed_bookings

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_player_dashboard(api: Any, token_for: Any, stripe_emulator: str) -> None:
    token, _ = player(api, token_for)
    free = listing_with_sessions(api, token_for, capacity=1, **FREE)
    confirmed = book(api, token, free.session_id).json
    paid = listing_with_sessions(api, token_for)
    pending = book(api, token, paid.session_id).json
    full = listing_with_sessions(api, token_for, capacity=1, **FREE)
    book(api, token_for(), full.session_id)
    joined = api.post(f"/v1/sessions/{full.session_id}/waitlist", token=token, json_body={})
    assert joined.status == 201, joined.body
    assert api.put(f"/v1/me/favorites/{free.listing['id']}", token=token).status == 204

    board = api.get("/v1/me/dashboard", token=token)
    assert board.status == 200, board.body
    d = board.json
    assert [u["booking"]["id"] for u in d["upcoming"]] == [confirmed["id"]]
    assert [b["id"] for b in d["pending_payments"]] == [pending["id"]]
    assert [(w["session_id"], w["position"]) for w in d["waitlist"]] == [(full.session_id, 1)]
    assert [f["listing"]["id"] for f in d["favorites"]] == [free.listing["id"]]
    assert [s["id"] for s in d["favorites"][0]["next_sessions"]] == [free.session_id]
    # the notifications package's own count (the booking's confirmation and the like, unread)
    assert d["notifications_unread"] == api.get("/v1/me/notifications", token=token).json["unread_count"] > 0
    assert d["awaiting_review"] == []
    assert_problem(api.get("/v1/me/dashboard"), 401)


def test_past_sessions_awaiting_a_review_leave_the_dashboard_once_reviewed(api: Any, token_for: Any) -> None:
    done = completed_bookings(api, token_for)
    (token, _), booking = done.players[0], done.bookings[0]
    awaiting = api.get("/v1/me/dashboard", token=token).json["awaiting_review"]
    assert [a["booking"]["id"] for a in awaiting] == [booking]
    assert awaiting[0]["review_url"] == f"/v1/bookings/{booking}/review"
    assert api.post(f"/v1/bookings/{booking}/review", token=token, json_body={"rating": 4}).status == 201
    assert api.get("/v1/me/dashboard", token=token).json["awaiting_review"] == []
    assert api.get("/v1/me/dashboard", token=token_for()).json["awaiting_review"] == []  # a stranger's own, empty


def test_host_dashboard(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, count=2, booking_mode="approval", **FREE)
    token, _ = player(api, token_for)
    requested = book(api, token, setup.session_id).json
    assert requested["state"] == "requested"
    board = api.get("/v1/me/host/dashboard", token=setup.host_token)
    assert board.status == 200, board.body
    d = board.json
    assert [s["session_id"] for s in d["sessions"]] == [s["id"] for s in setup.sessions]
    first = d["sessions"][0]
    assert first["capacity"] == 5 and [b["id"] for b in first["roster"]] == [requested["id"]]
    assert first["today"] is False and first["fill_rate"] == 0.0
    assert [r["booking"]["id"] for r in d["requests"]] == [requested["id"]]
    assert d["requests"][0]["expires_at"] is not None
    assert d["recent_reviews"] == [] and d["rating"]["count"] == 0
    assert d["payout_status"]["payouts_enabled"] is True  # the helpers onboard their hosts with Stripe
    assert d["last_30_days"]["bookings"] == 0
    # Other users: a player is refused, and another host sees only their own (nothing).
    assert_problem(api.get("/v1/me/host/dashboard", token=token), 403, "host_only")
    assert_problem(api.get("/v1/me/host/dashboard"), 401)
    other = listing_with_sessions(api, token_for, **FREE)
    theirs = api.get("/v1/me/host/dashboard", token=other.host_token).json
    assert [s["session_id"] for s in theirs["sessions"]] == [other.session_id] and theirs["requests"] == []
