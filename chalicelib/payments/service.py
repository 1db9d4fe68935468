"""Charging players: the payment steps of a booking, behind functions the "Marketplace payments"
issue extends (ledger items, fees, payouts). Booking calls these; nothing else talks to Stripe.
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
    *, booking_id: str, session_id: str, user_id: str, email: str | None, amount: int, currency: str,
    manual_capture: bool,
) -> Charge:
    """A PaymentIntent for the booking (manual capture: an authorization to capture on accept).
    Repeated for the same booking, Stripe's idempotency key returns the same PaymentIntent."""
    customer_id = customer_for(user_id, email)
    intent = stripe_gateway.create_payment_intent(
        booking_id=booking_id, session_id=session_id, customer_id=customer_id, amount=amount, currency=currency,
        manual_capture=manual_capture,
    )
    return Charge(intent.id, intent.client_secret, intent.amount, intent.currency, intent.status)


def capture(payment_intent_id: str, booking_id: str) -> str:
    return stripe_gateway.capture(payment_intent_id, key=f"capture-{booking_id}").status


def cancel_authorization(payment_intent_id: str, booking_id: str) -> str:
    """Release an uncaptured PaymentIntent. One that can no longer be cancelled (already succeeded,
    already cancelled) is left as it is and its status returned."""
    current = stripe_gateway.retrieve_payment_intent(payment_intent_id)
    if current.status in ("succeeded", "canceled"):
        return current.status
    return stripe_gateway.cancel(payment_intent_id, key=f"cancel-{booking_id}").status


def refund(payment_intent_id: str, amount: int, *, reason_key: str) -> str | None:
    """Refund `amount` of a succeeded PaymentIntent; `reason_key` names this refund (one per key)."""
    if amount <= 0:
        return None
    refund_id = stripe_gateway.refund(payment_intent_id, amount, key=f"refund-{reason_key}")
    booking_id = stripe_gateway.retrieve_payment_intent(payment_intent_id).metadata.get("booking_id")
    if booking_id:
        from chalicelib.payments import money

        money.sync_refunds(booking_id)  # the ledger and the host's payout follow at once
    return refund_id


def payment_status(payment_intent_id: str) -> str:
    return stripe_gateway.retrieve_payment_intent(payment_intent_id).status


# Marketplace payments: the routes' use cases (payout onboarding, admin refunds) and the checks
# other packages call (catalog's publish, booking's create).


def require_payouts_enabled(host_id: str, amount: int) -> None:
    """409 `payouts_disabled` when a paid listing or booking belongs to a host who cannot be paid."""
    from chalicelib.payments import accounts

    accounts.require_payouts_enabled(host_id, amount)


def start_onboarding(principal: Principal) -> schemas.OnboardingOut:
    from chalicelib.payments import accounts, queries

    require_role(principal, "host")
    _, url = accounts.start_onboarding(principal)
    return schemas.OnboardingOut(url=url, status=queries.payout_status(principal))


def admin_refund(principal: Principal, booking_id: str, body: schemas.AdminRefundIn) -> schemas.AdminRefundOut:
    from chalicelib.payments import money

    require_admin(principal)
    m = money.find(booking_id)
    if m is None:
        raise NotFound("No such paid booking.")
    count = len([r for r in (m.refs or ()) if r.startswith("re_")])
    after = money.refund(booking_id, body.amount, reason=body.reason,
                         key=f"admin-refund-{booking_id}-{count}-{body.amount}")
    b = money.balance_of(after)
    return schemas.AdminRefundOut(booking_id=booking_id, refunded=Money(amount=b.refunded, currency=after.currency),
                                  refundable=Money(amount=b.refundable, currency=after.currency))


def record_charge(tx: TransactWrite, *, booking_id: str, host_id: str, player_id: str, payment_intent_id: str,
                  amount: int, currency: str) -> None:
    """In the caller's transaction (the booking becoming paid): the charge and the platform fee in the
    ledger, the booking's money, and `payment.charged`."""
    from chalicelib.payments import money

    money.record_charge(tx, booking_id=booking_id, host_id=host_id, player_id=player_id,
                        payment_intent_id=payment_intent_id, amount=amount, currency=currency)


def schedule_payout(tx: TransactWrite, *, booking_id: str, ends_at: datetime) -> None:
    """In the caller's transaction (the booking completed): the host's payout after the hold."""
    from chalicelib.payments import money

    money.schedule_payout(tx, booking_id=booking_id, ends_at=ends_at)
