"""The waitlist: join a full session, the head gets the freed seat, offers expire and pass on, claim."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.catalog import seats
from chalicelib.core import clock, sweep
from tests.api.booking_helpers import FREE, book, listing_with_sessions, player
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _full_session(api: Any, token_for: Any) -> tuple[Any, str, str]:
    setup = listing_with_sessions(api, token_for, capacity=1, **FREE)
    holder, _ = player(api, token_for)
    booking = book(api, holder, setup.session_id).json
    return setup, holder, booking["id"]


def test_join_position_offer_expiry_passes_on_and_claim_books(api: Any, token_for: Any) -> None:
    setup, holder, booking_id = _full_session(api, token_for)
    path = f"/v1/sessions/{setup.session_id}/waitlist"
    first, _ = player(api, token_for)
    second, _ = player(api, token_for)
    joined = api.post(path, token=first, json_body={"seats": 1})
    assert joined.status == 201, joined.body
    assert joined.json["state"] == "waiting" and joined.json["position"] == 1
    assert api.post(path, token=second, json_body={}).json["position"] == 2
    assert_problem(api.post(path, token=first, json_body={}), 409, "already_waitlisted")
    assert_problem(api.post(path, token=holder, json_body={}), 409, "already_booked")
    mine = api.get("/v1/me/waitlist", token=second).json["items"]
    assert [e["position"] for e in mine] == [2]

    assert api.post(f"/v1/bookings/{booking_id}/cancel", token=holder).status == 200
    offered = api.get("/v1/me/waitlist", token=first).json["items"][0]
    assert offered["state"] == "offered" and offered["offer_expires_at"] == "2026-01-10T14:00:00Z"
    assert seats.seats_of(setup.session_id) == (1, 0, 1, 1)
    assert api.get("/v1/me/waitlist", token=second).json["items"][0]["position"] == 1
    assert_problem(book(api, token_for(), setup.session_id), 409, "session_full")  # the seat is held

    clock.freeze(NOW + timedelta(hours=2, minutes=1))
    sweep.run(lookback_minutes=30, workers=1)  # moto is not thread-safe: due items one at a time
    assert api.get("/v1/me/waitlist", token=first).json["items"][0]["state"] == "offer_expired"
    entry = api.get("/v1/me/waitlist", token=second).json["items"][0]
    assert entry["state"] == "offered"
    assert_problem(api.post(f"/v1/waitlist/{entry['id']}/claim", token=first), 404)
    claimed = api.post(f"/v1/waitlist/{entry['id']}/claim", token=second)
    assert claimed.status == 201, claimed.body
    assert claimed.json["state"] == "confirmed"
    assert seats.seats_of(setup.session_id) == (1, 1, 0, 1)
    assert api.get("/v1/me/waitlist", token=second).json["items"][0]["booking_id"] == claimed.json["id"]
    assert_problem(api.post(f"/v1/waitlist/{entry['id']}/claim", token=second), 409, "invalid_state")


def test_leaving_passes_an_offer_on(api: Any, token_for: Any) -> None:
    setup, holder, booking_id = _full_session(api, token_for)
    path = f"/v1/sessions/{setup.session_id}/waitlist"
    first, _ = player(api, token_for)
    second, _ = player(api, token_for)
    api.post(path, token=first, json_body={})
    api.post(path, token=second, json_body={})
    api.post(f"/v1/bookings/{booking_id}/cancel", token=holder)
    assert api.delete(path, token=first).status == 204
    assert api.get("/v1/me/waitlist", token=first).json["items"][0]["state"] == "left"
    assert api.get("/v1/me/waitlist", token=second).json["items"][0]["state"] == "offered"
    assert seats.seats_of(setup.session_id) == (1, 0, 1, 1)
    assert_problem(api.delete(path, token=first), 404)
    roster = api.get(f"/v1/sessions/{setup.session_id}/roster", token=setup.host_token).json
    assert [e["state"] for e in roster["waitlist"]] == ["offered"]


def test_waitlist_client_errors(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, capacity=2, **FREE)
    token = token_for()
    path = f"/v1/sessions/{setup.session_id}/waitlist"
    assert_problem(api.post(path, token=token, json_body={}), 409, "seats_available")
    assert_problem(api.post(path, token=token, json_body={"seats": 0}), 422)
    assert_problem(api.post("/v1/sessions/ses_nope/waitlist", token=token, json_body={}), 404)
    assert_problem(api.post(path, json_body={}), 401)
    assert_problem(api.delete(path, token=token), 404)
    assert_problem(api.post("/v1/waitlist/wl_nope/claim", token=token), 404)
    assert_problem(api.get("/v1/me/waitlist"), 401)


def test_an_offer_past_its_expiry_cannot_be_claimed_even_before_its_timer_runs(api: Any, token_for: Any) -> None:
    setup, holder, booking_id = _full_session(api, token_for)
    waiter, _ = player(api, token_for)
    api.post(f"/v1/sessions/{setup.session_id}/waitlist", token=waiter, json_body={})
    api.post(f"/v1/bookings/{booking_id}/cancel", token=holder)
    entry = api.get("/v1/me/waitlist", token=waiter).json["items"][0]
    clock.freeze(NOW + timedelta(hours=2))  # the offer's last instant has passed; no sweep ran
    assert_problem(api.post(f"/v1/waitlist/{entry['id']}/claim", token=waiter), 409, "offer_expired")
    assert seats.seats_of(setup.session_id) == (1, 0, 1, 1)  # still held until the timer releases it


def test_the_waitlist_closes_an_hour_before_the_start(api: Any, token_for: Any) -> None:
    setup, _, _ = _full_session(api, token_for)
    clock.freeze(NOW.replace(month=2, day=1, hour=17))  # 18:00 UTC start
    problem = assert_problem(book(api, token_for(), setup.session_id), 409, "session_full")
    assert problem["waitlist_open"] is False
    joined = api.post(f"/v1/sessions/{setup.session_id}/waitlist", token=token_for(), json_body={})
    assert_problem(joined, 409, "waitlist_closed")
