"""Stripe events that move bookings, registered in `payments.webhooks.HANDLERS`.

Each finds the booking from the PaymentIntent's metadata (`booking_id`) and applies a forward-only,
idempotent move (lifecycle); an event about a PaymentIntent that is not a booking's is ignored.
"""

from __future__ import annotations

from typing import Any

from chalicelib.booking import lifecycle
from chalicelib.core.observability import logger
from chalicelib.payments import stripe_gateway


def _intent(event: Any) -> dict[str, Any]:
    return stripe_gateway.plain(event["data"]["object"])


def _booking_id(intent: Any) -> str | None:
    metadata = intent.get("metadata") or {}
    booking_id = metadata.get("booking_id")
    if not booking_id:
        logger.info("stripe event without a booking", extra={"object_id": intent.get("id")})
    return str(booking_id) if booking_id else None


def on_succeeded(event: Any) -> None:
    intent = _intent(event)
    if booking_id := _booking_id(intent):
        received = int(intent.get("amount_received") or intent.get("amount") or 0)
        lifecycle.payment_succeeded(booking_id, str(intent["id"]), received)


def on_failed(event: Any) -> None:
    if booking_id := _booking_id(_intent(event)):
        lifecycle.payment_failed(booking_id)


def on_canceled(event: Any) -> None:
    if booking_id := _booking_id(_intent(event)):
        lifecycle.payment_canceled(booking_id)


def on_capturable(event: Any) -> None:
    if booking_id := _booking_id(_intent(event)):
        lifecycle.payment_authorized(booking_id)


def on_refunded(event: Any) -> None:
    charge = _intent(event)
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return
    intent = stripe_gateway.retrieve_payment_intent(str(intent_id))
    booking_id = intent.metadata.get("booking_id")
    if booking_id:
        lifecycle.refunded(booking_id, int(charge.get("amount_refunded") or 0))
