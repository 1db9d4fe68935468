"""The booking state machines, every state and every event, and refund quotes at the tier edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.booking import domain as d
from chalicelib.booking import policies as p

# The whole booking table, spelled out: (state, event) → next state; everything else is refused.
EXPECTED_BOOKING = {
    (d.PENDING_PAYMENT, d.PAYMENT_SUCCEEDED): d.CONFIRMED,
    (d.PENDING_PAYMENT, d.PAYMENT_FAILED): d.PENDING_PAYMENT,
    (d.PENDING_PAYMENT, d.PAYMENT_CANCELED): d.EXPIRED,
    (d.PENDING_PAYMENT, d.HOLD_EXPIRED): d.EXPIRED,
    (d.PENDING_PAYMENT, d.PLAYER_CANCEL): d.CANCELLED,
    (d.PENDING_PAYMENT, d.HOST_CANCEL): d.CANCELLED,
    (d.PENDING_PAYMENT, d.SESSION_CANCELLED): d.CANCELLED,
    (d.REQUESTED, d.PAYMENT_AUTHORIZED): d.REQUESTED,
    (d.REQUESTED, d.PAYMENT_SUCCEEDED): d.CONFIRMED,  # the host's accept captured the authorization
    (d.REQUESTED, d.PAYMENT_FAILED): d.REQUESTED,
    (d.REQUESTED, d.PAYMENT_CANCELED): d.EXPIRED,
    (d.REQUESTED, d.ACCEPT): d.CONFIRMED,
    (d.REQUESTED, d.DECLINE): d.DECLINED,
    (d.REQUESTED, d.REQUEST_EXPIRED): d.EXPIRED,
    (d.REQUESTED, d.PLAYER_CANCEL): d.CANCELLED,
    (d.REQUESTED, d.SESSION_CANCELLED): d.CANCELLED,
    (d.CONFIRMED, d.PLAYER_CANCEL): d.CANCELLED,
    (d.CONFIRMED, d.HOST_CANCEL): d.CANCELLED,
    (d.CONFIRMED, d.SESSION_CANCELLED): d.CANCELLED,
    (d.CONFIRMED, d.PLAYER_RESCHEDULE): d.CONFIRMED,
    (d.CONFIRMED, d.COMPLETE): d.COMPLETED,
    (d.CONFIRMED, d.MARK_NO_SHOW): d.NO_SHOW,
    (d.COMPLETED, d.MARK_NO_SHOW): d.NO_SHOW,
}


@pytest.mark.parametrize("state", d.BOOKING_STATES)
@pytest.mark.parametrize("event", d.BOOKING_EVENTS)
def test_booking_every_state_and_event(state: str, event: str) -> None:
    expected = EXPECTED_BOOKING.get((state, event))
    if expected is None:
        with pytest.raises(d.InvalidTransition):
            d.booking_next(state, event)
    else:
        assert d.booking_next(state, event) == expected


def test_final_states_allow_nothing_but_a_late_no_show() -> None:
    for state in (d.CANCELLED, d.DECLINED, d.EXPIRED, d.NO_SHOW):
        assert not [e for e in d.BOOKING_EVENTS if (state, e) in d.BOOKING_TRANSITIONS]
    assert [e for e in d.BOOKING_EVENTS if (d.COMPLETED, e) in d.BOOKING_TRANSITIONS] == [d.MARK_NO_SHOW]


EXPECTED_WAITLIST = {
    (d.WAITING, d.WL_OFFER): d.OFFERED,
    (d.WAITING, d.WL_LEAVE): d.LEFT,
    (d.WAITING, d.WL_CLOSE): d.CLOSED,
    (d.OFFERED, d.WL_CLAIM): d.CLAIMED,
    (d.OFFERED, d.WL_EXPIRE): d.OFFER_EXPIRED,
    (d.OFFERED, d.WL_LEAVE): d.LEFT,
    (d.OFFERED, d.WL_CLOSE): d.CLOSED,
}


@pytest.mark.parametrize("state", d.WAITLIST_STATES)
@pytest.mark.parametrize("event", d.WAITLIST_EVENTS)
def test_waitlist_every_state_and_event(state: str, event: str) -> None:
    expected = EXPECTED_WAITLIST.get((state, event))
    if expected is None:
        with pytest.raises(d.InvalidTransition):
            d.waitlist_next(state, event)
    else:
        assert d.waitlist_next(state, event) == expected


@pytest.mark.parametrize("state", d.SESSION_STATES)
@pytest.mark.parametrize("event", d.SESSION_EVENTS)
def test_session_every_state_and_event(state: str, event: str) -> None:
    if state == d.SCHEDULED:
        expected = d.SCHEDULED if event == d.S_RESCHEDULE else d.SESSION_CANCELLED_STATE
        assert d.session_next(state, event) == expected
    else:
        with pytest.raises(d.InvalidTransition):
            d.session_next(state, event)


START = datetime(2026, 2, 1, 18, 0, tzinfo=UTC)


def test_offer_lasts_two_hours_but_never_past_an_hour_before_start() -> None:
    assert d.offer_ends(START - timedelta(hours=10), START) == START - timedelta(hours=8)
    assert d.offer_ends(START - timedelta(hours=2), START) == START - timedelta(hours=1)
    assert d.offer_ends(START - timedelta(hours=1), START) is None
    assert d.hold_ends(START - timedelta(minutes=5), START) == START
    assert d.hold_ends(START - timedelta(hours=1), START) == START - timedelta(minutes=45)


def _quote(preset: str, notice: timedelta, amount: int, tiers: list[dict[str, int]] | None = None) -> p.Quote:
    policy: dict[str, object] = {"preset": preset}
    if tiers is not None:
        policy["tiers"] = tiers
    return p.quote(p.tiers_of(policy), START, START - notice, amount)


EXACTLY_24H, JUST_UNDER_24H = timedelta(hours=24), timedelta(hours=24) - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("preset", "notice", "percent"),
    [
        ("flexible", EXACTLY_24H, 100),
        ("flexible", JUST_UNDER_24H, 0),
        ("moderate", timedelta(hours=120), 100),
        ("moderate", timedelta(hours=120) - timedelta(seconds=1), 50),
        ("moderate", EXACTLY_24H, 50),
        ("moderate", JUST_UNDER_24H, 0),
        ("strict", timedelta(hours=168), 50),
        ("strict", timedelta(hours=168) - timedelta(seconds=1), 0),
        ("strict", EXACTLY_24H, 0),
        ("flexible", -timedelta(hours=1), 0),  # after the start
    ],
)
def test_presets_at_tier_edges(preset: str, notice: timedelta, percent: int) -> None:
    quote = _quote(preset, notice, 3000)
    assert quote.refund_percent == percent
    assert quote.refund_amount == 3000 * percent // 100


def test_custom_tiers_in_any_order() -> None:
    tiers = [{"hours_before_start": 24, "refund_percent": 25}, {"hours_before_start": 72, "refund_percent": 90}]
    assert _quote("custom", timedelta(hours=72), 1000, tiers).refund_amount == 900
    assert _quote("custom", EXACTLY_24H, 1000, tiers).tier == p.Tier(24, 25)
    assert _quote("custom", JUST_UNDER_24H, 1000, tiers).refund_amount == 0


@pytest.mark.parametrize(("amount", "percent", "refund"), [(1999, 50, 999), (3000, 50, 1500), (1, 50, 0)])
def test_zero_decimal_currencies_stay_whole_units(amount: int, percent: int, refund: int) -> None:
    """JPY amounts are yen: half of ¥1999 is ¥999 (rounded down), never ¥999.5 or 99950."""
    tiers = [{"hours_before_start": 24, "refund_percent": percent}]
    quote = _quote("custom", EXACTLY_24H, amount, tiers)
    assert quote.refund_amount == refund and isinstance(quote.refund_amount, int)


def test_moderate_in_jpy_and_usd_at_the_edges() -> None:
    assert _quote("moderate", EXACTLY_24H, 4500).refund_amount == 2250  # ¥4500
    assert _quote("moderate", JUST_UNDER_24H, 4500).refund_amount == 0
    assert _quote("moderate", EXACTLY_24H, 1501).refund_amount == 750  # $15.01 → $7.50


def test_full_refund_for_host_side_changes() -> None:
    assert p.full_refund(1234, "session_changed") == p.Quote(1234, 100, None, "session_changed")


def test_presets_agree_with_the_catalogs() -> None:
    from chalicelib.catalog import domain as catalog

    assert p.PRESETS == catalog.POLICY_PRESETS


# How a booking follows its payment (domain.payment_step), every case the convergence can hand it.


def _pay(
    status: str = "requires_payment_method",
    *,
    failed: bool = False,
    charged: int = 0,
    money: str | None = None,
    refunded: int = 0,
    disputed: bool = False,
) -> d.Payment:
    return d.Payment(
        intent_status=status, failed=failed, charged=charged, money_status=money, refunded=refunded, disputed=disputed
    )


PAID_3000 = _pay("succeeded", charged=3000, money="paid")


@pytest.mark.parametrize(
    ("state", "status", "pay", "expected"),
    [
        # money received while the seat is held: confirmed (instant book, or a request the host accepted)
        (d.PENDING_PAYMENT, "awaiting", PAID_3000, (d.PAYMENT_SUCCEEDED, "paid", 0, False, 0, False)),
        (d.PENDING_PAYMENT, "failed", PAID_3000, (d.PAYMENT_SUCCEEDED, "paid", 0, False, 0, False)),
        (d.REQUESTED, "authorized", PAID_3000, (d.PAYMENT_SUCCEEDED, "paid", 0, False, 0, False)),
        # money for a booking that closed before it arrived: all of it goes back
        (d.EXPIRED, "awaiting", PAID_3000, (None, "paid", 0, False, 3000, False)),
        (d.CANCELLED, "released", PAID_3000, (None, "paid", 0, False, 3000, False)),
        (d.DECLINED, "authorized", PAID_3000, (None, "paid", 0, False, 3000, False)),
        # later money facts only update the fields
        (
            d.CONFIRMED,
            "paid",
            _pay("succeeded", charged=3000, money="partially_refunded", refunded=500),
            (None, "partially_refunded", 500, False, 0, False),
        ),
        (
            d.CANCELLED,
            "partially_refunded",
            _pay("succeeded", charged=3000, money="refunded", refunded=3000),
            (None, "refunded", 3000, False, 0, False),
        ),
        (
            d.COMPLETED,
            "paid",
            _pay("succeeded", charged=3000, money="disputed", disputed=True),
            (None, "disputed", 0, True, 0, False),
        ),
        (
            d.COMPLETED,
            "disputed",
            _pay("succeeded", charged=3000, money="dispute_won", disputed=True),
            (None, "dispute_won", 0, True, 0, False),
        ),
        # before the money
        (d.REQUESTED, "awaiting", _pay("requires_capture"), (None, "authorized", 0, False, 0, False)),
        (d.DECLINED, "awaiting", _pay("requires_capture"), (None, "awaiting", 0, False, 0, True)),
        (d.PENDING_PAYMENT, "awaiting", _pay("canceled"), (d.PAYMENT_CANCELED, "released", 0, False, 0, False)),
        (d.EXPIRED, "authorized", _pay("canceled"), (None, "released", 0, False, 0, False)),
        (d.PENDING_PAYMENT, "awaiting", _pay(failed=True), (d.PAYMENT_FAILED, "failed", 0, False, 0, False)),
    ],
)
def test_a_booking_follows_its_payment(state: str, status: str, pay: d.Payment, expected: tuple[object, ...]) -> None:
    step = d.payment_step(state, status, 0, False, pay)
    assert step is not None
    assert (
        step.event,
        step.payment_status,
        step.amount_refunded,
        step.disputed,
        step.late_refund,
        step.release,
    ) == expected


@pytest.mark.parametrize(
    ("state", "status", "refunded", "pay"),
    [
        (d.CONFIRMED, "paid", 0, PAID_3000),  # a duplicate or late event
        (d.CANCELLED, "refunded", 3000, _pay("succeeded", charged=3000, money="refunded", refunded=3000)),
        (d.REQUESTED, "authorized", 0, _pay("requires_capture")),
        (d.PENDING_PAYMENT, "failed", 0, _pay(failed=True)),  # told once
        (d.PENDING_PAYMENT, "awaiting", 0, _pay("processing")),
        (d.CONFIRMED, "paid", 0, _pay("requires_capture")),  # a stale read never takes the money back
    ],
)
def test_a_payment_already_followed_changes_nothing(state: str, status: str, refunded: int, pay: d.Payment) -> None:
    assert d.payment_step(state, status, refunded, False, pay) is None


def test_the_booking_knows_every_money_status_payments_reports() -> None:
    from chalicelib.payments import domain as money

    assert set(money.MONEY_STATUSES) == set(d.CHARGED)
    assert set(d.REFUNDABLE) < set(d.CHARGED)
