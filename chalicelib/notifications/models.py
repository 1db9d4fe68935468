"""Persistence shape of notifications. One partition per user, PK=NTF#<user_id>:

- notification  SK=N#<ntf_id>          the in-app feed, newest last; GSI1 NTFUNREAD#<user> while unread
- preferences   SK=PREFS               category → channel → on/off (only what the user changed)
- device        SK=DEVICE#<hash>       a push token and its SNS platform endpoint
- calendar      SK=CAL#<booking|session id>   the user's calendar-feed entries (bookings, hosted sessions)
- feed token    SK=CALFEED             the current secret of the user's calendar feed
- chat digest   SK=CHATDIGEST          a pending "you have unread messages" email (one per user)

and PK=CALFEED#<token> SK=CALFEED → user_id, the feed route's lookup.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.core.table import BaseItem, VersionedItem

NOTIFICATION_PREFIX = "N#"
PREFS_SK = "PREFS"
DEVICE_PREFIX = "DEVICE#"
CAL_PREFIX = "CAL#"
FEED_SK = "CALFEED"
DIGEST_SK = "CHATDIGEST"


def inbox_pk(user_id: str) -> str:
    """The partition of a user's notification items (feed, preferences, devices, calendar, digest)."""
    return f"NTF#{user_id}"


def unread_pk(user_id: str) -> str:
    return f"NTFUNREAD#{user_id}"


def feed_token_pk(token: str) -> str:
    return f"CALFEED#{token}"


class NotificationItem(BaseItem, discriminator="notification"):
    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    template = UnicodeAttribute()
    category = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    data = JSONAttribute(default=dict)
    read_at = UTCDateTimeAttribute(null=True)


class PreferencesItem(VersionedItem, discriminator="notification_prefs"):
    user_id = UnicodeAttribute()
    choices = JSONAttribute(default=dict)  # category → {channel: bool}


class DeviceItem(BaseItem, discriminator="push_device"):
    device_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    token = UnicodeAttribute()
    endpoint_arn = UnicodeAttribute()


class CalendarEntryItem(BaseItem, discriminator="calendar_entry"):
    user_id = UnicodeAttribute()
    ref_id = UnicodeAttribute()  # booking id (player) or session id (host)
    role = UnicodeAttribute()
    session_id = UnicodeAttribute()
    title = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    timezone = UnicodeAttribute()
    status = UnicodeAttribute()  # confirmed | cancelled
    sequence = NumberAttribute(default=0)


class FeedTokenItem(BaseItem, discriminator="calendar_feed_token"):
    user_id = UnicodeAttribute()
    token = UnicodeAttribute()


class ChatDigestItem(BaseItem, discriminator="chat_digest"):
    user_id = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
