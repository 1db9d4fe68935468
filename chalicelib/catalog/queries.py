"""Reads of the catalog for other packages, as plain values: no catalog model leaves the package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.catalog import domain
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog.models import ListingItem, SessionItem, host_listings_pk, listing_sessions_pk
from chalicelib.catalog.search import parallel


@dataclass(frozen=True)
class HostedSession:
    """A session as its host scheduled it, in whatever state it is now."""

    session_id: str
    listing_title: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    timezone: str  # IANA
    state: str
    version: int  # 1 when created; each edit and the cancellation add 1
    updated_at: datetime

    @property
    def cancelled(self) -> bool:
        return self.state == domain.CANCELLED


def _hosted(session: SessionItem, title: str) -> HostedSession:
    return HostedSession(
        session_id=session.session_id,
        listing_title=title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=session.timezone,
        state=session.state,
        version=int(session.version or 1),
        updated_at=session.updated_at,
    )


def hosted_sessions(host_id: str, starts_from: datetime, limit: int) -> list[HostedSession]:
    """The host's sessions starting at or after `starts_from`, cancelled ones included, soonest first,
    at most `limit`: 1 Query of the host's listings (GSI1) + 1 Query of each listing's sessions (GSI1),
    in parallel. A user who hosts nothing costs the one Query that finds no listing."""
    listings = [i for i in ListingItem.gsi1.query(host_listings_pk(host_id)) if isinstance(i, ListingItem)]
    from_key = plan.time_key(starts_from)

    def sessions_of(listing: ListingItem) -> list[HostedSession]:
        found = SessionItem.gsi1.query(
            listing_sessions_pk(listing.listing_id), SessionItem.GSI1SK.between(from_key, plan.END), limit=limit
        )
        return [_hosted(s, listing.title) for s in found if isinstance(s, SessionItem)]

    merged = [s for per_listing in parallel(sessions_of, listings) for s in per_listing]
    return sorted(merged, key=lambda s: (s.starts_at, s.session_id))[:limit]
