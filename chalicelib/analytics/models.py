"""Persistence shape of analytics. Keys:

- host day     PK=HOSTSTATS#<usr>     SK=DAY#<yyyy-mm-dd>   counters of one host-local day, all in one JSON
                                                             attribute (bookings, revenue#usd, lst#<lst>, ...),
                                                             rewritten conditional on its version
- host total   PK=HOSTSTATS#<usr>     SK=TOTAL              the same counters since the start (badges; ADD)
- player seen  PK=HOSTSTATS#<usr>     SK=PLAYER#<usr>       the player booked this host before (repeat players)
- session run  PK=HOSTSTATS#<usr>     SK=SESSION#<ses>      the session's first finished booking was counted
- event mark   PK=ANMARK#<event id>   SK=ANMARK             this event was counted (TTL 60 days): duplicates no-op
- platform day PK=PLATFORM#<shard>    SK=DAY#<yyyy-mm-dd>   platform-wide counters (UTC days), 8 shards
- active host  PK=PLATFORM#ACTIVE#<yyyy-mm> SK=<usr>        the host had a booking that month

Totals and platform days are ADDed with raw update paths (their names are data) and read with the
low-level client. A host's day is one attribute instead: the host's analytics read up to 366 days,
and a day with bookings on every listing and in every currency would otherwise carry an attribute
for each, so the read (and its parsing, attribute by attribute) would cost more the busier the host.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.core.table import BaseItem, VersionedItem

MARK_SK, TOTAL_SK = "ANMARK", "TOTAL"
SHARDS = 8


def host_pk(host_id: str) -> str:
    return f"HOSTSTATS#{host_id}"


def day_sk(day: str) -> str:
    return f"DAY#{day}"


def mark_pk(event_id: str) -> str:
    return f"ANMARK#{event_id}"


def platform_pk(shard: int) -> str:
    return f"PLATFORM#{shard}"


def active_pk(month: str) -> str:
    return f"PLATFORM#ACTIVE#{month}"


class CounterItem(BaseItem, discriminator="counters"):
    """A bag of counters; its attributes beyond the keys are named by the figures they count."""


class DayItem(VersionedItem, discriminator="analytics_day"):
    """A host's counters of one local day: saved whole, conditional on the version it was read at."""

    counts = JSONAttribute()  # {counter name: n}


class EventMarkItem(BaseItem, discriminator="analytics_mark"):
    event_kind = UnicodeAttribute()


class SeenItem(BaseItem, discriminator="analytics_seen"):
    """A fact remembered for counting: a (host, player) pair, a run session, an active host-month."""
