"""The due index (GSI3) as values: bucket and sort keys, shards, the sweep window, retry backoff.

Pure functions, no AWS, so that unit tests cover the arithmetic. Timers and outbox items share the
index. An item sits in GSI3 only while there is something to do for it:

    GSI3PK = "DUE#<minute YYYY-MM-DDTHH:MM>#<shard 0..SHARDS-1>"   the bucket
    GSI3SK = "<next_at, microseconds>Z#<item id>"                    due order inside the bucket

The shard is a hash of the item id, so one busy minute is spread over SHARDS partitions. The sweep
reads, for every minute from the one after its cursor up to now, every shard of that minute; this
is how it catches up on minutes it missed. Its cursor stops SETTLE_MINUTES short of now, so the
last minutes are read again by the next sweep: a write that commits a moment after the sweep read
its bucket (another writer's clock, GSI propagation) is still found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

SHARDS = 4
SETTLE_MINUTES = 2
BUCKET_PREFIX = "DUE"
MINUTE = timedelta(minutes=1)
_MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
_INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Retry backoff: BACKOFF_BASE_SECONDS * 2**(attempt - 1), capped, spread by +-JITTER.
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
JITTER = 0.2


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def minute_of(moment: datetime) -> datetime:
    """The start of the minute holding `moment`, in UTC."""
    return _utc(moment).replace(second=0, microsecond=0)


def minute_key(minute: datetime) -> str:
    return minute_of(minute).strftime(_MINUTE_FORMAT)


def parse_minute(key: str) -> datetime:
    return datetime.strptime(key, _MINUTE_FORMAT).replace(tzinfo=UTC)


def instant_key(moment: datetime) -> str:
    """Fixed-width UTC text that sorts like the times it stands for."""
    return _utc(moment).strftime(_INSTANT_FORMAT)


def shard_of(item_id: str, shards: int = SHARDS) -> int:
    return _hash(item_id) % shards


def bucket_key(minute: datetime, shard: int) -> str:
    return f"{BUCKET_PREFIX}#{minute_key(minute)}#{shard}"


def buckets_of(minute: datetime, shards: int = SHARDS) -> list[str]:
    """Every bucket of one minute, one per shard."""
    return [bucket_key(minute, shard) for shard in range(shards)]


def position(item_id: str, next_at: datetime, now: datetime) -> tuple[str, str]:
    """(GSI3PK, GSI3SK) for an item to look at again at `next_at`.

    An item already due goes to the bucket of `now`, never to a past minute the sweep may have
    finished with; its sort key keeps the real time, so the lag stays measurable.
    """
    bucket_time = max(_utc(next_at), _utc(now))
    return bucket_key(minute_of(bucket_time), shard_of(item_id)), f"{instant_key(next_at)}#{item_id}"


def due_bound(now: datetime) -> str:
    """A sort key above every entry due at or before `now` (`#` < `~`)."""
    return f"{instant_key(now)}~"


def sweep_window(cursor: datetime | None, now: datetime, *, lookback_minutes: int) -> list[datetime]:
    """The minutes a sweep reads, oldest first: the one after the cursor up to now's minute.

    Without a cursor (first sweep of a table) it looks back `lookback_minutes`. A cursor ahead of
    now (the local clock was moved back) restarts SETTLE_MINUTES before now.
    """
    current = minute_of(now)
    if cursor is None:
        start = current - lookback_minutes * MINUTE
    else:
        start = minute_of(cursor) + MINUTE
        if start > current:
            start = current - SETTLE_MINUTES * MINUTE
    count = int((current - start) / MINUTE) + 1
    return [start + i * MINUTE for i in range(count)]


def split_window(window: Sequence[datetime], now: datetime) -> tuple[list[datetime], list[datetime]]:
    """(recent, backlog): the minutes from SETTLE_MINUTES before now, swept first so that what is due
    now never waits behind a catch-up, and the older minutes, swept after them, oldest first."""
    first_recent = minute_of(now) - SETTLE_MINUTES * MINUTE
    return [m for m in window if m >= first_recent], [m for m in window if m < first_recent]


def next_cursor(window: Sequence[datetime], drained_through: datetime | None, now: datetime) -> datetime:
    """The cursor after a sweep: the last minute it drained, but never within SETTLE_MINUTES of now.

    `drained_through` is None when the sweep drained nothing (out of time or items); the cursor
    then stays just before the window, so the next sweep starts where this one did.
    """
    settled = minute_of(now) - SETTLE_MINUTES * MINUTE
    reached = drained_through if drained_through is not None else window[0] - MINUTE
    return min(minute_of(reached), settled)


def chunks(minutes: Sequence[datetime], size: int) -> Iterator[Sequence[datetime]]:
    for start in range(0, len(minutes), size):
        yield minutes[start : start + size]


def backoff_seconds(attempt: int, item_id: str) -> float:
    """Delay before retrying after failed attempt number `attempt` (1-based).

    Exponential with a cap, and a jitter derived from the item and the attempt, so that many items
    failing together (an email provider outage) retry spread over time, yet every run is repeatable.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    raw = min(BACKOFF_BASE_SECONDS * float(2 ** min(attempt - 1, 32)), BACKOFF_CAP_SECONDS)
    spread = (_hash(f"{item_id}#{attempt}") % 10_001) / 10_000  # 0.0 .. 1.0
    return raw * (1 - JITTER + 2 * JITTER * spread)
