"""A listing's upcoming sessions as an iCalendar feed (RFC 5545), with the sessions' own zones.

Each event's DTSTART/DTEND carry the session's IANA zone (TZID) and the feed has a VTIMEZONE for
each zone used, so calendar apps show 19:00 Berlin as 19:00 Berlin on both sides of a DST change.
Cancelled sessions stay in the feed with STATUS:CANCELLED, so subscribed calendars drop them.
icalendar is imported here only, by the one route that serves feeds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from chalicelib.catalog import domain, service, views
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog.models import SessionItem, listing_sessions_pk
from chalicelib.core import clock
from chalicelib.core.auth import Principal
from chalicelib.core.money import to_text

MAX_EVENTS = 200


def listing_calendar(principal: Principal | None, listing_id: str) -> bytes:
    listing = service.visible_listing(principal, listing_id)
    sessions = [
        s
        for s in SessionItem.gsi1.query(
            listing_sessions_pk(listing_id),
            SessionItem.GSI1SK.between(plan.time_key(clock.now()), plan.END),
            limit=MAX_EVENTS,
        )
        if isinstance(s, SessionItem)
    ]
    feed = Calendar()
    feed.add("prodid", "-//Sesh//Catalog//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", listing.title)
    location: dict[str, Any] = listing.location or {}
    where = location.get("city") if location.get("mode") == "in_person" else "Online"
    price = views.price_of(listing)
    for s in sessions:
        zone = ZoneInfo(s.timezone)
        event = Event()
        event.add("uid", f"{s.session_id}@sesh")
        event.add("summary", listing.title)
        event.add("dtstart", s.starts_at.astimezone(zone))
        event.add("dtend", s.ends_at.astimezone(zone))
        event.add("dtstamp", s.updated_at)
        event.add("sequence", int(s.version or 1) - 1)
        event.add("status", "CANCELLED" if s.state == domain.CANCELLED else "CONFIRMED")
        event.add("location", where)
        seats = f"{views.seats_left(s)} of {int(s.capacity)} seats free"
        cost = "free" if price.amount == 0 else f"{to_text(price.amount, price.currency)} per seat"
        event.add("description", f"{seats}, {cost}.")
        feed.add_component(event)
    if sessions:
        first = min(s.starts_at for s in sessions).date() - timedelta(days=1)
        last = max(s.ends_at for s in sessions).date() + timedelta(days=366)
        feed.add_missing_timezones(first_date=first, last_date=last)
    return bytes(feed.to_ical())
