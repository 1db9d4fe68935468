"""What each Stripe event makes us do. Nothing in an event's body is trusted but the id of the object
it names (and Stripe's signature says the event is Stripe's): the object is read back from Stripe,
and the payment it belongs to converges (convergence.converge). An object that is not a payment of
ours (no payable in its metadata, no payment behind a transfer) is acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.observability import logger
from chalicelib.payments import convergence, ledger, payout_accounts, payouts, stripe_gateway
from chalicelib.payments.facts import ref


def object_id(event: Any) -> str | None:
    try:
        value = event["data"]["object"]["id"]
    except (KeyError, TypeError):
        return None
    return str(value) if isinstance(value, str) and value else None


def _intent_of_charge(charge_id: str | None) -> str | None:
    return ref(stripe_gateway.retrieve_charge(charge_id).get("payment_intent")) if charge_id else None


def intent_of(kind: str, obj_id: str) -> str | None:
    """The PaymentIntent behind a Stripe object (read back from Stripe), if it has one of ours."""
    if kind == "payment_intent":
        return obj_id
    if kind == "charge":
        return _intent_of_charge(obj_id)
    if kind in ("dispute", "refund"):
        obj = stripe_gateway.retrieve_dispute(obj_id) if kind == "dispute" else stripe_gateway.retrieve_refund(obj_id)
        return ref(obj.get("payment_intent")) or _intent_of_charge(ref(obj.get("charge")))
    if kind == "transfer":
        transfer = stripe_gateway.retrieve_transfer(obj_id)
        subject = transfer.get("transfer_group") or (transfer.get("metadata") or {}).get("booking_id")
        m = ledger.find(str(subject), consistent=False) if subject else None
        return m.payment_intent_id if m is not None else None
    return None


def on_payment_object(kind: str) -> Any:
    """The handler of events about objects of `kind` (payment_intent, charge, dispute, refund, transfer)."""

    def handle(event: Any) -> None:
        obj_id = object_id(event)
        intent_id = intent_of(kind, obj_id) if obj_id else None
        if intent_id is None:
            logger.info("stripe event about no payment of ours", extra={"kind": kind, "object_id": obj_id})
            return
        convergence.converge(intent_id, transfers=kind == "transfer")

    handle.__name__ = f"on_{kind}"
    return handle


def on_account_updated(event: Any) -> None:
    account_id = object_id(event)
    if not account_id:
        return
    host_id = payout_accounts.refresh(account_id)
    if host_id and payout_accounts.payouts_enabled(host_id):
        for booking_id in payouts.due_and_unpaid(host_id):  # payouts that waited for the host
            payouts.settle_quietly(booking_id)


on_payment_intent = on_payment_object("payment_intent")
on_charge = on_payment_object("charge")
on_dispute = on_payment_object("dispute")
on_refund = on_payment_object("refund")
on_transfer = on_payment_object("transfer")
