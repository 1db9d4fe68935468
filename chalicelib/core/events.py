"""Events: what happened in one package, told to every package that subscribes.

A publisher writes the event into the transaction of the change it describes:

    events.publish(tx, "booking.confirmed", subject=booking_id, dedupe=booking_id, booking_id=..., ...)

The event is an outbox message of its own kind, so it commits or rolls back with the change. When it
is sent, `dispatch` writes one delivery per subscriber (outbox messages of kind `event.deliver`, each
deduplicated by subscriber and event) and sends them: every subscriber is retried on its own, and a
subscriber that fails never makes another run twice. Subscribers must still be idempotent: delivery
is at least once.

A package may describe its events as types instead: a frozen dataclass per kind in its own
`events.py` (any package may import it), subclassing `Published`, published with `publish_event`.
The dataclass's fields are the payload, so the wire format, dedupe and subscribers are those of the
string form; a subscriber reads the payload back with the class's `of(event)`.

Who subscribes to what is written in one place, `chalicelib/subscriptions.py` (kind → handlers as
"module:function"), so that every process — an API request flushing its outbox, the sweep — knows
every subscriber whatever it happened to import, and an unknown kind is refused at publish time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from pynamodb.transactions import TransactWrite

from chalicelib.core import outbox
from chalicelib.core.lazy import resolve
from chalicelib.core.observability import logger

DELIVER = "event.deliver"
SUBSCRIPTIONS = "chalicelib.subscriptions:SUBSCRIBERS"  # the table: event kind → handler references
_registered: set[str] = set()


@dataclass(frozen=True)
class Event:
    """What a subscriber receives."""

    event_id: str  # the event's outbox message id: a stable key for the subscriber's own dedupe
    kind: str
    subject: str | None
    payload: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class Published:
    """Base of a typed event: `KIND` is its kind, the fields its payload (JSON values; a tuple comes
    back as a list, read as a tuple); `subject` and `dedupe` are what `publish` takes."""

    KIND: ClassVar[str]

    @property
    def subject(self) -> str:
        raise NotImplementedError

    @property
    def dedupe(self) -> str:
        raise NotImplementedError

    @classmethod
    def of(cls, event: Event) -> Self:
        """The typed event a subscriber received (payload keys the class does not know are left out)."""
        if event.kind != cls.KIND:
            raise ValueError(f"{event.kind!r} is not {cls.KIND!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in event.payload.items() if k in names})


def subscriptions() -> Mapping[str, tuple[str, ...]]:
    table: Mapping[str, tuple[str, ...]] = resolve(SUBSCRIPTIONS)
    if not _registered:
        for kind in table:
            outbox.register_sender(kind, dispatch)
        _registered.update(table)
    return table


def publish(tx: TransactWrite, kind: str, *, subject: str, dedupe: str, **payload: Any) -> str:
    """Add the event to `tx` (`subject`: what it is about; `dedupe`: same value → one event)."""
    if kind not in subscriptions():
        raise ValueError(f"unknown event kind {kind!r}: add it to {SUBSCRIPTIONS}")
    return outbox.emit(tx, kind=kind, subject=subject, payload=payload, dedupe_key=f"{kind}#{dedupe}")


def publish_event(tx: TransactWrite, event: Published) -> str:
    """`publish` of a typed event: the same outbox message as the string form."""
    return publish(tx, event.KIND, subject=event.subject, dedupe=event.dedupe, **dataclasses.asdict(event))


def dispatch(message: outbox.Message) -> None:
    """The outbox sender of every event kind: one delivery per subscriber, written then sent."""
    handlers = subscriptions().get(message.kind, ())
    logger.info("event", extra={"kind": message.kind, "subject": message.subject, "subscribers": len(handlers)})
    if not handlers:
        return
    event = {
        "event_id": message.message_id,
        "kind": message.kind,
        "subject": message.subject,
        "payload": message.payload,
        "occurred_at": message.created_at.isoformat(),
    }
    with outbox.transaction() as tx:
        for handler in handlers:
            outbox.emit(
                tx,
                kind=DELIVER,
                subject=message.subject,
                dedupe_key=f"{handler}#{message.message_id}",
                payload={"handler": handler, "event": event},
            )


def _deliver(message: outbox.Message) -> None:
    data = message.payload["event"]
    event = Event(
        event_id=data["event_id"],
        kind=data["kind"],
        subject=data["subject"],
        payload=data["payload"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
    )
    resolve(str(message.payload["handler"]))(event)


outbox.register_sender(DELIVER, _deliver, max_attempts=10)
subscriptions()  # every event kind gets its sender in any process that imports this module
