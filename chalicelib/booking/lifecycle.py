"""A booking's life after it is made: payment events, hold and request expiry, the player's cancel
(with its refund quote), the host's accept, decline and no-show. Every move is one transaction
conditional on the state it was read in; seats given back are then offered to the waitlist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.booking import domain, effects, policies, schemas, store, waitlist
from chalicelib.booking.models import BookingItem
from chalicelib.catalog import seats
from chalicelib.core import clock, conditional, timers
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict
from chalicelib.core.money import Money
from chalicelib.core.observability import logger
from chalicelib.payments import service as payments

PAID = "paid"


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


def _close(tx: TransactWrite, b: BookingItem, event: str, kind: str, *extra: Any, reason: str) -> None:
    to = domain.booking_next(b.state, event)
    store.give_back_seats(tx, b)
    store.move(tx, b, to, *extra, reason=reason)
    effects.event(tx, kind, subject=b.booking_id, dedupe=b.booking_id, booking_id=b.booking_id,
                  session_id=b.session_id, player_id=b.player_id, host_id=b.host_id, reason=reason)
    if b.state == domain.CONFIRMED:
        effects.chat_roster(tx, action="leave", booking_id=b.booking_id, session_id=b.session_id,
                            host_id=b.host_id, player_id=b.player_id)
    if b.payment_intent_id and b.payment_status in ("awaiting", "authorized", "failed"):
        effects.release(tx, booking_id=b.booking_id, payment_intent_id=b.payment_intent_id)


def _then_offer(booking: BookingItem | None) -> BookingItem | None:
    if booking is not None:
        waitlist.offer_free_seats(booking.session_id)
    return booking


# Timers


def expire_hold(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state != domain.PENDING_PAYMENT or (b.hold_expires_at and b.hold_expires_at > clock.now()):
            return False  # paid meanwhile, or the hold was extended: a stale timer
        _close(tx, b, domain.HOLD_EXPIRED, "booking.expired", reason="hold_expired")
        return True

    _then_offer(apply_change(booking_id, change))


def expire_request(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state != domain.REQUESTED:
            return False
        _close(tx, b, domain.REQUEST_EXPIRED, "booking.expired", reason="request_expired")
        return True

    _then_offer(apply_change(booking_id, change))


def abandon(booking_id: str) -> None:
    """No PaymentIntent could be created: the hold ends now rather than in 15 minutes."""
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state not in domain.SEAT_HELD:
            return False
        event = domain.HOLD_EXPIRED if b.state == domain.PENDING_PAYMENT else domain.REQUEST_EXPIRED
        _close(tx, b, event, "booking.expired", reason="payment_unavailable")
        return True

    _then_offer(apply_change(booking_id, change))


# Payment events (webhooks): only forward, each harmless when repeated or late.


def payment_succeeded(booking_id: str, intent_id: str, amount: int) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.payment_status in (PAID, "refunded"):
            return False
        paid: list[Action] = [BookingItem.payment_status.set(PAID), BookingItem.payment_intent_id.set(intent_id)]
        if b.state == domain.PENDING_PAYMENT:
            seats.confirm_hold(tx, b.session_id, int(b.seats))
            _record_charge(tx, b, intent_id, amount)
            store.move(tx, b, domain.booking_next(b.state, domain.PAYMENT_SUCCEEDED), *paid)
            timers.cancel(tx, f"hold#{b.booking_id}")
            effects.chat_roster(tx, action="join", booking_id=b.booking_id, session_id=b.session_id,
                                host_id=b.host_id, player_id=b.player_id)
            effects.event(tx, "booking.confirmed", subject=b.booking_id, dedupe=b.booking_id,
                          booking_id=b.booking_id, session_id=b.session_id, player_id=b.player_id, host_id=b.host_id)
            return True
        if b.state in (domain.CONFIRMED, domain.COMPLETED, domain.NO_SHOW, domain.REQUESTED):
            tx.update(b, actions=paid, condition=BookingItem.state == b.state)
            _record_charge(tx, b, intent_id, amount)
            return True
        # Expired, cancelled or declined before the money arrived: give it all back.
        tx.update(b, actions=[BookingItem.payment_status.set("refunded"), BookingItem.amount_refunded.set(amount)],
                  condition=BookingItem.state == b.state)
        _record_charge(tx, b, intent_id, amount)
        effects.refund(tx, booking_id=b.booking_id, payment_intent_id=intent_id, amount=amount, reason="late_payment")
        logger.info("late payment refunded", extra={"booking_id": b.booking_id, "state": b.state})
        return True

    apply_change(booking_id, change)


def _record_charge(tx: TransactWrite, b: BookingItem, intent_id: str, amount: int) -> None:
    payments.record_charge(tx, booking_id=b.booking_id, host_id=b.host_id, player_id=b.player_id,
                           payment_intent_id=intent_id, amount=amount, currency=b.currency)


def payment_failed(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state not in (domain.PENDING_PAYMENT, domain.REQUESTED) or b.payment_status != "awaiting":
            return False
        tx.update(b, actions=[BookingItem.payment_status.set("failed")], condition=BookingItem.state == b.state)
        effects.event(tx, "booking.payment_failed", subject=b.booking_id, dedupe=f"{b.booking_id}#{clock.now()}",
                      booking_id=b.booking_id, player_id=b.player_id)
        return True

    apply_change(booking_id, change)


def payment_authorized(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state != domain.REQUESTED or b.payment_status in ("authorized", PAID):
            return False
        tx.update(b, actions=[BookingItem.payment_status.set("authorized")], condition=BookingItem.state == b.state)
        return True

    apply_change(booking_id, change)


def payment_canceled(booking_id: str) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if b.state not in domain.SEAT_HELD:
            return False
        _close(tx, b, domain.PAYMENT_CANCELED, "booking.expired", BookingItem.payment_status.set("released"),
               reason="payment_canceled")
        return True

    _then_offer(apply_change(booking_id, change))


def refunded(booking_id: str, amount_refunded: int) -> None:
    def change(tx: TransactWrite, b: BookingItem) -> bool:
        if int(b.amount_refunded or 0) >= amount_refunded:
            return False
        tx.update(b, actions=[BookingItem.amount_refunded.set(amount_refunded)],
                  condition=BookingItem.amount_refunded < amount_refunded)
        return True

    apply_change(booking_id, change)


# The player's cancellation


def quote_for(b: BookingItem) -> policies.Quote:
    paid = int(b.amount or 0) if b.payment_status == PAID else 0
    if not paid:
        return policies.Quote(0, 0, None, "not_charged")
    now = clock.now()
    if b.free_cancel_until and now <= b.free_cancel_until:
        return policies.full_refund(paid, "session_changed")
    session = seats.session_for_booking(b.session_id, consistent=False)
    return policies.quote(policies.tiers_of(session.policy), b.starts_at, now, paid)


def quote_out(b: BookingItem, q: policies.Quote) -> schemas.QuoteOut:
    tier = schemas.TierOut(hours_before_start=q.tier.hours_before_start, refund_percent=q.tier.refund_percent) \
        if q.tier else None
    return schemas.QuoteOut(booking_id=b.booking_id, refund=Money(amount=q.refund_amount, currency=b.currency),
                            refund_percent=q.refund_percent, tier=tier, reason=q.reason,
                            quoted_at=clock.to_wire(clock.now()))


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
        extra = [BookingItem.amount_refunded.set(int(fresh.amount_refunded or 0) + q.refund_amount)] \
            if q.refund_amount else []
        _close(tx, fresh, domain.PLAYER_CANCEL, "booking.cancelled", *extra, reason="player_cancelled")
        if q.refund_amount and fresh.payment_intent_id:
            effects.refund(tx, booking_id=fresh.booking_id, payment_intent_id=fresh.payment_intent_id,
                           amount=q.refund_amount, reason="player_cancelled")
        return True

    _then_offer(apply_change(booking_id, change))
    after = store.load_booking(booking_id)
    refund = Money(amount=refund_amount[0], currency=after.currency)
    return schemas.CancelOut(booking=store.booking_out(after), refund=refund)


def close_for_session(tx: TransactWrite, b: BookingItem, *, event: str, reason: str) -> None:
    """Cancel an active booking with a full refund of what was paid (host or session cancellation)."""
    paid = int(b.amount or 0) if b.payment_status == PAID else 0
    refund = paid - int(b.amount_refunded or 0)
    extra = [BookingItem.amount_refunded.set(paid)] if refund > 0 else []
    _close(tx, b, event, "booking.cancelled", *extra, reason=reason)
    if refund > 0 and b.payment_intent_id:
        effects.refund(tx, booking_id=b.booking_id, payment_intent_id=b.payment_intent_id, amount=refund, reason=reason)


# The host's answers


def accept(principal: Principal, booking_id: str) -> schemas.BookingOut:
    b = store.hosts_booking(principal, booking_id)
    store.next_state(b, domain.ACCEPT)
    if int(b.amount or 0) > 0:
        if b.payment_status != "authorized" or not b.payment_intent_id:
            raise Conflict("The player's card is not authorized yet.", code="payment_not_authorized")
        payments.capture(b.payment_intent_id, b.booking_id)

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        if fresh.state != domain.REQUESTED:
            raise Conflict(f"The booking is {fresh.state}.", code="invalid_state", extra={"state": fresh.state})
        extra = [BookingItem.payment_status.set(PAID)] if int(fresh.amount or 0) > 0 else []
        if extra and fresh.payment_intent_id and fresh.payment_status != PAID:
            _record_charge(tx, fresh, fresh.payment_intent_id, int(fresh.amount))
        seats.confirm_hold(tx, fresh.session_id, int(fresh.seats))
        store.move(tx, fresh, domain.CONFIRMED, *extra)
        timers.cancel(tx, f"request#{fresh.booking_id}")
        effects.chat_roster(tx, action="join", booking_id=fresh.booking_id, session_id=fresh.session_id,
                            host_id=fresh.host_id, player_id=fresh.player_id)
        effects.event(tx, "booking.confirmed", subject=fresh.booking_id, dedupe=fresh.booking_id,
                      booking_id=fresh.booking_id, session_id=fresh.session_id, player_id=fresh.player_id,
                      host_id=fresh.host_id)
        return True

    apply_change(booking_id, change)
    return store.booking_out(store.load_booking(booking_id))


def decline(principal: Principal, booking_id: str) -> schemas.BookingOut:
    b = store.hosts_booking(principal, booking_id)
    store.next_state(b, domain.DECLINE)

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        if fresh.state != domain.REQUESTED:
            raise Conflict(f"The booking is {fresh.state}.", code="invalid_state", extra={"state": fresh.state})
        _close(tx, fresh, domain.DECLINE, "booking.declined", reason="host_declined")
        timers.cancel(tx, f"request#{fresh.booking_id}")
        return True

    _then_offer(apply_change(booking_id, change))
    return store.booking_out(store.load_booking(booking_id))


def no_show(principal: Principal, booking_id: str) -> schemas.BookingOut:
    b = store.hosts_booking(principal, booking_id)
    store.next_state(b, domain.MARK_NO_SHOW)
    if clock.now() < b.starts_at:
        raise Conflict("A no-show is marked once the session has started.", code="session_not_started")

    def change(tx: TransactWrite, fresh: BookingItem) -> bool:
        store.move(tx, fresh, store.next_state(fresh, domain.MARK_NO_SHOW), reason="no_show")
        if fresh.payment_status == PAID and int(fresh.amount or 0) > 0:
            payments.schedule_payout(tx, booking_id=fresh.booking_id, ends_at=fresh.ends_at)
        effects.event(tx, "booking.no_show", subject=fresh.booking_id, dedupe=fresh.booking_id,
                      booking_id=fresh.booking_id, player_id=fresh.player_id)
        return True

    apply_change(booking_id, change)
    return store.booking_out(store.load_booking(booking_id))
