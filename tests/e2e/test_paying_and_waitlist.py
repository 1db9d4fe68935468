"""Booking on the local stack: pay on the Stripe emulator and let its webhook confirm; let a hold
expire by moving the clock, and watch the seat pass down the waitlist until someone claims it.

(Named to run after test_lifecycle, which reads the start of the stack's log tail: moving the
clock by hours makes the sweep log its catch-up.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import stripe

from tests.e2e.stack import Person, Stack, wait_for

SECRET_KEY = "sk_test_sesh_local"
LISTING = {
    "title": "Blades in the Dark: a heist one-shot",
    "category": "one_shot",
    "max_seats": 4,
    "min_players": 1,
    "price": {"amount": 2000, "currency": "usd"},
    "cancellation_policy": {"preset": "flexible"},
    "timezone": "Europe/Berlin",
    "duration_minutes": 180,
}


@pytest.fixture(scope="module")
def stripe_client(stack: Stack) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stack.info["stripe"].split()[0]})


def _now(stack: Stack) -> datetime:
    return datetime.fromisoformat(stack.get("/dev/clock").json()["now"].replace("Z", "+00:00"))


def _session(stack: Stack, capacity: int) -> tuple[Person, str]:
    host = Person(stack, ("player", "host"))
    assert host.call("PUT", "/v1/me/host", json={"kinds": ["game_master"], "headline": "Heists"}).status_code == 200
    listing = host.call("POST", "/v1/listings", json=LISTING).json()
    # Paid listings need the host's payouts: onboard on the Stripe emulator (its link's page completes it).
    assert requests.get(host.call("POST", "/v1/me/payouts/onboarding").json()["url"], timeout=10).ok
    wait_for(lambda: host.call("GET", "/v1/me/payouts").json()["payouts_enabled"], 15, "account.updated")
    assert host.call("POST", f"/v1/listings/{listing['id']}/publish").status_code == 200
    start = (_now(stack) + timedelta(days=5)).replace(microsecond=0, tzinfo=None).isoformat()
    created = host.call("POST", f"/v1/listings/{listing['id']}/sessions", json={"start": start, "capacity": capacity})
    assert created.status_code == 201, created.text
    return host, created.json()["items"][0]["id"]


def _pay(client: stripe.StripeClient, intent_id: str) -> None:
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    assert client.v1.payment_intents.confirm(intent_id, {"payment_method": method.id}).status == "succeeded"


def _state(person: Person, booking_id: str) -> str:
    return str(person.call("GET", f"/v1/bookings/{booking_id}").json()["state"])


def test_book_pay_on_the_emulator_and_the_webhook_confirms(stack: Stack, stripe_client: stripe.StripeClient) -> None:
    _, session_id = _session(stack, 4)
    player = Person(stack)
    created = player.call(
        "POST", f"/v1/sessions/{session_id}/bookings", json={"seats": 2}, headers={"Idempotency-Key": "e2e-book-1"}
    )
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["state"] == "pending_payment" and booking["payment"]["amount"]["amount"] == 4000
    _pay(stripe_client, booking["payment"]["payment_intent_id"])
    wait_for(lambda: _state(player, booking["id"]) == "confirmed", 15, "the webhook to confirm the booking")


def _entry(person: Person) -> dict[str, Any]:
    return dict(person.call("GET", "/v1/me/waitlist").json()["items"][0])


def test_a_hold_expires_and_the_seat_climbs_down_the_waitlist(stack: Stack, stripe_client: stripe.StripeClient) -> None:
    _, session_id = _session(stack, 1)
    holder, first, second = Person(stack), Person(stack), Person(stack)
    held = holder.call("POST", f"/v1/sessions/{session_id}/bookings", json={"seats": 1}).json()
    assert held["state"] == "pending_payment"
    full = first.call("POST", f"/v1/sessions/{session_id}/bookings", json={"seats": 1})
    assert full.status_code == 409 and full.json()["code"] == "session_full" and full.json()["waitlist_open"]
    for person in (first, second):
        assert person.call("POST", f"/v1/sessions/{session_id}/waitlist", json={}).status_code == 201
    assert _entry(second)["position"] == 2

    stack.post("/dev/clock", json={"advance_seconds": 16 * 60})  # the 15-minute hold runs out
    wait_for(lambda: _state(holder, held["id"]) == "expired", 15, "the hold to expire")
    wait_for(lambda: _entry(first)["state"] == "offered", 15, "the seat to be offered to the head")
    assert _entry(second)["position"] == 1

    stack.post("/dev/clock", json={"advance_seconds": 2 * 3600 + 60})  # the 2-hour offer runs out
    wait_for(lambda: _entry(first)["state"] == "offer_expired", 15, "the offer to expire")
    offer = wait_for(lambda: (e := _entry(second))["state"] == "offered" and e, 15, "the offer to pass on")

    claimed = second.call("POST", f"/v1/waitlist/{offer['id']}/claim")
    assert claimed.status_code == 201, claimed.text
    booking = claimed.json()
    assert booking["state"] == "pending_payment"
    _pay(stripe_client, booking["payment"]["payment_intent_id"])
    wait_for(lambda: _state(second, booking["id"]) == "confirmed", 15, "the claimed seat to be booked")
