"""A booking follows its payment: the owner of bookings' payments, registered with payments by the
composition root (chalicelib/wiring.py). Payments converges the money with Stripe and, in the same
transaction, asks the booking to follow (`apply`); what to do is decided by `domain.payment_step`:

- money received while the seat is held → confirmed (held → booked, the hold or request timer
  deleted, the session chat joined, `booking.confirmed`); in a request, the host's accept captured it;
- money received for a booking that closed before it arrived → all of it refunded (`late_payment`);
- an authorization (approval mode) → `authorized`; one for a closed booking → released;
- a canceled PaymentIntent → a held seat expires; a failed attempt → `failed` (the player may retry);
- after the charge: `payment_status` says what the money amounts to (paid, partially_refunded,
  refunded, disputed, dispute_lost, dispute_won), `amount_refunded` and `disputed` follow the books.
"""

from __future__ import annotations

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.booking import domain, effects, lifecycle, store
from chalicelib.booking.models import BookingItem
from chalicelib.payments import service as payments


class Bookings:
    """payments.Owner for PaymentIntents whose metadata names a `booking_id`."""

    def expected(self, subject_id: str) -> payments.Expected | None:
        b = store.find_booking(subject_id)
        if b is None or not b.amount:
            return None
        return payments.Expected(
            subject_id=b.booking_id,
            intent_id=b.payment_intent_id,
            amount=int(b.amount),
            currency=b.currency,
            host_id=b.host_id,
            player_id=b.player_id,
            state=b,
        )

    def apply(self, tx: TransactWrite, expected: payments.Expected, view: payments.PaymentView) -> bool:
        b: BookingItem = expected.state
        pay = domain.Payment(
            intent_status=view.intent_status,
            failed=view.failed,
            charged=view.amount_received if view.charged else 0,
            money_status=view.money_status,
            refunded=view.refunded,
            disputed=view.disputed,
        )
        step = domain.payment_step(b.state, b.payment_status, int(b.amount_refunded or 0), bool(b.disputed), pay)
        if step is None:
            return False
        fields: list[Action] = [
            BookingItem.payment_status.set(step.payment_status),
            BookingItem.amount_refunded.set(step.amount_refunded),
            BookingItem.disputed.set(step.disputed),
        ]
        if step.event == domain.PAYMENT_SUCCEEDED:
            lifecycle.confirm(tx, b, domain.PAYMENT_SUCCEEDED, *fields)
        elif step.event == domain.PAYMENT_CANCELED:
            lifecycle.close(
                tx, b, domain.PAYMENT_CANCELED, "booking.expired", *fields, reason="payment_canceled", release=False
            )
        else:
            tx.update(b, actions=fields, condition=BookingItem.state == b.state)
            if step.event == domain.PAYMENT_FAILED:
                effects.event(
                    tx,
                    "booking.payment_failed",
                    subject=b.booking_id,
                    dedupe=f"{b.booking_id}#{view.intent_status}#{b.updated_at.isoformat()}",
                    booking_id=b.booking_id,
                    player_id=b.player_id,
                )
        intent_id = str(b.payment_intent_id)
        if step.late_refund:
            payments.request_refund(
                tx, subject_id=b.booking_id, payment_intent_id=intent_id, amount=step.late_refund, reason="late_payment"
            )
        if step.release:
            payments.request_release(tx, subject_id=b.booking_id, payment_intent_id=intent_id)
        return True


OWNER = Bookings()
