"""Money on the local stack as Stripe delivers it: the paid approval flow (authorize, accept and
capture; decline or expiry release the card) driven only by the emulator's own signed webhooks, and
the emulator told to deliver a payment's events reversed and twice — the books end as if they had
come in order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import stripe

from tests.e2e.stack import Person, Stack, wait_for

SECRET_KEY = "sk_test_sesh_local"
LISTING = {
    "title": "Mothership: a requested one-shot",
    "category": "one_shot",
    "max_seats": 4,
    "min_players": 1,
    "price": {"amount": 2000, "currency": "usd"},
    "cancellation_policy": {"preset": "flexible"},
    "timezone": "UTC",
    "duration_minutes": 120,
}


@pytest.fixture(scope="module")
def emulator(stack: Stack) -> str:
    return str(stack.info["stripe"].split()[0])


@pytest.fixture(scope="module")
def sdk(emulator: str) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": emulator})


def _now(stack: Stack) -> datetime:
    return datetime.fromisoformat(stack.get("/dev/clock").json()["now"].replace("Z", "+00:00"))


def _host_with_session(stack: Stack, **listing: Any) -> tuple[Person, str]:
    host = Person(stack, ("player", "host"))
    assert host.call("PUT", "/v1/me/host", json={"kinds": ["game_master"], "headline": "Sci-fi horror"}).ok
    started = host.call("POST", "/v1/me/payouts/onboarding")
    assert requests.get(started.json()["url"], timeout=10).status_code == 200  # completes onboarding
    wait_for(lambda: host.call("GET", "/v1/me/payouts").json()["payouts_enabled"], 15, "account.updated")
    created = host.call("POST", "/v1/listings", json={**LISTING, **listing}).json()
    assert host.call("POST", f"/v1/listings/{created['id']}/publish").status_code == 200
    start = (_now(stack) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    sessions = host.call("POST", f"/v1/listings/{created['id']}/sessions", json={"start": start.isoformat()})
    assert sessions.status_code == 201, sessions.text
    return host, sessions.json()["items"][0]["id"]


def _pay(sdk: stripe.StripeClient, intent_id: str) -> Any:
    method = sdk.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    return sdk.v1.payment_intents.confirm(intent_id, {"payment_method": method.id})


def test_paid_requests_authorize_then_accept_captures_and_decline_or_expiry_release(
    stack: Stack, sdk: stripe.StripeClient
) -> None:
    host, session_id = _host_with_session(stack, booking_mode="approval")
    players = [Person(stack) for _ in range(3)]
    bookings = []
    for player in players:
        made = player.call("POST", f"/v1/sessions/{session_id}/bookings", json={"seats": 1})
        assert made.status_code == 201, made.text
        assert made.json()["state"] == "requested" and made.json()["payment"]["capture"] == "manual"
        assert _pay(sdk, made.json()["payment"]["payment_intent_id"]).status == "requires_capture"
        bookings.append(made.json())
    # The emulator's payment_intent.amount_capturable_updated reaches the app: the card is held.
    for player, booking in zip(players, bookings, strict=True):
        wait_for(
            lambda p=player, b=booking: p.booking(b["id"])["payment_status"] == "authorized",
            15,
            "payment_intent.amount_capturable_updated",
        )
    accepted, declined, expiring = bookings

    answer = host.call("POST", f"/v1/bookings/{accepted['id']}/accept")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["payment_status"]) == ("confirmed", "paid")
    assert sdk.v1.payment_intents.retrieve(accepted["payment"]["payment_intent_id"]).status == "succeeded"
    receipt = players[0].call("GET", f"/v1/bookings/{accepted['id']}/receipt").json()
    assert receipt["charged"] == {"amount": 2000, "currency": "usd"}

    answer = host.call("POST", f"/v1/bookings/{declined['id']}/decline")
    assert answer.status_code == 200 and answer.json()["state"] == "declined"
    assert sdk.v1.payment_intents.retrieve(declined["payment"]["payment_intent_id"]).status == "canceled"
    wait_for(lambda: players[1].booking(declined["id"])["payment_status"] == "released", 15, "payment_intent.canceled")

    # Nobody answers the third request in 48 hours: it expires and the card is released.
    assert stack.post("/dev/clock", json={"advance_seconds": 48 * 3600 + 120}).status_code == 200
    wait_for(lambda: players[2].booking(expiring["id"])["state"] == "expired", 30, "the request's expiry")
    wait_for(
        lambda: sdk.v1.payment_intents.retrieve(expiring["payment"]["payment_intent_id"]).status == "canceled",
        15,
        "the authorization released",
    )
    wait_for(lambda: players[2].booking(expiring["id"])["payment_status"] == "released", 15, "released")
    assert players[2].call("GET", f"/v1/bookings/{expiring['id']}/receipt").json()["charged"]["amount"] == 0


def test_a_payments_events_delivered_reversed_and_twice_end_in_the_books_of_the_story(
    stack: Stack, sdk: stripe.StripeClient, emulator: str
) -> None:
    _, session_id = _host_with_session(stack)
    player = Person(stack)
    made = player.call("POST", f"/v1/sessions/{session_id}/bookings", json={"seats": 2})
    assert made.status_code == 201, made.text
    booking_id, intent_id = made.json()["id"], made.json()["payment"]["payment_intent_id"]
    assert requests.post(f"{emulator}/_config/webhooks/hold", timeout=10).ok
    try:
        _pay(sdk, intent_id)
        sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 1000})  # in Stripe's dashboard
        sdk.v1.refunds.create({"payment_intent": intent_id, "amount": 3000})  # the rest
        queued = requests.get(f"{emulator}/_config/webhooks/queue", timeout=10).json()
        assert [e["type"] for e in queued if e["type"].startswith(("payment_intent.", "charge."))] == [
            "payment_intent.succeeded",
            "charge.refunded",
            "charge.refunded",
        ]
    finally:
        released = requests.post(
            f"{emulator}/_config/webhooks/release", json={"order": "reversed", "twice": True}, timeout=60
        )
    assert released.ok, released.text
    wait_for(lambda: player.booking(booking_id)["payment_status"] == "refunded", 30, "the reordered events")
    b = player.booking(booking_id)
    assert (b["state"], b["amount_refunded"], b["disputed"]) == ("confirmed", 4000, False)
    receipt = player.call("GET", f"/v1/bookings/{booking_id}/receipt").json()
    assert sorted((line["type"], line["amount"]["amount"]) for line in receipt["lines"]) == [
        ("charge", 4000),
        ("platform_fee", 430),
        ("platform_fee_refund", 430),
        ("refund", 1000),
        ("refund", 3000),
    ]
    assert (receipt["paid"]["amount"], receipt["host_share"]["amount"]) == (0, 0)
