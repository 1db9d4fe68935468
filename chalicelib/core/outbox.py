"""The outbox: side effects (email, realtime push, webhooks out) written with the state change.

    with outbox.transaction() as tx:          # a write transaction, flushed right after it commits
        tx.save(booking, condition=...)
        outbox.emit(tx, kind="email", subject=booking.booking_id, payload={...},
                    dedupe_key=f"booking-confirmed#{booking.booking_id}")

    @outbox.sender("email")
    def send_email(message: outbox.Message) -> None:
        ...

An emitted item commits or rolls back with the caller's state change, so an effect is never sent
for a change that did not happen, nor lost for one that did. After the commit it is sent at once
(`transaction()` does it; `flush(ids)` for a transaction of your own); if sending raised or the
process died, the timer sweep sends it later, with backoff, until the sender's `max_attempts`, then
parks it as failed. A message is sent at least once and never by two processes at the same time;
a sender should be idempotent where its service allows (pass `message.message_id` on as a key).

`dedupe_key` makes the item's id deterministic: two transactions emitting the same effect (a retried
webhook, a timer run twice) make one item, sent once; the first emit's payload wins. Every message is
kept (14 days after sending) and readable by subject with `for_subject`, so each emitted event is
at least recorded and visible to tests, whether or not a sender for its kind exists yet — an item
whose kind has no sender in this process is retried and finally parked, never dropped silently.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, due_index, due_work, ids
from chalicelib.core.observability import logger
from chalicelib.core.table import write_transaction

SK = "OUTBOX"

Sender = Callable[["Message"], None]
_senders: due_work.Registry[Sender] = due_work.Registry("outbox sender")
# Ids emitted into each transaction opened by `transaction()`, flushed after its commit.
_emitted: weakref.WeakKeyDictionary[TransactWrite, list[str]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Message:
    """What a sender receives (and what `get`/`for_subject` return)."""

    message_id: str
    kind: str
    payload: dict[str, Any]
    subject: str | None
    dedupe_key: str | None
    status: str  # pending, running, done (sent) or failed
    attempt: int
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


class OutboxItem(due_work.DueItem, discriminator="outbox"):
    """PK=OUTBOX#<message_id> SK=OUTBOX; GSI1 by subject; GSI3 until sent."""

    effect_kind = UnicodeAttribute()
    dedupe_key = UnicodeAttribute(null=True)

    family = "outbox"

    def perform(self) -> None:
        _senders.require(self.effect_kind).fn(self.as_message())

    def max_attempts(self) -> int:
        found = _senders.get(self.effect_kind)
        return found.max_attempts if found else due_work.DEFAULT_MAX_ATTEMPTS

    def as_message(self) -> Message:
        return Message(
            message_id=self.item_id,
            kind=self.effect_kind,
            payload=dict(self.payload or {}),
            subject=self.subject,
            dedupe_key=self.dedupe_key,
            status=self.status,
            attempt=int(self.attempts),
            created_at=self.created_at,
            sent_at=self.finished_at if self.status == due_work.DONE else None,
            last_error=self.last_error,
        )


def outbox_pk(message_id: str) -> str:
    return f"OUTBOX#{message_id}"


def subject_pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


def message_id_for(kind: str, dedupe_key: str) -> str:
    """The deterministic id of the message of `kind` deduplicated by `dedupe_key`."""
    return "obx_" + hashlib.sha256(f"{kind}\n{dedupe_key}".encode()).hexdigest()[:32]


def sender(kind: str, *, max_attempts: int = due_work.DEFAULT_MAX_ATTEMPTS) -> Callable[[Sender], Sender]:
    """Decorator: deliver messages emitted with `kind=kind` with this function."""
    return _senders.decorator(kind, max_attempts=max_attempts)


def register_sender(kind: str, fn: Sender, *, max_attempts: int = due_work.DEFAULT_MAX_ATTEMPTS) -> Sender:
    return _senders.register(kind, fn, max_attempts=max_attempts)


def unregister_sender(kind: str) -> None:
    """For tests: forget a sender registered with `sender`/`register_sender`."""
    _senders.unregister(kind)


def emit(
    tx: TransactWrite,
    *,
    kind: str,
    payload: Mapping[str, Any],
    subject: str | None = None,
    dedupe_key: str | None = None,
) -> str:
    """Add a message to the transaction; returns its id (the existing one for a repeated dedupe key).

    Written as an UpdateItem that only fills attributes not set yet, so a repeated dedupe key
    neither fails the caller's transaction nor resends or rewrites the first message.
    """
    if not kind:
        raise ValueError("kind is required")
    data = due_work.checked_payload(payload)
    now = clock.now()
    message_id = message_id_for(kind, dedupe_key) if dedupe_key else ids.new_id("obx")
    item = OutboxItem(
        outbox_pk(message_id),
        SK,
        item_id=message_id,
        effect_kind=kind,
        dedupe_key=dedupe_key,
        subject=subject,
        payload=data,
        due_at=now,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    item.place(now, now)
    if subject is not None:
        item.GSI1PK = subject_pk(subject)
        item.GSI1SK = f"OUTBOX#{due_index.instant_key(now)}#{message_id}"
    tx.update(item, actions=_fill_missing(item))
    pending = _emitted.get(tx)
    if pending is not None:
        pending.append(message_id)
    return message_id


def _fill_missing(item: OutboxItem) -> list[Any]:
    """SET attr = if_not_exists(attr, value) for every attribute of `item` but its keys."""
    actions = []
    for name, attribute in type(item).get_attributes().items():
        value = getattr(item, name)
        if attribute.is_hash_key or attribute.is_range_key or value is None:
            continue
        path = getattr(type(item), name)
        actions.append(path.set(path | value))
    return actions


def flush(message_ids: Iterable[str]) -> int:
    """Send these messages now, each once; returns how many were sent. Never raises: a message
    not sent here stays due, and the sweep sends it."""
    sent = 0
    now = clock.now()
    for message_id in message_ids:
        stub = OutboxItem(outbox_pk(message_id), SK, item_id=message_id)
        try:
            result = due_work.process(stub, now)
        except Exception:
            logger.exception("outbox flush failed; the sweep will send it", extra={"message_id": message_id})
            continue
        sent += result.outcome is due_work.Outcome.DONE
    return sent


@contextmanager
def transaction(client_request_token: str | None = None) -> Iterator[TransactWrite]:
    """A write transaction whose emitted messages are sent right after it commits."""
    tx = write_transaction(client_request_token)
    _emitted[tx] = []
    try:
        with tx:
            yield tx
        message_ids = _emitted.get(tx, [])
    finally:
        _emitted.pop(tx, None)
    flush(message_ids)


def get(message_id: str) -> Message | None:
    try:
        return OutboxItem.get(outbox_pk(message_id), SK, consistent_read=True).as_message()
    except OutboxItem.DoesNotExist:
        return None


def for_subject(subject: str) -> list[Message]:
    """Messages about `subject`, oldest first, whatever their status. One GSI1 Query."""
    found = OutboxItem.gsi1.query(subject_pk(subject), OutboxItem.GSI1SK.startswith("OUTBOX#"))
    return [item.as_message() for item in found if isinstance(item, OutboxItem)]
