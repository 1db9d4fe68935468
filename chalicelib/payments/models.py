"""Persistence shape of payments. Keys:

- stripe event     PK=STRIPE_EVENT#<event_id>  SK=STRIPE_EVENT    → a webhook event already processed
- stripe customer  PK=USER#<usr>              SK=STRIPE_CUSTOMER → the user's Stripe Customer id
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


def customer_pk(user_id: str) -> str:
    return f"USER#{user_id}"


STRIPE_CUSTOMER_SK = "STRIPE_CUSTOMER"


class StripeCustomerItem(BaseItem, discriminator="stripe_customer"):
    """PK=USER#<usr> SK=STRIPE_CUSTOMER: the user's Stripe Customer, created on their first payment."""

    customer_id = UnicodeAttribute()
