"""What notifications does when booking and payments publish an event (subscribed in
`chalicelib/subscriptions.py`), and when a reminder timer fires.

For an event: gather the facts (the booking, its session, through their packages' functions), keep
the calendar entries and their reminder timers in step (confirmed → entries and reminders;
rescheduled → moved; cancelled → marked, reminders deleted), then tell each recipient the plan
names. Every step is idempotent: a repeated event rewrites nothing and sends nothing again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.accounts import service as accounts
from chalicelib.booking import service as bookings
from chalicelib.booking.service import BookingFacts
from chalicelib.catalog import service as catalog
from chalicelib.core import clock
from chalicelib.core.events import Event
from chalicelib.notifications import calendar_feed, domain, service
from chalicelib.notifications.calendar_feed import CONFIRMED, Slot

SESSION_WIDE = ("session_cancelled", "min_players_not_reached")


def _session(session_id: str | None) -> catalog.SessionForBooking | None:
    if not session_id:
        return None
    try:
        return catalog.session_for_booking(session_id)
    except catalog.NoSuchSession:
        return None


def _slot(session: catalog.SessionForBooking) -> Slot:
    return Slot(session.session_id, session.listing_title, session.starts_at, session.ends_at, session.timezone)


def _project(
    kind: str, p: dict[str, Any], booking: BookingFacts | None, session: catalog.SessionForBooking | None
) -> int:
    """Keep the calendars (and reminders) in step; returns the player's entry sequence."""
    sequence = 0
    if kind in ("booking.confirmed", "booking.rescheduled") and booking and session:
        if booking.state == CONFIRMED:
            sequence = calendar_feed.place(booking.player_id, booking.booking_id, domain.PLAYER, _slot(session))
            calendar_feed.place(session.host_id, session.session_id, domain.HOST, _slot(session))
    elif kind == "booking.cancelled" and booking:
        calendar_feed.cancel(booking.player_id, booking.booking_id)
        if p.get("reason") in SESSION_WIDE:
            calendar_feed.cancel(booking.host_id, booking.session_id)
    elif kind == "session.cancelled" and session:
        calendar_feed.cancel(session.host_id, session.session_id)
    return sequence


def _facts(
    p: dict[str, Any], booking: BookingFacts | None, session: catalog.SessionForBooking | None, sequence: int
) -> dict[str, Any]:
    facts: dict[str, Any] = {k: p[k] for k in ("booking_id", "session_id", "entry_id") if p.get(k)}
    if session is not None:
        facts.update(
            title=session.listing_title,
            session_id=session.session_id,
            session_timezone=session.timezone,
            starts_at=clock.to_wire(session.starts_at),
            ends_at=clock.to_wire(session.ends_at),
        )
    if booking is not None:
        facts.update(
            booking_id=booking.booking_id,
            seats=booking.seats,
            starts_at=clock.to_wire(booking.starts_at),
            ends_at=clock.to_wire(booking.ends_at),
        )
        if booking.amount and booking.payment_status in ("paid", "refunded"):
            facts.update(price_amount=booking.amount, price_currency=booking.currency)
        if booking.amount_refunded:
            facts.update(refund_amount=booking.amount_refunded, refund_currency=booking.currency)
    if p.get("refund_amount") and p.get("refund_currency"):  # what this change gives back (its refund may follow)
        facts.update(refund_amount=int(p["refund_amount"]), refund_currency=str(p["refund_currency"]))
    if p.get("amount") is not None and p.get("currency"):
        facts.update(amount_amount=int(p["amount"]), amount_currency=str(p["currency"]))
    if p.get("offer_expires_at"):
        facts["deadline"] = p["offer_expires_at"]
    if p.get("free_cancel_until"):
        facts["free_cancel_until"] = p["free_cancel_until"]
    facts["sequence"] = sequence
    return facts


def on_event(event: Event) -> None:
    """The subscriber of every event notifications tells people about."""
    p = dict(event.payload)
    booking = bookings.booking_facts(str(p["booking_id"])) if p.get("booking_id") else None
    if booking is not None:
        p.setdefault("player_id", booking.player_id)
        p.setdefault("host_id", booking.host_id)
    session = _session(str(p.get("session_id") or "") or (booking.session_id if booking else None))
    if session is not None and event.kind.startswith(("waitlist.", "session.")):
        p.setdefault("host_id", session.host_id)
    sequence = _project(event.kind, p, booking, session)
    plan = domain.plan(event.kind, p, mode=booking.mode if booking else None)
    if not plan.notices:
        return
    facts = _facts(p, booking, session, sequence)
    contacts = accounts.contacts(n.recipient for n in plan.notices)
    for notice in plan.notices:
        service.notify(
            notice, facts, dedupe=event.event_id, occurred_at=event.occurred_at, contact=contacts.get(notice.recipient)
        )


def remind(p: dict[str, Any], timer_id: str) -> None:
    """A reminder timer fired: tell the user if their entry is still confirmed at that time."""
    user_id, ref_id, offset = str(p["user_id"]), str(p["ref_id"]), str(p["offset"])
    entry = calendar_feed.entry(user_id, ref_id)
    if entry is None or entry.status != CONFIRMED or clock.to_wire(entry.starts_at) != p["starts_at"]:
        return  # cancelled or moved since: a stale timer
    hosting = p.get("role") == domain.HOST
    facts: dict[str, Any] = {
        "title": entry.title,
        "starts_at": clock.to_wire(entry.starts_at),
        "ends_at": clock.to_wire(entry.ends_at),
        "session_timezone": entry.timezone,
        "session_id": entry.session_id,
    }
    if not hosting:
        facts["booking_id"] = ref_id
    template = ("host_" if hosting else "") + f"reminder_{offset}"
    due = datetime.fromisoformat(str(p["starts_at"])) - domain.REMINDER_OFFSETS[offset]
    service.notify(
        domain.Notice(user_id, template, domain.REMINDERS, domain.HOST if hosting else domain.PLAYER),
        facts,
        dedupe=f"{timer_id}#{p['starts_at']}",
        occurred_at=due,
    )
