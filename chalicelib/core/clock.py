"""The one source of "now". Tests and the local stack move it; nothing else reads the wall clock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current UTC time, shifted by the movable offset (or frozen, in tests)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def epoch_seconds() -> int:
    return int(now().timestamp())


def advance(seconds: float) -> datetime:
    """Move time forward (or back, with a negative value) for this process."""
    global _offset, _frozen
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + timedelta(seconds=seconds)
        else:
            _offset += timedelta(seconds=seconds)
    return now()


def set_now(moment: datetime) -> datetime:
    """Jump to `moment` and keep running from there."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return set_offset(moment - datetime.now(UTC))


def offset() -> timedelta:
    """How far the clock runs from the wall clock (a frozen clock is not covered)."""
    with _lock:
        return _offset


def set_offset(moved: timedelta) -> datetime:
    """Run `moved` away from the wall clock: a process follows another's clock (the local stack's
    Lambda worker follows its runner's)."""
    global _offset
    with _lock:
        _offset = moved
    return now()


def freeze(moment: datetime | None = None) -> datetime:
    """Stop the clock at `moment` (default: now). For tests."""
    global _frozen
    with _lock:
        _frozen = moment or now()
    return _frozen


def reset() -> None:
    global _offset, _frozen
    with _lock:
        _offset = timedelta(0)
        _frozen = None


def monotonic() -> float:
    """For measuring durations; never moved."""
    return time.monotonic()


def to_wire(moment: datetime) -> str:
    """ISO-8601 UTC with a trailing Z, the wire format for every timestamp."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
