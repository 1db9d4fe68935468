"""Stripe webhooks: verify the signature on the raw body, process each event id once.

Events arrive late, twice and out of order. An event already accepted is acknowledged and skipped;
otherwise it is accepted: its record and an outbox message for its work are written in one
transaction, and the work runs right after the commit (`_handle`). Every handler reads the object
the event names back from Stripe and converges the payment (stripe_events.py), so nothing depends on
the order of arrival. Unknown types are acknowledged and ignored.

Answers: a correctly signed event is answered 200 once accepted, even when Stripe cannot be read
back just then — the message stays due and the sweep retries it with backoff (about three days, as
long as Stripe itself would), so Stripe is never asked to redeliver what we hold already. Only when
the event cannot be recorded (DynamoDB unavailable) is the answer a 503, and Stripe redelivers. An
object our key cannot read (404, another account's) is permanent: logged, counted in the metric
`StripeEventsUnresolved`, done. A body that is not an event is a 400 `malformed_event`.

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
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, conditional, outbox
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
        stripe.WebhookSignature.verify_header(
            text, signature, get_secret("stripe_webhook_secret"), tolerance=TOLERANCE_SECONDS
        )
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
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and event["id"]
        and isinstance(event.get("type"), str)
    ):
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


def _record(tx: TransactWrite, event: dict[str, Any]) -> None:
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
    tx.save(item, condition=StripeEventItem.PK.does_not_exist())


def receive(payload: bytes, signature: str | None) -> Received:
    """Verify, then accept the event once: its record and the work it asks for (an outbox message)
    are written in one transaction, and the work is done right after the commit. Stripe is answered
    200 once the event is accepted, whether or not Stripe could be read back just now: a transient
    failure leaves the message due, and the sweep retries it with backoff (about three days)."""
    event = verify(payload, signature)
    event_id, event_type = str(event["id"]), str(event["type"])
    if is_processed(event_id):
        logger.info("stripe event already processed", extra={"event_id": event_id, "event_type": event_type})
        return Received(event_id, event_type, duplicate=True)
    handled = event_type in HANDLERS

    def accept(tx: TransactWrite) -> None:
        _record(tx, event)
        if handled:
            outbox.emit(
                tx,
                kind=STRIPE_EVENT,
                subject=stripe_events.object_id(event) or event_id,
                dedupe_key=event_id,
                payload={"event_id": event_id, "event_type": event_type, "object_id": stripe_events.object_id(event)},
            )

    try:
        conditional.run(accept)
    except conditional.Refused:  # a concurrent delivery of the same event accepted it first
        return Received(event_id, event_type, duplicate=True)
    logger.info("stripe event accepted", extra={"event_id": event_id, "event_type": event_type, "handled": handled})
    return Received(event_id, event_type, duplicate=False)


def _handle(message: outbox.Message) -> None:
    """The work of one accepted event: its handler, with only what is trusted of the event (its id,
    its type, the id of the object it names). An object our key cannot read is permanent: logged,
    counted, done."""
    p = message.payload
    event = {"id": p["event_id"], "type": p["event_type"], "data": {"object": {"id": p.get("object_id")}}}
    try:
        HANDLERS[str(p["event_type"])](event)
    except StripeObjectMissing:
        logger.warning(
            "stripe event about an object we cannot read",
            extra={"event_id": p["event_id"], "event_type": p["event_type"], "object_id": p.get("object_id")},
        )
        metrics.add_metric(name="StripeEventsUnresolved", unit=MetricUnit.Count, value=1)


STRIPE_EVENT = "payments.stripe_event"
outbox.register_sender(STRIPE_EVENT, _handle, max_attempts=80)  # capped backoff of 1 h: about three days


def _created(event: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(event.get("created") or 0), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.now()
