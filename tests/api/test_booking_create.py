"""Booking a session: free and paid instant booking, its errors, idempotency, and strangers."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core import clock, events, outbox
from tests.api.booking_helpers import FREE, book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _seats(session_id: str) -> tuple[int, int, int, int]:
    from chalicelib.catalog import seats

    return seats.seats_of(session_id)


def test_free_instant_booking_is_confirmed_at_once(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, user_id = player(api, token_for)
    created = book(api, token, setup.session_id, seats=2, note="Bringing a friend")
    assert created.status == 201, created.body
    booking = created.json
    assert booking["state"] == "confirmed"
    assert booking["seats"] == 2 and booking["player_id"] == user_id
    assert booking["price"] == {"amount": 0, "currency": "usd"}
    assert booking.get("payment") is None
    assert _seats(setup.session_id) == (5, 2, 0, 2)
    kinds = [m.kind for m in outbox.for_subject(booking["id"]) if m.kind != events.DELIVER]  # not subscribers' copies
    assert sorted(kinds) == ["booking.confirmed", "chat.roster"]
    got = api.get(f"/v1/bookings/{booking['id']}", token=token)
    assert got.status == 200 and got.json["id"] == booking["id"]
    assert api.get(f"/v1/bookings/{booking['id']}", token=setup.host_token).status == 200


def test_paid_instant_booking_holds_then_the_webhook_confirms(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    created = book(api, token, setup.session_id, seats=2)
    assert created.status == 201, created.body
    booking = created.json
    assert booking["state"] == "pending_payment"
    assert booking["hold_expires_at"] == "2026-01-10T12:15:00Z"
    assert booking["payment"]["amount"] == {"amount": 3000, "currency": "usd"}
    assert booking["payment"]["client_secret"]
    assert _seats(setup.session_id) == (5, 0, 2, 2)

    client = stripe_client(stripe_emulator)
    intent = client.v1.payment_intents.retrieve(booking["payment"]["payment_intent_id"])
    assert intent.metadata["booking_id"] == booking["id"]
    assert intent.metadata["session_id"] == setup.session_id
    paid = pay(client, intent.id)
    assert paid.status == "succeeded"
    delivered = deliver(api, "payment_intent.succeeded", paid)
    assert delivered.status == 200, delivered.body
    after = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert after["state"] == "confirmed" and after["payment_status"] == "paid"
    assert after["hold_expires_at"] is None
    assert _seats(setup.session_id) == (5, 2, 0, 2)
    # The same event again, and a late failure event: nothing moves backwards.
    assert deliver(api, "payment_intent.succeeded", paid).status == 200
    assert deliver(api, "payment_intent.payment_failed", paid).status == 200
    assert api.get(f"/v1/bookings/{booking['id']}", token=token).json["state"] == "confirmed"
    assert _seats(setup.session_id) == (5, 2, 0, 2)


def test_regional_currency_is_charged_in_that_currency(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    created = book(api, token, setup.session_id, seats=1, currency="eur")
    assert created.status == 201, created.body
    assert created.json["payment"]["amount"] == {"amount": 1400, "currency": "eur"}
    other = book(api, token_for(), setup.session_id, seats=1, currency="jpy")  # not priced: refused, not swapped
    assert assert_problem(other, 422, "currency_not_offered")["currencies"] == ["usd", "eur"]


def test_the_same_idempotency_key_replays_one_booking_and_one_payment(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    headers = {"Idempotency-Key": "book-once-1"}
    first = api.post(f"/v1/sessions/{setup.session_id}/bookings", token=token, json_body={"seats": 1}, headers=headers)
    again = api.post(f"/v1/sessions/{setup.session_id}/bookings", token=token, json_body={"seats": 1}, headers=headers)
    assert first.status == again.status == 201
    assert first.json == again.json
    assert _seats(setup.session_id) == (5, 0, 1, 1)
    other = api.post(f"/v1/sessions/{setup.session_id}/bookings", token=token, json_body={"seats": 2}, headers=headers)
    assert_problem(other, 422, "idempotency_key_reused")


def test_a_full_session_answers_409_and_says_the_waitlist_is_open(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, capacity=2, **FREE)
    assert book(api, token_for(), setup.session_id, seats=2).status == 201
    problem = assert_problem(book(api, token_for(), setup.session_id, seats=1), 409, "session_full")
    assert problem["waitlist_open"] is True
    assert _seats(setup.session_id) == (2, 2, 0, 2)


def test_one_active_booking_per_player_and_session(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _ = player(api, token_for)
    assert book(api, token, setup.session_id).status == 201
    assert_problem(book(api, token, setup.session_id), 409, "already_booked")
    assert _seats(setup.session_id) == (5, 1, 0, 1)


def test_client_errors(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token = token_for()
    assert_problem(book(api, token, setup.session_id, seats=0), 422, "validation_failed")
    assert_problem(book(api, token, setup.session_id, seats=6), 422, "validation_failed")  # max_seats 5
    assert_problem(book(api, token, setup.session_id, seats=1, extra=1), 422, "validation_failed")
    assert_problem(
        api.post(
            f"/v1/sessions/{setup.session_id}/bookings",
            token=token,
            body="{",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    assert_problem(book(api, token, "ses_nope"), 404)
    assert_problem(book(api, token, "ses_01JAAAAAAAAAAAAAAAAAAAAAAA"), 404)
    assert_problem(book(api, setup.host_token, setup.session_id), 409, "own_session")
    assert_problem(api.post(f"/v1/sessions/{setup.session_id}/bookings", json_body={"seats": 1}), 401)
    clock.freeze(NOW.replace(month=3))
    assert_problem(book(api, token_for(), setup.session_id), 409, "session_started")


def test_strangers_see_nothing(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _ = player(api, token_for)
    booking_id = book(api, token, setup.session_id).json["id"]
    stranger = token_for()
    for path in (
        f"/v1/bookings/{booking_id}",
        f"/v1/bookings/{booking_id}/cancellation-quote",
        f"/v1/sessions/{setup.session_id}/roster",
    ):
        assert_problem(api.get(path, token=stranger), 404)
    for action in ("cancel", "accept", "decline", "no-show"):
        assert_problem(api.post(f"/v1/bookings/{booking_id}/{action}", token=stranger), 404)
    moved = api.post(f"/v1/bookings/{booking_id}/reschedule", token=stranger, json_body={"session_id": "ses_x"})
    assert_problem(moved, 404)
    assert api.get(f"/v1/bookings/{booking_id}", token=token_for(roles=("admin",))).status == 200


def test_confirmed_players_join_the_session_chat_and_leave_when_they_cancel(api: Any, token_for: Any) -> None:
    from chalicelib.chat import service as chat

    setup = listing_with_sessions(api, token_for, **FREE)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id).json
    conversation_id = chat.session_chat_id(setup.session_id)
    assert conversation_id is not None
    assert api.get(f"/v1/conversations/{conversation_id}", token=token).status == 200
    assert api.post(f"/v1/bookings/{booking['id']}/cancel", token=token).status == 200
    sent = {(m.kind, m.payload.get("action"), m.status) for m in outbox.for_subject(booking["id"])}
    assert {("chat.roster", "join", "done"), ("chat.roster", "leave", "done")} <= sent
    assert api.get(f"/v1/conversations/{conversation_id}", token=token).status in (403, 404)
