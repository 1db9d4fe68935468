"""What happens to bookings when their session changes: the host cancels or moves it, the minimum
number of players is not reached by the cut-off, or it ends (bookings complete).

The catalog owns the session routes (PATCH /v1/sessions/{id}, POST /v1/sessions/{id}/cancel); it
calls `session_cancelled` and `session_rescheduled` after its own change commits.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.transactions import TransactWrite

from chalicelib.booking import create, domain, effects, lifecycle, store
from chalicelib.booking.models import BookingItem, WaitlistEntryItem, queue_pk, roster_pk
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, conditional
from chalicelib.core.observability import logger
from chalicelib.payments import service as payments


def roster(session_id: str) -> list[BookingItem]:
    """Every booking of the session, oldest first (one Query on GSI2, eventually consistent)."""
    return [b for b in BookingItem.gsi2.query(roster_pk(session_id)) if isinstance(b, BookingItem)]


def _close_all(session_id: str, *, event: str, reason: str) -> int:
    closed = 0
    for listed in roster(session_id):
        if listed.state not in domain.ACTIVE:
            continue

        def change(tx: TransactWrite, b: BookingItem) -> bool:
            if b.state not in domain.ACTIVE:
                return False
            lifecycle.close_for_session(tx, b, event=event, reason=reason)
            return True

        closed += lifecycle.apply_change(listed.booking_id, change) is not None
    _close_queue(session_id)
    return closed


def _close_queue(session_id: str) -> None:
    from chalicelib.booking import waitlist

    for entry in WaitlistEntryItem.gsi2.query(queue_pk(session_id)):
        if not isinstance(entry, WaitlistEntryItem) or entry.state not in domain.WAITLIST_OPEN:
            continue

        def build(tx: TransactWrite, e: WaitlistEntryItem = entry) -> None:
            waitlist.close_entry(tx, e, domain.CLOSED)

        try:
            conditional.run(build)
        except conditional.Refused:
            continue


def session_cancelled(session_id: str, *, reason: str = "session_cancelled") -> int:
    """The session was cancelled: every active booking is cancelled with a full refund and told;
    the waitlist closes. Idempotent; returns how many bookings it closed."""
    closed = _close_all(session_id, event=domain.SESSION_CANCELLED, reason=reason)
    conditional.run(
        lambda tx: effects.event(
            tx, "session.cancelled", subject=session_id, dedupe=session_id, session_id=session_id, reason=reason
        )
    )
    return closed


def check_min_players(session_id: str) -> None:
    session = catalog.session_for_booking(session_id)
    if not session.scheduled or session.seats_booked >= session.min_players:
        return
    if clock.now() < domain.min_players_check_at(session.starts_at):
        return  # the session moved later: its new check is scheduled
    domain.session_next(session.state, domain.S_MIN_PLAYERS_UNMET)
    try:
        conditional.run(lambda tx: catalog.cancel_session(tx, session_id))
    except conditional.Refused:
        return  # cancelled meanwhile
    logger.info(
        "session cancelled: minimum players not reached",
        extra={"session_id": session_id, "booked": session.seats_booked, "min": session.min_players},
    )
    session_cancelled(session_id, reason="min_players_not_reached")


def complete_session(session_id: str) -> None:
    """After the end: confirmed bookings become completed. A session moved later has a newer timer."""
    session = catalog.session_for_booking(session_id)
    if clock.now() < session.ends_at:
        return
    for listed in roster(session_id):
        if listed.state != domain.CONFIRMED:
            continue

        def change(tx: TransactWrite, b: BookingItem) -> bool:
            if b.state != domain.CONFIRMED:
                return False
            store.move(tx, b, domain.booking_next(b.state, domain.COMPLETE), reason="completed")
            if b.payment_status in domain.CHARGED:
                payments.schedule_payout(tx, booking_id=b.booking_id, ends_at=b.ends_at)
            effects.event(
                tx,
                "booking.completed",
                subject=b.booking_id,
                dedupe=b.booking_id,
                booking_id=b.booking_id,
                player_id=b.player_id,
                host_id=b.host_id,
            )
            return True

        lifecycle.apply_change(listed.booking_id, change)


def session_rescheduled(session_id: str, *, free_cancel_hours: int = 48) -> int:
    """The host moved the session: bookings follow (their times, their timers), everyone is told,
    and each player may cancel for a full refund until `free_cancel_hours` from now (or the start)."""
    session = catalog.session_for_booking(session_id)
    until = min(clock.now() + timedelta(hours=free_cancel_hours), session.starts_at)
    moved = 0
    for listed in roster(session_id):
        if listed.state not in domain.ACTIVE:
            continue

        def change(tx: TransactWrite, b: BookingItem) -> bool:
            if b.state not in domain.ACTIVE or (b.starts_at == session.starts_at and b.ends_at == session.ends_at):
                return False
            tx.update(
                b,
                actions=[
                    BookingItem.starts_at.set(session.starts_at),
                    BookingItem.ends_at.set(session.ends_at),
                    BookingItem.GSI1SK.set(f"{clock.to_wire(session.starts_at)}#{b.booking_id}"),
                    BookingItem.free_cancel_until.set(until),
                    BookingItem.updated_at.set(clock.now()),
                ],
                condition=BookingItem.state == b.state,
            )
            effects.event(
                tx,
                "booking.rescheduled",
                subject=b.booking_id,
                dedupe=f"{b.booking_id}#{clock.to_wire(session.starts_at)}",
                booking_id=b.booking_id,
                player_id=b.player_id,
                starts_at=clock.to_wire(session.starts_at),
                free_cancel_until=clock.to_wire(until),
            )
            return True

        moved += lifecycle.apply_change(listed.booking_id, change) is not None
    conditional.run(lambda tx: create.schedule_session_timers(tx, session))
    return moved


def session_scheduled(session_id: str) -> None:
    """A new session: schedule its minimum-players check and completion now, rather than with its
    first booking (so a session nobody books is still cancelled at the cut-off). For the catalog to
    call after creating sessions; idempotent (the timers have fixed ids)."""
    session = catalog.session_for_booking(session_id)
    if session.scheduled:
        conditional.run(lambda tx: create.schedule_session_timers(tx, session))
