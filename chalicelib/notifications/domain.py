"""Pure decisions of notifications: which event tells whom what, in which category, on which channel;
reminder times; the language of a recipient; the unsubscribe signature. No I/O here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Categories a user can tune, per channel. Receipts and security always go out (email and in-app).
BOOKINGS, HOSTING, WAITLIST, REMINDERS, CHAT, RECEIPTS, SECURITY = (
    "bookings",
    "hosting",
    "waitlist",
    "reminders",
    "chat",
    "receipts",
    "security",
)
CATEGORIES = (BOOKINGS, HOSTING, WAITLIST, REMINDERS, CHAT, RECEIPTS, SECURITY)
ALWAYS = frozenset({RECEIPTS, SECURITY})  # transactional: no opt-out, no unsubscribe link
IN_APP, EMAIL, PUSH = "in_app", "email", "push"
CHANNELS = (IN_APP, EMAIL, PUSH)
LANGUAGES = ("en", "de", "fr")  # email and in-app texts exist in these; anything else falls back to English
REMINDER_OFFSETS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}

PLAYER, HOST = "player", "host"


def default_preferences() -> dict[str, dict[str, bool]]:
    return {c: {IN_APP: True, EMAIL: True, PUSH: c != RECEIPTS} for c in CATEGORIES}


def merged_preferences(stored: Mapping[str, Mapping[str, bool]] | None) -> dict[str, dict[str, bool]]:
    """The user's choices over the defaults; receipts and security are forced on for in-app and email."""
    prefs = default_preferences()
    for category, channels in (stored or {}).items():
        if category in prefs:
            prefs[category].update({c: bool(v) for c, v in channels.items() if c in CHANNELS})
    for category in ALWAYS:
        prefs[category][IN_APP] = prefs[category][EMAIL] = True
    return prefs


def channels_for(prefs: Mapping[str, Mapping[str, bool]], category: str) -> tuple[str, ...]:
    chosen = merged_preferences(prefs).get(category, {})
    return tuple(c for c in CHANNELS if chosen.get(c))


def language_of(locale: str | None) -> str:
    """'de-AT' → 'de'; unknown languages → 'en'."""
    head = (locale or "en").replace("_", "-").split("-")[0].lower()
    return head if head in LANGUAGES else "en"


def babel_locale(locale: str | None) -> str:
    """A locale tag babel understands ('de-AT' → 'de_AT')."""
    return (locale or "en").replace("-", "_")


@dataclass(frozen=True)
class Notice:
    """One message to one recipient, before channels and language are applied."""

    recipient: str  # user id
    template: str  # a key of the message catalogs (templates/messages/<lang>.json)
    category: str
    role: str = PLAYER
    ics: bool = False  # attach the booking's calendar invitation


@dataclass(frozen=True)
class Plan:
    notices: tuple[Notice, ...] = ()


_CANCEL_BY_REASON = {
    "player_cancelled": "booking_cancelled",
    "host_cancelled": "booking_cancelled_by_host",
    "session_cancelled": "session_cancelled",
    "min_players_not_reached": "session_min_players",
}
_EXPIRED_BY_REASON = {"request_expired": "request_expired"}


def plan(kind: str, payload: Mapping[str, Any], *, mode: str | None = None) -> Plan:
    """Who hears of an event and with which message. `mode` is the booking's ("approval" turns a
    confirmation into "accepted")."""
    player, host = payload.get("player_id"), payload.get("host_id")
    reason = str(payload.get("reason") or "")
    notices: list[Notice] = []

    def to_player(template: str, category: str, **kw: Any) -> None:
        if player:
            notices.append(Notice(str(player), template, category, PLAYER, **kw))

    def to_host(template: str, category: str) -> None:
        if host:
            notices.append(Notice(str(host), template, category, HOST))

    if kind == "booking.requested":
        to_host("booking_requested", HOSTING)
    elif kind == "booking.confirmed":
        to_player("booking_accepted" if mode == "approval" else "booking_confirmed", BOOKINGS, ics=True)
        to_host("booking_new", HOSTING)
    elif kind == "booking.declined":
        to_player("booking_declined", BOOKINGS)
    elif kind == "booking.cancelled":
        to_player(_CANCEL_BY_REASON.get(reason, "booking_cancelled"), BOOKINGS)
        if reason == "player_cancelled":
            to_host("booking_cancelled_host", HOSTING)
    elif kind == "booking.expired":
        to_player(_EXPIRED_BY_REASON.get(reason, "booking_expired"), BOOKINGS)
    elif kind == "booking.payment_failed":
        to_player("payment_failed", RECEIPTS)
    elif kind == "booking.rescheduled":
        to_player("booking_rescheduled", BOOKINGS, ics=True)
    elif kind == "session.cancelled" and reason == "min_players_not_reached":
        to_host("session_min_players_host", HOSTING)
    elif kind == "waitlist.joined":
        to_player("waitlist_joined", WAITLIST)
    elif kind == "waitlist.offered":
        to_player("waitlist_offered", WAITLIST)
    elif kind == "waitlist.offer_expired":
        to_player("waitlist_offer_expired", WAITLIST)
    elif kind == "payment.charged":
        to_player("payment_receipt", RECEIPTS)
    elif kind == "payment.refunded":
        to_player("payment_refunded", RECEIPTS)
    elif kind == "payout.sent":
        to_host("payout_sent", RECEIPTS)
    elif kind == "dispute.opened":
        to_host("dispute_opened", SECURITY)
    return Plan(tuple(notices))


def reminder_times(starts_at: datetime, now: datetime) -> dict[str, datetime]:
    """The reminders still ahead: offset name → due time (none in the past)."""
    return {name: starts_at - delta for name, delta in REMINDER_OFFSETS.items() if starts_at - delta > now}


def unsubscribe_signature(secret: str, user_id: str, category: str) -> str:
    message = f"unsubscribe\n{user_id}\n{category}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid_unsubscribe(secret: str, user_id: str, category: str, signature: str) -> bool:
    if category not in CATEGORIES or category in ALWAYS:
        return False
    return hmac.compare_digest(unsubscribe_signature(secret, user_id, category), signature)


def notification_id(seed: str, occurred_at: datetime) -> str:
    """A deterministic `ntf_` ULID: its time part from the event, its random part from `seed`
    (event id + recipient + template), so a repeated event names the same notification."""
    millis = int(occurred_at.timestamp() * 1000)
    value = (millis << 80) | int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    chars = []
    for _ in range(26):
        chars.append(alphabet[value & 31])
        value >>= 5
    return "ntf_" + "".join(reversed(chars))
