"""Persistence shape of payments. Keys:

- stripe event     PK=STRIPE_EVENT#<event_id>  SK=STRIPE_EVENT    → a webhook event already processed
- stripe customer  PK=USER#<usr>              SK=STRIPE_CUSTOMER → the user's Stripe Customer id
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.core.table import BaseItem, user_pk

STRIPE_EVENT_SK = "STRIPE_EVENT"


def stripe_event_pk(event_id: str) -> str:
    return f"STRIPE_EVENT#{event_id}"


class StripeEventItem(BaseItem, discriminator="stripe_event"):
    """Remembers that an event was processed, so a redelivery is acknowledged and skipped."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    object_id = UnicodeAttribute(null=True)
    stripe_created = UTCDateTimeAttribute()


customer_pk = user_pk  # the Stripe customer and payout account live in the user's partition


STRIPE_CUSTOMER_SK = "STRIPE_CUSTOMER"


class StripeCustomerItem(BaseItem, discriminator="stripe_customer"):
    """PK=USER#<usr> SK=STRIPE_CUSTOMER: the user's Stripe Customer, created on their first payment."""

    customer_id = UnicodeAttribute()


# Marketplace payments (issue "Marketplace payments"). Keys:
#
# - payout account  PK=USER#<usr>        SK=PAYOUT_ACCOUNT  → the host's Stripe Connect Express account
# - booking money   PK=BOOKING#<bkg>     SK=MONEY           GSI2 HOSTMONEY#<host> / <currency>#<bkg>
#                                                           (a host's bookings with money: earnings)
# - ledger entry    PK=BOOKING#<bkg>     SK=LEDGER#<type>#<ref>   immutable
#                                        GSI1 PLAYERLEDGER#<usr> / <at>#<entry>  (a player's transactions)
#                                        GSI2 HOSTLEDGER#<usr>   / <at>#<entry>  (a host's transactions)
#                                        GSI3 LEDGERDAY#<yyyy-mm-dd> / <at>#<entry>  (reconciliation)

PAYOUT_ACCOUNT_SK = "PAYOUT_ACCOUNT"
MONEY_SK = "MONEY"


def booking_money_pk(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


def host_money_pk(host_id: str) -> str:
    return f"HOSTMONEY#{host_id}"


def player_ledger_pk(user_id: str) -> str:
    return f"PLAYERLEDGER#{user_id}"


def host_ledger_pk(user_id: str) -> str:
    return f"HOSTLEDGER#{user_id}"


def ledger_day_pk(day: str) -> str:
    return f"LEDGERDAY#{day}"


class PayoutAccountItem(BaseItem, discriminator="payout_account"):
    """The host's connected account and what Stripe last said about it (`account.updated`)."""

    account_id = UnicodeAttribute()
    details_submitted = BooleanAttribute(default=False)
    payouts_enabled = BooleanAttribute(default=False)
    charges_enabled = BooleanAttribute(default=False)
    requirements_due = ListAttribute(of=UnicodeAttribute, default=list)


class MoneyItem(BaseItem, discriminator="booking_money"):
    """A paid booking's money: the running totals the ledger entries add up to (domain.Balance),
    the payout's due time and the dispute. `rev` grows with every change (the write condition)."""

    booking_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    player_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    payment_intent_id = UnicodeAttribute()
    charged = NumberAttribute(default=0)
    fee = NumberAttribute(default=0)
    refunded = NumberAttribute(default=0)
    debited = NumberAttribute(default=0)
    credited = NumberAttribute(default=0)
    transferred = NumberAttribute(default=0)
    reversed = NumberAttribute(default=0)
    fee_percent_bps = NumberAttribute(default=0)
    fee_fixed = NumberAttribute(default=0)
    payout_due_at = UTCDateTimeAttribute(null=True)  # set at completion: ends + hold days
    dispute_id = UnicodeAttribute(null=True)
    dispute_status = UnicodeAttribute(null=True)  # open | won | lost
    dispute_reason = UnicodeAttribute(null=True)
    refs = UnicodeSetAttribute(default=set)  # Stripe ids already in the ledger
    rev = NumberAttribute(default=0)


class LedgerItem(BaseItem, discriminator="ledger_entry"):
    """One money movement; written once (conditional put), never changed."""

    entry_id = UnicodeAttribute()
    entry_type = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    player_id = UnicodeAttribute()
    amount = NumberAttribute()  # > 0, minor units
    currency = UnicodeAttribute()
    reference = UnicodeAttribute()  # the Stripe object: PaymentIntent, refund, transfer, reversal, dispute
    reason = UnicodeAttribute(null=True)
    occurred_at = UTCDateTimeAttribute()
