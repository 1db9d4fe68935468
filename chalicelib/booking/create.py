"""Booking a session: hold or book the seats, the booking, the player's guard, its timers and its
event in one conditional transaction; then, for a paid booking, a PaymentIntent.

- instant, free  → `confirmed` at once (seats booked);
- instant, paid  → `pending_payment` (seats held until the hold timer; the webhook confirms);
- approval       → `requested` (seats held until the host answers or the request expires; paid
                   requests authorize the card, captured on accept).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.transactions import TransactWrite

from chalicelib.accounts import service as accounts
from chalicelib.booking import domain, effects, jobs, schemas, store
from chalicelib.booking.models import (
    BOOKING_SK,
    BookingItem,
    PlayerGuardItem,
    WaitlistEntryItem,
    booking_pk,
    guard_key,
    player_bookings_pk,
    roster_pk,
)
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, conditional, ids, money, timers
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, FieldError, NotFound, ProblemError, ValidationFailed
from chalicelib.core.money import Money
from chalicelib.payments import service as payments

_PUBLISHED = "published"


@dataclass(frozen=True)
class Terms:
    seats: int
    amount: int
    currency: str
    state: str
    mode: str


def load_session(session_id: str) -> catalog.SessionForBooking:
    try:
        return catalog.session_for_booking(session_id)
    except catalog.NoSuchSession:
        raise NotFound("No such session.") from None


def waitlist_open(session: catalog.SessionForBooking) -> bool:
    """A full session's waitlist takes players while an offer could still be made in time."""
    return session.scheduled and domain.offer_ends(clock.now(), session.starts_at) is not None


def bookable(session: catalog.SessionForBooking, principal: Principal) -> None:
    if session.listing_status != _PUBLISHED:
        raise NotFound("No such session.")
    if not session.scheduled:
        raise Conflict("The session is cancelled.", code="session_cancelled")
    if session.starts_at <= clock.now():
        raise Conflict("The session has started.", code="session_started")
    if principal.user_id == session.host_id:
        raise Conflict("Hosts do not book their own sessions.", code="own_session")


def terms_for(
    session: catalog.SessionForBooking, seats_wanted: int, currency: str | None, *, player_id: str | None = None
) -> Terms:
    """Seats, currency and total of a booking, checked before anything is written: 422 for too many
    seats, a currency the listing does not price, or a total above the currency's largest charge."""
    if seats_wanted > session.max_seats:
        raise ValidationFailed(
            "Too many seats.", errors=[FieldError("seats", f"at most {session.max_seats} per booking")]
        )
    chosen = booking_currency(session, currency, player_id)
    amount = session.prices[chosen] * seats_wanted
    if amount:
        check_total(session.prices[chosen], seats_wanted, chosen)
    mode = session.booking_mode
    paid_state = domain.PENDING_PAYMENT if amount > 0 else domain.CONFIRMED
    state = domain.REQUESTED if mode == "approval" else paid_state
    return Terms(seats_wanted, amount, chosen, state, mode)


def booking_currency(session: catalog.SessionForBooking, asked: str | None, player_id: str | None) -> str:
    """The currency asked for, which the listing must price (else 422 currency_not_offered); without
    one, the player's profile currency when the listing prices it, else the listing's own. The profile
    is read (one GetItem) only when that can change the answer: a paid listing with several prices."""
    offered = [session.base_currency, *sorted(c for c in session.prices if c != session.base_currency)]
    if asked is not None:
        code = asked.lower()
        if code not in session.prices:
            names = ", ".join(c.upper() for c in offered)
            raise ValidationFailed(
                f"This listing is priced in {names} only; book in one of them.",
                code="currency_not_offered",
                errors=[FieldError("currency", f"one of {', '.join(offered)}")],
                extra={"currencies": offered},
            )
        return code
    if player_id is not None and len(offered) > 1 and any(session.prices.values()):
        preferred = accounts.currency_of(player_id)
        if preferred and preferred.lower() in session.prices:
            return preferred.lower()
    return session.base_currency


def check_total(price: int, seats_wanted: int, currency: str) -> None:
    """A total cards can be charged: 422 amount_too_large past the currency's largest charge; 409
    price_not_chargeable for a listing saved before its prices were checked (its currency or a total
    below the smallest charge)."""
    total = price * seats_wanted
    refused = money.refusal(total, currency)
    if refused is None:
        return
    if refused.reason == "amount_too_large":
        most = money.max_charge(currency)
        fit = most // price
        hint = f"at most {fit} at this price" if fit else "the price of one seat is already too much"
        raise ValidationFailed(
            f"The total, {money.to_text(total, currency)}, is more than one card payment can be: at most "
            f"{money.to_text(most, currency)}.",
            code="amount_too_large",
            errors=[FieldError("seats", hint)],
            extra={"max_amount": Money(amount=most, currency=currency).model_dump()},
        )
    raise Conflict(f"This session's price cannot be charged: {refused.message}.", code="price_not_chargeable")


def full(session: catalog.SessionForBooking) -> Conflict:
    open_ = waitlist_open(session)
    detail = "The session is full." + (" Its waitlist is open." if open_ else "")
    return Conflict(detail, code="session_full", extra={"waitlist_open": open_, "seats_free": session.seats_free})


def new_booking(session: catalog.SessionForBooking, player_id: str, terms: Terms, note: str | None) -> BookingItem:
    booking_id = ids.new_id("bkg")
    now = clock.now()
    item = BookingItem(
        booking_pk(booking_id),
        BOOKING_SK,
        booking_id=booking_id,
        session_id=session.session_id,
        listing_id=session.listing_id,
        host_id=session.host_id,
        player_id=player_id,
        seats=terms.seats,
        state=terms.state,
        mode=terms.mode,
        note=note,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        amount=terms.amount,
        currency=terms.currency,
        payment_status="awaiting" if terms.amount else "none",
        amount_refunded=0,
    )
    if terms.state == domain.PENDING_PAYMENT:
        item.hold_expires_at = domain.hold_ends(now, session.starts_at)
    elif terms.state == domain.REQUESTED:
        item.hold_expires_at = domain.request_ends(now, session.starts_at)
    place(item)
    return item


def place(item: BookingItem) -> None:
    item.GSI1PK, item.GSI1SK = player_bookings_pk(item.player_id), f"{clock.to_wire(item.starts_at)}#{item.booking_id}"
    item.GSI2PK, item.GSI2SK = roster_pk(item.session_id), item.booking_id


def write_new(tx: TransactWrite, session: catalog.SessionForBooking, booking: BookingItem) -> None:
    """The booking, its guard, its timers and its event (not the seats: the caller moves those)."""
    tx.save(booking, condition=BookingItem.PK.does_not_exist())
    pk, sk = guard_key(session.session_id, booking.player_id)
    tx.save(PlayerGuardItem(pk, sk, booking_id=booking.booking_id), condition=PlayerGuardItem.PK.does_not_exist())
    payload = {"booking_id": booking.booking_id}
    if booking.state == domain.PENDING_PAYMENT and booking.hold_expires_at:
        timers.schedule(
            tx,
            handler=jobs.HOLD_EXPIRY,
            due_at=booking.hold_expires_at,
            subject=booking.booking_id,
            payload=payload,
            timer_id=f"hold#{booking.booking_id}",
        )
    if booking.state == domain.REQUESTED and booking.hold_expires_at:
        timers.schedule(
            tx,
            handler=jobs.REQUEST_EXPIRY,
            due_at=booking.hold_expires_at,
            subject=booking.booking_id,
            payload=payload,
            timer_id=f"request#{booking.booking_id}",
        )
    schedule_session_timers(tx, session)
    if booking.state == domain.CONFIRMED:
        effects.chat_roster(
            tx,
            action="join",
            booking_id=booking.booking_id,
            session_id=session.session_id,
            host_id=booking.host_id,
            player_id=booking.player_id,
        )
    kind = {domain.CONFIRMED: "booking.confirmed", domain.REQUESTED: "booking.requested"}.get(booking.state)
    if kind:
        effects.event(
            tx,
            kind,
            subject=booking.booking_id,
            dedupe=booking.booking_id,
            booking_id=booking.booking_id,
            session_id=session.session_id,
            player_id=booking.player_id,
            host_id=booking.host_id,
        )


def schedule_session_timers(tx: TransactWrite, session: catalog.SessionForBooking) -> None:
    """The session's minimum-players check and completion (same ids: rewritten, never doubled)."""
    now = clock.now()
    payload = {"session_id": session.session_id}
    check_at = domain.min_players_check_at(session.starts_at)
    if session.min_players > 1 and check_at > now:
        timers.schedule(
            tx,
            handler=jobs.MIN_PLAYERS,
            due_at=check_at,
            subject=session.session_id,
            payload=payload,
            timer_id=f"minplayers#{session.session_id}",
        )
    timers.schedule(
        tx,
        handler=jobs.COMPLETION,
        due_at=session.ends_at,
        subject=session.session_id,
        payload=payload,
        timer_id=f"complete#{session.session_id}",
    )


def book(
    principal: Principal, session_id: str, body: schemas.BookingIn, *, offer: WaitlistEntryItem | None = None
) -> schemas.BookingCreated:
    """Book seats (or, with `offer`, turn a waitlist offer's held seats into a booking)."""
    session = load_session(session_id)
    bookable(session, principal)
    terms = terms_for(session, body.seats, body.currency, player_id=principal.user_id)
    payments.require_payouts_enabled(session.host_id, terms.amount)
    booking = new_booking(session, principal.user_id, terms, body.note)
    if offer is not None:
        booking.waitlist_entry_id = offer.entry_id
    for _ in range(conditional.ATTEMPTS):
        if offer is None and session.seats_free < terms.seats:
            raise full(session)

        def build(tx: TransactWrite, s: catalog.SessionForBooking = session) -> None:
            write_new(tx, s, booking)
            if offer is not None:
                _take_offer(tx, offer, booking)
            elif terms.state == domain.CONFIRMED:
                catalog.book_seats(tx, s.session_id, terms.seats, s.capacity)
            else:
                catalog.hold_seats(tx, s.session_id, terms.seats, s.capacity)

        try:
            conditional.run(build)
            break
        except conditional.Refused as refused:
            if guard_key(session.session_id, principal.user_id) in refused.keys:
                raise Conflict("You already have a booking for this session.", code="already_booked") from None
            if offer is not None:
                raise Conflict("The offer is no longer open.", code="invalid_state") from None
            session = load_session(session_id)  # capacity moved or seats went: decide again
            bookable(session, principal)
    else:
        raise Conflict("The session is busy; try again.", code="busy")
    return _with_payment(principal, session, booking)


def _take_offer(tx: TransactWrite, entry: WaitlistEntryItem, booking: BookingItem) -> None:
    from chalicelib.booking import waitlist

    waitlist.claim_in(tx, entry, booking)


def _with_payment(
    principal: Principal, session: catalog.SessionForBooking, booking: BookingItem
) -> schemas.BookingCreated:
    if not booking.amount:
        return schemas.BookingCreated(**store.booking_out(booking).model_dump())
    manual = booking.mode == "approval"
    try:
        charge = payments.charge_for_booking(
            booking_id=booking.booking_id,
            session_id=session.session_id,
            user_id=principal.user_id,
            email=principal.email,
            amount=int(booking.amount),
            currency=booking.currency,
            manual_capture=manual,
        )
    except ProblemError:
        from chalicelib.booking import lifecycle

        lifecycle.abandon(booking.booking_id)  # no payment could start: give the seats back now
        raise
    booking.update(
        actions=[
            BookingItem.payment_intent_id.set(charge.payment_intent_id),
            BookingItem.client_secret.set(charge.client_secret),
        ]
    )
    payment = schemas.PaymentOut(
        payment_intent_id=charge.payment_intent_id,
        client_secret=charge.client_secret,
        amount=Money(amount=charge.amount, currency=charge.currency),
        capture="manual" if manual else "automatic",
    )
    return schemas.BookingCreated(**store.booking_out(booking).model_dump(), payment=payment)
