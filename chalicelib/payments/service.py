"""The public face of payments: what other packages may call (and the types they see).

Charging: `charge_for_booking` (a PaymentIntent), `capture`; in the caller's transaction:
`request_refund`, `request_release`, `schedule_payout`; `converge` brings a payment and its owner to
what Stripe says; `Owner`, `Expected`, `PaymentView` are what an owner of payables implements and
sees (payables.py); `require_payouts_enabled` for catalog and booking; route use cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError
from pynamodb.transactions import TransactWrite

from chalicelib.core.auth import Principal, require_admin, require_role
from chalicelib.core.exceptions import NotFound
from chalicelib.core.money import Money
from chalicelib.payments import schemas, stripe_gateway
from chalicelib.payments.models import STRIPE_CUSTOMER_SK, StripeCustomerItem, customer_pk
from chalicelib.payments.payables import Expected, Owner, PaymentView
from chalicelib.payments.schemas import ReceiptOut

__all__ = [
    "Charge",
    "Expected",
    "Owner",
    "PaymentView",
    "ReceiptOut",
    "admin_refund",
    "capture",
    "charge_for_booking",
    "converge",
    "customer_for",
    "payout_status",
    "receipt",
    "request_refund",
    "request_release",
    "require_payouts_enabled",
    "schedule_payout",
    "start_onboarding",
]


@dataclass(frozen=True)
class Charge:
    payment_intent_id: str
    client_secret: str
    amount: int
    currency: str
    status: str


def customer_for(user_id: str, email: str | None) -> str:
    """The user's Stripe Customer id, created on first use (Stripe's idempotency key and a conditional
    put make two concurrent first payments agree on one Customer)."""
    try:
        return StripeCustomerItem.get(customer_pk(user_id), STRIPE_CUSTOMER_SK).customer_id
    except StripeCustomerItem.DoesNotExist:
        pass
    customer_id = stripe_gateway.create_customer(user_id, email)
    try:
        StripeCustomerItem(customer_pk(user_id), STRIPE_CUSTOMER_SK, customer_id=customer_id).save(
            condition=StripeCustomerItem.PK.does_not_exist()
        )
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return StripeCustomerItem.get(customer_pk(user_id), STRIPE_CUSTOMER_SK, consistent_read=True).customer_id
    return customer_id


def charge_for_booking(
    *,
    booking_id: str,
    session_id: str,
    user_id: str,
    email: str | None,
    amount: int,
    currency: str,
    manual_capture: bool,
) -> Charge:
    """A PaymentIntent for the booking (manual capture: an authorization to capture on accept).
    Repeated for the same booking, Stripe's idempotency key returns the same PaymentIntent."""
    customer_id = customer_for(user_id, email)
    intent = stripe_gateway.create_payment_intent(
        booking_id=booking_id,
        session_id=session_id,
        customer_id=customer_id,
        amount=amount,
        currency=currency,
        manual_capture=manual_capture,
    )
    return Charge(intent.id, intent.client_secret, intent.amount, intent.currency, intent.status)


def capture(payment_intent_id: str, booking_id: str) -> None:
    """Capture an authorization, then converge: the owner follows the money (a request confirmed)."""
    from chalicelib.payments import convergence

    stripe_gateway.capture(payment_intent_id, key=f"capture-{booking_id}")
    convergence.converge(payment_intent_id)


def converge(payment_intent_id: str) -> None:
    """Bring the payment of this PaymentIntent, its books and its owner to what Stripe says now."""
    from chalicelib.payments import convergence

    convergence.converge(payment_intent_id)


def request_refund(tx: TransactWrite, *, subject_id: str, payment_intent_id: str, amount: int, reason: str) -> None:
    """In the caller's transaction: refund up to `amount` of the payment (once per subject and reason)."""
    from chalicelib.payments import refunds

    refunds.request_refund(tx, subject_id=subject_id, payment_intent_id=payment_intent_id, amount=amount, reason=reason)


def request_release(tx: TransactWrite, *, subject_id: str, payment_intent_id: str) -> None:
    """In the caller's transaction: release the payment's authorization (or its unpaid intent)."""
    from chalicelib.payments import refunds

    refunds.request_release(tx, subject_id=subject_id, payment_intent_id=payment_intent_id)


# Marketplace payments: the routes' use cases (payout onboarding, admin refunds) and the checks
# other packages call (catalog's publish, booking's create).


def require_payouts_enabled(host_id: str, amount: int) -> None:
    """409 `payouts_disabled` when a paid listing or booking belongs to a host who cannot be paid."""
    from chalicelib.payments import payout_accounts

    payout_accounts.require_payouts_enabled(host_id, amount)


def start_onboarding(principal: Principal) -> schemas.OnboardingOut:
    from chalicelib.payments import payout_accounts, queries

    require_role(principal, "host")
    _, url = payout_accounts.start_onboarding(principal)
    return schemas.OnboardingOut(url=url, status=queries.payout_status(principal))


def admin_refund(principal: Principal, booking_id: str, body: schemas.AdminRefundIn) -> schemas.AdminRefundOut:
    from chalicelib.payments import exceptions, ledger, refunds

    require_admin(principal)
    m = ledger.find(booking_id)
    if m is None or not m.charged:
        raise NotFound("No such paid booking.")
    if m.dispute_status in ("open", "lost"):
        raise exceptions.PaymentDisputed("A disputed payment cannot be refunded; the dispute decides.")
    remaining = ledger.balance_of(m).refundable
    if body.amount > remaining:
        raise exceptions.RefundExceedsRemaining(
            f"At most {remaining} can be refunded.", extra={"refundable": remaining}
        )
    count = len([r for r in (m.refs or ()) if r.startswith("re_")])
    refunds.refund(
        m.payment_intent_id, body.amount, reason=body.reason, key=f"admin-refund-{booking_id}-{count}-{body.amount}"
    )
    b = ledger.balance_of(ledger.find(booking_id) or m)
    return schemas.AdminRefundOut(
        booking_id=booking_id,
        refunded=Money(amount=b.refunded, currency=m.currency),
        refundable=Money(amount=b.refundable, currency=m.currency),
    )


def schedule_payout(tx: TransactWrite, *, booking_id: str, ends_at: datetime) -> None:
    """In the caller's transaction (a charged booking ended): the host's share is paid out after the
    session's end plus the hold, whatever ended it (completed, no-show, a player's late cancel)."""
    from chalicelib.payments import payouts

    payouts.schedule(tx, booking_id=booking_id, ends_at=ends_at)


def payout_status(principal: Principal) -> schemas.PayoutStatusOut:
    """The caller's payout account as Stripe last described it (one GetItem)."""
    from chalicelib.payments import queries

    return queries.payout_status(principal)


def receipt(booking_id: str, currency: str) -> ReceiptOut:
    """The booking's money and its ledger lines (for its booking's receipt route)."""
    from chalicelib.payments import queries

    return queries.receipt(booking_id, currency)
