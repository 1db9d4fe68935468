"""Giving money back: refunds of a charge, and releasing an authorization nobody will capture.

Owners ask in the transaction of their own change (`request_refund`, `request_release`): an outbox
message, sent right after the commit and retried by the sweep until Stripe has answered. The
sender reads the payment from Stripe first, so a retry after a refund was made (the response lost)
does not make a second one, and a refund never asks for more than Stripe still holds of the charge:
refunds of every origin (cancellations, host cancellations, admins, late payments), in any order,
never add up to more than was charged. Then the books converge.
"""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.core import outbox
from chalicelib.core.observability import logger
from chalicelib.payments import convergence, stripe_gateway
from chalicelib.payments.exceptions import StripeRefused

REFUND, RELEASE = "payments.refund", "payments.release"


def request_refund(tx: TransactWrite, *, subject_id: str, payment_intent_id: str, amount: int, reason: str) -> None:
    """In the caller's transaction: refund `amount` (at most what remains) of the payment, once per
    (subject, reason)."""
    if amount <= 0:
        return
    outbox.emit(
        tx,
        kind=REFUND,
        subject=subject_id,
        dedupe_key=f"refund#{subject_id}#{reason}",
        payload={"subject_id": subject_id, "payment_intent_id": payment_intent_id, "amount": amount, "reason": reason},
    )


def request_release(tx: TransactWrite, *, subject_id: str, payment_intent_id: str) -> None:
    """In the caller's transaction: cancel the payment's authorization (nobody will capture it)."""
    outbox.emit(
        tx,
        kind=RELEASE,
        subject=subject_id,
        dedupe_key=f"release#{subject_id}",
        payload={"subject_id": subject_id, "payment_intent_id": payment_intent_id},
    )


def refund(intent_id: str, amount: int, *, reason: str, key: str) -> int:
    """Refund up to `amount` of the payment at Stripe (once per `key`) and converge the books.
    Returns the amount refunded by this call (0: already made, or nothing left to refund)."""
    intent = stripe_gateway.retrieve_intent(intent_id)
    facts = stripe_gateway.facts_of(intent, transfers=False)
    made = 0
    if facts.refund_made_with(key) is None:
        made = min(amount, facts.refundable_at_stripe)
        if made > 0:
            try:
                stripe_gateway.refund(intent_id, made, reason=reason, key=key)
            except StripeRefused as exc:  # what Stripe holds changed since we read it: nothing to retry
                logger.info(
                    "refund refused by Stripe",
                    extra={"payment_intent_id": intent_id, "reason": reason, "stripe_code": exc.stripe_code},
                )
                made = 0
        elif amount > 0:
            logger.info(
                "nothing left to refund", extra={"payment_intent_id": intent_id, "reason": reason, "asked": amount}
            )
    convergence.converge(intent_id)
    return made


def release(intent_id: str, key: str) -> None:
    """Cancel an authorization nobody will capture; one that already succeeded or was canceled is
    left as it is. Either way the books converge (a payment that succeeded after its booking closed
    is refunded by its owner's rule)."""
    intent = stripe_gateway.retrieve_intent(intent_id)
    if intent.get("status") not in ("succeeded", "canceled", "processing"):
        try:
            stripe_gateway.cancel(intent_id, key=key)
        except StripeRefused as exc:  # its status moved since we read it: converge on what it is now
            logger.info(
                "release refused by Stripe", extra={"payment_intent_id": intent_id, "stripe_code": exc.stripe_code}
            )
    convergence.converge(intent_id)


def _send_refund(message: outbox.Message) -> None:
    p = message.payload
    subject = str(p.get("subject_id") or p.get("booking_id"))  # booking_id: messages queued before the rename
    refund(
        str(p["payment_intent_id"]), int(p["amount"]), reason=str(p["reason"]), key=f"refund-{subject}-{p['reason']}"
    )


def _send_release(message: outbox.Message) -> None:
    p = message.payload
    subject = str(p.get("subject_id") or p.get("booking_id"))
    release(str(p["payment_intent_id"]), key=f"cancel-{subject}")


outbox.register_sender(REFUND, _send_refund, max_attempts=10)
outbox.register_sender(RELEASE, _send_release, max_attempts=10)
