"""Occurrences of a session rule, computed on local wall-clock time in an IANA timezone.

A weekly 19:00 session in Europe/Berlin is 19:00 local every week: 18:00Z in winter, 17:00Z in
summer. Local times are naive datetimes; `to_utc` attaches the zone (a time inside a spring-forward
gap moves forward by the gap, an ambiguous autumn time takes its first, summer-time reading, as
RFC 5545 says). dateutil's rrule is imported only when a rule is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 200
FREQUENCIES = ("weekly", "biweekly", "monthly")


class TooManyOccurrences(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    frequency: str  # weekly | biweekly | monthly
    count: int | None = None
    until: date | None = None  # last local date an occurrence may fall on (inclusive)
    monthly_by: str = "day_of_month"  # or "weekday": the same nth weekday (3rd Friday; 5th → last)


def local_starts(first: datetime, rule: Rule | None) -> list[datetime]:
    """The local start of each occurrence, the first one included; at most MAX_OCCURRENCES."""
    if first.tzinfo is not None:
        raise ValueError("local starts are naive wall-clock times")
    if rule is None:
        return [first]
    if (rule.count is None) == (rule.until is None):
        raise ValueError("a rule has a count or an end date, not both")
    from dateutil import rrule

    kwargs: dict[str, object] = {"dtstart": first}
    if rule.frequency == "monthly":
        freq = rrule.MONTHLY
        if rule.monthly_by == "weekday":
            nth = (first.day - 1) // 7 + 1
            kwargs["byweekday"] = rrule.weekday(first.weekday(), -1 if nth == 5 else nth)
        else:
            kwargs["bymonthday"] = first.day  # months without that day are skipped
    else:
        freq = rrule.WEEKLY
        kwargs["interval"] = 2 if rule.frequency == "biweekly" else 1
    if rule.count is not None:
        kwargs["count"] = min(rule.count, MAX_OCCURRENCES + 1)
    else:
        assert rule.until is not None
        kwargs["until"] = datetime.combine(rule.until, time.max)
        kwargs["count"] = MAX_OCCURRENCES + 1  # enough to know the rule is too long
    starts = list(rrule.rrule(freq, **kwargs))  # type: ignore[arg-type]
    if len(starts) > MAX_OCCURRENCES:
        raise TooManyOccurrences(f"the rule makes more than {MAX_OCCURRENCES} sessions")
    return starts


def to_utc(local: datetime, timezone: str) -> datetime:
    # fold=0: the first reading of an ambiguous time; inside a gap, the offset from before it.
    return local.replace(tzinfo=ZoneInfo(timezone), fold=0).astimezone(UTC)


def to_local(moment: datetime, timezone: str) -> datetime:
    """The naive wall-clock time of `moment` in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def local_text(moment: datetime, timezone: str) -> str:
    """ISO-8601 with the zone's offset at that moment: '2026-03-20T19:00:00+01:00'."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")
