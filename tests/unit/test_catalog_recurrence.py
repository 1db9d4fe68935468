"""Occurrences computed in local time: DST in Europe/Berlin, gaps, folds, monthly rules, limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.catalog.recurrence import (
    MAX_OCCURRENCES,
    Rule,
    TooManyOccurrences,
    local_starts,
    local_text,
    to_local,
    to_utc,
)

BERLIN = "Europe/Berlin"


def test_weekly_19h_in_berlin_across_the_march_and_october_changes():
    starts = local_starts(datetime(2026, 3, 19, 19, 0), Rule("weekly", until=date(2026, 11, 5)))
    utc = [to_utc(s, BERLIN) for s in starts]
    assert len(starts) == 34 and {s.time().isoformat() for s in starts} == {"19:00:00"}
    by_day = {s.date(): u for s, u in zip(starts, utc, strict=True)}
    assert by_day[date(2026, 3, 26)] == datetime(2026, 3, 26, 18, 0, tzinfo=UTC)  # CET (+1)
    assert by_day[date(2026, 4, 2)] == datetime(2026, 4, 2, 17, 0, tzinfo=UTC)  # CEST (+2) after Mar 29
    assert by_day[date(2026, 10, 22)] == datetime(2026, 10, 22, 17, 0, tzinfo=UTC)
    assert by_day[date(2026, 10, 29)] == datetime(2026, 10, 29, 18, 0, tzinfo=UTC)  # CET after Oct 25
    assert all(to_local(u, BERLIN) == s for s, u in zip(starts, utc, strict=True))
    assert local_text(utc[0], BERLIN) == "2026-03-19T19:00:00+01:00"
    assert local_text(by_day[date(2026, 4, 2)], BERLIN) == "2026-04-02T19:00:00+02:00"


def test_times_in_the_spring_gap_and_the_autumn_fold():
    # 02:30 does not exist on 2026-03-29 in Berlin: it is read with the offset before the gap.
    assert to_utc(datetime(2026, 3, 29, 2, 30), BERLIN) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert to_local(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), BERLIN) == datetime(2026, 3, 29, 3, 30)
    # 02:30 happens twice on 2026-10-25: the first (summer-time) one is meant.
    assert to_utc(datetime(2026, 10, 25, 2, 30), BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_one_off_and_counts():
    first = datetime(2026, 2, 1, 19, 0)
    assert local_starts(first, None) == [first]
    assert len(local_starts(first, Rule("weekly", count=MAX_OCCURRENCES))) == MAX_OCCURRENCES
    assert local_starts(first, Rule("biweekly", count=3))[-1] == datetime(2026, 3, 1, 19, 0)


def test_monthly_by_date_and_by_weekday():
    on_31st = local_starts(datetime(2026, 1, 31, 8, 0), Rule("monthly", count=4))
    assert [d.date() for d in on_31st] == [date(2026, 1, 31), date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31)]
    third_friday = local_starts(datetime(2026, 1, 16, 20, 0), Rule("monthly", count=3, monthly_by="weekday"))
    assert [d.date() for d in third_friday] == [date(2026, 1, 16), date(2026, 2, 20), date(2026, 3, 20)]
    fifth_thursday = local_starts(datetime(2026, 1, 29, 20, 0), Rule("monthly", count=3, monthly_by="weekday"))
    assert [d.date() for d in fifth_thursday] == [date(2026, 1, 29), date(2026, 2, 26), date(2026, 3, 26)]  # last


def test_rules_over_200_occurrences_are_refused():
    with pytest.raises(TooManyOccurrences):
        local_starts(datetime(2026, 1, 1, 19, 0), Rule("weekly", until=date(2030, 1, 1)))
    with pytest.raises(TooManyOccurrences):
        local_starts(datetime(2026, 1, 1, 19, 0), Rule("weekly", count=MAX_OCCURRENCES + 1))
    with pytest.raises(ValueError):
        local_starts(datetime(2026, 1, 1, 19, 0), Rule("weekly"))
    with pytest.raises(ValueError):
        local_starts(datetime(2026, 1, 1, 19, 0, tzinfo=UTC), None)
