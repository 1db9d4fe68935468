"""Each user's calendar: entries for their confirmed bookings (as a player) and the booked sessions they
host, kept up to date by the booking events (confirmed, rescheduled, cancelled), and served as a private
iCalendar feed at /v1/calendar-feeds/<secret token>, with every session the user hosts (booked or not)
read from the catalog when the feed is served. The token is random, stored twice (the user's
item, to show and rotate it; the lookup item, to serve the feed), and rotating it revokes the old URL.

The reminders of an entry (24h and 1h before) are timers written in the same transaction as the
entry, with fixed ids: a reschedule rewrites them, a cancellation deletes them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.catalog import service as catalog
from chalicelib.core import clock, ical, timers
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import NotFound
from chalicelib.core.settings import get_settings
from chalicelib.core.table import write_transaction
from chalicelib.notifications import domain, jobs, schemas
from chalicelib.notifications.models import (
    CAL_PREFIX,
    FEED_SK,
    CalendarEntryItem,
    FeedTokenItem,
    feed_token_pk,
    inbox_pk,
)

REMINDER = jobs.REMINDER
MAX_FEED_EVENTS = 500
HOSTED_SINCE = timedelta(days=30)  # hosted sessions stay in the feed for a month after they start
HOSTING, BOOKED = "You host this session.", "Your booking on Sesh."
CONFIRMED, CANCELLED = "confirmed", "cancelled"
PRODID = "-//Sesh//Notifications//EN"


@dataclass(frozen=True)
class Slot:
    """What an entry shows: the session's title, times and zone."""

    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str


def entry(user_id: str, ref_id: str) -> CalendarEntryItem | None:
    try:
        return CalendarEntryItem.get(inbox_pk(user_id), CAL_PREFIX + ref_id, consistent_read=True)
    except CalendarEntryItem.DoesNotExist:
        return None


def _timer_id(ref_id: str, offset: str) -> str:
    return f"ntf-remind#{ref_id}#{offset}"


def _schedule_reminders(tx: TransactWrite, user_id: str, ref_id: str, role: str, starts_at: datetime) -> None:
    due = domain.reminder_times(starts_at, clock.now())
    for offset in domain.REMINDER_OFFSETS:
        timer_id = _timer_id(ref_id, offset)
        if offset in due:
            timers.schedule(
                tx,
                handler=REMINDER,
                due_at=due[offset],
                subject=ref_id,
                timer_id=timer_id,
                payload={
                    "ref_id": ref_id,
                    "user_id": user_id,
                    "role": role,
                    "offset": offset,
                    "starts_at": clock.to_wire(starts_at),
                },
            )
        else:
            timers.cancel(tx, timer_id)


def _cancel_reminders(tx: TransactWrite, ref_id: str) -> None:
    for offset in domain.REMINDER_OFFSETS:
        timers.cancel(tx, _timer_id(ref_id, offset))


def _write(
    tx: TransactWrite, user_id: str, ref_id: str, role: str, slot: Slot, existing: CalendarEntryItem | None, status: str
) -> None:
    moved = existing is not None and (existing.starts_at, existing.ends_at) != (slot.starts_at, slot.ends_at)
    changed = existing is not None and (moved or existing.status != status)
    item = CalendarEntryItem(
        inbox_pk(user_id),
        CAL_PREFIX + ref_id,
        user_id=user_id,
        ref_id=ref_id,
        role=role,
        session_id=slot.session_id,
        title=slot.title,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        timezone=slot.timezone,
        status=status,
        sequence=int(existing.sequence or 0) + (1 if changed else 0) if existing is not None else 0,
        created_at=existing.created_at if existing is not None else clock.now(),
        updated_at=clock.now(),
    )
    tx.save(item)
    if status == CONFIRMED:
        _schedule_reminders(tx, user_id, ref_id, role, slot.starts_at)
    else:
        _cancel_reminders(tx, ref_id)


def _needs_write(existing: CalendarEntryItem | None, slot: Slot, status: str) -> bool:
    if existing is None:
        return status == CONFIRMED
    if existing.status == CANCELLED and existing.role == domain.PLAYER:
        return False  # a cancelled booking never comes back (a late, repeated confirmation)
    return (existing.status, existing.starts_at, existing.ends_at) != (status, slot.starts_at, slot.ends_at)


def place(user_id: str, ref_id: str, role: str, slot: Slot, status: str = CONFIRMED) -> int:
    """Write (or move, or cancel) the user's entry and its reminders; returns the entry's sequence.
    Nothing is written when the entry already says so (a repeated event)."""
    existing = entry(user_id, ref_id)
    if not _needs_write(existing, slot, status):
        return int(existing.sequence or 0) if existing is not None else 0
    with write_transaction() as tx:
        _write(tx, user_id, ref_id, role, slot, existing, status)
    after = entry(user_id, ref_id)
    return int(after.sequence or 0) if after is not None else 0


def cancel(user_id: str, ref_id: str) -> None:
    existing = entry(user_id, ref_id)
    if existing is None or existing.status == CANCELLED:
        return
    slot = Slot(existing.session_id, existing.title, existing.starts_at, existing.ends_at, existing.timezone)
    with write_transaction() as tx:
        _write(tx, user_id, ref_id, existing.role, slot, existing, CANCELLED)


# The feed and its token


def _feed_url(token: str) -> str:
    return f"{get_settings().public_api_url.rstrip('/')}/v1/calendar-feeds/{token}/sesh.ics"


def _feed_out(token: str) -> schemas.CalendarFeedOut:
    url = _feed_url(token)
    return schemas.CalendarFeedOut(url=url, webcal_url="webcal://" + url.split("://", 1)[-1])


def _new_token(user_id: str, old: FeedTokenItem | None) -> str:
    token = secrets.token_urlsafe(24)
    with write_transaction() as tx:
        mine = FeedTokenItem(inbox_pk(user_id), FEED_SK, user_id=user_id, token=token)
        if old is None:
            tx.save(mine, condition=FeedTokenItem.PK.does_not_exist())
        else:
            tx.save(mine, condition=FeedTokenItem.token == old.token)
            tx.delete(FeedTokenItem(feed_token_pk(old.token), FEED_SK))
        tx.save(FeedTokenItem(feed_token_pk(token), FEED_SK, user_id=user_id, token=token))
    return token


def _current(user_id: str) -> FeedTokenItem | None:
    try:
        return FeedTokenItem.get(inbox_pk(user_id), FEED_SK, consistent_read=True)
    except FeedTokenItem.DoesNotExist:
        return None


def my_feed(principal: Principal) -> schemas.CalendarFeedOut:
    current = _current(principal.user_id)
    if current is not None:
        return _feed_out(current.token)
    try:
        return _feed_out(_new_token(principal.user_id, None))
    except TransactWriteError:  # a concurrent first call made it
        made = _current(principal.user_id)
        if made is None:
            raise
        return _feed_out(made.token)


def rotate(principal: Principal) -> schemas.CalendarFeedOut:
    return _feed_out(_new_token(principal.user_id, _current(principal.user_id)))


def _uid(ref_id: str) -> str:
    """A host's entry's ref is the session id: its UID is the hosted session's, so neither shows twice."""
    return f"{ref_id}@sesh"


def _as_ical(item: CalendarEntryItem) -> ical.Event:
    return ical.Event(
        uid=_uid(item.ref_id),
        summary=item.title,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        timezone=item.timezone,
        cancelled=item.status == CANCELLED,
        sequence=int(item.sequence or 0),
        stamp=item.updated_at,
        description=HOSTING if item.role == domain.HOST else BOOKED,
    )


def _hosted_as_ical(session: catalog.HostedSession, shown: ical.Event | None) -> ical.Event:
    # A new session is version 1 (SEQUENCE 0); each edit and the cancellation add 1. Never below what the
    # host's entry showed: calendar apps ignore an event whose SEQUENCE went down.
    sequence = max(session.version - 1, shown.sequence if shown is not None else 0)
    return ical.Event(
        uid=_uid(session.session_id),
        summary=session.listing_title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=session.timezone,
        cancelled=session.cancelled,
        sequence=sequence,
        stamp=session.updated_at,
        description=HOSTING,
    )


def feed(token: str) -> bytes:
    """The feed of the token's user; 404 for an unknown (or rotated) token. Their calendar entries, and
    the sessions they host as the catalog has them now (for a hosted session, the catalog's reading
    replaces the entry's). 1 GetItem + 1 Query entries + 1 Query listings + 1 Query per listing."""
    if not 16 <= len(token) <= 64:
        raise NotFound("No such calendar.")
    try:
        owner = FeedTokenItem.get(feed_token_pk(token), FEED_SK)
    except FeedTokenItem.DoesNotExist:
        raise NotFound("No such calendar.") from None
    found = CalendarEntryItem.query(
        inbox_pk(owner.user_id), CalendarEntryItem.SK.startswith(CAL_PREFIX), limit=MAX_FEED_EVENTS
    )
    entries = {e.uid: e for e in (_as_ical(i) for i in found if isinstance(i, CalendarEntryItem))}
    for session in catalog.hosted_sessions(owner.user_id, clock.now() - HOSTED_SINCE, MAX_FEED_EVENTS):
        uid = _uid(session.session_id)
        entries[uid] = _hosted_as_ical(session, entries.get(uid))
    return ical.calendar(entries.values(), name="Sesh", prodid=PRODID)


def invitation(facts: dict[str, Any]) -> bytes:
    """The .ics attached to a booking confirmation (and to its reschedule notice)."""
    item = ical.Event(
        uid=_uid(str(facts["booking_id"])),
        summary=str(facts.get("title") or "Sesh"),
        starts_at=datetime.fromisoformat(str(facts["starts_at"])),
        ends_at=datetime.fromisoformat(str(facts["ends_at"])),
        timezone=str(facts.get("session_timezone") or "UTC"),
        sequence=int(facts.get("sequence") or 0),
        stamp=clock.now(),
        description=BOOKED,
    )
    return ical.calendar([item], name=item.summary, prodid=PRODID)
