"""Persistence shape of booking. Keys:

- booking        PK=BOOKING#<bkg>         SK=BOOKING     GSI1 PLAYERBKG#<usr> / <starts_at>#<bkg>  (a player's bookings)
                                                         GSI2 SESBKG#<ses> / <bkg>                 (a session's roster)
- player guard   PK=SESSION#<ses>         SK=PLAYER#<usr>   one active booking per player and session
- waitlist entry PK=WAITLIST#<wl>         SK=WAITLIST    GSI1 PLAYERWL#<usr> / <wl>                (a player's entries)
                                                         GSI2 SESWL#<ses> / <wl>                   (the queue, in order)
- waitlist guard PK=SESSION#<ses>         SK=WAITER#<usr>   one open entry per player and session
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.core.table import BaseItem

BOOKING_SK = "BOOKING"
WAITLIST_SK = "WAITLIST"


def booking_pk(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


def player_bookings_pk(user_id: str) -> str:
    return f"PLAYERBKG#{user_id}"


def roster_pk(session_id: str) -> str:
    return f"SESBKG#{session_id}"


def guard_key(session_id: str, user_id: str) -> tuple[str, str]:
    return f"SESSION#{session_id}", f"PLAYER#{user_id}"


def waiter_key(session_id: str, user_id: str) -> tuple[str, str]:
    return f"SESSION#{session_id}", f"WAITER#{user_id}"


def waitlist_pk(entry_id: str) -> str:
    return f"WAITLIST#{entry_id}"


def queue_pk(session_id: str) -> str:
    return f"SESWL#{session_id}"


def player_waitlist_pk(user_id: str) -> str:
    return f"PLAYERWL#{user_id}"


class BookingItem(BaseItem, discriminator="booking"):
    booking_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    player_id = UnicodeAttribute()
    seats = NumberAttribute()
    state = UnicodeAttribute()
    mode = UnicodeAttribute()  # instant | approval
    note = UnicodeAttribute(null=True)
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    amount = NumberAttribute(default=0)  # minor units, for all seats
    currency = UnicodeAttribute()
    payment_intent_id = UnicodeAttribute(null=True)
    client_secret = UnicodeAttribute(null=True)
    payment_status = UnicodeAttribute(null=True)  # none | awaiting | authorized | paid | failed | refunded | released
    amount_refunded = NumberAttribute(default=0)
    hold_expires_at = UTCDateTimeAttribute(null=True)
    free_cancel_until = UTCDateTimeAttribute(null=True)  # after a host reschedule: full refund until then
    waitlist_entry_id = UnicodeAttribute(null=True)
    disputed = BooleanAttribute(default=False)
    closed_at = UTCDateTimeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)


class PlayerGuardItem(BaseItem, discriminator="booking_guard"):
    booking_id = UnicodeAttribute()


class WaitlistEntryItem(BaseItem, discriminator="waitlist_entry"):
    entry_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    player_id = UnicodeAttribute()
    seats = NumberAttribute()
    state = UnicodeAttribute()
    offer_expires_at = UTCDateTimeAttribute(null=True)
    booking_id = UnicodeAttribute(null=True)


class WaiterGuardItem(BaseItem, discriminator="waitlist_guard"):
    entry_id = UnicodeAttribute()
