"""A booking's life: quotes and cancellation, hold expiry, late payments, approval mode, minimum
players, completion and no-shows, lists, the roster, and player rescheduling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import stripe as stripe_module

from chalicelib.catalog import seats
from chalicelib.core import clock, events, outbox
from tests.api.booking_helpers import FREE, book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem, run_timers_at

pytestmark = pytest.mark.usefixtures("frozen_clock")

START = NOW.replace(month=2, day=1, hour=18)  # 19:00 in Berlin


def _paid_booking(api: Any, token_for: Any, stripe_emulator: str, **overrides: Any) -> tuple[Any, str, dict[str, Any]]:
    setup = listing_with_sessions(api, token_for, **overrides)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=2).json
    client = stripe_client(stripe_emulator)
    deliver(api, "payment_intent.succeeded", pay(client, booking["payment"]["payment_intent_id"]))
    return setup, token, booking


def test_quote_and_cancel_refund_by_the_policy(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup, token, booking = _paid_booking(api, token_for, stripe_emulator)  # moderate: 100% ≥120h, 50% ≥24h
    path = f"/v1/bookings/{booking['id']}"
    clock.freeze(START - timedelta(hours=24))
    quote = api.get(path + "/cancellation-quote", token=token).json
    assert quote["refund"] == {"amount": 1500, "currency": "usd"}
    assert quote["tier"] == {"hours_before_start": 24, "refund_percent": 50}
    clock.freeze(START - timedelta(hours=24) + timedelta(seconds=1))
    late = api.get(path + "/cancellation-quote", token=token).json
    assert late["refund"]["amount"] == 0 and late["tier"] is None
    clock.freeze(START - timedelta(hours=130))
    cancelled = api.post(path + "/cancel", token=token)
    assert cancelled.status == 200, cancelled.body
    assert cancelled.json["refund"] == {"amount": 3000, "currency": "usd"}
    assert cancelled.json["booking"]["state"] == "cancelled"
    assert seats.seats_of(setup.session_id) == (5, 0, 0, 0)
    refunds = [m for m in outbox.for_subject(booking["id"]) if m.kind == "payments.refund"]
    assert len(refunds) == 1 and refunds[0].status == "done"
    intent = stripe_client(stripe_emulator).v1.payment_intents.retrieve(
        booking["payment"]["payment_intent_id"], {"expand": ["latest_charge"]}
    )
    assert intent.latest_charge.amount_refunded == 3000
    assert deliver(api, "charge.refunded", intent.latest_charge).status == 200  # recorded, nothing moves
    after = api.get(path, token=token).json
    assert (after["amount_refunded"], after["payment_status"]) == (3000, "refunded")
    assert_problem(api.post(path + "/cancel", token=token), 409, "invalid_state")
    assert_problem(api.get(path + "/cancellation-quote", token=token), 409, "invalid_state")
    assert_problem(api.post(path + "/cancel", token=setup.host_token), 404)  # the host cancels sessions


def test_hold_expiry_frees_the_seat_and_a_late_payment_is_refunded(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id).json
    run_timers_at(NOW + timedelta(minutes=14))
    assert api.get(f"/v1/bookings/{booking['id']}", token=token).json["state"] == "pending_payment"
    # The player paid at the last moment; Stripe's webhook is slower than the hold.
    client = stripe_client(stripe_emulator)
    pay(client, booking["payment"]["payment_intent_id"])
    run_timers_at(NOW + timedelta(minutes=16))
    expired = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert expired["state"] == "expired"
    assert seats.seats_of(setup.session_id) == (5, 0, 0, 0)
    # Releasing the intent found it paid: the money went back in full, and the books say so.
    assert (expired["payment_status"], expired["amount_refunded"]) == ("refunded", 1500)
    intent = client.v1.payment_intents.retrieve(booking["payment"]["payment_intent_id"], {"expand": ["latest_charge"]})
    assert intent.latest_charge.amount_refunded == 1500
    # The webhook arrives at last: nothing moves twice; the player may book again.
    assert deliver(api, "payment_intent.succeeded", intent).status == 200
    assert api.get(f"/v1/bookings/{booking['id']}", token=token).json == expired
    assert intent.latest_charge.amount_refunded == 1500
    assert [m.kind for m in outbox.for_subject(booking["id"])].count("payments.refund") == 1
    assert book(api, token, setup.session_id).status == 201


def test_payment_failed_keeps_the_hold_and_canceled_expires_it(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id).json
    client = stripe_client(stripe_emulator)
    intent_id = booking["payment"]["payment_intent_id"]
    with pytest.raises(stripe_module.CardError):
        pay(client, intent_id, card="4000000000000341")  # attached, then declined when charged
    deliver(api, "payment_intent.payment_failed", client.v1.payment_intents.retrieve(intent_id))
    failed = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert failed["state"] == "pending_payment" and failed["payment_status"] == "failed"
    canceled = client.v1.payment_intents.cancel(intent_id)  # e.g. in Stripe's dashboard
    deliver(api, "payment_intent.canceled", canceled)
    after = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert (after["state"], after["payment_status"]) == ("expired", "released")
    assert seats.seats_of(setup.session_id) == (5, 0, 0, 0)


def test_approval_mode_authorizes_then_captures_on_accept(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup = listing_with_sessions(api, token_for, booking_mode="approval")
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id).json
    assert booking["state"] == "requested" and booking["payment"]["capture"] == "manual"
    path = f"/v1/bookings/{booking['id']}"
    assert_problem(api.post(path + "/accept", token=setup.host_token), 409, "payment_not_authorized")
    client = stripe_client(stripe_emulator)
    authorized = pay(client, booking["payment"]["payment_intent_id"])
    assert authorized.status == "requires_capture"
    deliver(api, "payment_intent.amount_capturable_updated", authorized)
    assert api.get(path, token=token).json["payment_status"] == "authorized"
    assert_problem(api.post(path + "/accept", token=token), 404)  # the player cannot accept
    accepted = api.post(path + "/accept", token=setup.host_token)
    assert accepted.status == 200, accepted.body
    assert accepted.json["state"] == "confirmed" and accepted.json["payment_status"] == "paid"
    assert client.v1.payment_intents.retrieve(authorized.id).status == "succeeded"
    assert seats.seats_of(setup.session_id) == (5, 1, 0, 1)
    assert_problem(api.post(path + "/decline", token=setup.host_token), 409, "invalid_state")


def test_a_host_may_accept_before_the_authorizations_webhook_and_a_decline_releases_it(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup = listing_with_sessions(api, token_for, booking_mode="approval", min_players=1)
    client = stripe_client(stripe_emulator)
    first, second = (book(api, token_for(), setup.session_id).json for _ in range(2))
    for booking in (first, second):
        assert pay(client, booking["payment"]["payment_intent_id"]).status == "requires_capture"
    # No webhook yet: accepting reads the authorization from Stripe.
    accepted = api.post(f"/v1/bookings/{first['id']}/accept", token=setup.host_token)
    assert accepted.status == 200, accepted.body
    assert (accepted.json["state"], accepted.json["payment_status"]) == ("confirmed", "paid")
    declined = api.post(f"/v1/bookings/{second['id']}/decline", token=setup.host_token)
    assert declined.status == 200 and declined.json["state"] == "declined"
    assert client.v1.payment_intents.retrieve(second["payment"]["payment_intent_id"]).status == "canceled"
    after = api.get(f"/v1/bookings/{second['id']}", token=setup.host_token).json
    assert after["payment_status"] == "released"
    assert seats.seats_of(setup.session_id) == (5, 1, 0, 1)


def test_decline_and_request_expiry_release_seats(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, booking_mode="approval", **FREE)
    first = book(api, token_for(), setup.session_id).json
    second = book(api, token_for(), setup.session_id).json
    assert seats.seats_of(setup.session_id) == (5, 0, 2, 2)
    declined = api.post(f"/v1/bookings/{first['id']}/decline", token=setup.host_token)
    assert declined.status == 200 and declined.json["state"] == "declined"
    run_timers_at(NOW + timedelta(hours=48, minutes=1))
    assert api.get(f"/v1/bookings/{second['id']}", token=setup.host_token).json["state"] == "expired"
    assert seats.seats_of(setup.session_id) == (5, 0, 0, 0)


def test_minimum_players_not_reached_cancels_with_full_refunds(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup, token, booking = _paid_booking(api, token_for, stripe_emulator)  # min_players 3, 2 seats booked
    run_timers_at(START - timedelta(hours=24) + timedelta(seconds=30))
    after = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert after["state"] == "cancelled" and after["amount_refunded"] == 3000
    assert api.get(f"/v1/sessions/{setup.session_id}").json["state"] == "cancelled"
    assert seats.seats_of(setup.session_id)[1:] == (0, 0, 0)
    assert [m.kind for m in outbox.for_subject(setup.session_id) if m.kind != events.DELIVER] == ["session.cancelled"]


def test_enough_players_complete_after_the_end_and_the_host_marks_no_shows(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, min_players=2, **FREE)
    token, _ = player(api, token_for)
    mine = book(api, token, setup.session_id).json
    other = book(api, token_for(), setup.session_id).json
    assert_problem(api.post(f"/v1/bookings/{mine['id']}/no-show", token=setup.host_token), 409, "session_not_started")
    run_timers_at(START - timedelta(hours=24) + timedelta(seconds=30))
    assert api.get(f"/v1/bookings/{mine['id']}", token=token).json["state"] == "confirmed"
    run_timers_at(START + timedelta(hours=3, seconds=30))
    assert api.get(f"/v1/bookings/{mine['id']}", token=token).json["state"] == "completed"
    marked = api.post(f"/v1/bookings/{other['id']}/no-show", token=setup.host_token)
    assert marked.status == 200 and marked.json["state"] == "no_show"
    assert_problem(api.post(f"/v1/bookings/{other['id']}/no-show", token=setup.host_token), 409, "invalid_state")
    past = api.get("/v1/me/bookings?when=past", token=token).json
    assert [b["id"] for b in past["items"]] == [mine["id"]]
    assert api.get("/v1/me/bookings", token=token).json["items"] == []


def test_my_bookings_and_the_roster(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, count=3, **FREE)
    token, _ = player(api, token_for)
    ids = [book(api, token, s["id"]).json["id"] for s in reversed(setup.sessions)]
    page = api.get("/v1/me/bookings?limit=2", token=token).json
    assert [b["id"] for b in page["items"]] == ids[::-1][:2]  # soonest first
    rest = api.get(f"/v1/me/bookings?limit=2&cursor={page['next_cursor']}", token=token).json
    assert [b["id"] for b in rest["items"]] == [ids[0]]
    assert api.get("/v1/me/bookings?status=cancelled", token=token).json["items"] == []
    assert_problem(api.get("/v1/me/bookings?when=someday", token=token), 422)
    assert_problem(api.get("/v1/me/bookings?cursor=forged", token=token), 400, "invalid_cursor")
    roster = api.get(f"/v1/sessions/{setup.session_id}/roster", token=setup.host_token).json
    assert roster["seats_booked"] == 1 and [b["id"] for b in roster["items"]] == [ids[-1]]
    assert_problem(api.get(f"/v1/sessions/{setup.session_id}/roster", token=token), 404)


def test_player_moves_a_booking_to_another_session_of_the_listing(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, count=2, **FREE)
    first, second = (s["id"] for s in setup.sessions)
    token, _ = player(api, token_for)
    booking = book(api, token, first, seats=2).json
    moved = api.post(f"/v1/bookings/{booking['id']}/reschedule", token=token, json_body={"session_id": second})
    assert moved.status == 200, moved.body
    assert moved.json["session_id"] == second and moved.json["state"] == "confirmed"
    assert seats.seats_of(first) == (5, 0, 0, 0) and seats.seats_of(second) == (5, 2, 0, 2)
    assert book(api, token, first).status == 201  # the guard moved with the booking
    again = api.post(f"/v1/bookings/{booking['id']}/reschedule", token=token, json_body={"session_id": first})
    assert_problem(again, 409, "already_booked")
    same = api.post(f"/v1/bookings/{booking['id']}/reschedule", token=token, json_body={"session_id": second})
    assert_problem(same, 422)
    other = listing_with_sessions(api, token_for, **FREE)
    elsewhere = api.post(
        f"/v1/bookings/{booking['id']}/reschedule", token=token, json_body={"session_id": other.session_id}
    )
    assert_problem(elsewhere, 422)
    assert_problem(api.post(f"/v1/bookings/{booking['id']}/reschedule", token=token, json_body={}), 422)


def test_session_cancelled_and_rescheduled_by_the_host(api: Any, token_for: Any, stripe_emulator: str) -> None:
    from chalicelib.booking import sessions

    setup, token, booking = _paid_booking(api, token_for, stripe_emulator)
    clock.freeze(START - timedelta(hours=30))  # the policy would refund 50% now
    moved = api.patch(
        f"/v1/sessions/{setup.session_id}", token=setup.host_token, json_body={"start": "2026-02-02T19:00:00"}
    )
    assert moved.status == 200, moved.body
    # The host's move reached the booking through the route; doing it again changes nothing.
    assert sessions.session_rescheduled(setup.session_id) == 0
    after = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert after["starts_at"] == "2026-02-02T18:00:00Z"
    quote = api.get(f"/v1/bookings/{booking['id']}/cancellation-quote", token=token).json
    assert quote["refund"]["amount"] == 3000 and quote["reason"] == "session_changed"  # it moved: 100%
    assert api.post(f"/v1/sessions/{setup.session_id}/cancel", token=setup.host_token).status == 200
    cancelled = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert cancelled["state"] == "cancelled" and cancelled["amount_refunded"] == 3000
    assert sessions.session_cancelled(setup.session_id) == 0  # idempotent


def test_a_session_nobody_booked_is_cancelled_at_the_cut_off_once_scheduled(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for)  # creating it scheduled its minimum-players check
    run_timers_at(START - timedelta(hours=24) + timedelta(seconds=30))
    assert api.get(f"/v1/sessions/{setup.session_id}").json["state"] == "cancelled"
