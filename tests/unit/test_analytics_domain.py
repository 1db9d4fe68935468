"""Analytics arithmetic: days in the host's timezone (across DST), weeks and months, contributions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.analytics import domain


def _h(event_id: str, kind: str, at: datetime, **kw: object) -> domain.Happening:
    return domain.Happening(event_id=event_id, kind=kind, host_id="usr_h", at=at, **kw)  # type: ignore[arg-type]


def test_the_day_is_the_hosts_local_day_across_a_dst_change() -> None:
    # Berlin moves from UTC+1 to UTC+2 on 2026-03-29 at 01:00 UTC.
    assert domain.day_of(datetime(2026, 3, 28, 22, 59, tzinfo=UTC), "Europe/Berlin") == date(2026, 3, 28)
    assert domain.day_of(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "Europe/Berlin") == date(2026, 3, 29)
    assert domain.day_of(datetime(2026, 3, 29, 21, 59, tzinfo=UTC), "Europe/Berlin") == date(2026, 3, 29)
    assert domain.day_of(datetime(2026, 3, 29, 22, 0, tzinfo=UTC), "Europe/Berlin") == date(2026, 3, 30)
    # The same instant is another day in New York.
    assert domain.day_of(datetime(2026, 3, 29, 2, 0, tzinfo=UTC), "America/New_York") == date(2026, 3, 28)


@pytest.mark.parametrize(
    ("day", "granularity", "start"),
    [
        (date(2026, 3, 29), "day", date(2026, 3, 29)),
        (date(2026, 3, 29), "week", date(2026, 3, 23)),  # a Sunday belongs to the week of Monday 23rd
        (date(2026, 3, 30), "week", date(2026, 3, 30)),
        (date(2026, 3, 29), "month", date(2026, 3, 1)),
    ],
)
def test_periods_start_on_the_day_monday_or_the_first(day: date, granularity: str, start: date) -> None:
    assert domain.period_start(day, granularity) == start


def test_contributions_of_each_kind() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    confirmed = _h("e1", "booking.confirmed", at, listing_id="lst_1", seats=2, response_seconds=600)
    assert domain.contributions(confirmed) == {
        "bookings": 1,
        "seats_sold": 2,
        "new_players": 1,
        "lst#lst_1": 2 * domain.SEAT + 1,
        "requests_answered": 1,
        "response_seconds": 600,
    }
    assert domain.contributions(confirmed, repeat=True)["repeat_bookings"] == 1
    cancelled = _h("e2", "booking.cancelled", at, seats=1, reason="player_cancelled")
    assert domain.contributions(cancelled) == {"cancelled_by_player": 1, "seats_cancelled": 1}
    assert "cancelled_by_system" in domain.contributions(_h("e3", "booking.cancelled", at, reason="hold_expired"))
    assert "cancelled_by_host" in domain.contributions(_h("e4", "booking.cancelled", at, reason="session_cancelled"))
    completed = _h("e5", "booking.completed", at, seats=3, capacity=5)
    assert domain.contributions(completed, first_of_session=True) == {
        "completed": 1,
        "seats_completed": 3,
        "sessions_run": 1,
        "capacity_run": 5,
    }
    assert domain.contributions(_h("e6", "payment.charged", at, amount=1500, currency="eur")) == {"revenue#eur": 1500}
    assert domain.contributions(_h("e7", "payment.refunded", at, amount=500, currency="eur")) == {"refunds#eur": 500}
    assert domain.contributions(_h("e8", "payout.sent", at, amount=5, currency="eur")) == {}


def test_recount_counts_each_event_once_and_knows_repeat_players() -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = _h("e1", "booking.confirmed", at, player_id="usr_p", seats=1)
    again = _h("e2", "booking.confirmed", at, player_id="usr_p", seats=1)
    days = domain.recount([first, first, again], "UTC")
    assert days == {date(2026, 3, 1): {"bookings": 2, "seats_sold": 2, "new_players": 1, "repeat_bookings": 1}}


def test_fill_rate_top_listings_and_ranges() -> None:
    assert domain.fill_rate({"seats_completed": 3, "capacity_run": 4}) == 0.75
    assert domain.fill_rate({}) is None
    c = {"lst#a": domain.SEAT + 1, "lst#b": 4 * domain.SEAT + 1}
    assert domain.top_listings(c) == [("b", 1, 4), ("a", 1, 1)]
    with pytest.raises(ValueError):
        domain.check_range(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValueError):
        domain.check_range(date(2025, 1, 1), date(2026, 3, 1))


def test_every_period_of_the_range_is_on_the_axis() -> None:
    assert domain.periods_between(date(2026, 3, 28), date(2026, 4, 2), "week") == [date(2026, 3, 23), date(2026, 3, 30)]
    assert domain.periods_between(date(2026, 1, 31), date(2026, 3, 1), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    rolled = domain.roll_up({date(2026, 3, 2): {"bookings": 2}}, "day", date(2026, 3, 1), date(2026, 3, 3))
    assert rolled == {date(2026, 3, 1): {}, date(2026, 3, 2): {"bookings": 2}, date(2026, 3, 3): {}}
