"""Reading bookings and waitlist entries, turning them into responses, and the transaction pieces
every use case shares (move a booking's state conditionally, give its seats back)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.transactions import TransactWrite

from chalicelib.booking import domain, schemas
from chalicelib.booking.models import (
    BOOKING_SK,
    WAITLIST_SK,
    BookingItem,
    PlayerGuardItem,
    WaitlistEntryItem,
    booking_pk,
    guard_key,
    waitlist_pk,
)
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, ids
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, NotFound
from chalicelib.core.money import Money


def load_booking(booking_id: str, *, consistent: bool = True) -> BookingItem:
    if not ids.is_id(booking_id, "bkg"):
        raise NotFound("No such booking.")
    try:
        return BookingItem.get(booking_pk(booking_id), BOOKING_SK, consistent_read=consistent)
    except BookingItem.DoesNotExist:
        raise NotFound("No such booking.") from None


def find_booking(booking_id: str) -> BookingItem | None:
    try:
        return load_booking(booking_id)
    except NotFound:
        return None


def visible_booking(principal: Principal, booking_id: str) -> BookingItem:
    """The booking, for its player, its host or an admin; 404 for anyone else."""
    booking = load_booking(booking_id)
    if principal.user_id not in (booking.player_id, booking.host_id) and not principal.is_admin:
        raise NotFound("No such booking.")
    return booking


def players_booking(principal: Principal, booking_id: str) -> BookingItem:
    booking = visible_booking(principal, booking_id)
    if principal.user_id != booking.player_id and not principal.is_admin:
        raise NotFound("No such booking.")
    return booking


def hosts_booking(principal: Principal, booking_id: str) -> BookingItem:
    booking = visible_booking(principal, booking_id)
    if principal.user_id != booking.host_id and not principal.is_admin:
        raise NotFound("No such booking.")
    return booking


def load_entry(entry_id: str) -> WaitlistEntryItem:
    if not ids.is_id(entry_id, "wl"):
        raise NotFound("No such waitlist entry.")
    try:
        return WaitlistEntryItem.get(waitlist_pk(entry_id), WAITLIST_SK, consistent_read=True)
    except WaitlistEntryItem.DoesNotExist:
        raise NotFound("No such waitlist entry.") from None


def next_state(booking: BookingItem, event: str) -> str:
    """The state `event` moves the booking to, or 409 invalid_state."""
    try:
        return domain.booking_next(booking.state, event)
    except domain.InvalidTransition as exc:
        raise Conflict(str(exc).capitalize() + ".", code="invalid_state", extra={"state": booking.state}) from None


def move(tx: TransactWrite, booking: BookingItem, to: str, *extra: object, reason: str | None = None) -> None:
    """Update the booking to state `to`, conditional on the state it was read in."""
    now = clock.now()
    actions = [BookingItem.state.set(to), BookingItem.updated_at.set(now), *extra]
    if to not in domain.SEAT_HELD:
        actions.append(BookingItem.hold_expires_at.remove())
    if to not in domain.ACTIVE:
        actions.append(BookingItem.closed_at.set(now))
        if reason:
            actions.append(BookingItem.close_reason.set(reason))
    tx.update(booking, actions=actions, condition=BookingItem.state == booking.state)  # type: ignore[arg-type]


def give_back_seats(tx: TransactWrite, booking: BookingItem) -> None:
    """The seats of an active booking return to the session, and the player may book it again."""
    if booking.state in domain.SEAT_HELD:
        catalog.release_held_seats(tx, booking.session_id, int(booking.seats))
    elif booking.state == domain.CONFIRMED:
        catalog.release_booked_seats(tx, booking.session_id, int(booking.seats))
    pk, sk = guard_key(booking.session_id, booking.player_id)
    tx.delete(PlayerGuardItem(pk, sk), condition=PlayerGuardItem.booking_id == booking.booking_id)


def wire(moment: datetime | None) -> str | None:
    return clock.to_wire(moment) if moment else None


def booking_out(b: BookingItem) -> schemas.BookingOut:
    return schemas.BookingOut(
        id=b.booking_id,
        session_id=b.session_id,
        listing_id=b.listing_id,
        host_id=b.host_id,
        player_id=b.player_id,
        state=b.state,
        mode=b.mode,
        seats=int(b.seats),
        note=b.note,
        starts_at=clock.to_wire(b.starts_at),
        ends_at=clock.to_wire(b.ends_at),
        price=Money(amount=int(b.amount or 0), currency=b.currency),
        payment_status=b.payment_status,
        amount_refunded=int(b.amount_refunded or 0),
        hold_expires_at=wire(b.hold_expires_at),
        disputed=bool(b.disputed),
        created_at=clock.to_wire(b.created_at),
        updated_at=clock.to_wire(b.updated_at),
    )


def entry_out(e: WaitlistEntryItem, position: int | None) -> schemas.WaitlistEntryOut:
    return schemas.WaitlistEntryOut(
        id=e.entry_id,
        session_id=e.session_id,
        listing_id=e.listing_id,
        player_id=e.player_id,
        seats=int(e.seats),
        state=e.state,
        position=position,
        offer_expires_at=wire(e.offer_expires_at),
        booking_id=e.booking_id,
        created_at=clock.to_wire(e.created_at),
    )
