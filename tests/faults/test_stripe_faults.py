"""Stripe failing (5xx, rate limiting, hanging, refusing connections): a paid booking answers a 503 problem and
holds no seat; a refund queued in the outbox is retried until Stripe is back, and made once."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core import clock, outbox, sweep
from tests.api.booking_helpers import book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.helpers import assert_problem
from tests.fault_proxy import HANG, REFUSE, STRIPE_RATE_LIMITED, STRIPE_UNAVAILABLE, Fault, FaultProxy, path_contains

FAULTS = {
    "5xx": Fault.answer(STRIPE_UNAVAILABLE),
    "rate limited": Fault.answer(STRIPE_RATE_LIMITED),
    "hanging past the client's timeout": HANG,
    "refusing connections": REFUSE,
}


def _seats(api: Any, session_id: str) -> tuple[int, int]:
    found = api.get(f"/v1/sessions/{session_id}").json
    return found["seats_booked"], found["seats_held"]


def _my_bookings(api: Any, token: str) -> list[dict[str, Any]]:
    return list(api.get("/v1/me/bookings", token=token).json["items"])


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_paid_booking_with_stripe_down_answers_503_and_holds_no_seat(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy], fault: Fault
) -> None:
    setup = listing_with_sessions(api, token_for, capacity=2)
    token, _ = player(api, token_for)

    with proxies["stripe"].failing(fault):
        refused = book(api, token, setup.session_id, seats=2)

    assert_problem(refused, 503, "dependency_unavailable")
    assert _seats(api, setup.session_id) == (0, 0)  # the held seats were given back at once
    assert [(b["state"], b["payment_status"]) for b in _my_bookings(api, token)] == [("expired", "awaiting")]
    # Stripe back: the player books the same seats and gets a PaymentIntent
    again = book(api, token, setup.session_id, seats=2)
    assert again.status == 201, again.body
    assert again.json["payment"]["payment_intent_id"].startswith("pi_")
    assert _seats(api, setup.session_id) == (0, 2)


def test_a_refund_queued_while_stripe_is_down_is_retried_and_made_once(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy], stripe_emulator: str
) -> None:
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=2).json
    direct = stripe_client(stripe_emulator)  # the player's card payment does not pass the proxy
    paid = pay(direct, booking["payment"]["payment_intent_id"])
    assert deliver(api, "payment_intent.succeeded", paid).status == 200
    stripe = proxies["stripe"]
    refunds = path_contains("/v1/refunds", method="POST")  # creations; the ledger's sync lists them

    with stripe.failing(Fault.answer(STRIPE_UNAVAILABLE)):
        cancelled = api.post(f"/v1/bookings/{booking['id']}/cancel", token=token)
        assert cancelled.status == 200, cancelled.body  # the cancellation itself does not wait for Stripe
        clock.advance(120)
        assert sweep.run(lookback_minutes=10).counts.get("OutboxRetried") == 1

    [queued] = [m for m in outbox.for_subject(booking["id"]) if m.kind == "payments.refund"]
    assert queued.status == "pending" and queued.attempt == 2
    # 2 attempts, each stopped at its first call (reading the payment back) after the SDK's 2 retries;
    # nothing was refunded while Stripe was down
    assert len(stripe.seen(faulted=True)) == 6 and stripe.seen(faulted=True, when=refunds) == []

    clock.advance(180)
    assert sweep.run(lookback_minutes=10).counts.get("OutboxSent") == 1
    clock.advance(180)
    assert sweep.run(lookback_minutes=10).counts.get("OutboxSent", 0) == 0

    [done] = [m for m in outbox.for_subject(booking["id"]) if m.kind == "payments.refund"]
    assert done.status == "done" and done.attempt == 3
    assert len(stripe.seen(faulted=False, when=refunds)) == 1
    charge = direct.v1.payment_intents.retrieve(paid.id, {"expand": ["latest_charge"]}).latest_charge
    assert charge.amount_refunded == cancelled.json["refund"]["amount"] > 0


def test_a_webhook_while_stripe_is_down_is_accepted_and_its_work_retried_until_the_books_converge(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy], stripe_emulator: str
) -> None:
    """Stripe's own redelivery is not needed: a signed event is answered 200 once recorded, and the
    reading back that failed is retried by the sweep until the payment converges, once."""
    setup = listing_with_sessions(api, token_for)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=2).json
    paid = pay(stripe_client(stripe_emulator), booking["payment"]["payment_intent_id"])
    with proxies["stripe"].failing(Fault.answer(STRIPE_UNAVAILABLE)):
        answer = deliver(api, "payment_intent.succeeded", paid, event_id="evt_while_stripe_is_down")
        assert answer.status == 200, answer.body
        assert api.get(f"/v1/bookings/{booking['id']}", token=token).json["state"] == "pending_payment"
        clock.advance(60)
        assert sweep.run(lookback_minutes=10).counts.get("OutboxRetried") == 1
    redelivered = deliver(api, "payment_intent.succeeded", paid, event_id="evt_while_stripe_is_down")
    assert redelivered.status == 200 and redelivered.json["duplicate"] is True
    clock.advance(120)
    assert sweep.run(lookback_minutes=10).counts.get("OutboxSent", 0) >= 1
    after = api.get(f"/v1/bookings/{booking['id']}", token=token).json
    assert (after["state"], after["payment_status"]) == ("confirmed", "paid")
    lines = api.get(f"/v1/bookings/{booking['id']}/receipt", token=token).json["lines"]
    assert sorted(line["type"] for line in lines) == ["charge", "platform_fee"]
