"""Marketplace money arithmetic: fees, refund splits, disputes and payouts never create or lose a
minor unit, whatever the order of the movements (property tests over random sequences)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.payments import domain as d

RULES = st.builds(d.FeeRule, percent_bps=st.integers(0, 10_000), fixed=st.integers(0, 500))


@pytest.mark.parametrize(
    ("amount", "rule", "fee"),
    [
        (1500, d.FeeRule(1000, 30), 180),
        (1500, d.FeeRule(1000, 0), 150),
        (5, d.FeeRule(1000, 0), 1),  # 0.5 rounds half up
        (4, d.FeeRule(1000, 0), 0),
        (20, d.FeeRule(1000, 30), 20),  # never above the charge
        (0, d.FeeRule(1000, 30), 0),
        (99_999_999, d.FeeRule(10_000, 0), 99_999_999),
    ],
)
def test_fee_examples(amount: int, rule: d.FeeRule, fee: int) -> None:
    assert d.fee_for(amount, rule) == fee


@given(st.integers(0, 99_999_999), RULES)
def test_fee_is_an_integer_between_zero_and_the_charge(amount: int, rule: d.FeeRule) -> None:
    fee = d.fee_for(amount, rule)
    assert isinstance(fee, int) and 0 <= fee <= amount


OPS = st.lists(
    st.tuples(st.sampled_from(["refund", "debit", "credit", "settle_due", "settle_early"]), st.integers(1, 5000)),
    max_size=25,
)


def _check(b: d.Balance, entries: list[d.Entry]) -> None:
    # every value an integer and no amount negative
    for value in (
        b.charged,
        b.fee,
        b.refunded,
        b.debited,
        b.credited,
        b.transferred,
        b.reversed,
        b.fee_kept,
        b.host_share,
    ):
        assert isinstance(value, int) and value >= 0
    # no minor unit created or lost: the charge is exactly split
    assert b.charged == b.refunded + b.withheld + b.fee_kept + b.paid_out + b.held
    assert b.fee_kept + b.host_share + b.refunded + b.withheld == b.charged
    # the ledger alone says the same as the balance
    assert sum(e.amount for e in entries if e.entry_type == d.CHARGE) == b.charged
    assert sum(e.amount for e in entries if e.entry_type == d.REFUND) == b.refunded
    assert d.fees_kept(entries) == b.fee_kept
    assert d.platform_balance(entries) == b.fee_kept + b.held
    assert all(e.amount > 0 and isinstance(e.amount, int) for e in entries)


@settings(max_examples=300)
@given(st.integers(1, 200_000), RULES, OPS, st.booleans())
def test_any_sequence_of_movements_keeps_the_books_balanced(
    amount: int, rule: d.FeeRule, ops: list[tuple[str, int]], dispute_open: bool
) -> None:
    b, entries = d.charge(d.Balance(), amount, d.fee_for(amount, rule))
    _check(b, entries)
    for op, value in ops:
        try:
            if op == "refund":
                b, new = d.refund(b, min(value, b.refundable) or value)
            elif op == "debit":
                b, new = d.dispute_debit(b, min(value, b.received) or value)
            elif op == "credit":
                b, new = d.dispute_credit(b, min(value, b.withheld) or value)
            else:
                move = d.payout_move(b, due=op == "settle_due", dispute_open=dispute_open)
                if move > 0:
                    b, new = d.transfer(b, move)
                elif move < 0:
                    b, new = d.reversal(b, -move)
                else:
                    new = []
                after = d.payout_target(b, due=op == "settle_due", dispute_open=dispute_open)
                assert b.paid_out == after and 0 <= b.paid_out <= b.host_share
                assert b.held >= 0
        except d.MoneyError:
            continue  # refused: nothing changed
        entries += new
        _check(b, entries)


@given(st.integers(1, 100_000), RULES, st.integers(1, 100_000))
def test_a_refund_after_the_payout_reverses_exactly_the_hosts_part(amount: int, rule: d.FeeRule, refund: int) -> None:
    b, _ = d.charge(d.Balance(), amount, d.fee_for(amount, rule))
    b, _ = d.transfer(b, d.payout_move(b, due=True, dispute_open=False)) if b.host_share else (b, [])
    paid = b.paid_out
    refund = min(refund, b.refundable)
    b, entries = d.refund(b, refund)
    reverse = -d.payout_move(b, due=True, dispute_open=False)
    fee_back = sum(e.amount for e in entries if e.entry_type == d.PLATFORM_FEE_REFUND)
    assert reverse == refund - fee_back  # the host gives back what the platform's fee did not cover
    assert paid - reverse == b.host_share


def test_refused_movements() -> None:
    b, _ = d.charge(d.Balance(), 1000, 100)
    with pytest.raises(d.MoneyError):
        d.refund(b, 1001)
    with pytest.raises(d.MoneyError):
        d.charge(b, 1000, 100)
    with pytest.raises(d.MoneyError):
        d.reversal(b, 1)
    with pytest.raises(d.MoneyError):
        d.dispute_credit(b, 1)
    with pytest.raises(d.MoneyError):
        d.refund(b, 0)


def test_an_open_dispute_holds_and_a_lost_one_reverses() -> None:
    b, _ = d.charge(d.Balance(), 1500, 180)
    assert d.payout_move(b, due=True, dispute_open=True) == 0  # held
    b, _ = d.transfer(b, 1320)
    b, entries = d.dispute_debit(b, 1500)
    assert d.payout_move(b, due=True, dispute_open=True) == -1320
    assert [e.entry_type for e in entries] == [d.DISPUTE_DEBIT, d.PLATFORM_FEE_REFUND]
    b, _ = d.reversal(b, 1320)
    b, _ = d.dispute_credit(b, 1500)  # won
    assert d.payout_move(b, due=True, dispute_open=False) == 1320
