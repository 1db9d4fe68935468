"""Timers: delayed actions written in the same transaction as the state change that needs them.

    with write_transaction() as tx:
        tx.save(booking, condition=...)
        timers.schedule(tx, handler="booking.hold_expiry", due_at=hold_ends, subject=booking.booking_id,
                        payload={"booking_id": booking.booking_id}, timer_id=f"hold#{booking.booking_id}")

    @timers.handler("booking.hold_expiry")
    def expire_hold(timer: timers.Timer) -> None:
        ...

The sweep (`core.sweep`) runs a timer's handler once it is due: every minute in AWS, every second
in the local stack, on `core.clock`'s time. The contract a handler must keep:

- **At least once, never concurrently.** A handler may run again for the same timer (its sweep died
  after the work but before marking it done, or its lease ran out), and later than `due_at` (after
  an outage). Two runs of one timer never overlap while the lease (`due_work.LEASE`) holds.
- **Idempotent and state-checking.** Load the subject's current state and act only if the timer
  still applies (the hold is still held, the booking still pending); otherwise return: a stale
  timer is a no-op, not an error. Make the change in one conditional transaction, so a concurrent
  change or a second run cannot apply it twice.
- **Raise to retry.** An exception is logged and the timer is tried again after a backoff, up to the
  handler's `max_attempts`; then it is parked as `failed` (metric `TimersFailed`) for an operator.
- **Quick.** A handler runs inside the sweep's time budget; slow work belongs in the outbox.

Timer ids: give a natural key (`timer_id=f"hold#{booking_id}"`) when the timer may be moved or
cancelled: `schedule` with the same id replaces it (the reschedule), `cancel` deletes it. Without a
key the id is a fresh `tmr_` ULID. Both calls are writes in the caller's transaction; DynamoDB
refuses two writes of one item in one transaction, so reschedule with `schedule`, not cancel+schedule.
Register handlers in a module the app imports (the package's service), so every Lambda knows them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, due_index, due_work, ids

SK = "TIMER"
MAX_TIMER_ID_CHARS = 200

Handler = Callable[["Timer"], None]
_handlers: due_work.Registry[Handler] = due_work.Registry("timer handler")


@dataclass(frozen=True)
class Timer:
    """What a handler receives (and what `get`/`for_subject` return)."""

    timer_id: str
    handler: str
    subject: str | None
    payload: dict[str, Any]
    due_at: datetime
    status: str
    attempt: int  # 1 on the first run
    last_error: str | None = None


class TimerItem(due_work.DueItem, discriminator="timer"):
    """PK=TIMER#<timer_id> SK=TIMER; GSI1 by subject; GSI3 while pending or running."""

    handler_name = UnicodeAttribute()

    family = "timer"

    def perform(self) -> None:
        _handlers.require(self.handler_name).fn(self.as_timer())

    def max_attempts(self) -> int:
        found = _handlers.get(self.handler_name)
        return found.max_attempts if found else due_work.DEFAULT_MAX_ATTEMPTS

    def as_timer(self) -> Timer:
        return Timer(
            timer_id=self.item_id,
            handler=self.handler_name,
            subject=self.subject,
            payload=dict(self.payload or {}),
            due_at=self.due_at,
            status=self.status,
            attempt=int(self.attempts),
            last_error=self.last_error,
        )


def timer_pk(timer_id: str) -> str:
    return f"TIMER#{timer_id}"


def subject_pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


def handler(name: str, *, max_attempts: int = due_work.DEFAULT_MAX_ATTEMPTS) -> Callable[[Handler], Handler]:
    """Decorator: run the function for timers scheduled with `handler=name`."""
    return _handlers.decorator(name, max_attempts=max_attempts)


def register_handler(name: str, fn: Handler, *, max_attempts: int = due_work.DEFAULT_MAX_ATTEMPTS) -> Handler:
    return _handlers.register(name, fn, max_attempts=max_attempts)


def unregister_handler(name: str) -> None:
    """For tests: forget a handler registered with `handler`/`register_handler`."""
    _handlers.unregister(name)


def registered_handlers() -> list[str]:
    return _handlers.names()


def schedule(
    tx: TransactWrite,
    *,
    handler: str,
    due_at: datetime,
    subject: str | None = None,
    payload: Mapping[str, Any] | None = None,
    timer_id: str | None = None,
) -> str:
    """Add (or replace, for a known `timer_id`) a timer to the transaction; returns its id.

    Replacing resets the timer: pending again, attempts at zero, the new due time and payload.
    """
    if _handlers.get(handler) is None:
        raise ValueError(f"no timer handler named {handler!r} is registered")
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    if timer_id is not None and not 0 < len(timer_id) <= MAX_TIMER_ID_CHARS:
        raise ValueError(f"timer_id must be 1 to {MAX_TIMER_ID_CHARS} characters")
    data = due_work.checked_payload(payload)
    now = clock.now()
    item_id = timer_id or ids.new_id("tmr")
    item = TimerItem(
        timer_pk(item_id),
        SK,
        item_id=item_id,
        handler_name=handler,
        subject=subject,
        payload=data,
        due_at=due_at,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    item.place(due_at, now)
    if subject is not None:
        item.GSI1PK = subject_pk(subject)
        item.GSI1SK = f"TIMER#{due_index.instant_key(due_at)}#{item_id}"
    tx.save(item)
    return item_id


def cancel(tx: TransactWrite, timer_id: str) -> None:
    """Delete the timer in the transaction; nothing happens if it does not exist (any more)."""
    tx.delete(TimerItem(timer_pk(timer_id), SK))


def get(timer_id: str) -> Timer | None:
    try:
        return TimerItem.get(timer_pk(timer_id), SK, consistent_read=True).as_timer()
    except TimerItem.DoesNotExist:
        return None


def for_subject(subject: str) -> list[Timer]:
    """Timers about `subject`, by due time: pending, done (kept 14 days) and failed. One GSI1 Query."""
    found = TimerItem.gsi1.query(subject_pk(subject), TimerItem.GSI1SK.startswith("TIMER#"))
    return [item.as_timer() for item in found if isinstance(item, TimerItem)]
