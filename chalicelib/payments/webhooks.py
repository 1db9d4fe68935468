"""Stripe webhooks: verify the signature on the raw body, process each event id once.

Events arrive late, twice and out of order. An event already processed is acknowledged and skipped;
otherwise its handler runs, then the event id is recorded. Every handler reads the object the event
names back from Stripe and converges the payment (stripe_events.py), so nothing depends on the order
of arrival. Unknown types are acknowledged and ignored.

What Stripe's answers mean for the delivery (payments/exceptions.py): an object our key cannot read
(404, another account's) is permanent — acknowledged (200), logged and counted in the metric
`StripeEventsUnresolved` so Stripe stops retrying; a transient failure (Stripe or DynamoDB down) is
a 503, and Stripe redelivers. A body that is not an event is a 400 `malformed_event`.

Stripe's SDK is imported inside the functions that need it, so importing the app never loads it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pynamodb.exceptions import PutError

from chalicelib.core import clock
from chalicelib.core.exceptions import BadRequest
from chalicelib.core.observability import logger, metrics
from chalicelib.core.secrets import get_secret
from chalicelib.core.settings import get_settings
from chalicelib.payments import stripe_events
from chalicelib.payments.exceptions import StripeObjectMissing
from chalicelib.payments.models import STRIPE_EVENT_SK, StripeEventItem, stripe_event_pk

TOLERANCE_SECONDS = 300  # Stripe's default: a signature is good for five minutes either way
Handler = Callable[[Any], None]  # receives the verified event (a dict in Stripe's shape)
HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": stripe_events.on_payment_intent,
    "payment_intent.payment_failed": stripe_events.on_payment_intent,
    "payment_intent.canceled": stripe_events.on_payment_intent,
    "payment_intent.amount_capturable_updated": stripe_events.on_payment_intent,
    "payment_intent.processing": stripe_events.on_payment_intent,
    "charge.succeeded": stripe_events.on_charge,
    "charge.captured": stripe_events.on_charge,
    "charge.refunded": stripe_events.on_charge,
    "charge.refund.updated": stripe_events.on_refund,
    "refund.created": stripe_events.on_refund,
    "refund.updated": stripe_events.on_refund,
    "refund.failed": stripe_events.on_refund,
    "charge.dispute.created": stripe_events.on_dispute,
    "charge.dispute.updated": stripe_events.on_dispute,
    "charge.dispute.closed": stripe_events.on_dispute,
    "charge.dispute.funds_withdrawn": stripe_events.on_dispute,
    "charge.dispute.funds_reinstated": stripe_events.on_dispute,
    "transfer.created": stripe_events.on_transfer,
    "transfer.updated": stripe_events.on_transfer,
    "transfer.reversed": stripe_events.on_transfer,
    "account.updated": stripe_events.on_account_updated,
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


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event, if `signature` is Stripe's signature of exactly these bytes; else a 400."""
    import stripe

    if not signature:
        raise BadRequest("The Stripe-Signature header is missing.", code="invalid_signature")
    try:
        text = payload.decode("utf-8")
        # The SDK checks the signature's timestamp against the wall clock: it is the signer's
        # transport time, not business time, so the movable clock must not take part.
        stripe.WebhookSignature.verify_header(text, signature, get_secret("stripe_webhook_secret"),
                                              tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise BadRequest("The Stripe signature does not match the body.", code="invalid_signature") from None
    except UnicodeDecodeError:
        raise BadRequest("The webhook body is not a Stripe event.", code="malformed_event") from None
    # The SDK refuses signatures older than the tolerance; one from the future is as suspect. Wall time,
    # not core.clock: Stripe signs with real time, whatever the local stack's movable clock says.
    if _signed_at(signature) > time.time() + TOLERANCE_SECONDS:
        raise BadRequest("The Stripe signature's timestamp is in the future.", code="invalid_signature")
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("The webhook body is not a Stripe event.", code="malformed_event") from None
    if not (isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"]
            and isinstance(event.get("type"), str)):
        raise BadRequest("The webhook body is not a Stripe event.", code="malformed_event")
    return event


def _signed_at(signature: str) -> int:
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return 0


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
        object_id=stripe_events.object_id(event),
        stripe_created=_created(event),
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
    if handler is not None:
        try:
            handler(event)
        except StripeObjectMissing:
            logger.warning("stripe event about an object we cannot read", extra={
                "event_id": event_id, "event_type": event_type, "object_id": stripe_events.object_id(event)})
            metrics.add_metric(name="StripeEventsUnresolved", unit=MetricUnit.Count, value=1)
    _record(event)
    logger.info(
        "stripe event processed",
        extra={"event_id": event_id, "event_type": event_type, "handled": handler is not None},
    )
    return Received(event_id, event_type, duplicate=False)


def _created(event: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(event.get("created") or 0), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.now()
