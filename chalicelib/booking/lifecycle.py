"""A booking's life after it is made: hold and request expiry, the player's cancel (with its refund
quote), the host's accept, decline and no-show. Every move is one transaction conditional on the
state it was read in; seats given back are then offered to the waitlist (an outbox message sent
right after the commit). How a booking follows its payment is `payment_state`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.booking import domain, effects, policies, schemas, store
from chalicelib.booking.models import BookingItem
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, conditional, timers
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict
from chalicelib.core.money import Money
from chalicelib.payments import service as payments


def apply_change(booking_id: str, change: Callable[[TransactWrite, BookingItem], bool]) -> BookingItem | None:
    """Run `change` on the freshly read booking; it returns False when there is nothing to do. A
    concurrent move (the state condition) makes it read again and decide again."""
    for _ in range(conditional.ATTEMPTS):
        booking = store.find_booking(booking_id)
        if booking is None:
            return None
        acted = [False]

        def build(tx: TransactWrite, b: BookingItem = booking, flag: list[bool] = acted) -> None:
            flag[0] = change(tx, b)

        try:
            conditional.run(build)
        except conditional.Refused:
            continue
        return booking if acted[0] else None
    raise Conflict("The booking changed meanwhile; try again.", code="concurrent_change")


def close(
    tx: TransactWrite,
    b: BookingItem,
    event: str,
    kind: str,
    *extra: Any,
    reason: str,
    release: bool = True,
    refund: int = 0,
) -> None:
    """End an active booking: its seats go back (and are offered to the waitlist), the player may book
    again, everyone hears `kind` (with the `refund` it gives back, in the booking's currency); an
    authorization or an unpaid intent is released."""
    to = domain.booking_next(b.state, event)
    store.give_back_seats(tx, b)
    store.move(tx, b, to, *extra, reason=reason)
    told = {"refund_amount": refund, "refund_currency": b.currency} if refund else {}
    effects.event(
        tx,
        kind,
        subject=b.booking_id,
        dedupe=b.booking_id,
        booking_id=b.booking_id,
        session_id=b.session_id,
        player_id=b.player_id,
        host_id=b.host_id,
        reason=reason,
        **told,
    )
    effects.offer_freed_seats(tx, booking_id=b.booking_id, session_id=b.session_id)
    if b.state == domain.CONFIRMED:
        effects.chat_roster(
            tx,
            action="leave",
            booking_id=b.booking_id,
            session_id=b.session_id,
            host_id=b.host_id,
            player_id=b.player_id,
        )
    if release and b.payment_intent_id and b.payment_status in (domain.AWAITING, domain.AUTHORIZED, domain.FAILED):
        payments.request_release(tx, subject_id=b.booking_id, payment_intent_id=b.payment_intent_id)


def confirm(tx: TransactWrite, b: BookingItem, event: str, *extra: Any) -> None:
    """A held seat becomes booked (`event`: the host's accept, or the payment received): the hold's or
    the request's timer goes, the player joins the session chat, everyone hears `booking.confirmed`."""
    catalog.confirm_held_seats(tx, b.session_id, int(b.seats))
    store.move(tx, b, domain.booking_next(b.state, event), *extra)
    timers.cancel(tx, f"{'hold' if b.state == domain.PENDING_PAYMENT else 'request'}#{b.booking_id}")
    effects.chat_roster(
        tx, action="join", booking_id=b.booking_id, session_id=b.session_id, host_id=b.host_id, player_id=b.player_id
    )
    effects.event(
        tx,
        "booking.confirmed",
        subject=b.booking_id,
        dedupe=b.booking_id,
        booking_id=b.booking_id,
        session_id=b.session_id,
        player_id=b.player_id,
        host_id=b.host_id,
    )


# Timers


def expire_hold(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state != domain.PENDING_PAYMENT or (b.hold_expires_at and b.hold_expires_at > clock.now()):
            return False  # paid meanwhile, or the hold was extended: a stale timer
        close(tx, b, domain.HOLD_EXPIRED, "booking.expired", reason="hold_expired")
        return True

    apply_change(booking_id, change)


def expire_request(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state != domain.REQUESTED:
            return False
        close(tx, b, domain.REQUEST_EXPIRED, "booking.expired", reason="request_expired")
        return True

    apply_change(booking_id, change)


def abandon(booking_id: str) -> None:
    """No PaymentIntent could be created: the hold ends now rather than in 15 minutes."""

    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state not in domain.SEAT_HELD:
            return False
        event = domain.HOLD_EXPIRED if b.state == domain.PENDING_PAYMENT else domain.REQUEST_EXPIRED
        close(tx, b, event, "booking.expired", reason="payment_unavailable")
        return True

    apply_change(booking_id, change)


# The player's cancellation


def quote_for(b: BookingItem) -> policies.Quote:
    """The policy's share of what the player still has paid (the price less every refund so far,
    whoever made it), so a cancellation never refunds money already given back."""
    paid = int(b.amount or 0) - int(b.amount_refunded or 0) if b.payment_status in domain.REFUNDABLE else 0
    if paid <= 0:
        return policies.Quote(0, 0, None, "not_charged")
    now = clock.now()
    if b.free_cancel_until and now <= b.free_cancel_until:
        return policies.full_refund(paid, "session_changed")
    session = catalog.session_for_booking(b.session_id, consistent=False)
    return policies.quote(policies.tiers_of(session.policy), b.starts_at, now, paid)


def quote_out(b: BookingItem, q: policies.Quote) -> schemas.QuoteOut:
    tier = (
        schemas.TierOut(hours_before_start=q.tier.hours_before_start, refund_percent=q.tier.refund_percent)
        if q.tier
        else None
    )
    return schemas.QuoteOut(
        booking_id=b.booking_id,
        refund=Money(amount=q.refund_amount, currency=b.currency),
        refund_percent=q.refund_percent,
        tier=tier,
        reason=q.reason,
        quoted_at=clock.to_wire(clock.now()),
    )


def cancellation_quote(principal: Principal, booking_id: str) -> schemas.QuoteOut:
    b = store.players_booking(principal, booking_id)
    store.next_state(b, domain.PLAYER_CANCEL)
    return quote_out(b, quote_for(b))


def cancel(principal: Principal, booking_id: str) -> schemas.CancelOut:
    b = store.players_booking(principal, booking_id)
    store.next_state(b, domain.PLAYER_CANCEL)
    refund_amount = [0]

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        if fresh.state not in domain.ACTIVE:
            raise Conflict(f"The booking is {fresh.state}.", code="invalid_state", extra={"state": fresh.state})
        q = quote_for(fresh)
        refund_amount[0] = q.refund_amount
        charged = bool(fresh.payment_intent_id) and fresh.payment_status in domain.CHARGED
        close(
            tx,
            fresh,
            domain.PLAYER_CANCEL,
            "booking.cancelled",
            reason="player_cancelled",
            refund=q.refund_amount if charged else 0,
        )
        if charged and fresh.payment_intent_id:
            payments.request_refund(
                tx,
                subject_id=fresh.booking_id,
                payment_intent_id=fresh.payment_intent_id,
                amount=q.refund_amount,
                reason="player_cancelled",
            )
            # What the policy keeps is the host's, paid out after the session like a completed booking's.
            payments.schedule_payout(tx, booking_id=fresh.booking_id, ends_at=fresh.ends_at)
        return True

    apply_change(booking_id, change)
    after = store.load_booking(booking_id)
    refund = Money(amount=refund_amount[0], currency=after.currency)
    return schemas.CancelOut(booking=store.booking_out(after), refund=refund)


def close_for_session(tx: TransactWrite, b: BookingItem, *, event: str, reason: str) -> None:
    """Cancel an active booking with a full refund of what the player still has paid (the host or
    the session cancelled: the host keeps nothing)."""
    paid = int(b.amount or 0) - int(b.amount_refunded or 0) if b.payment_status in domain.CHARGED else 0
    close(tx, b, event, "booking.cancelled", reason=reason, refund=paid if b.payment_intent_id else 0)
    if paid > 0 and b.payment_intent_id:
        payments.request_refund(
            tx, subject_id=b.booking_id, payment_intent_id=b.payment_intent_id, amount=paid, reason=reason
        )


# The host's answers


def accept(principal: Principal, booking_id: str) -> schemas.BookingOut:
    """Confirm a request. A paid one is confirmed by capturing the player's authorization: the
    payment converges and the booking follows it (payment_state); an authorization whose webhook has
    not arrived yet is read from Stripe first."""
    b = store.hosts_booking(principal, booking_id)
    store.next_state(b, domain.ACCEPT)
    if int(b.amount or 0) > 0:
        if b.payment_intent_id and b.payment_status != domain.AUTHORIZED:
            payments.converge(b.payment_intent_id)
            b = store.load_booking(booking_id)
            store.next_state(b, domain.ACCEPT)
        if b.payment_status != domain.AUTHORIZED or not b.payment_intent_id:
            raise Conflict("The player's card is not authorized yet.", code="payment_not_authorized")
        payments.capture(b.payment_intent_id, b.booking_id)
        after = store.load_booking(booking_id)
        if after.state != domain.CONFIRMED:  # closed while we captured: the money goes back (late payment)
            raise Conflict(f"The booking is {after.state}.", code="invalid_state", extra={"state": after.state})
        return store.booking_out(after)

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        if fresh.state != domain.REQUESTED:
            raise Conflict(f"The booking is {fresh.state}.", code="invalid_state", extra={"state": fresh.state})
        confirm(tx, fresh, domain.ACCEPT)
        return True

    apply_change(booking_id, change)
    return store.booking_out(store.load_booking(booking_id))


def decline(principal: Principal, booking_id: str) -> schemas.BookingOut:
    b = store.hosts_booking(principal, booking_id)
    store.next_state(b, domain.DECLINE)

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        if fresh.state != domain.REQUESTED:
            raise Conflict(f"The booking is {fresh.state}.", code="invalid_state", extra={"state": fresh.state})
        close(tx, fresh, domain.DECLINE, "booking.declined", reason="host_declined")
        timers.cancel(tx, f"request#{fresh.booking_id}")
        return True

    apply_change(booking_id, change)
    return store.booking_out(store.load_booking(booking_id))


def no_show(principal: Principal, booking_id: str) -> schemas.BookingOut:
    b = store.hosts_booking(principal, booking_id)
    store.next_state(b, domain.MARK_NO_SHOW)
    if clock.now() < b.starts_at:
        raise Conflict("A no-show is marked once the session has started.", code="session_not_started")

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        store.move(tx, fresh, store.next_state(fresh, domain.MARK_NO_SHOW), reason="no_show")
        if fresh.payment_status in domain.CHARGED and fresh.state == domain.CONFIRMED:
            payments.schedule_payout(tx, booking_id=fresh.booking_id, ends_at=fresh.ends_at)
        effects.event(
            tx,
            "booking.no_show",
            subject=fresh.booking_id,
            dedupe=fresh.booking_id,
            booking_id=fresh.booking_id,
            player_id=fresh.player_id,
        )
        return True

    apply_change(booking_id, change)
    return store.booking_out(store.load_booking(booking_id))
