"""Persistence shape of analytics. Keys:

- host day     PK=HOSTSTATS#<usr>     SK=DAY#<yyyy-mm-dd>   counters of one host-local day (ADD, dynamic names:
                                                             bookings, revenue#usd, lst#<lst>#seats, ...)
- host total   PK=HOSTSTATS#<usr>     SK=TOTAL              the same counters since the start (badges)
- player seen  PK=HOSTSTATS#<usr>     SK=PLAYER#<usr>       the player booked this host before (repeat players)
- session run  PK=HOSTSTATS#<usr>     SK=SESSION#<ses>      the session's first finished booking was counted
- event mark   PK=ANMARK#<event id>   SK=ANMARK             this event was counted (TTL 60 days): duplicates no-op
- platform day PK=PLATFORM#<shard>    SK=DAY#<yyyy-mm-dd>   platform-wide counters (UTC days), 8 shards
- active host  PK=PLATFORM#ACTIVE#<yyyy-mm> SK=<usr>        the host had a booking that month

Counters are written with raw update paths (their names are data) and read with the low-level client.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.core.table import BaseItem

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


class EventMarkItem(BaseItem, discriminator="analytics_mark"):
    event_kind = UnicodeAttribute()


class SeenItem(BaseItem, discriminator="analytics_seen"):
    """A fact remembered for counting: a (host, player) pair, a run session, an active host-month."""
