"""Stripe events of marketplace payments, registered in `payments.webhooks.HANDLERS`.

None trusts the event body for amounts or states: each reads the object back from Stripe and
records what the ledger lacks (money.sync_*), so a late, repeated or out-of-order delivery ends in
the same books. An object that is not one of ours is ignored.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.lazy import resolve
from chalicelib.core.observability import logger
from chalicelib.payments import accounts, money, stripe_gateway


def _object(event: Any) -> dict[str, Any]:
    return stripe_gateway.plain(event["data"]["object"])


def _settle(booking_id: str) -> None:
    try:
        money.settle(booking_id)
    except money.PayoutBlocked:
        logger.info("payout waits for the host's payouts", extra={"booking_id": booking_id})


def on_account_updated(event: Any) -> None:
    account_id = _object(event).get("id")
    if not account_id:
        return
    host_id = accounts.refresh(str(account_id))
    if host_id and accounts.payouts_enabled(host_id):
        for booking_id in money.due_and_unpaid(host_id):  # payouts that waited for the host
            _settle(booking_id)


def on_charge_refunded(event: Any) -> None:
    resolve("chalicelib.booking.payment_events:on_refunded")(event)  # the booking's amount_refunded
    intent_id = _object(event).get("payment_intent")
    if not intent_id:
        return
    booking_id = stripe_gateway.retrieve_payment_intent(str(intent_id)).metadata.get("booking_id")
    if booking_id:
        try:
            money.sync_refunds(booking_id)
        except money.PayoutBlocked:
            logger.info("payout waits for the host's payouts", extra={"booking_id": booking_id})


def on_dispute(event: Any) -> None:
    dispute_id = _object(event).get("id")
    if not dispute_id:
        return
    try:
        money.sync_dispute(str(dispute_id))
    except money.PayoutBlocked:
        logger.info("payout waits for the host's payouts", extra={"dispute_id": dispute_id})


def on_transfer(event: Any) -> None:
    transfer = _object(event)
    booking_id = transfer.get("transfer_group") or (transfer.get("metadata") or {}).get("booking_id")
    if booking_id and money.find(str(booking_id)) is not None:
        _settle(str(booking_id))
