"""Due work: the claim → run → settle cycle that timers and outbox items share.

A due item has a `status` and a `next_at`, the moment to look at it next, and its place in the due
index (GSI3, see `due_index`) always matches `next_at`:

    pending   next_at = when it is due, or when to retry after a failed attempt
    running   next_at = when the claim's lease ends (a sweep that died leaves it claimable then)
    done      out of the index; kept RETENTION for reading, then removed by the table's TTL
    failed    out of the index; parked after `max_attempts`, kept for an operator

Claiming is one conditional UpdateItem (status pending or running, and next_at <= now) that also
moves the item to its lease's bucket, so two sweeps never run one item at once and an item whose
sweep crashed comes back by itself. Settling — done, retry later, park as failed — is conditional
on the claim token: a claim taken over after its lease ended, or an item rescheduled or deleted in
the meantime, is left as it is now. Delivery is therefore at least once, never concurrent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.core import clock, conditional, due_index
from chalicelib.core.observability import logger
from chalicelib.core.table import BaseItem

PENDING = "pending"
RUNNING = "running"
DONE = "done"
FAILED = "failed"

LEASE = timedelta(minutes=2)  # longer than a sweep's Lambda may run (30 s timeout)
RETENTION = timedelta(days=14)
DEFAULT_MAX_ATTEMPTS = 8  # with the backoff in due_index: about two hours of retries
MAX_PAYLOAD_BYTES = 16 * 1024
_ERROR_CHARS = 500

F = TypeVar("F", bound=Callable[..., Any])


class Outcome(Enum):
    DONE = "done"  # ran and succeeded
    RETRIED = "retried"  # raised; will be tried again after a backoff
    FAILED = "failed"  # raised on its last attempt (or unknown handler): parked
    STALE = "stale"  # not claimable: another sweep has it, or it was done, rescheduled or deleted
    SUPERSEDED = "superseded"  # ran, but its claim was taken over or the item rewritten meanwhile


class DueItem(BaseItem):
    """Fields every timer and outbox item has. Subclasses say how to perform one."""

    item_id = UnicodeAttribute()
    status = UnicodeAttribute(default=PENDING)
    due_at = UTCDateTimeAttribute()
    next_at = UTCDateTimeAttribute()
    attempts = NumberAttribute(default=0)
    claim_token = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    payload = JSONAttribute(default=dict)

    family = "due"  # "timer" or "outbox": how reports and metrics count it

    def perform(self) -> None:
        raise NotImplementedError

    def max_attempts(self) -> int:
        return DEFAULT_MAX_ATTEMPTS

    def place(self, next_at: datetime, now: datetime) -> None:
        self.next_at = next_at
        self.GSI3PK, self.GSI3SK = due_index.position(self.item_id, next_at, now)


class UnknownHandler(LookupError):
    """No handler (timer) or sender (outbox) is registered under an item's name in this process."""


@dataclass(frozen=True)
class Registered(Generic[F]):
    name: str
    fn: F
    max_attempts: int


class Registry(Generic[F]):
    """Functions registered by name: timer handlers, outbox senders."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._entries: dict[str, Registered[F]] = {}

    def register(self, name: str, fn: F, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> F:
        if not name or max_attempts < 1:
            raise ValueError(f"a {self._what} needs a name and max_attempts >= 1")
        existing = self._entries.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"a {self._what} named {name!r} is already registered ({existing.fn.__qualname__})")
        self._entries[name] = Registered(name, fn, max_attempts)
        return fn

    def decorator(self, name: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Callable[[F], F]:
        def register(fn: F) -> F:
            return self.register(name, fn, max_attempts=max_attempts)

        return register

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str) -> Registered[F] | None:
        return self._entries.get(name)

    def require(self, name: str) -> Registered[F]:
        found = self._entries.get(name)
        if found is None:
            raise UnknownHandler(f"no {self._what} named {name!r} is registered")
        return found

    def names(self) -> list[str]:
        return sorted(self._entries)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    family: str
    lag_seconds: float | None = None  # for DONE: how late it started, compared with due_at


def checked_payload(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of `payload`, refused (ValueError) unless it is JSON and at most MAX_PAYLOAD_BYTES."""
    data = dict(payload or {})
    try:
        size = len(json.dumps(data).encode())
    except (TypeError, ValueError) as error:
        raise ValueError(f"payload must be JSON-serializable: {error}") from None
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    return data


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_ERROR_CHARS]


def claim(entry: DueItem, now: datetime) -> DueItem | None:
    """Take `entry` for one attempt, or None when it is not claimable now. Returns the item as stored."""
    cls = type(entry)
    item = cls(entry.PK, entry.SK)
    lease_end = now + LEASE
    bucket, sort_key = due_index.position(entry.item_id, lease_end, now)
    actions: list[Any] = [
        cls.status.set(RUNNING),
        cls.claim_token.set(uuid.uuid4().hex),
        cls.next_at.set(lease_end),
        cls.GSI3PK.set(bucket),
        cls.GSI3SK.set(sort_key),
        cls.attempts.add(1),
        cls.updated_at.set(now),
    ]
    condition = cls.status.is_in(PENDING, RUNNING) & (cls.next_at <= now)
    return item if conditional.write(lambda: item.update(actions, condition=condition)) else None


def _settle(item: DueItem, actions: list[Any]) -> bool:
    """Apply `actions` if the item still carries our claim; False when it does not any more."""
    cls = type(item)
    return conditional.write(lambda: item.update(actions, condition=cls.claim_token == item.claim_token))


def _leave_index(cls: type[DueItem]) -> list[Any]:
    return [cls.GSI3PK.remove(), cls.GSI3SK.remove(), cls.claim_token.remove()]


def mark_done(item: DueItem, now: datetime) -> bool:
    cls = type(item)
    actions = [
        cls.status.set(DONE),
        cls.finished_at.set(now),
        cls.updated_at.set(now),
        cls.expires_at.set(now + RETENTION),
        *_leave_index(cls),
    ]
    return _settle(item, actions)


def park(item: DueItem, now: datetime, error: str) -> bool:
    cls = type(item)
    actions = [
        cls.status.set(FAILED),
        cls.finished_at.set(now),
        cls.updated_at.set(now),
        cls.last_error.set(error),
        *_leave_index(cls),
    ]
    return _settle(item, actions)


def retry_later(item: DueItem, now: datetime, error: str) -> bool:
    cls = type(item)
    next_at = now + timedelta(seconds=due_index.backoff_seconds(int(item.attempts), item.item_id))
    bucket, sort_key = due_index.position(item.item_id, next_at, now)
    actions = [
        cls.status.set(PENDING),
        cls.next_at.set(next_at),
        cls.GSI3PK.set(bucket),
        cls.GSI3SK.set(sort_key),
        cls.updated_at.set(now),
        cls.last_error.set(error),
        cls.claim_token.remove(),
    ]
    return _settle(item, actions)


def _drop_finished_entry(entry: DueItem) -> None:
    """An entry of a done or failed item can reappear in the index (a duplicate outbox emit keeps
    the first item's status but adds an index position); take it out again."""
    cls = type(entry)
    if entry.status not in (DONE, FAILED) or entry.GSI3PK is None:
        return
    conditional.write(
        lambda: entry.update(
            [cls.GSI3PK.remove(), cls.GSI3SK.remove()],
            condition=(cls.status == entry.status) & (cls.GSI3PK == entry.GSI3PK),
        )
    )


def process(entry: DueItem, now: datetime) -> Result:
    """Claim, perform and settle one item. Errors of the item's own work never escape."""
    item = claim(entry, now)
    if item is None:
        _drop_finished_entry(entry)
        return Result(Outcome.STALE, entry.family)
    limit = item.max_attempts()
    if item.attempts > limit:  # the sweep running its last attempt died
        parked = park(item, clock.now(), item.last_error or "the lease of the last attempt ended")
        return Result(Outcome.FAILED if parked else Outcome.SUPERSEDED, item.family)
    try:
        item.perform()
    except Exception as error:
        return _after_failure(item, error, limit)
    lag = (now - item.due_at).total_seconds()
    if not mark_done(item, clock.now()):
        logger.warning("due item finished after its claim was lost", extra=_log_fields(item))
        return Result(Outcome.SUPERSEDED, item.family)
    return Result(Outcome.DONE, item.family, lag_seconds=max(lag, 0.0))


def _after_failure(item: DueItem, error: Exception, limit: int) -> Result:
    text = _error_text(error)
    fields = {**_log_fields(item), "error": text}
    if item.attempts >= limit:
        settled = park(item, clock.now(), text)
        logger.error("due item failed on its last attempt; parked", extra=fields, exc_info=error)
        return Result(Outcome.FAILED if settled else Outcome.SUPERSEDED, item.family)
    settled = retry_later(item, clock.now(), text)
    logger.warning("due item failed; will retry", extra=fields, exc_info=error)
    return Result(Outcome.RETRIED if settled else Outcome.SUPERSEDED, item.family)


def _log_fields(item: DueItem) -> dict[str, Any]:
    return {"family": item.family, "item_id": item.item_id, "attempt": item.attempts, "subject": item.subject}
