"""iCalendar (RFC 5545) pieces shared by the booking invitation (.ics attached to confirmations)
and the private calendar feed: events carry their session's IANA zone (TZID) and the calendar a
VTIMEZONE for each zone, as Google Calendar and Apple Calendar expect. Cancelled events stay, with
STATUS:CANCELLED and a higher SEQUENCE, so subscribed calendars drop them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event


@dataclass(frozen=True)
class Entry:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str  # confirmed | cancelled
    sequence: int
    stamp: datetime
    description: str = ""


def calendar(entries: Iterable[Entry], *, name: str, method: str = "PUBLISH") -> bytes:
    items = list(entries)
    feed = Calendar()
    feed.add("prodid", "-//Sesh//Notifications//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", method)
    feed.add("x-wr-calname", name)
    for entry in items:
        zone = ZoneInfo(entry.timezone)
        event = Event()
        event.add("uid", entry.uid)
        event.add("summary", entry.title)
        event.add("dtstart", entry.starts_at.astimezone(zone))
        event.add("dtend", entry.ends_at.astimezone(zone))
        event.add("dtstamp", entry.stamp)
        event.add("sequence", entry.sequence)
        event.add("status", "CANCELLED" if entry.status == "cancelled" else "CONFIRMED")
        if entry.description:
            event.add("description", entry.description)
        feed.add_component(event)
    if items:
        first = min(e.starts_at for e in items).date() - timedelta(days=1)
        last = max(e.ends_at for e in items).date() + timedelta(days=366)
        feed.add_missing_timezones(first_date=first, last_date=last)
    return bytes(feed.to_ical())
