"""A player moves a confirmed booking to another session of the same listing, in one transaction:
the seats leave one session and are booked in the other (conditional on room there), the guard
moves with them. The price paid stays; the policy's clock follows the new start."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.booking import create, domain, effects, schemas, store, waitlist
from chalicelib.booking.models import BookingItem, PlayerGuardItem, guard_key
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, conditional
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, FieldError, ValidationFailed


def reschedule(principal: Principal, booking_id: str, body: schemas.RescheduleIn) -> schemas.BookingOut:
    b = store.players_booking(principal, booking_id)
    store.next_state(b, domain.PLAYER_RESCHEDULE)
    if body.session_id == b.session_id:
        raise ValidationFailed("That is the booking's session.", errors=[FieldError("session_id", "choose another")])
    try:
        target = create.load_session(body.session_id)
    except Exception:
        raise ValidationFailed("No such session.", errors=[FieldError("session_id", "no such session")]) from None
    if target.listing_id != b.listing_id:
        raise ValidationFailed(
            "Not a session of the same listing.", errors=[FieldError("session_id", "must belong to the same listing")]
        )
    create.bookable(target, principal)
    seats_n = int(b.seats)
    for _ in range(conditional.ATTEMPTS):
        if target.seats_free < seats_n:
            raise create.full(target)

        def build(tx: TransactWrite, t: catalog.SessionForBooking = target) -> None:
            catalog.release_booked_seats(tx, b.session_id, seats_n)
            catalog.book_seats(tx, t.session_id, seats_n, t.capacity)
            old_pk, old_sk = guard_key(b.session_id, b.player_id)
            tx.delete(PlayerGuardItem(old_pk, old_sk), condition=PlayerGuardItem.booking_id == b.booking_id)
            new_pk, new_sk = guard_key(t.session_id, b.player_id)
            tx.save(
                PlayerGuardItem(new_pk, new_sk, booking_id=b.booking_id), condition=PlayerGuardItem.PK.does_not_exist()
            )
            tx.update(
                b,
                actions=[
                    BookingItem.session_id.set(t.session_id),
                    BookingItem.starts_at.set(t.starts_at),
                    BookingItem.ends_at.set(t.ends_at),
                    BookingItem.free_cancel_until.remove(),
                    BookingItem.GSI1SK.set(f"{clock.to_wire(t.starts_at)}#{b.booking_id}"),
                    BookingItem.GSI2PK.set(f"SESBKG#{t.session_id}"),
                    BookingItem.updated_at.set(clock.now()),
                ],
                condition=(BookingItem.state == domain.CONFIRMED) & (BookingItem.session_id == b.session_id),
            )
            create.schedule_session_timers(tx, t)
            effects.chat_roster(
                tx,
                action="leave",
                booking_id=b.booking_id,
                session_id=b.session_id,
                host_id=b.host_id,
                player_id=b.player_id,
            )
            effects.chat_roster(
                tx,
                action="join",
                booking_id=b.booking_id,
                session_id=t.session_id,
                host_id=b.host_id,
                player_id=b.player_id,
            )
            effects.event(
                tx,
                "booking.rescheduled",
                subject=b.booking_id,
                dedupe=f"{b.booking_id}#{t.session_id}",
                booking_id=b.booking_id,
                player_id=b.player_id,
                from_session_id=b.session_id,
                session_id=t.session_id,
            )

        try:
            conditional.run(build)
            break
        except conditional.Refused as refused:
            if guard_key(target.session_id, b.player_id) in refused.keys:
                raise Conflict("You already have a booking for that session.", code="already_booked") from None
            fresh = store.load_booking(booking_id)
            if fresh.state != domain.CONFIRMED or fresh.session_id != b.session_id:
                raise Conflict("The booking changed meanwhile.", code="invalid_state") from None
            target = create.load_session(body.session_id)
            create.bookable(target, principal)
    else:
        raise Conflict("The session is busy; try again.", code="busy")
    waitlist.offer_free_seats(b.session_id)
    return store.booking_out(store.load_booking(booking_id))
