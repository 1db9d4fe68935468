"""The convergence rule's pure half, on Stripe's own object shapes (tests/data/stripe/fixtures3.json):
Stripe's objects read into facts the way Stripe sends them (ids as strings or expanded objects,
nullable fields null), and the movements the books lack recorded in one order whatever order the
facts were learned in, each once; refunds never exceed the charge."""

from __future__ import annotations

import json
import random
from copy import deepcopy
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.payments import domain as d
from chalicelib.payments import facts as f

FIXTURES = json.loads((Path(__file__).parents[1] / "data" / "stripe" / "fixtures3.json").read_text())["resources"]
RULE = d.FeeRule(1000, 30)


def fixture(kind: str, **changes: Any) -> dict[str, Any]:
    obj = deepcopy(FIXTURES[kind])
    obj.update(changes)
    return obj


def paid_intent(amount: int = 3000, **changes: Any) -> dict[str, Any]:
    """Stripe's example PaymentIntent, succeeded for `amount` (its charge referenced by id)."""
    fields: dict[str, Any] = {
        "amount": amount,
        "amount_received": amount,
        "status": "succeeded",
        "latest_charge": FIXTURES["charge"]["id"],
        "metadata": {"booking_id": "bkg_1"},
    }
    return fixture("payment_intent", **{**fields, **changes})


def charge(amount: int = 3000, **changes: Any) -> dict[str, Any]:
    return fixture("charge", amount=amount, amount_captured=amount, captured=True, **changes)


def test_stripes_example_intent_reads_as_an_unpaid_payment() -> None:
    facts = f.payment_facts(FIXTURES["payment_intent"])
    assert (facts.intent_id, facts.amount, facts.currency, facts.status) == (
        "pi_1PgafyB7WZ01zgkWSjxsAJo3",
        1099,
        "usd",
        "requires_payment_method",
    )
    assert not facts.succeeded and facts.charge_id is None and facts.metadata == {}
    # its last_payment_error is set: a failed attempt the player may retry
    assert facts.failed
    assert d.movements(facts) == []


def test_a_charge_referenced_by_id_or_expanded_reads_the_same() -> None:
    by_id = f.payment_facts(paid_intent(), charge())
    expanded = f.payment_facts(paid_intent(latest_charge=charge()))
    assert by_id == expanded
    assert by_id.charge_id == FIXTURES["charge"]["id"] and by_id.charge_created == FIXTURES["charge"]["created"]
    assert d.movements(by_id) == [d.Movement(d.CHARGE, by_id.intent_id, 3000, FIXTURES["charge"]["created"])]


def test_stripes_refund_and_dispute_examples() -> None:
    refund = f.refund_fact(FIXTURES["refund"])
    assert (refund.refund_id, refund.amount, refund.status, refund.key, refund.counts) == (
        "re_1Pgc72B7WZ01zgkWqPvrRrPE",
        100,
        "succeeded",
        None,
        True,
    )
    inquiry = f.dispute_fact(FIXTURES["dispute"])  # Stripe's example is an inquiry: no money withdrawn
    assert inquiry.status == "warning_needs_response" and not inquiry.withdrawn and not inquiry.open
    real = f.dispute_fact(fixture("dispute", status="needs_response"))
    assert real.withdrawn and real.open and real.outcome is None
    assert f.dispute_fact(fixture("dispute", status="lost")).outcome == "lost"
    transfer = f.transfer_fact(FIXTURES["transfer"])
    assert (transfer.amount, transfer.reversals, transfer.remaining) == (1100, (), 1100)


def test_an_inquiry_moves_no_money_and_a_real_dispute_does() -> None:
    inquiry = f.payment_facts(paid_intent(), charge(), disputes=[FIXTURES["dispute"]])
    assert [m.kind for m in d.movements(inquiry)] == [d.CHARGE]
    assert d.dispute_state(inquiry) is None
    real = f.payment_facts(paid_intent(), charge(), disputes=[fixture("dispute", status="needs_response")])
    assert [m.kind for m in d.movements(real)] == [d.CHARGE, d.DISPUTE_DEBIT]
    assert d.dispute_state(real) == (FIXTURES["dispute"]["id"], "open", "general")


def test_refunds_we_made_are_known_by_their_key_and_failed_ones_move_nothing() -> None:
    ours = fixture("refund", id="re_ours", amount=500, metadata={"sesh_key": "refund-bkg_1-player_cancelled"})
    failed = fixture("refund", id="re_failed", amount=700, status="failed")
    facts = f.payment_facts(paid_intent(), charge(amount_refunded=500), refunds=[ours, failed])
    assert facts.refund_made_with("refund-bkg_1-player_cancelled") == f.refund_fact(ours)
    assert facts.refund_made_with("refund-bkg_1-other") is None
    assert facts.refunded_at_stripe == 500 and facts.refundable_at_stripe == 2500
    assert [m.reference for m in d.movements(facts) if m.kind == d.REFUND] == ["re_ours"]


def test_nothing_is_refundable_while_a_dispute_is_open_or_after_it_was_lost() -> None:
    for status, refundable in (("needs_response", 0), ("under_review", 0), ("lost", 0), ("won", 3000)):
        facts = f.payment_facts(paid_intent(), charge(), disputes=[fixture("dispute", status=status)])
        assert facts.refundable_at_stripe == refundable, status


def _timeline() -> tuple[
    dict[str, Any], dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]
]:
    """One payment's life at Stripe, each object in Stripe's shape, in the order it happened."""
    t0 = 1_800_000_000
    refunds = [
        fixture("refund", id="re_a", amount=500, created=t0 + 10, charge=FIXTURES["charge"]["id"]),
        fixture("refund", id="re_b", amount=2000, created=t0 + 20),
    ]
    disputes = [
        fixture(
            "dispute",
            id="dp_a",
            amount=500,
            status="won",
            created=t0 + 30,
            balance_transactions=[{"amount": -500, "created": t0 + 30}, {"amount": 500, "created": t0 + 40}],
        )
    ]
    transfers = [
        fixture(
            "transfer",
            id="tr_a",
            amount=170,
            created=t0 + 50,
            transfer_group="bkg_1",
            reversals={
                "object": "list",
                "has_more": False,
                "url": "/v1/transfers/tr_a/reversals",
                "data": [fixture("transfer_reversal", id="trr_a", amount=70, created=t0 + 60)],
            },
        )
    ]
    return (
        paid_intent(created=t0),
        charge(created=t0 + 1, amount_refunded=2500, disputed=True),
        refunds,
        disputes,
        transfers,
    )


def _record(b: d.Balance, known: set[str], facts: f.PaymentFacts) -> tuple[d.Balance, list[tuple[str, str, int]]]:
    plan = d.plan(b, known, facts, RULE)
    assert plan.refused == ()
    known |= {r.movement.reference for r in plan.recorded}
    return plan.after, [(r.movement.reference, e.entry_type, e.amount) for r in plan.recorded for e in r.entries]


def test_the_whole_timeline_is_recorded_once_in_the_order_it_happened() -> None:
    intent, ch, refunds, disputes, transfers = _timeline()
    facts = f.payment_facts(intent, ch, refunds, disputes, transfers)
    assert [m.reference for m in d.movements(facts)] == [
        intent["id"],
        "re_a",
        "re_b",
        "dp_a:debit",
        "dp_a:closed",
        "tr_a",
        "trr_a",
    ]
    known: set[str] = set()
    after, lines = _record(d.Balance(), known, facts)
    assert lines == [
        (intent["id"], d.CHARGE, 3000),
        (intent["id"], d.PLATFORM_FEE, 330),
        # 2500 refunded leaves 500: the fee (330) is still covered, the host's share is 170
        ("re_a", d.REFUND, 500),
        ("re_b", d.REFUND, 2000),
        # the dispute withholds the last 500: the fee is given up...
        ("dp_a:debit", d.DISPUTE_DEBIT, 500),
        ("dp_a:debit", d.PLATFORM_FEE_REFUND, 330),
        # ... and taken again when it is won
        ("dp_a:closed", d.DISPUTE_CREDIT, 500),
        ("dp_a:closed", d.PLATFORM_FEE, 330),
        ("tr_a", d.TRANSFER, 170),
        ("trr_a", d.TRANSFER_REVERSAL, 70),
    ]
    assert (after.charged, after.refunded, after.withheld, after.fee_kept, after.paid_out) == (3000, 2500, 0, 330, 100)
    assert d.money_status(after, "won") == d.DISPUTE_WON
    # learned again (a duplicate, a late event): nothing more
    again = d.plan(after, known, facts, RULE)
    assert again.recorded == () and again.after == after


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_learning_the_timeline_in_any_prefixes_and_shuffled_lists_ends_in_the_same_books(
    rng: random.Random, steps: int
) -> None:
    """Stripe's state only grows: each read sees every fact created before it. Whatever reads happen
    (how many, where they cut the timeline, in which order Stripe lists the objects), the books end
    the same as recording everything at once."""
    intent, ch, refunds, disputes, transfers = _timeline()
    reference_books = _record(d.Balance(), set(), f.payment_facts(intent, ch, refunds, disputes, transfers))
    everything: list[tuple[str, dict[str, Any]]] = (
        [("refund", r) for r in refunds] + [("dispute", x) for x in disputes] + [("transfer", t) for t in transfers]
    )
    cuts = [*sorted(rng.randint(0, len(everything)) for _ in range(steps)), len(everything)]
    b, known, lines = d.Balance(), set(), []
    for cut in cuts:
        seen = everything[:cut]
        rng.shuffle(seen)  # Stripe's lists come newest first, ours sorted: neither order may matter
        facts = f.payment_facts(
            intent,
            ch,
            [o for k, o in seen if k == "refund"],
            [o for k, o in seen if k == "dispute"],
            [o for k, o in seen if k == "transfer"],
        )
        b, new = _record(b, known, facts)
        lines += new
    assert (b, lines) == reference_books


@settings(max_examples=300, deadline=None)
@given(st.integers(100, 100_000), st.lists(st.integers(1, 100_000), max_size=8))
def test_refunds_in_the_books_never_exceed_the_charge(amount: int, asked: list[int]) -> None:
    """Whatever Stripe lists (even refunds adding up to more than the charge), the books take only
    what the charge allows, and say so (refused), never a negative balance."""
    refunds = [fixture("refund", id=f"re_{i}", amount=a, created=i) for i, a in enumerate(asked)]
    facts = f.payment_facts(paid_intent(amount), charge(amount), refunds)
    plan = d.plan(d.Balance(), set(), facts, RULE)
    assert plan.after.refunded <= plan.after.charged == amount
    taken = [r.movement.amount for r in plan.recorded if r.movement.kind == d.REFUND]
    assert sum(taken) == plan.after.refunded
    assert len(taken) + len(plan.refused) == len(asked)
    assert d.money_status(plan.after, None) == (
        d.REFUNDED if plan.after.refunded == amount else d.PARTIALLY_REFUNDED if taken else d.PAID
    )


def test_money_status_names_what_the_money_amounts_to() -> None:
    charged = d.Balance(charged=1000, fee=100)
    assert d.money_status(d.Balance(), None) is None
    assert d.money_status(charged, None) == d.PAID
    assert d.money_status(d.Balance(charged=1000, fee=100, refunded=400), None) == d.PARTIALLY_REFUNDED
    assert d.money_status(d.Balance(charged=1000, fee=100, refunded=1000), None) == d.REFUNDED
    assert d.money_status(charged, "open") == d.DISPUTED
    assert d.money_status(charged, "lost") == d.DISPUTE_LOST
    assert d.money_status(charged, "won") == d.DISPUTE_WON


def test_a_plan_records_at_most_its_limit_and_says_how_many_are_left() -> None:
    refunds = [fixture("refund", id=f"re_{i}", amount=10, created=i) for i in range(20)]
    facts = f.payment_facts(paid_intent(), charge(amount_refunded=200), refunds)
    first = d.plan(d.Balance(), set(), facts, RULE, limit=12)
    assert len(first.recorded) == 12 and first.pending == 9
    known = {r.movement.reference for r in first.recorded}
    second = d.plan(first.after, known, facts, RULE, limit=12)
    assert len(second.recorded) == 9 and second.pending == 0 and second.after.refunded == 200


def test_an_older_read_of_stripe_never_undoes_a_dispute_already_recorded() -> None:
    opened, won = ("dp_1", "open", "fraudulent"), ("dp_1", "won", "fraudulent")
    assert d.merge_dispute(None, None) is None
    assert d.merge_dispute(None, opened) == opened
    assert d.merge_dispute(opened, won) == won  # the outcome arrives
    assert d.merge_dispute(won, opened) == won  # a read from before the outcome
    assert d.merge_dispute(won, None) == won  # a read from before the dispute
    assert d.merge_dispute(won, ("dp_2", "open", "general")) == ("dp_2", "open", "general")  # a new dispute
