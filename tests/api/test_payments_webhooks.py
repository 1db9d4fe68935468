"""Stripe webhooks converge the books whatever arrives, in whatever order, how often.

Every event is delivered with Stripe's own object shapes: the object in an event's body is Stripe's
example of that type (tests/data/stripe/fixtures3.json) with only its id swapped for the emulator's
real object, so amounts, metadata and links in the body are Stripe's example values — the handler
must read the object back, never trust the body. The money moves at the emulator first (a player
pays, refunds and disputes are made in Stripe's dashboard, our payout timer transfers), then the
events of a scenario arrive in every order, each twice, and late; the ledger, the totals, the
booking and the payout must end the same every time. Also: forged or foreign events change nothing,
objects our key cannot read are acknowledged, signatures are checked, and reconciliation heals.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.core import clock
from chalicelib.payments import payouts, reconcile, webhooks
from tests.api.booking_helpers import book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import NOW, add_sessions, create_listing, make_host, publish
from tests.api.helpers import assert_problem, run_timers_at
from tests.api.payments_helpers import client, dev_post, emulator
from tests.stripe_support import WEBHOOK_SECRET

pytestmark = pytest.mark.usefixtures("frozen_clock")

FIXTURES = json.loads((Path(__file__).parents[1] / "data" / "stripe" / "fixtures3.json").read_text())["resources"]
START = NOW.replace(month=2, day=1, hour=18)
END = START + timedelta(hours=3)
PAYOUT_AT = END + timedelta(days=2)


def stripe_shaped(kind: str, object_id: str, **lies: Any) -> dict[str, Any]:
    """Stripe's example object of `kind` naming `object_id` (everything else is the example's)."""
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(id=object_id, **lies)
    return obj


OBJECT_OF = {
    "payment_intent": "payment_intent",
    "charge": "charge",
    "charge.dispute": "dispute",
    "transfer": "transfer",
    "account": "account",
}


def kind_of(event_type: str) -> str:
    return OBJECT_OF[event_type.rsplit(".", 1)[0]]


@dataclass
class Paid:
    host_token: str
    player_token: str
    booking_id: str
    intent_id: str
    charge_id: str


def paid(api: Any, token_for: Any, *, currency: str = "usd", deliver_success: bool = False) -> Paid:
    """Two seats (usd 2 x 1500, eur 2 x 1400) paid at the emulator; its webhook not yet delivered."""
    setup = listing_with_sessions(api, token_for, min_players=1, cancellation_policy={"preset": "flexible"})
    token, _ = player(api, token_for)
    created = book(api, token, setup.session_id, seats=2, currency=currency)
    assert created.status == 201, created.body
    intent_id = created.json["payment"]["payment_intent_id"]
    intent = pay(stripe_client(emulator()), intent_id)
    charge_id = intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    p = Paid(setup.host_token, token, created.json["id"], intent_id, charge_id)
    if deliver_success:
        assert deliver(api, "payment_intent.succeeded", stripe_shaped("payment_intent", intent_id)).status == 200
    return p


@dataclass
class Scenario:
    paid: Paid
    events: list[tuple[str, str]]  # (event type, object id), in the order Stripe sent them


def refunds(api: Any, token_for: Any) -> Scenario:
    """Paid, then refunded in two parts in Stripe's dashboard (partial, then the rest)."""
    p = paid(api, token_for)
    for amount in (1000, 2000):
        client().v1.refunds.create({"payment_intent": p.intent_id, "amount": amount})
    return Scenario(
        p,
        [("payment_intent.succeeded", p.intent_id), ("charge.refunded", p.charge_id), ("charge.refunded", p.charge_id)],
    )


def dispute(outcome: str, currency: str = "usd") -> Callable[[Any, Any], Scenario]:
    def build(api: Any, token_for: Any) -> Scenario:
        p = paid(api, token_for, currency=currency)
        opened = dev_post("/_config/disputes", payment_intent=p.intent_id, reason="product_not_received")
        dev_post(f"/_config/disputes/{opened['id']}/close", outcome=outcome)
        return Scenario(
            p,
            [
                ("payment_intent.succeeded", p.intent_id),
                ("charge.dispute.created", opened["id"]),
                ("charge.dispute.closed", opened["id"]),
            ],
        )

    return build


def refund_then_dispute(api: Any, token_for: Any) -> Scenario:
    """Paid, 1000 refunded in the dashboard, then the rest disputed (still open)."""
    p = paid(api, token_for)
    client().v1.refunds.create({"payment_intent": p.intent_id, "amount": 1000})
    opened = dev_post("/_config/disputes", payment_intent=p.intent_id)
    return Scenario(
        p,
        [
            ("payment_intent.succeeded", p.intent_id),
            ("charge.refunded", p.charge_id),
            ("charge.dispute.created", opened["id"]),
        ],
    )


def payout_then_refund(api: Any, token_for: Any) -> Scenario:
    """Paid and confirmed; completed and paid out (2670) by our timers; then, in the dashboard, 100 of
    the transfer reversed and 1000 refunded to the player."""
    p = paid(api, token_for, deliver_success=True)
    run_timers_at(END + timedelta(seconds=30))  # completed: the payout is due after the hold
    clock.freeze(PAYOUT_AT + timedelta(seconds=30))
    payouts.settle(p.booking_id)  # the payout timer's work (test_payments_money runs it through the sweep)
    (transfer,) = client().v1.transfers.list({"transfer_group": p.booking_id}).data
    client().v1.transfers.reversals.create(transfer.id, {"amount": 100})
    client().v1.refunds.create({"payment_intent": p.intent_id, "amount": 1000})
    return Scenario(
        p, [("transfer.created", transfer.id), ("transfer.reversed", transfer.id), ("charge.refunded", p.charge_id)]
    )


def books(api: Any, token_for: Any, s: Scenario) -> dict[str, Any]:
    """What the events may change: the ledger lines, the totals, the booking, the payouts at Stripe."""
    admin = token_for(roles=("player", "admin"))
    r = api.get(f"/v1/bookings/{s.paid.booking_id}/receipt", token=admin).json
    b = api.get(f"/v1/bookings/{s.paid.booking_id}", token=admin).json
    transfers = client().v1.transfers.list({"transfer_group": s.paid.booking_id}).data
    return {
        "lines": sorted((line["type"], line["amount"]["amount"]) for line in r["lines"]),
        "totals": {k: r[k]["amount"] for k in ("charged", "platform_fee", "refunded", "paid", "host_share", "paid_out")}
        | {"dispute": r["dispute"], "currency": r["currency"]},
        "booking": {k: b[k] for k in ("state", "payment_status", "amount_refunded", "disputed")},
        "at_stripe": sorted((t.amount, t.amount_reversed) for t in transfers),
    }


CONFIRMED = {"state": "confirmed", "disputed": False}
EXPECTED: dict[str, tuple[Callable[[Any, Any], Scenario], dict[str, Any]]] = {
    "refunded partly, then fully": (
        refunds,
        {
            # usd fee: 10 % + 30 = 330; the second refund reaches into it, so the platform gives it back
            "lines": [
                ("charge", 3000),
                ("platform_fee", 330),
                ("platform_fee_refund", 330),
                ("refund", 1000),
                ("refund", 2000),
            ],
            "totals": {
                "charged": 3000,
                "platform_fee": 0,
                "refunded": 3000,
                "paid": 0,
                "host_share": 0,
                "paid_out": 0,
                "dispute": None,
                "currency": "usd",
            },
            "booking": {**CONFIRMED, "payment_status": "refunded", "amount_refunded": 3000},
            "at_stripe": [],
        },
    ),
    "dispute won (eur)": (
        dispute("won", "eur"),
        {
            # eur fee: 10 % + 25 of 2800 = 305; given up while the dispute withholds the money, taken again when won
            "lines": [
                ("charge", 2800),
                ("dispute_credit", 2800),
                ("dispute_debit", 2800),
                ("platform_fee", 305),
                ("platform_fee", 305),
                ("platform_fee_refund", 305),
            ],
            "totals": {
                "charged": 2800,
                "platform_fee": 305,
                "refunded": 0,
                "paid": 2800,
                "host_share": 2495,
                "paid_out": 0,
                "dispute": "won",
                "currency": "eur",
            },
            "booking": {"state": "confirmed", "disputed": True, "payment_status": "dispute_won", "amount_refunded": 0},
            "at_stripe": [],
        },
    ),
    "dispute lost": (
        dispute("lost"),
        {
            "lines": [("charge", 3000), ("dispute_debit", 3000), ("platform_fee", 330), ("platform_fee_refund", 330)],
            "totals": {
                "charged": 3000,
                "platform_fee": 0,
                "refunded": 0,
                "paid": 0,
                "host_share": 0,
                "paid_out": 0,
                "dispute": "lost",
                "currency": "usd",
            },
            "booking": {"state": "confirmed", "disputed": True, "payment_status": "dispute_lost", "amount_refunded": 0},
            "at_stripe": [],
        },
    ),
    "refunded, then the rest disputed": (
        refund_then_dispute,
        {
            "lines": [
                ("charge", 3000),
                ("dispute_debit", 2000),
                ("platform_fee", 330),
                ("platform_fee_refund", 330),
                ("refund", 1000),
            ],
            "totals": {
                "charged": 3000,
                "platform_fee": 0,
                "refunded": 1000,
                "paid": 0,
                "host_share": 0,
                "paid_out": 0,
                "dispute": "open",
                "currency": "usd",
            },
            "booking": {"state": "confirmed", "disputed": True, "payment_status": "disputed", "amount_refunded": 1000},
            "at_stripe": [],
        },
    ),
    "paid out, then reversed and refunded in the dashboard": (
        payout_then_refund,
        {
            # the host earns 3000 - 1000 - 330 = 1670: the dashboard took 100 back, we reverse 900 more
            "lines": [
                ("charge", 3000),
                ("platform_fee", 330),
                ("refund", 1000),
                ("transfer", 2670),
                ("transfer_reversal", 100),
                ("transfer_reversal", 900),
            ],
            "totals": {
                "charged": 3000,
                "platform_fee": 330,
                "refunded": 1000,
                "paid": 2000,
                "host_share": 1670,
                "paid_out": 1670,
                "dispute": None,
                "currency": "usd",
            },
            "booking": {
                "state": "completed",
                "disputed": False,
                "payment_status": "partially_refunded",
                "amount_refunded": 1000,
            },
            "at_stripe": [(2670, 1000)],
        },
    ),
}


def deliveries(events: list[tuple[str, str]], how: str) -> list[tuple[str, str, str]]:
    """(type, object id, event id): `how` is an order (a tuple of indexes), "twice" or "late"."""
    stamp = time.time_ns()
    ids = [f"evt_{stamp}_{i}" for i in range(len(events))]
    once = [(t, o, i) for (t, o), i in zip(events, ids, strict=True)]
    if how == "twice":  # each delivered twice (a redelivery: same id), then once more under a new id
        return [d for t, o, i in once for d in ((t, o, i), (t, o, i), (t, o, i + "_retry"))]
    if how == "late":  # everything in order, then every event again much later (a new id each)
        return [*once, *[(t, o, i + "_late") for t, o, i in once]]
    return [once[n] for n in json.loads(how)]


def _hows(n: int) -> list[str]:
    return [json.dumps(list(order)) for order in itertools.permutations(range(n))] + ["twice", "late"]


CASES = [(name, how) for name, (build, _) in EXPECTED.items() for how in _hows(3)]


@pytest.mark.parametrize(("name", "how"), CASES)
def test_every_order_twice_and_late_ends_in_the_same_books(api: Any, token_for: Any, name: str, how: str) -> None:
    build, expected = EXPECTED[name]
    s = build(api, token_for)
    for event_type, object_id, event_id in deliveries(s.events, how):
        if how == "late":
            clock.freeze(clock.now() + timedelta(hours=6))  # Stripe retries for days; time moves meanwhile
        answer = deliver(api, event_type, stripe_shaped(kind_of(event_type), object_id), event_id=event_id)
        assert answer.status == 200, answer.body
    assert books(api, token_for, s) == expected


ACTIONS = ("refund 500", "dispute", "dispute won")


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_any_interleaving_of_stripe_and_its_deliveries_ends_in_the_same_books(
    api: Any, token_for: Any, data: st.DataObject
) -> None:
    """Money moves at Stripe step by step; after each step, any of the events so far may arrive (or
    not yet, or again); at the end every event arrives once more in a random order. The books are
    always those of the whole story: Stripe's state only grows, and each delivery reads all of it.
    (Examples share the test's table; each has a booking of its own.)"""
    p = paid(api, token_for)
    sent: list[tuple[str, str]] = [("payment_intent.succeeded", p.intent_id)]
    dispute_id = ""
    for action in ACTIONS:
        for event_type, object_id in data.draw(st.lists(st.sampled_from(sent), max_size=3), label="arrive"):
            assert deliver(api, event_type, stripe_shaped(kind_of(event_type), object_id)).status == 200
        if action == "refund 500":
            client().v1.refunds.create({"payment_intent": p.intent_id, "amount": 500})
            sent.append(("charge.refunded", p.charge_id))
        elif action == "dispute":
            dispute_id = dev_post("/_config/disputes", payment_intent=p.intent_id)["id"]
            sent.append(("charge.dispute.created", dispute_id))
        else:
            dev_post(f"/_config/disputes/{dispute_id}/close", outcome="won")
            sent.append(("charge.dispute.closed", dispute_id))
    for event_type, object_id in data.draw(st.permutations(sent), label="finally"):
        assert deliver(api, event_type, stripe_shaped(kind_of(event_type), object_id)).status == 200
    assert books(api, token_for, Scenario(p, sent)) == {
        "lines": [
            ("charge", 3000),
            ("dispute_credit", 2500),
            ("dispute_debit", 2500),
            ("platform_fee", 330),
            ("platform_fee", 330),
            ("platform_fee_refund", 330),
            ("refund", 500),
        ],
        "totals": {
            "charged": 3000,
            "platform_fee": 330,
            "refunded": 500,
            "paid": 2500,
            "host_share": 2170,
            "paid_out": 0,
            "dispute": "won",
            "currency": "usd",
        },
        "booking": {"state": "confirmed", "disputed": True, "payment_status": "dispute_won", "amount_refunded": 500},
        "at_stripe": [],
    }


# Every handled type, with Stripe's own object of that type


def _refunded_500(api: Any, token_for: Any) -> tuple[Scenario, dict[str, str]]:
    p = paid(api, token_for)
    refund = client().v1.refunds.create({"payment_intent": p.intent_id, "amount": 500})
    return Scenario(p, []), {"payment_intent": p.intent_id, "charge": p.charge_id, "refund": refund.id}


def _disputed(api: Any, token_for: Any) -> tuple[Scenario, dict[str, str]]:
    p = paid(api, token_for)
    return Scenario(p, []), {"dispute": dev_post("/_config/disputes", payment_intent=p.intent_id)["id"]}


def _reversed_in_the_dashboard(api: Any, token_for: Any) -> tuple[Scenario, dict[str, str]]:
    p = paid(api, token_for, deliver_success=True)
    run_timers_at(END + timedelta(seconds=30))
    clock.freeze(PAYOUT_AT + timedelta(seconds=30))
    payouts.settle(p.booking_id)
    (transfer,) = client().v1.transfers.list({"transfer_group": p.booking_id}).data
    client().v1.transfers.reversals.create(transfer.id, {"amount": 100})
    return Scenario(p, []), {"transfer": transfer.id}


REFUNDED_500 = {
    "lines": [("charge", 3000), ("platform_fee", 330), ("refund", 500)],
    "booking": {
        "state": "confirmed",
        "payment_status": "partially_refunded",
        "amount_refunded": 500,
        "disputed": False,
    },
}
DISPUTED = {
    "lines": [("charge", 3000), ("dispute_debit", 3000), ("platform_fee", 330), ("platform_fee_refund", 330)],
    "booking": {"state": "confirmed", "payment_status": "disputed", "amount_refunded": 0, "disputed": True},
}
# the host was owed the 100 the dashboard took back: it is transferred again
PAID_OUT_AGAIN = {
    "lines": [
        ("charge", 3000),
        ("platform_fee", 330),
        ("transfer", 100),
        ("transfer", 2670),
        ("transfer_reversal", 100),
    ],
    "booking": {"state": "completed", "payment_status": "paid", "amount_refunded": 0, "disputed": False},
}
BY_TYPE = {
    "payment_intent": (_refunded_500, REFUNDED_500),
    "charge": (_refunded_500, REFUNDED_500),
    "refund": (_refunded_500, REFUNDED_500),
    "dispute": (_disputed, DISPUTED),
    "transfer": (_reversed_in_the_dashboard, PAID_OUT_AGAIN),
}


def _object_kind(event_type: str) -> str:
    if event_type.startswith(("refund.", "charge.refund.")):
        return "refund"
    return kind_of(event_type)


@pytest.mark.parametrize("event_type", sorted(t for t in webhooks.HANDLERS if t != "account.updated"))
def test_every_handled_type_with_stripes_own_object_converges_the_payment(
    api: Any, token_for: Any, event_type: str
) -> None:
    """Whichever type arrives first, with Stripe's example object of that type naming one of ours,
    the payment converges: everything Stripe has is recorded."""
    kind = _object_kind(event_type)
    build, expected = BY_TYPE[kind]
    s, ids = build(api, token_for)
    answer = deliver(api, event_type, stripe_shaped(kind, ids[kind]))
    assert answer.status == 200, answer.body
    found = books(api, token_for, s)
    assert {"lines": found["lines"], "booking": found["booking"]} == expected


# The body is never trusted


def test_a_signed_event_naming_another_booking_or_amount_changes_only_what_stripe_says(
    api: Any, token_for: Any
) -> None:
    a, b = paid(api, token_for), paid(api, token_for)
    forged = stripe_shaped(
        "payment_intent",
        a.intent_id,
        status="succeeded",
        amount=1,
        amount_received=1,
        metadata={"booking_id": b.booking_id},
        latest_charge=b.charge_id,
    )
    assert deliver(api, "payment_intent.succeeded", forged).status == 200
    s_a, s_b = Scenario(a, []), Scenario(b, [])
    assert books(api, token_for, s_a)["booking"]["payment_status"] == "paid"  # A's own payment, as Stripe says
    assert books(api, token_for, s_a)["totals"]["charged"] == 3000
    assert books(api, token_for, s_b)["booking"] == {
        "state": "pending_payment",
        "payment_status": "awaiting",
        "amount_refunded": 0,
        "disputed": False,
    }
    lie = stripe_shaped("charge", a.charge_id, amount_refunded=10**9, refunded=True)
    assert deliver(api, "charge.refunded", lie).status == 200
    assert books(api, token_for, s_a)["booking"]["amount_refunded"] == 0


def test_a_payment_intent_that_is_not_the_bookings_changes_nothing(api: Any, token_for: Any) -> None:
    p = paid(api, token_for)
    before = books(api, token_for, Scenario(p, []))
    # Someone made (and paid) another PaymentIntent on our account naming this booking, for 1.
    customer = client().v1.customers.create({"email": "mallory@example.test"})
    foreign = client().v1.payment_intents.create(
        {
            "amount": 100,
            "currency": "usd",
            "customer": customer.id,
            "payment_method_types": ["card"],
            "metadata": {"booking_id": p.booking_id},
        }
    )
    pay(stripe_client(emulator()), foreign.id)
    assert deliver(api, "payment_intent.succeeded", stripe_shaped("payment_intent", foreign.id)).status == 200
    assert books(api, token_for, Scenario(p, [])) == before  # still waiting for its own payment
    assert deliver(api, "payment_intent.succeeded", stripe_shaped("payment_intent", p.intent_id)).status == 200
    assert books(api, token_for, Scenario(p, []))["totals"]["charged"] == 3000


@pytest.mark.parametrize(
    ("event_type", "object_id"),
    [
        ("payment_intent.succeeded", "pi_3NotOursAtAll0000000000"),
        ("charge.refunded", "ch_3NotOursAtAll0000000000"),
        ("charge.dispute.created", "dp_1NotOursAtAll0000000000"),
        ("transfer.reversed", "tr_1NotOursAtAll0000000000"),
        ("account.updated", "acct_1NotOursAtAll00000"),
    ],
)
def test_an_object_our_key_cannot_read_is_acknowledged_once(api: Any, event_type: str, object_id: str) -> None:
    """Stripe would retry a 5xx for days: an object that does not exist for our key never will."""
    event_id = f"evt_unreadable_{time.time_ns()}"
    answer = deliver(api, event_type, stripe_shaped(kind_of(event_type), object_id), event_id=event_id)
    assert answer.status == 200, answer.body
    assert webhooks.processed_event(event_id) is not None
    again = deliver(api, event_type, stripe_shaped(kind_of(event_type), object_id), event_id=event_id)
    assert again.status == 200 and again.json["duplicate"] is True


def test_a_payment_that_is_no_bookings_is_acknowledged_and_ignored(api: Any) -> None:
    customer = client().v1.customers.create({"email": "shop@example.test"})
    intent = client().v1.payment_intents.create(
        {"amount": 700, "currency": "usd", "customer": customer.id, "payment_method_types": ["card"]}
    )
    pay(stripe_client(emulator()), intent.id)
    answer = deliver(api, "payment_intent.succeeded", stripe_shaped("payment_intent", intent.id))
    assert answer.status == 200 and answer.json["duplicate"] is False


# Signatures and bodies


def _signed(body: str, *, stamp: int, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={signature}"}


def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_changes_nothing(api: Any, token_for: Any) -> None:
    s = refunds(api, token_for)
    before = books(api, token_for, s)
    for n, (stamp, secret) in enumerate(
        [
            (int(time.time()), "whsec_someone_else"),
            (int(time.time()) - 3600, WEBHOOK_SECRET),  # outside the tolerance
            (int(time.time()) + 3600, WEBHOOK_SECRET),
        ]
    ):
        event_id = f"evt_refused_{n}_{time.time_ns()}"
        body = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": "payment_intent.succeeded",
                "created": stamp,
                "data": {"object": stripe_shaped("payment_intent", s.paid.intent_id)},
            }
        )
        refused = api.post("/v1/webhooks/stripe", body=body, headers=_signed(body, stamp=stamp, secret=secret))
        assert_problem(refused, 400, "invalid_signature")
        assert webhooks.processed_event(event_id) is None
    assert books(api, token_for, s) == before


@pytest.mark.parametrize(
    "body", ["{}", '{"id": "evt_x"}', "[]", '"evt"', '{"id": 5, "type": "x"}', "[" * 5000 + "]" * 5000, "not json"]
)
def test_a_correctly_signed_body_that_is_no_event_is_a_400(api: Any, body: str) -> None:
    answer = api.post("/v1/webhooks/stripe", body=body, headers=_signed(body, stamp=int(time.time())))
    assert_problem(answer, 400, "malformed_event")


def test_an_unknown_type_is_acknowledged_and_changes_nothing(api: Any, token_for: Any) -> None:
    s = refunds(api, token_for)
    before = books(api, token_for, s)
    answer = deliver(
        api, "charge.captured_by_aliens", stripe_shaped("charge", s.paid.charge_id), event_id="evt_unknown_type"
    )
    assert answer.status == 200 and answer.json == {"received": True, "id": "evt_unknown_type", "duplicate": False}
    assert books(api, token_for, s) == before


# Reconciliation heals


def test_reconciliation_heals_what_no_webhook_told_and_then_reports_nothing(api: Any, token_for: Any) -> None:
    today = datetime.now(UTC).replace(microsecond=0)
    clock.freeze(today)
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token, min_players=1)
    publish(api, token, listing["id"])
    start = (today + timedelta(days=10)).strftime("%Y-%m-%dT19:00:00")
    session_id = add_sessions(api, token, listing["id"], start=start)["items"][0]["id"]
    player_token, _ = player(api, token_for)
    booking = book(api, player_token, session_id).json
    intent_id = booking["payment"]["payment_intent_id"]
    deliver(api, "payment_intent.succeeded", pay(stripe_client(emulator()), intent_id))
    admin = token_for(roles=("player", "admin"))
    assert (
        api.post(
            f"/v1/admin/bookings/{booking['id']}/refund", token=admin, json_body={"amount": 200, "reason": "goodwill"}
        ).status
        == 200
    )
    # Money moved where no webhook told us: a refund in Stripe's dashboard, a dispute never delivered.
    lost_refund = client().v1.refunds.create({"payment_intent": intent_id, "amount": 300})
    lost_dispute = dev_post("/_config/disputes", payment_intent=intent_id)
    ours = {intent_id, lost_refund.id, lost_dispute["id"]}  # (the emulator also holds other tests' objects)
    report = reconcile.run(today.date())
    assert report.healed >= 1 and [d for d in report.differences if d.reference in ours] == []
    assert report.compared["refund"] >= 2 and report.compared["dispute"] >= 1
    receipt = api.get(f"/v1/bookings/{booking['id']}/receipt", token=admin).json
    assert {line["reference"] for line in receipt["lines"]} >= {lost_refund.id, f"{lost_dispute['id']}:debit"}
    assert (receipt["refunded"]["amount"], receipt["dispute"]) == (500, "open")
    b = api.get(f"/v1/bookings/{booking['id']}", token=admin).json
    assert (b["payment_status"], b["amount_refunded"], b["disputed"]) == ("disputed", 500, True)
    again = reconcile.run(today.date())
    assert again.healed == 0 and [d for d in again.differences if d.reference in ours] == []


@pytest.mark.parametrize(
    ("ledger", "stripe", "expected"),
    [
        ({"charge": {"pi_1": 100}}, {"charge": {"pi_1": 100}}, []),
        ({"charge": {"pi_1": 100}}, {"charge": {}}, [("charge", "missing_at_stripe", "pi_1", 100, None)]),
        ({}, {"refund": {"re_1": 5}}, [("refund", "missing_in_ledger", "re_1", None, 5)]),
        ({"transfer": {"tr_1": 90}}, {"transfer": {"tr_1": 80}}, [("transfer", "amount_mismatch", "tr_1", 90, 80)]),
        ({"dispute": {"dp_1": 80}}, {"dispute": {"dp_1": 100}}, []),  # only the unrefunded part was withheld
        ({"dispute": {"dp_1": 120}}, {"dispute": {"dp_1": 100}}, [("dispute", "amount_mismatch", "dp_1", 120, 100)]),
    ],
)
def test_reconciliation_compare(ledger: Any, stripe: Any, expected: list[tuple[Any, ...]]) -> None:
    found = [(d.kind, d.what, d.reference, d.ledger_amount, d.stripe_amount) for d in reconcile.compare(ledger, stripe)]
    assert found == expected
