"""Stripe webhooks: verify the signature on the raw body, process each event id once.

Events arrive late, twice and out of order. An event already processed is acknowledged and skipped;
otherwise its handler runs (handlers are idempotent and move state only forward), then the event id
is recorded. Unknown types are acknowledged and ignored. Capabilities register handlers by type in
`HANDLERS` (the booking issue: payment_intent.succeeded, payment_intent.payment_failed, ...).

Stripe's SDK is imported inside the functions that need it, so importing the app never loads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.core import clock
from chalicelib.core.exceptions import BadRequest
from chalicelib.core.lazy import resolve
from chalicelib.core.observability import logger
from chalicelib.core.secrets import get_secret
from chalicelib.core.settings import get_settings
from chalicelib.payments.models import STRIPE_EVENT_SK, StripeEventItem, stripe_event_pk

TOLERANCE_SECONDS = 300  # Stripe's default: a signature is good for five minutes either way
Handler = Callable[[Any], None]  # receives the verified stripe.Event
# A handler, or "package.module:function" imported when its first event arrives (cold start).
HANDLERS: dict[str, Handler | str] = {
    "payment_intent.succeeded": "chalicelib.booking.payment_events:on_succeeded",
    "payment_intent.payment_failed": "chalicelib.booking.payment_events:on_failed",
    "payment_intent.canceled": "chalicelib.booking.payment_events:on_canceled",
    "payment_intent.amount_capturable_updated": "chalicelib.booking.payment_events:on_capturable",
    # marketplace payments (chalicelib/payments/stripe_events.py); charge.refunded also tells booking
    "charge.refunded": "chalicelib.payments.stripe_events:on_charge_refunded",
    "account.updated": "chalicelib.payments.stripe_events:on_account_updated",
    "charge.dispute.created": "chalicelib.payments.stripe_events:on_dispute",
    "charge.dispute.updated": "chalicelib.payments.stripe_events:on_dispute",
    "charge.dispute.closed": "chalicelib.payments.stripe_events:on_dispute",
    "charge.dispute.funds_withdrawn": "chalicelib.payments.stripe_events:on_dispute",
    "charge.dispute.funds_reinstated": "chalicelib.payments.stripe_events:on_dispute",
    "transfer.created": "chalicelib.payments.stripe_events:on_transfer",
    "transfer.updated": "chalicelib.payments.stripe_events:on_transfer",
    "transfer.reversed": "chalicelib.payments.stripe_events:on_transfer",
}


@dataclass(frozen=True)
class Received:
    event_id: str
    event_type: str
    duplicate: bool


@dataclass(frozen=True)
class ProcessedEvent:
    event_id: str
    event_type: str
    object_id: str | None
    processed_at: datetime


def verify(payload: bytes, signature: str | None) -> Any:
    """The event, if `signature` is Stripe's signature of exactly these bytes; else a 400."""
    import stripe

    if not signature:
        raise BadRequest("The Stripe-Signature header is missing.", code="invalid_signature")
    try:
        # The SDK checks the signature's timestamp against the wall clock: it is the signer's
        # transport time, not business time, so the movable clock must not take part.
        event = stripe.Webhook.construct_event(payload, signature, get_secret("stripe_webhook_secret"),
                                               tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise BadRequest("The Stripe signature does not match the body.", code="invalid_signature") from None
    except ValueError:
        raise BadRequest("The webhook body is not a Stripe event.", code="malformed_event") from None
    # The SDK refuses signatures older than the tolerance; one from the future is as suspect. Wall time,
    # not core.clock: Stripe signs with real time, whatever the local stack's movable clock says.
    if _signed_at(signature) > time.time() + TOLERANCE_SECONDS:
        raise BadRequest("The Stripe signature's timestamp is in the future.", code="invalid_signature")
    return event


def _signed_at(signature: str) -> int:
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return 0


def _object_id(event: Any) -> str | None:
    try:
        value = event["data"]["object"]["id"]
    except (KeyError, TypeError):
        return None
    return str(value) if value else None


def is_processed(event_id: str) -> bool:
    return processed_event(event_id) is not None


def processed_event(event_id: str) -> ProcessedEvent | None:
    try:
        item = StripeEventItem.get(stripe_event_pk(event_id), STRIPE_EVENT_SK, consistent_read=True)
    except StripeEventItem.DoesNotExist:
        return None
    return ProcessedEvent(item.event_id, item.event_type, item.object_id, item.created_at)


def _record(event: Any) -> None:
    now = clock.now()
    item = StripeEventItem(
        stripe_event_pk(event["id"]),
        STRIPE_EVENT_SK,
        event_id=event["id"],
        event_type=event["type"],
        object_id=_object_id(event),
        stripe_created=datetime.fromtimestamp(int(event["created"]), UTC),
        expires_at=now + timedelta(days=get_settings().stripe_event_retention_days),
    )
    try:
        item.save(condition=StripeEventItem.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # A concurrent delivery of the same event recorded it first: fine, handlers are idempotent.


def receive(payload: bytes, signature: str | None) -> Received:
    event = verify(payload, signature)
    event_id, event_type = str(event["id"]), str(event["type"])
    if is_processed(event_id):
        logger.info("stripe event already processed", extra={"event_id": event_id, "event_type": event_type})
        return Received(event_id, event_type, duplicate=True)
    handler = HANDLERS.get(event_type)
    if isinstance(handler, str):
        handler = HANDLERS[event_type] = resolve(handler)
    if handler is not None:
        handler(event)
    _record(event)
    logger.info(
        "stripe event processed",
        extra={"event_id": event_id, "event_type": event_type, "handled": handler is not None},
    )
    return Received(event_id, event_type, duplicate=False)
