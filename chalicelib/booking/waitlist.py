"""The waitlist of a full session: an ordered queue (entry ids are ULIDs, so the queue index sorts by
arrival). A freed seat is offered to the first waiting entry it fits, held for them (`seats_held`)
until the offer expires (2h, never past start - 1h); claiming books it; expiry passes it on."""

from __future__ import annotations

from datetime import datetime

from pynamodb.transactions import TransactWrite

from chalicelib.booking import create, domain, effects, jobs, schemas, store
from chalicelib.booking.models import (
    BookingItem,
    PlayerGuardItem,
    WaiterGuardItem,
    WaitlistEntryItem,
    guard_key,
    player_waitlist_pk,
    queue_pk,
    waiter_key,
    waitlist_pk,
)
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, conditional, ids, timers
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, NotFound
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor

MAX_OFFERS_PER_PASS = 20


def _queue(session_id: str) -> list[WaitlistEntryItem]:
    """The session's open entries, in arrival order (one Query on GSI2)."""
    found = WaitlistEntryItem.gsi2.query(
        queue_pk(session_id), filter_condition=WaitlistEntryItem.state.is_in(*domain.WAITLIST_OPEN)
    )
    return [e for e in found if isinstance(e, WaitlistEntryItem)]


def position_of(entry: WaitlistEntryItem) -> int | None:
    if entry.state != domain.WAITING:
        return None
    ahead = [e for e in _queue(entry.session_id) if e.state == domain.WAITING and e.entry_id < entry.entry_id]
    return len(ahead) + 1


def join(principal: Principal, session_id: str, body: schemas.WaitlistIn) -> schemas.WaitlistEntryOut:
    session = create.load_session(session_id)
    create.bookable(session, principal)
    create.terms_for(session, body.seats, None, player_id=principal.user_id)  # what a claim would book
    if session.seats_free >= body.seats:
        raise Conflict(
            "Seats are free: book them instead.", code="seats_available", extra={"seats_free": session.seats_free}
        )
    if not create.waitlist_open(session):
        raise Conflict("The session starts too soon for a waitlist.", code="waitlist_closed")
    entry_id = ids.new_id("wl")
    entry = WaitlistEntryItem(
        waitlist_pk(entry_id),
        "WAITLIST",
        entry_id=entry_id,
        session_id=session_id,
        listing_id=session.listing_id,
        player_id=principal.user_id,
        seats=body.seats,
        state=domain.WAITING,
        GSI1PK=player_waitlist_pk(principal.user_id),
        GSI1SK=entry_id,
        GSI2PK=queue_pk(session_id),
        GSI2SK=entry_id,
    )
    wpk, wsk = waiter_key(session_id, principal.user_id)
    gpk, gsk = guard_key(session_id, principal.user_id)

    def build(tx: TransactWrite) -> None:
        tx.save(entry, condition=WaitlistEntryItem.PK.does_not_exist())
        tx.save(WaiterGuardItem(wpk, wsk, entry_id=entry_id), condition=WaiterGuardItem.PK.does_not_exist())
        tx.condition_check(PlayerGuardItem, gpk, gsk, condition=PlayerGuardItem.PK.does_not_exist())
        effects.event(
            tx,
            "waitlist.joined",
            subject=entry_id,
            dedupe=entry_id,
            entry_id=entry_id,
            session_id=session_id,
            player_id=principal.user_id,
        )

    try:
        conditional.run(build)
    except conditional.Refused as refused:
        if (gpk, gsk) in refused.keys:
            raise Conflict("You already have a booking for this session.", code="already_booked") from None
        raise Conflict("You are already on this session's waitlist.", code="already_waitlisted") from None
    # A seat may have come free between the read and the join: offer it now rather than never.
    offer_free_seats(session_id)
    return store.entry_out(store.load_entry(entry_id), position_of(entry))


def close_entry(tx: TransactWrite, e: WaitlistEntryItem, to: str) -> None:
    tx.update(
        e,
        actions=[WaitlistEntryItem.state.set(to), WaitlistEntryItem.updated_at.set(clock.now())],
        condition=WaitlistEntryItem.state == e.state,
    )
    wpk, wsk = waiter_key(e.session_id, e.player_id)
    tx.delete(WaiterGuardItem(wpk, wsk), condition=WaiterGuardItem.entry_id == e.entry_id)
    if e.state == domain.OFFERED:
        catalog.release_held_seats(tx, e.session_id, int(e.seats))
        if to != domain.OFFER_EXPIRED:  # an expiring offer's own timer is the one running
            timers.cancel(tx, f"offer#{e.entry_id}")


def leave(principal: Principal, session_id: str) -> None:
    wpk, wsk = waiter_key(session_id, principal.user_id)
    try:
        guard = WaiterGuardItem.get(wpk, wsk, consistent_read=True)
    except WaiterGuardItem.DoesNotExist:
        raise NotFound("You are not on this session's waitlist.") from None
    entry = store.load_entry(guard.entry_id)
    try:
        to = domain.waitlist_next(entry.state, domain.WL_LEAVE)
    except domain.InvalidTransition as exc:
        raise Conflict(str(exc), code="invalid_state") from None
    try:
        conditional.run(lambda tx: close_entry(tx, entry, to))
    except conditional.Refused:
        raise Conflict("The entry changed meanwhile; try again.", code="concurrent_change") from None
    if entry.state == domain.OFFERED:
        offer_free_seats(session_id)


def mine(principal: Principal, limit: int, cursor: str | None) -> Page:
    scope = f"my-waitlist:{principal.user_id}"
    found = WaitlistEntryItem.gsi1.query(
        player_waitlist_pk(principal.user_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    items = [store.entry_out(e, position_of(e)) for e in found if isinstance(e, WaitlistEntryItem)]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


def queue_out(session_id: str) -> list[schemas.WaitlistEntryOut]:
    entries = _queue(session_id)
    waiting = [e for e in entries if e.state == domain.WAITING]
    return [store.entry_out(e, waiting.index(e) + 1 if e in waiting else None) for e in entries]


def offer_free_seats(session_id: str) -> int:
    """Offer free seats to the queue, head first; returns how many offers were made. Safe to call
    any time: each offer is a conditional hold plus a conditional move of a waiting entry."""
    made = 0
    for _ in range(MAX_OFFERS_PER_PASS):
        session = catalog.session_for_booking(session_id)
        until = domain.offer_ends(clock.now(), session.starts_at)
        if not session.scheduled or until is None or session.seats_free <= 0:
            return made
        head = next(
            (e for e in _queue(session_id) if e.state == domain.WAITING and e.seats <= session.seats_free), None
        )
        if head is None:
            return made

        def build(
            tx: TransactWrite, e: WaitlistEntryItem = head, cap: int = session.capacity, until: datetime = until
        ) -> None:
            catalog.offer_seats(tx, session_id, int(e.seats), cap)
            tx.update(
                e,
                actions=[
                    WaitlistEntryItem.state.set(domain.OFFERED),
                    WaitlistEntryItem.offer_expires_at.set(until),
                    WaitlistEntryItem.updated_at.set(clock.now()),
                ],
                condition=WaitlistEntryItem.state == domain.WAITING,
            )
            timers.schedule(
                tx,
                handler=jobs.OFFER_EXPIRY,
                due_at=until,
                subject=e.entry_id,
                payload={"entry_id": e.entry_id},
                timer_id=f"offer#{e.entry_id}",
            )
            effects.event(
                tx,
                "waitlist.offered",
                subject=e.entry_id,
                dedupe=e.entry_id,
                entry_id=e.entry_id,
                session_id=session_id,
                player_id=e.player_id,
                offer_expires_at=clock.to_wire(until),
            )

        try:
            conditional.run(build)
            made += 1
        except conditional.Refused:
            continue  # the entry left or the seats went: look again
    return made


def expire_offer(entry_id: str) -> None:
    try:
        entry = store.load_entry(entry_id)
    except NotFound:
        return
    if entry.state != domain.OFFERED or (entry.offer_expires_at and entry.offer_expires_at > clock.now()):
        return

    def build(tx: TransactWrite) -> None:
        close_entry(tx, entry, domain.waitlist_next(entry.state, domain.WL_EXPIRE))
        effects.event(
            tx,
            "waitlist.offer_expired",
            subject=entry_id,
            dedupe=entry_id,
            entry_id=entry_id,
            session_id=entry.session_id,
            player_id=entry.player_id,
        )

    try:
        conditional.run(build)
    except conditional.Refused:
        return  # claimed or left meanwhile
    offer_free_seats(entry.session_id)


def claim(principal: Principal, entry_id: str) -> schemas.BookingCreated:
    entry = store.load_entry(entry_id)
    if entry.player_id != principal.user_id and not principal.is_admin:
        raise NotFound("No such waitlist entry.")
    try:
        domain.waitlist_next(entry.state, domain.WL_CLAIM)
    except domain.InvalidTransition as exc:
        raise Conflict(str(exc), code="invalid_state", extra={"state": entry.state}) from None
    if entry.offer_expires_at and entry.offer_expires_at <= clock.now():
        raise Conflict("The offer has expired.", code="offer_expired")
    return create.book(principal, entry.session_id, schemas.BookingIn(seats=int(entry.seats)), offer=entry)


def claim_in(tx: TransactWrite, entry: WaitlistEntryItem, booking: BookingItem) -> None:
    """In the booking's transaction: the offer's held seats become the booking's."""
    tx.update(
        entry,
        actions=[
            WaitlistEntryItem.state.set(domain.CLAIMED),
            WaitlistEntryItem.booking_id.set(booking.booking_id),
            WaitlistEntryItem.updated_at.set(clock.now()),
        ],
        condition=WaitlistEntryItem.state == domain.OFFERED,
    )
    wpk, wsk = waiter_key(entry.session_id, entry.player_id)
    tx.delete(WaiterGuardItem(wpk, wsk), condition=WaiterGuardItem.entry_id == entry.entry_id)
    timers.cancel(tx, f"offer#{entry.entry_id}")
    if booking.state == domain.CONFIRMED:
        catalog.confirm_held_seats(tx, entry.session_id, int(entry.seats))
    effects.event(
        tx,
        "waitlist.claimed",
        subject=entry.entry_id,
        dedupe=entry.entry_id,
        entry_id=entry.entry_id,
        booking_id=booking.booking_id,
        player_id=entry.player_id,
    )
