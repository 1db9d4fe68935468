"""Items → contract shapes, and a listing's search facets. Shared by the catalog services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.catalog import domain, recurrence, schemas, session_schemas, taxonomy
from chalicelib.catalog.models import ListingItem, SessionItem
from chalicelib.catalog.search_plan import Facets
from chalicelib.core import clock, storage
from chalicelib.core.money import Money


def facets_of(listing: ListingItem) -> Facets:
    location: dict[str, Any] = listing.location or {}
    prices = {listing.price_currency: int(listing.price_amount)}
    prices.update({c: int(a) for c, a in (listing.regional_prices or {}).items()})
    return Facets(
        listing_id=listing.listing_id,
        host_id=listing.host_id,
        category=listing.category,
        game_system=listing.game_system,
        tool=listing.tool,
        tags=tuple(listing.tags or ()),
        languages=tuple(dict.fromkeys(domain.primary_language(t) for t in listing.languages or ())),
        level=listing.experience_level,
        mode=str(location.get("mode", "online")),
        lat=location.get("lat"),
        lon=location.get("lon"),
        prices=prices,
        words=tuple(domain.words(listing.title)),
    )


def price_of(listing: ListingItem, currency: str | None = None) -> Money:
    """The price per seat in `currency` when the listing has one there, else its own currency."""
    regional = listing.regional_prices or {}
    if currency and currency in regional:
        return Money(amount=int(regional[currency]), currency=currency)
    return Money(amount=int(listing.price_amount), currency=listing.price_currency)


def _image(key: str) -> schemas.Image:
    return schemas.Image(key=key, url=storage.presigned_download(key))


def listing_out(listing: ListingItem) -> schemas.ListingOut:
    return schemas.ListingOut(
        id=listing.listing_id,
        host_id=listing.host_id,
        status=listing.status,  # type: ignore[arg-type]
        title=listing.title,
        description=listing.description,
        category=listing.category,
        vertical=taxonomy.vertical_of(listing.category),
        tags=list(listing.tags or ()),
        game_system=listing.game_system,
        tool=listing.tool,
        languages=list(listing.languages or ()),
        experience_level=listing.experience_level,
        age_rating=listing.age_rating,
        content_warnings=list(listing.content_warnings or ()),
        safety_tools=list(listing.safety_tools or ()),
        format=listing.format,
        location=schemas.Location.model_validate(listing.location),
        min_players=int(listing.min_players),
        max_seats=int(listing.max_seats),
        price=price_of(listing),
        regional_prices=[Money(amount=int(a), currency=c) for c, a in sorted((listing.regional_prices or {}).items())],
        cancellation_policy=schemas.CancellationPolicy.model_validate(listing.cancellation_policy).resolved(),
        booking_mode=listing.booking_mode,
        timezone=listing.timezone,
        duration_minutes=int(listing.duration_minutes),
        images=[_image(k) for k in listing.images or ()],
        created_at=clock.to_wire(listing.created_at),
        updated_at=clock.to_wire(listing.updated_at),
        version=int(listing.version or 1),
    )


def listing_card(listing: ListingItem, currency: str | None = None) -> schemas.ListingCard:
    images = listing.images or []
    return schemas.ListingCard(
        id=listing.listing_id,
        host_id=listing.host_id,
        title=listing.title,
        category=listing.category,
        vertical=taxonomy.vertical_of(listing.category),
        game_system=listing.game_system,
        tool=listing.tool,
        tags=list(listing.tags or ()),
        languages=list(listing.languages or ()),
        experience_level=listing.experience_level,
        format=listing.format,
        location=schemas.Location.model_validate(listing.location),
        price=price_of(listing, currency),
        booking_mode=listing.booking_mode,
        image_url=storage.presigned_download(images[0]) if images else None,
    )


def seats_left(session: SessionItem) -> int:
    return max(0, int(session.capacity) - int(session.seats_booked or 0) - int(session.seats_held or 0))


def viewer_start(moment: datetime, viewer_tz: str | None) -> str | None:
    return recurrence.local_text(moment, viewer_tz) if viewer_tz else None


def session_brief(session: SessionItem, viewer_tz: str | None = None) -> schemas.SessionBrief:
    return schemas.SessionBrief(
        id=session.session_id,
        state=session.state,  # type: ignore[arg-type]
        starts_at=clock.to_wire(session.starts_at),
        ends_at=clock.to_wire(session.ends_at),
        timezone=session.timezone,
        local_start=recurrence.local_text(session.starts_at, session.timezone),
        viewer_start=viewer_start(session.starts_at, viewer_tz),
        capacity=int(session.capacity),
        seats_left=seats_left(session),
    )


def session_out(session: SessionItem, listing: ListingItem, viewer_tz: str | None = None) -> session_schemas.SessionOut:
    return session_schemas.SessionOut(
        id=session.session_id,
        listing_id=session.listing_id,
        host_id=session.host_id,
        series_id=session.series_id,
        state=session.state,  # type: ignore[arg-type]
        starts_at=clock.to_wire(session.starts_at),
        ends_at=clock.to_wire(session.ends_at),
        timezone=session.timezone,
        local_start=recurrence.local_text(session.starts_at, session.timezone),
        viewer_start=viewer_start(session.starts_at, viewer_tz),
        duration_minutes=int((session.ends_at - session.starts_at).total_seconds() // 60),
        capacity=int(session.capacity),
        seats_booked=int(session.seats_booked or 0),
        seats_held=int(session.seats_held or 0),
        seats_left=seats_left(session),
        price=price_of(listing),
        cancelled_at=clock.to_wire(session.cancelled_at) if session.cancelled_at else None,
        version=int(session.version or 1),
    )
