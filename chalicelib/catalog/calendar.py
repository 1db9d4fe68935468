"""A listing's upcoming sessions as an iCalendar feed (RFC 5545), with the sessions' own zones.

The document is built by `core.ical` (a VTIMEZONE per zone used; cancelled sessions stay in the feed
with STATUS:CANCELLED, so subscribed calendars drop them); this module picks the sessions and says
what each event shows.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import domain, service, views
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog.models import SessionItem, listing_sessions_pk
from chalicelib.core import clock, ical
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
    location: dict[str, Any] = listing.location or {}
    where = location.get("city") if location.get("mode") == "in_person" else "Online"
    price = views.price_of(listing)
    cost = "free" if price.amount == 0 else f"{to_text(price.amount, price.currency)} per seat"
    events = [
        ical.Event(
            uid=f"{s.session_id}@sesh",
            summary=listing.title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            timezone=s.timezone,
            stamp=s.updated_at,
            sequence=int(s.version or 1) - 1,
            cancelled=s.state == domain.CANCELLED,
            location=where,
            description=f"{views.seats_left(s)} of {int(s.capacity)} seats free, {cost}.",
        )
        for s in sessions
    ]
    return ical.calendar(events, name=listing.title, prodid="-//Sesh//Catalog//EN")
