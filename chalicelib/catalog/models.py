"""Persistence shape of the catalog (search index items are in `index_models`). Keys:

- listing     PK=LISTING#<lst>          SK=LISTING          GSI1 HOSTLST#<host> / <lst>          (host's listings)
- session     PK=SESSION#<ses>          SK=SESSION          GSI1 LSTSES#<lst> / <start>#<ses>    (listing's sessions)
                                                            GSI2 SERIES#<series> / <start>#<ses> (a rule's sessions)
- host slot   PK=HOSTSCHED#<host>       SK=<start>#<ses>    a host's busy time, for the overlap check
- guard       PK=HOSTSCHED#<host>       SK=GUARD            `rev` bumped by every write of the host's slots
- favorite    PK=USER#<usr>             SK=FAV#<lst>
- saved search PK=USER#<usr>            SK=SEARCH#<srch>

Seats on a session: `capacity`, `seats_booked`, `seats_held`. Booking changes the last two only in
conditional writes keeping `seats_booked + seats_held <= capacity`; editing capacity is conditional
on the same sum (see sessions_service).
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.core.table import BaseItem, VersionedItem
from chalicelib.core.table import user_pk as user_pk

LISTING_SK = "LISTING"
SESSION_SK = "SESSION"
GUARD_SK = "GUARD"  # sorts after every "<start>#<ses>" key (digits < letters)


def listing_pk(listing_id: str) -> str:
    return f"LISTING#{listing_id}"


def session_pk(session_id: str) -> str:
    return f"SESSION#{session_id}"


def schedule_pk(host_id: str) -> str:
    return f"HOSTSCHED#{host_id}"


def host_listings_pk(host_id: str) -> str:
    return f"HOSTLST#{host_id}"


def listing_sessions_pk(listing_id: str) -> str:
    return f"LSTSES#{listing_id}"


def series_pk(series_id: str) -> str:
    return f"SERIES#{series_id}"


class ListingItem(VersionedItem, discriminator="listing"):
    listing_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    status = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    tags = ListAttribute[str](default=list)
    game_system = UnicodeAttribute(null=True)
    tool = UnicodeAttribute(null=True)
    languages = ListAttribute[str](default=list)
    experience_level = UnicodeAttribute()
    age_rating = UnicodeAttribute()
    content_warnings = ListAttribute[str](default=list)
    safety_tools = ListAttribute[str](default=list)
    format = UnicodeAttribute()
    location = JSONAttribute()  # schemas.Location as JSON
    min_players = NumberAttribute()
    max_seats = NumberAttribute()
    price_amount = NumberAttribute()
    price_currency = UnicodeAttribute()
    regional_prices = JSONAttribute(default=dict)  # {"eur": 1400, ...}
    cancellation_policy = JSONAttribute()
    booking_mode = UnicodeAttribute()
    timezone = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    images = ListAttribute[str](default=list)
    published_at = UTCDateTimeAttribute(null=True)


class SessionItem(VersionedItem, discriminator="session"):
    session_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    series_id = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    timezone = UnicodeAttribute()
    capacity = NumberAttribute()
    seats_booked = NumberAttribute(default=0)
    seats_held = NumberAttribute(default=0)
    seats_taken = NumberAttribute(null=True)  # booked + held, kept by catalog.seats for its conditions
    cancelled_at = UTCDateTimeAttribute(null=True)


class HostSlotItem(BaseItem, discriminator="host_slot"):
    session_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()


class ScheduleGuardItem(BaseItem, discriminator="schedule_guard"):
    rev = NumberAttribute(default=0)


class FavoriteItem(BaseItem, discriminator="favorite"):
    listing_id = UnicodeAttribute()


class SavedSearchItem(BaseItem, discriminator="saved_search"):
    search_id = UnicodeAttribute()
    name = UnicodeAttribute()
    filters = JSONAttribute()
