"""The events catalog publishes (any package may import this module): a host's sessions changed.

Booking follows them (its bookings, timers, refunds and notices): the composition root subscribes
it (`chalicelib/wiring.py`, `chalicelib/subscriptions.py`), so catalog never calls booking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.core import events, outbox
from chalicelib.core.events import Published

PER_TRANSACTION = 25  # events per write transaction (a transaction holds at most 100 items)


@dataclass(frozen=True)
class _SessionEvent(Published):
    """A change of one of a listing's sessions (the subject: a listing's schedule changed)."""

    listing_id: str
    session_id: str

    @property
    def subject(self) -> str:
        return self.listing_id

    @property
    def dedupe(self) -> str:
        return self.session_id


@dataclass(frozen=True)
class SessionScheduled(_SessionEvent):
    """A new session was created (its minimum-players check and completion can be scheduled)."""

    KIND = "catalog.session_scheduled"


@dataclass(frozen=True)
class SessionRescheduled(_SessionEvent):
    """The host moved a session to another time (`change_id`: this move, as a session can move back)."""

    KIND = "catalog.session_rescheduled"

    change_id: str

    @property
    def dedupe(self) -> str:
        return self.change_id


@dataclass(frozen=True)
class SessionCancelled(_SessionEvent):
    """The host cancelled a session (or archived its listing)."""

    KIND = "catalog.session_cancelled"


def tell(told: Sequence[Published]) -> None:
    """Publish `told` after the catalog's change committed, and deliver them at once (the outbox
    sends each right after its transaction; the sweep retries what was not delivered)."""
    for i in range(0, len(told), PER_TRANSACTION):
        with outbox.transaction() as tx:
            for event in told[i : i + PER_TRANSACTION]:
                events.publish_event(tx, event)
