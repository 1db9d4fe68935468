"""iCalendar (RFC 5545) documents, built in one place: a listing's calendar.ics (catalog), the private
calendar feeds and the invitations attached to booking emails (notifications).

Each event's DTSTART/DTEND carry its session's IANA zone (TZID) and the calendar has a VTIMEZONE for
each zone used, as Google Calendar and Apple Calendar expect, so 19:00 Berlin shows as 19:00 Berlin on
both sides of a DST change. Cancelled events stay, with STATUS:CANCELLED (and a higher SEQUENCE), so
subscribed calendars drop them. The `icalendar` library is imported on the first document built, not
with this module (cold start).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Event:
    """One VEVENT: `starts_at`/`ends_at` are shown in `timezone` (an IANA name)."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    stamp: datetime  # DTSTAMP: when the event last changed
    sequence: int = 0
    cancelled: bool = False
    location: str | None = None
    description: str = ""


def calendar(events: Iterable[Event], *, name: str, prodid: str, method: str = "PUBLISH") -> bytes:
    """A VCALENDAR of `events` with the VTIMEZONEs they use (their transitions from the day before the
    first event to a year after the last), serialised."""
    import icalendar  # deferred: only the routes and jobs that build documents load it

    items = list(events)
    feed = icalendar.Calendar()
    feed.add("prodid", prodid)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", method)
    feed.add("x-wr-calname", name)
    for item in items:
        zone = ZoneInfo(item.timezone)
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("summary", item.summary)
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
        event.add("dtstamp", item.stamp)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        if item.location is not None:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        feed.add_component(event)
    if items:
        first = min(e.starts_at for e in items).date() - timedelta(days=1)
        last = max(e.ends_at for e in items).date() + timedelta(days=366)
        feed.add_missing_timezones(first_date=first, last_date=last)
    return bytes(feed.to_ical())
