"""Seats of a session, as booking changes them: conditional operations added to the caller's transaction.

The catalog owns the session item; this module is the only place that moves its seat counters.
Invariant at every instant: `seats_booked + seats_held <= capacity`. DynamoDB conditions cannot add
two attributes, so every seat change also keeps `seats_taken = seats_booked + seats_held` (missing
means 0: `ADD` starts from 0), and an operation that takes seats is conditional on the capacity it
read and on `seats_taken <= capacity - n`. Capacity edits (catalog) are conditional on the booked and
held counts they read, so the pair stays consistent. Operations that give seats back are conditional
on the counter they decrement holding enough.

The updates go through `_Seats`, a non-versioned view of the session item: seat changes must not
bump (or check) the host-edit `version` that If-Match compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.catalog import domain
from chalicelib.catalog.models import LISTING_SK, SESSION_SK, ListingItem, SessionItem, listing_pk, session_pk
from chalicelib.core import clock, ids
from chalicelib.core.table import _TableMeta


class _Seats(Model):
    """The seat counters of a session item (same table, same key; no discriminator, no version)."""

    Meta = _TableMeta  # type: ignore[assignment]

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    capacity = NumberAttribute(null=True)
    seats_booked = NumberAttribute(null=True)
    seats_held = NumberAttribute(null=True)
    seats_taken = NumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    reschedule_notice = JSONAttribute(null=True)


def _key(session_id: str) -> _Seats:
    return _Seats(session_pk(session_id), SESSION_SK)


@dataclass(frozen=True)
class SessionForBooking:
    session_id: str
    listing_id: str
    host_id: str
    state: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int
    seats_booked: int
    seats_held: int
    prices: dict[str, int]  # currency → amount per seat, minor units; the first is the listing's own
    base_currency: str
    policy: dict[str, Any]
    booking_mode: str
    min_players: int
    max_seats: int
    listing_title: str
    listing_status: str

    @property
    def seats_free(self) -> int:
        return max(0, self.capacity - self.seats_booked - self.seats_held)

    @property
    def scheduled(self) -> bool:
        return self.state == domain.SCHEDULED


class NoSuchSession(Exception):
    pass


def session_for_booking(session_id: str, *, consistent: bool = True) -> SessionForBooking:
    """The session and its listing's booking terms (2 GetItems); NoSuchSession when either is missing."""
    if not ids.is_id(session_id, "ses"):
        raise NoSuchSession(session_id)
    try:
        session = SessionItem.get(session_pk(session_id), SESSION_SK, consistent_read=consistent)
        listing = ListingItem.get(listing_pk(session.listing_id), LISTING_SK)
    except (SessionItem.DoesNotExist, ListingItem.DoesNotExist):
        raise NoSuchSession(session_id) from None
    prices = {listing.price_currency: int(listing.price_amount)}
    prices.update({str(c): int(a) for c, a in dict(listing.regional_prices or {}).items()})
    booked, held = int(session.seats_booked or 0), int(session.seats_held or 0)
    return SessionForBooking(
        session_id=session.session_id,
        listing_id=session.listing_id,
        host_id=session.host_id,
        state=session.state,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=session.timezone,
        capacity=int(session.capacity),
        seats_booked=booked,
        seats_held=held,
        prices=prices,
        base_currency=listing.price_currency,
        policy=dict(listing.cancellation_policy or {}),
        booking_mode=listing.booking_mode,
        min_players=int(listing.min_players),
        max_seats=int(listing.max_seats),
        listing_title=listing.title,
        listing_status=listing.status,
    )


def _taking(n: int, capacity: int) -> Condition:
    """n more seats fit: the session is scheduled, its capacity is what was read, and seats_taken + n
    stays within it."""
    fits = _Seats.seats_taken.does_not_exist() | (_Seats.seats_taken <= capacity - n)
    condition: Condition = (_Seats.state == domain.SCHEDULED) & (_Seats.capacity == capacity) & fits
    return condition


def _update(tx: TransactWrite, session_id: str, actions: list[Any], condition: Condition) -> None:
    tx.update(_key(session_id), actions=[*actions, _Seats.updated_at.set(clock.now())], condition=condition)


def hold(tx: TransactWrite, session_id: str, seats: int, capacity: int) -> None:
    """Hold `seats` more (a pending payment, a request, a waitlist offer)."""
    _update(tx, session_id, [_Seats.seats_held.add(seats), _Seats.seats_taken.add(seats)], _taking(seats, capacity))


def book(tx: TransactWrite, session_id: str, seats: int, capacity: int) -> None:
    """Book `seats` more at once (a free instant booking)."""
    _update(tx, session_id, [_Seats.seats_booked.add(seats), _Seats.seats_taken.add(seats)], _taking(seats, capacity))


def release_hold(tx: TransactWrite, session_id: str, seats: int) -> None:
    _update(tx, session_id, [_Seats.seats_held.add(-seats), _Seats.seats_taken.add(-seats)], _Seats.seats_held >= seats)


def confirm_hold(tx: TransactWrite, session_id: str, seats: int) -> None:
    """Held seats become booked (payment succeeded, request accepted, offer claimed)."""
    _update(tx, session_id, [_Seats.seats_held.add(-seats), _Seats.seats_booked.add(seats)], _Seats.seats_held >= seats)


def release_booked(tx: TransactWrite, session_id: str, seats: int) -> None:
    _update(
        tx, session_id, [_Seats.seats_booked.add(-seats), _Seats.seats_taken.add(-seats)], _Seats.seats_booked >= seats
    )


def offer(tx: TransactWrite, session_id: str, seats: int, capacity: int) -> None:
    """Hold seats for a waitlist offer (the same as `hold`: an offer is a hold)."""
    hold(tx, session_id, seats, capacity)


def cancel_session(tx: TransactWrite, session_id: str) -> None:
    """The session is cancelled (host or minimum-players check); its seats are released by the
    bookings' own operations in later transactions."""
    now = clock.now()
    tx.update(
        _key(session_id),
        actions=[_Seats.state.set(domain.CANCELLED), _Seats.cancelled_at.set(now), _Seats.updated_at.set(now)],
        condition=_Seats.state == domain.SCHEDULED,
    )


def seats_of(session_id: str) -> tuple[int, int, int, int]:
    """(capacity, booked, held, taken), read consistently: for tests and the invariant checks."""
    item = _Seats.get(session_pk(session_id), SESSION_SK, consistent_read=True)
    return int(item.capacity or 0), int(item.seats_booked or 0), int(item.seats_held or 0), int(item.seats_taken or 0)
