"""Reading bookings: one booking, a player's bookings (upcoming or past), a session's roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.booking import create, schemas, sessions, store, waitlist
from chalicelib.booking.models import BookingItem, player_bookings_pk
from chalicelib.core import clock
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import NotFound
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.payments import service as payments


def get_booking(principal: Principal, booking_id: str) -> schemas.BookingOut:
    return store.booking_out(store.visible_booking(principal, booking_id))


def my_bookings(principal: Principal, query: schemas.MyBookingsQuery) -> Page:
    """Upcoming by start (soonest first) or past (latest first); one Query on GSI1."""
    scope = f"my-bookings:{principal.user_id}:{query.when}:{query.status or ''}"
    now_key = clock.to_wire(clock.now())
    key = now_key <= BookingItem.GSI1SK if query.when == "upcoming" else now_key > BookingItem.GSI1SK
    found = BookingItem.gsi1.query(
        player_bookings_pk(principal.user_id),
        key,
        filter_condition=(BookingItem.state == query.status) if query.status else None,
        scan_index_forward=query.when == "upcoming",
        limit=query.limit,
        last_evaluated_key=decode_cursor(query.cursor, scope),
    )
    items = [store.booking_out(b) for b in found if isinstance(b, BookingItem)]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


def roster(principal: Principal, session_id: str) -> schemas.RosterOut:
    session = create.load_session(session_id)
    if principal.user_id != session.host_id and not principal.is_admin:
        raise NotFound("No such session.")
    return schemas.RosterOut(
        session_id=session_id,
        capacity=session.capacity,
        seats_booked=session.seats_booked,
        seats_held=session.seats_held,
        items=[store.booking_out(b) for b in sessions.roster(session_id)],
        waitlist=waitlist.queue_out(session_id),
    )


@dataclass(frozen=True)
class BookingFacts:
    """What other packages (notifications, reviews, analytics) may know of a booking, without its model."""

    booking_id: str
    session_id: str
    listing_id: str
    host_id: str
    player_id: str
    state: str
    mode: str
    seats: int
    amount: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    close_reason: str | None
    payment_status: str | None
    amount_refunded: int


def booking_facts(booking_id: str) -> BookingFacts | None:
    """The booking's facts (one consistent GetItem), or None when there is no such booking."""
    b = store.find_booking(booking_id)
    if b is None:
        return None
    return BookingFacts(
        booking_id=b.booking_id,
        session_id=b.session_id,
        listing_id=b.listing_id,
        host_id=b.host_id,
        player_id=b.player_id,
        state=b.state,
        mode=b.mode,
        seats=int(b.seats),
        amount=int(b.amount or 0),
        currency=b.currency,
        starts_at=b.starts_at,
        ends_at=b.ends_at,
        created_at=b.created_at,
        close_reason=b.close_reason,
        payment_status=b.payment_status,
        amount_refunded=int(b.amount_refunded or 0),
    )


def receipt(principal: Principal, booking_id: str) -> payments.ReceiptOut:
    """The booking's receipt, for its player, its host or an admin: the booking (one GetItem), then
    its money and ledger from payments (one Query)."""
    b = store.visible_booking(principal, booking_id)
    return payments.receipt(b.booking_id, b.currency)
