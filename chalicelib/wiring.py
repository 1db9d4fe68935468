"""Wires between packages that the packages themselves must not know: who owns what players pay
for; booking following the catalog's sessions. Read once per process, on first use, so importing the
app loads none of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.core.events import Event
    from chalicelib.payments.payables import Owner


def payable_owners() -> dict[str, Owner]:
    """PaymentIntent metadata key → the package that owns the payable (payments converges the money,
    the owner follows it in the same transaction)."""
    from chalicelib.booking import payment_state

    return {"booking_id": payment_state.OWNER}


def booking_follows_session(event: Event) -> None:
    """Subscriber of the catalog's session events (chalicelib/subscriptions.py): the booking engine's
    reactions (bookings follow, refunds, notices, timers). Each is idempotent (at least once)."""
    from chalicelib.booking import sessions
    from chalicelib.catalog import events as catalog

    if event.kind == catalog.SessionScheduled.KIND:
        sessions.session_scheduled(catalog.SessionScheduled.of(event).session_id)
    elif event.kind == catalog.SessionRescheduled.KIND:
        sessions.session_rescheduled(catalog.SessionRescheduled.of(event).session_id)
    elif event.kind == catalog.SessionCancelled.KIND:
        sessions.session_cancelled(catalog.SessionCancelled.of(event).session_id)
    else:
        raise ValueError(f"not a session event: {event.kind!r}")
