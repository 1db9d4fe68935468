"""Persistence shape of payments. Keys:

- stripe event  PK=STRIPE_EVENT#<event_id>  SK=STRIPE_EVENT  → a webhook event already processed
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.core.table import BaseItem

STRIPE_EVENT_SK = "STRIPE_EVENT"


def stripe_event_pk(event_id: str) -> str:
    return f"STRIPE_EVENT#{event_id}"


class StripeEventItem(BaseItem, discriminator="stripe_event"):
    """Remembers that an event was processed, so a redelivery is acknowledged and skipped."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    object_id = UnicodeAttribute(null=True)
    stripe_created = UTCDateTimeAttribute()
