"""Stripe webhooks of marketplace payments, table-driven: every handled event type delivered once,
twice, late (a stale copy after the newer ones) and out of order ends in the same ledger, booking and
payout state; a bad signature or a timestamp outside the tolerance is a 400 that changes nothing; an
unknown type is acknowledged and changes nothing. Plus the daily reconciliation against Stripe."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core import clock, sweep, timers
from chalicelib.payments import money, reconcile, webhooks
from tests.api.booking_helpers import book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import NOW, add_sessions, create_listing, make_host, publish
from tests.api.helpers import assert_problem
from tests.api.payments_helpers import client, dev_post
from tests.stripe_support import WEBHOOK_SECRET

START = NOW.replace(month=2, day=1, hour=18)
END = START + timedelta(hours=3)
PAYOUT_AT = END + timedelta(days=2)


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


@pytest.fixture
def token_for(token_for: Any) -> Any:
    return lambda user_id=None, **kw: token_for(user_id, **{"ttl_seconds": 120 * 86400, **kw})


@dataclass
class Scenario:
    host_token: str
    booking_id: str | None
    events: list[tuple[str, dict[str, Any]]]  # in the order Stripe sent them, each as it was then


def _paid(api: Any, token_for: Any) -> tuple[Any, dict[str, Any]]:
    setup = listing_with_sessions(api, token_for, min_players=1)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=2).json
    intent = pay(stripe_client(client_base()), booking["payment"]["payment_intent_id"])
    assert deliver(api, "payment_intent.succeeded", intent).status == 200
    return setup, booking


def client_base() -> str:
    from tests.api.payments_helpers import emulator

    return emulator()


def _plain(obj: Any) -> dict[str, Any]:
    return dict(obj.to_dict() if hasattr(obj, "to_dict") else obj)


def account_updated(api: Any, token_for: Any) -> Scenario:
    token, _ = make_host(api, token_for, payouts=False)
    started = api.post("/v1/me/payouts/onboarding", token=token).json
    account_id = started["status"]["account_id"]
    before = _plain(client().v1.accounts.retrieve(account_id))
    after = dev_post(f"/_config/connect/accounts/{account_id}/onboard")
    return Scenario(token, None, [("account.updated", before), ("account.updated", after)])


def charge_refunded(api: Any, token_for: Any) -> Scenario:
    setup, booking = _paid(api, token_for)
    intent_id = booking["payment"]["payment_intent_id"]
    events = []
    for amount in (500, 700):  # refunded at Stripe (the dashboard), not through us
        client().v1.refunds.create({"payment_intent": intent_id, "amount": amount})
        charge = client().v1.payment_intents.retrieve(intent_id).latest_charge
        events.append(("charge.refunded", _plain(charge)))
    return Scenario(setup.host_token, booking["id"], events)


def charge_dispute(api: Any, token_for: Any) -> Scenario:
    setup, booking = _paid(api, token_for)
    opened = dev_post("/_config/disputes", payment_intent=booking["payment"]["payment_intent_id"])
    updated = _plain(client().v1.disputes.update(opened["id"], {"evidence": {"uncategorized_text": "was there"}}))
    closed = dev_post(f"/_config/disputes/{opened['id']}/close", outcome="won")
    return Scenario(setup.host_token, booking["id"], [
        ("charge.dispute.created", opened), ("charge.dispute.updated", updated), ("charge.dispute.closed", closed)])


def transfer_events(api: Any, token_for: Any) -> Scenario:
    setup, booking = _paid(api, token_for)
    clock.freeze(END + timedelta(seconds=30))
    sweep.run(lookback_minutes=30)
    assert timers.get(f"payout#{booking['id']}") is not None  # due after the hold
    clock.freeze(PAYOUT_AT + timedelta(seconds=30))
    money.release_payout(booking["id"])  # the payout timer's work (test_payments_money runs it by the sweep)
    (transfer,) = client().v1.transfers.list({"transfer_group": booking["id"]}).data
    created = _plain(transfer)
    client().v1.transfers.reversals.create(transfer.id, {"amount": 100})  # at Stripe, not through us
    reversed_ = _plain(client().v1.transfers.retrieve(transfer.id))
    return Scenario(setup.host_token, booking["id"], [("transfer.created", created), ("transfer.reversed", reversed_)])


SCENARIOS: dict[str, Callable[[Any, Any], Scenario]] = {
    "account.updated": account_updated,
    "charge.refunded": charge_refunded,
    "charge.dispute.*": charge_dispute,
    "transfer.*": transfer_events,
}


def _deliveries(events: list[tuple[str, dict[str, Any]]], how: str) -> list[tuple[str, dict[str, Any], str]]:
    """(type, object, event id) in the order of the delivery pattern."""
    ids = [f"evt_{how}_{i}_{time.time_ns()}" for i in range(len(events))]
    once = [(t, o, i) for (t, o), i in zip(events, ids, strict=True)]
    if how == "once":
        return once
    if how == "twice":  # each delivered twice, then again under a new event id (Stripe's retries)
        return [d for t, o, i in once for d in ((t, o, i), (t, o, i), (t, o, i + "_again"))]
    if how == "late":  # after everything, a stale copy of the first arrives
        return [*once, (once[0][0], once[0][1], once[0][2] + "_late")]
    return list(reversed(once))  # out of order


def snapshot(api: Any, token_for: Any, s: Scenario) -> dict[str, Any]:
    """What the events may change, without ids: the ledger, the money, the booking, the payouts."""
    payouts = api.get("/v1/me/payouts", token=s.host_token).json
    out: dict[str, Any] = {"payouts": {k: v for k, v in payouts.items() if k != "account_id"}}
    if s.booking_id:
        admin = token_for(roles=("player", "admin"))
        r = api.get(f"/v1/bookings/{s.booking_id}/receipt", token=admin).json
        out["lines"] = sorted((line["type"], line["amount"]["amount"]) for line in r["lines"])
        out["totals"] = {k: r[k]["amount"] for k in ("charged", "platform_fee", "refunded", "paid", "host_share",
                                                     "paid_out")}
        out["totals"]["dispute"] = r["dispute"]
        b = api.get(f"/v1/bookings/{s.booking_id}", token=admin).json
        out["booking"] = {k: b[k] for k in ("state", "payment_status", "amount_refunded", "disputed")}
    return out


HOWS = ("once", "twice", "late", "reversed")
BOOKED = {"state": "confirmed", "payment_status": "paid", "disputed": False}
EXPECTED: dict[str, dict[str, Any]] = {
    "account.updated": {"payouts": {"onboarded": True, "details_submitted": True, "payouts_enabled": True,
                                    "requirements_due": []}},
    "charge.refunded": {
        "lines": [("charge", 3000), ("platform_fee", 330), ("refund", 500), ("refund", 700)],
        "totals": {"charged": 3000, "platform_fee": 330, "refunded": 1200, "paid": 1800, "host_share": 1470,
                   "paid_out": 0, "dispute": None},
        "booking": {**BOOKED, "amount_refunded": 1200},
    },
    "charge.dispute.*": {
        "lines": [("charge", 3000), ("dispute_credit", 3000), ("dispute_debit", 3000), ("platform_fee", 330),
                  ("platform_fee", 330), ("platform_fee_refund", 330)],
        "totals": {"charged": 3000, "platform_fee": 330, "refunded": 0, "paid": 3000, "host_share": 2670,
                   "paid_out": 0, "dispute": "won"},
        "booking": {**BOOKED, "amount_refunded": 0, "disputed": True},
    },
    "transfer.*": {
        "lines": [("charge", 3000), ("platform_fee", 330), ("transfer", 100), ("transfer", 2670),
                  ("transfer_reversal", 100)],
        "totals": {"charged": 3000, "platform_fee": 330, "refunded": 0, "paid": 3000, "host_share": 2670,
                   "paid_out": 2670, "dispute": None},
        "booking": {**BOOKED, "state": "completed", "amount_refunded": 0},
    },
}
ONBOARDED = {"onboarded": True, "details_submitted": True, "payouts_enabled": True, "requirements_due": []}


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_each_event_type_once_twice_late_and_out_of_order_ends_the_same(
    api: Any, token_for: Any, kind: str, how: str
) -> None:
    s = SCENARIOS[kind](api, token_for)
    before = snapshot(api, token_for, s)
    for event_type, obj, event_id in _deliveries(s.events, how):
        answer = deliver(api, event_type, obj, event_id=event_id)
        assert answer.status == 200, answer.body
    after = snapshot(api, token_for, s)
    assert after != before  # the events did move something
    assert {k: after[k] for k in EXPECTED[kind]} == EXPECTED[kind]
    assert after["payouts"] == ONBOARDED


def _signed(body: str, *, stamp: int, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={signature}"}


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_changes_nothing(
    api: Any, token_for: Any, kind: str
) -> None:
    s = SCENARIOS[kind](api, token_for)
    before = snapshot(api, token_for, s)
    event_type, obj = s.events[-1]
    for n, (stamp, secret) in enumerate([(int(time.time()), "whsec_someone_else"),
                                         (int(time.time()) - 3600, WEBHOOK_SECRET),  # outside the tolerance
                                         (int(time.time()) + 3600, WEBHOOK_SECRET)]):
        event_id = f"evt_refused_{n}_{time.time_ns()}"
        body = json.dumps({"id": event_id, "object": "event", "type": event_type, "created": stamp,
                           "data": {"object": obj}})
        refused = api.post("/v1/webhooks/stripe", body=body, headers=_signed(body, stamp=stamp, secret=secret))
        assert_problem(refused, 400, "invalid_signature")
        assert webhooks.processed_event(event_id) is None
    assert snapshot(api, token_for, s) == before


def test_an_unknown_type_is_acknowledged_and_changes_nothing(api: Any, token_for: Any) -> None:
    s = charge_refunded(api, token_for)
    before = snapshot(api, token_for, s)
    _, charge = s.events[-1]
    answer = deliver(api, "charge.captured_by_aliens", charge, event_id="evt_unknown_type")
    assert answer.status == 200 and answer.json == {"received": True, "id": "evt_unknown_type", "duplicate": False}
    assert snapshot(api, token_for, s) == before


def test_reconciliation_reports_what_stripe_and_the_ledger_disagree_on(api: Any, token_for: Any) -> None:
    today = datetime.now(UTC).replace(microsecond=0)
    clock.freeze(today)  # Stripe's objects are created on the wall clock: the ledger's day must match
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token, min_players=1)
    publish(api, token, listing["id"])
    start = (today + timedelta(days=10)).strftime("%Y-%m-%dT19:00:00")
    session_id = add_sessions(api, token, listing["id"], start=start)["items"][0]["id"]
    player_token, _ = player(api, token_for)
    booking = book(api, player_token, session_id).json
    intent_id = booking["payment"]["payment_intent_id"]
    deliver(api, "payment_intent.succeeded", pay(stripe_client(client_base()), intent_id))
    admin = token_for(roles=("player", "admin"))
    assert api.post(f"/v1/admin/bookings/{booking['id']}/refund", token=admin,
                    json_body={"amount": 200, "reason": "goodwill"}).status == 200
    lost = client().v1.refunds.create({"payment_intent": intent_id, "amount": 300})  # its webhook never came
    report = reconcile.run(today.date())
    by_ref = {d.reference: d for d in report.differences}
    assert intent_id not in by_ref  # the charge agrees
    assert by_ref[lost.id].what == "missing_in_ledger" and by_ref[lost.id].stripe_amount == 300
    ours = [d for d in report.differences if d.kind == "refund" and d.stripe_amount == 200 and d.reference != lost.id]
    assert ours == []  # the admin's refund agrees
    assert report.compared["charge"] >= 1


@pytest.mark.parametrize(("ledger", "stripe", "expected"), [
    ({"charge": {"pi_1": 100}}, {"charge": {"pi_1": 100}}, []),
    ({"charge": {"pi_1": 100}}, {"charge": {}}, [("charge", "missing_at_stripe", "pi_1", 100, None)]),
    ({}, {"refund": {"re_1": 5}}, [("refund", "missing_in_ledger", "re_1", None, 5)]),
    ({"transfer": {"tr_1": 90}}, {"transfer": {"tr_1": 80}}, [("transfer", "amount_mismatch", "tr_1", 90, 80)]),
])
def test_reconciliation_compare(ledger: Any, stripe: Any, expected: list[tuple[Any, ...]]) -> None:
    found = [(d.kind, d.what, d.reference, d.ledger_amount, d.stripe_amount) for d in reconcile.compare(ledger, stripe)]
    assert found == expected
