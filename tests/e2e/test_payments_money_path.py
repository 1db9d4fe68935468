"""The whole money path on the local stack, through the official SDK and signed webhooks: the host
onboards (Connect Express on the Stripe emulator), publishes a paid listing; a player books and pays;
the session completes (the clock moves); the payout transfer appears after the hold; a late partial
refund reverses part of it; the ledger, the earnings and the receipt agree."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests
import stripe

from tests.e2e.stack import Person, Stack, wait_for

SECRET_KEY = "sk_test_sesh_local"
LISTING = {
    "title": "Paranoia: a payday one-shot",
    "category": "one_shot",
    "max_seats": 4,
    "min_players": 1,
    "price": {"amount": 2500, "currency": "usd"},
    "regional_prices": [{"amount": 2300, "currency": "eur"}],
    "cancellation_policy": {"preset": "flexible"},
    "timezone": "UTC",
    "duration_minutes": 120,
}


@pytest.fixture(scope="module")
def sdk(stack: Stack) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stack.info["stripe"].split()[0]})


def _now(stack: Stack) -> datetime:
    return datetime.fromisoformat(stack.get("/dev/clock").json()["now"].replace("Z", "+00:00"))


def _set_clock(stack: Stack, moment: datetime) -> None:
    assert stack.post("/dev/clock", json={"set": moment.isoformat()}).status_code == 200


def test_onboard_publish_pay_complete_payout_refund_and_the_books_agree(stack: Stack, sdk: stripe.StripeClient) -> None:
    host = Person(stack, ("player", "host"))
    assert host.call("PUT", "/v1/me/host", json={"kinds": ["game_master"], "headline": "Payday"}).status_code == 200
    listing = host.call("POST", "/v1/listings", json=LISTING).json()
    refused = host.call("POST", f"/v1/listings/{listing['id']}/publish")
    assert refused.status_code == 409 and refused.json()["code"] == "payouts_disabled"

    # Onboarding: an Express account and its link; the link's page completes it; account.updated tells us.
    started = host.call("POST", "/v1/me/payouts/onboarding")
    assert started.status_code == 200, started.text
    assert requests.get(started.json()["url"], timeout=10).status_code == 200
    wait_for(lambda: host.call("GET", "/v1/me/payouts").json()["payouts_enabled"], 15, "account.updated")
    assert host.call("POST", f"/v1/listings/{listing['id']}/publish").status_code == 200

    start = (_now(stack) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    created = host.call(
        "POST", f"/v1/listings/{listing['id']}/sessions", json={"start": start.replace(tzinfo=None).isoformat()}
    )
    assert created.status_code == 201, created.text
    session = created.json()["items"][0]
    ends = datetime.fromisoformat(session["ends_at"].replace("Z", "+00:00"))

    # The player books two seats in euros (a regional price) and pays on the emulator.
    player = Person(stack)
    booking = player.call("POST", f"/v1/sessions/{session['id']}/bookings", json={"seats": 2, "currency": "eur"})
    assert booking.status_code == 201, booking.text
    booking_id, intent_id = booking.json()["id"], booking.json()["payment"]["payment_intent_id"]
    assert booking.json()["payment"]["amount"] == {"amount": 4600, "currency": "eur"}
    method = sdk.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    assert sdk.v1.payment_intents.confirm(intent_id, {"payment_method": method.id}).status == "succeeded"
    wait_for(
        lambda: player.call("GET", f"/v1/bookings/{booking_id}").json()["state"] == "confirmed",
        15,
        "payment_intent.succeeded",
    )
    receipt = player.call("GET", f"/v1/bookings/{booking_id}/receipt").json()
    fee = 485  # eur by default: 10 % + 25 cents
    assert receipt["charged"] == {"amount": 4600, "currency": "eur"} and receipt["platform_fee"]["amount"] == fee
    share = 4600 - fee
    assert host.call("GET", "/v1/me/earnings").json()["items"] == [
        {"currency": "eur", "pending": share, "available": 0, "paid_out": 0}
    ]

    # The session ends; the payout waits for the hold (2 days), then a transfer appears.
    _set_clock(stack, ends + timedelta(minutes=1))
    wait_for(
        lambda: player.call("GET", f"/v1/bookings/{booking_id}").json()["state"] == "completed",
        30,
        "the session's completion",
    )
    timer = stack.get(f"/dev/timers/payout%23{booking_id}").json()
    due = datetime.fromisoformat(timer["due_at"].replace("Z", "+00:00"))
    assert timer["status"] == "pending" and timedelta(days=2) <= due - ends < timedelta(days=2, minutes=5)
    _set_clock(stack, due - timedelta(minutes=30))
    assert sdk.v1.transfers.list({"transfer_group": booking_id}).data == []
    _set_clock(stack, due + timedelta(seconds=20))
    transfers = wait_for(
        lambda: sdk.v1.transfers.list({"transfer_group": booking_id}).data or None, 30, "the payout transfer"
    )
    assert [t.amount for t in transfers] == [share] and transfers[0].currency == "eur"
    wait_for(lambda: host.call("GET", "/v1/me/earnings").json()["items"][0]["paid_out"] == share, 15, "earnings")

    # A late partial refund (an admin's) reverses that part of the payout.
    admin = Person(stack, ("player", "admin"))
    refunded = admin.call(
        "POST", f"/v1/admin/bookings/{booking_id}/refund", json={"amount": 1000, "reason": "one player could not join"}
    )
    assert refunded.status_code == 200, refunded.text
    assert sdk.v1.transfers.retrieve(transfers[0].id).amount_reversed == 1000
    charge_id = sdk.v1.payment_intents.retrieve(intent_id).latest_charge
    wait_for(
        lambda: player.call("GET", f"/v1/bookings/{booking_id}").json()["amount_refunded"] == 1000,
        15,
        "charge.refunded",
    )

    # The ledger, the earnings and the receipt agree, for the host and the player.
    receipt = host.call("GET", f"/v1/bookings/{booking_id}/receipt").json()
    assert player.call("GET", f"/v1/bookings/{booking_id}/receipt").json() == receipt
    assert (receipt["refunded"]["amount"], receipt["paid"]["amount"]) == (1000, 3600)
    assert receipt["host_share"]["amount"] == receipt["paid_out"]["amount"] == share - 1000
    lines: dict[str, int] = {}
    for line in receipt["lines"]:
        lines[line["type"]] = lines.get(line["type"], 0) + line["amount"]["amount"]
    assert lines == {"charge": 4600, "platform_fee": fee, "transfer": share, "refund": 1000, "transfer_reversal": 1000}
    hosts = host.call("GET", "/v1/me/transactions", params={"role": "host"}).json()["items"]
    assert sum(t["effect"] for t in hosts) == share - 1000
    assert {t["reference"] for t in hosts} >= {intent_id, transfers[0].id}
    mine = player.call("GET", "/v1/me/transactions").json()["items"]
    assert sorted((t["type"], t["effect"]) for t in mine) == [("charge", -4600), ("refund", 1000)]
    assert host.call("GET", "/v1/me/earnings").json()["items"] == [
        {"currency": "eur", "pending": 0, "available": 0, "paid_out": share - 1000}
    ]
    # Stripe agrees: the charge, the refund, the transfer net of its reversal.
    charge = sdk.v1.charges.retrieve(charge_id)
    assert (charge.amount, charge.amount_refunded) == (4600, 1000)
    # A stranger sees none of it.
    stranger = Person(stack)
    assert stranger.call("GET", f"/v1/bookings/{booking_id}/receipt").status_code == 404
    assert stranger.call("GET", "/v1/me/transactions", params={"role": "host"}).json()["items"] == []
